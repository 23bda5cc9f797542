"""The 身份证号 check of the quality report in C (``shujian.catalog._idcheck``) gives the verdicts of the
numpy check and of the per-value Python check (``semantic._fast_valid_id``) on random IDs."""

from __future__ import annotations

import random
from datetime import date, timedelta

import pyarrow as pa
import pytest

from shujian.catalog import semantic


def _body(rng: random.Random) -> str:
    region = rng.choice(["11", "33", "44", "83", "00", "99", "71", "10"]) + f"{rng.randrange(10000):04d}"
    day = date(1890, 1, 1) + timedelta(days=rng.randrange(0, 140 * 366))
    birth = day.strftime("%Y%m%d") if rng.random() < 0.9 else rng.choice(["19990230", "20000229", "19000229",
                                                                              "19891301", "19890000", "30000101"])
    return region + birth + f"{rng.randrange(1000):03d}"


def _value(rng: random.Random) -> str | None:
    r = rng.random()
    body = _body(rng)
    good = body + semantic.ric.calc_check_digit(body + "0")
    if r < 0.05:
        return None
    if r < 0.55:
        return good
    if r < 0.7:   # a wrong check character
        return body + rng.choice("0123456789X")
    if r < 0.75:
        return good.lower()
    if r < 0.8:   # full-width digits, spaces, dashes: normalised by the Python check
        return rng.choice([good.translate(str.maketrans("0123456789", "０１２３４５６７８９")),
                           f" {good} ", good[:6] + "-" + good[6:]])
    if r < 0.85:   # 15 digits (old IDs), 17, 19
        return rng.choice([body[:6] + body[8:], body, good + "1"])
    if r < 0.9:
        return rng.choice(["", "无", "NULL", "3.30102199001011E+17", good[:17] + "Y", "身" * 6])
    chars = list(good)   # one byte changed to any ASCII or a multi-byte character
    chars[rng.randrange(18)] = rng.choice(["a", "/", ":", "é", "中", " "])
    return "".join(chars)


def _numpy(arr: pa.Array, monkeypatch) -> list:
    with monkeypatch.context() as m:
        m.setattr(semantic, "_IDCHECK", None)
        return semantic._id_checks_array(arr).to_pylist()


@pytest.mark.parametrize("seed", range(6))
def test_native_check_gives_the_numpy_and_python_verdicts(seed, monkeypatch):
    native = semantic._idcheck_module()
    if native is None:
        pytest.skip("shujian.catalog._idcheck is not built")
    rng = random.Random(seed)
    values = [_value(rng) for _ in range(rng.choice([1, 17, 2048, 5000]))]
    arr = pa.array(values, pa.string())
    expected = [None if v is None else semantic._fast_valid_id(v) for v in values]
    got = semantic._id_checks_array(arr)
    assert got.type == pa.bool_()
    assert got.to_pylist() == expected
    assert _numpy(arr, monkeypatch) == expected
    # a slice of the array (an offset into its buffers, its validity bits not byte-aligned)
    lo = rng.randrange(len(values))
    hi = rng.randrange(lo, len(values) + 1)
    assert semantic._id_checks_array(arr.slice(lo, hi - lo)).to_pylist() == expected[lo:hi]
    # every value clean (no validity bitmap), and every value NULL
    clean = pa.array([v for v in values if v is not None], pa.string())
    assert semantic._id_checks_array(clean).to_pylist() == [e for e in expected if e is not None]
    assert semantic._id_checks_array(pa.array([None] * 3, pa.string())).to_pylist() == [None] * 3


def test_native_check_refuses_buffers_shorter_than_the_array():
    native = semantic._idcheck_module()
    if native is None:
        pytest.skip("shujian.catalog._idcheck is not built")
    regions = semantic._region_bytes()
    offsets = pa.py_buffer(bytes(4 * 3))
    with pytest.raises(ValueError):
        native.check(None, offsets, None, 0, 5, regions, 20260101)       # offsets for 2 values, 5 asked
    with pytest.raises(ValueError):
        native.check(pa.py_buffer(b"\xff"), offsets, None, 0, 9, regions, 20260101)   # validity of 8 bits
    import numpy as np

    past = pa.py_buffer(np.array([0, 18, 40], dtype=np.int32).tobytes())
    with pytest.raises(ValueError):
        native.check(None, past, pa.py_buffer(b"1" * 36), 0, 2, regions, 20260101)    # past the data
    with pytest.raises(ValueError):
        native.check(None, offsets, None, 0, 2, b"\x01" * 10, 20260101)      # a short region table


def test_sql_check_uses_the_native_loop(tmp_path):
    """``sj_valid_id_number`` in DuckDB (what the quality report calls) over many vectors."""
    import duckdb

    native = semantic._idcheck_module()
    if native is None:
        pytest.skip("shujian.catalog._idcheck is not built")
    rng = random.Random(7)
    values = [_value(rng) for _ in range(9000)]
    con = duckdb.connect()
    semantic.register_udfs(con)
    con.execute("CREATE TABLE t AS SELECT * FROM (SELECT unnest(?) AS v, generate_subscripts(?, 1) AS i)",
                [values, values])
    got = con.execute("SELECT sj_valid_id_number(v) FROM t ORDER BY i").fetchall()
    assert [r[0] for r in got] == [None if v is None else semantic._fast_valid_id(v) for v in values]
