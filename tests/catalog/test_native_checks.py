"""The native (SQL) 身份证号 and 统一社会信用代码 checks give the Python validators' verdicts exactly."""

from __future__ import annotations

import random
from datetime import date, timedelta

import duckdb
import pyarrow as pa
import pytest
from stdnum.cn import ric, uscc

from shujian.catalog import semantic
from shujian.catalog.quality import quality_report
from shujian.catalog.schema import ColumnSchema


def _ids(n: int) -> list[str]:
    rnd = random.Random(20)
    today = date.today()
    out = ["11010519491231002X", "110105491231002", "１１０１０５１９４９１２３１００２Ｘ", "11010519491231002x",
           "830000200002290016", "110105190001010000", "110105189912310000", "110105200002290000",
           "110105190002290000", "110105210002290000", f"110105{today:%Y%m%d}000", f"110105{today + timedelta(1):%Y%m%d}000",
           "000000199001010000", "990000199001010000", "710000199001010000", "110105 19491231 002X"]
    for _ in range(n):
        prefix = rnd.choice(["11", "83", "71", "81", "82", "10", "00", "99", "44", "65", "20", "91"]) + f"{rnd.randrange(10000):04d}"
        y = rnd.choice([rnd.randrange(1890, 2035), 1900, 1899, 2000, 2100, 0])
        body = f"{prefix}{y:04d}{rnd.randrange(0, 14):02d}{rnd.randrange(0, 33):02d}{rnd.randrange(1000):03d}"
        out.append(body + (ric.calc_check_digit(body + "0") if rnd.random() < 0.7 else rnd.choice("0123456789X")))
    # second pass: make every body valid once so the check digit itself is what decides
    return out + [v[:17] + ric.calc_check_digit(v[:17] + "0") for v in out if len(v) == 18 and v[:17].isdigit()]


def _usccs(n: int) -> list[str]:
    rnd = random.Random(21)
    alpha = "0123456789ABCDEFGHJKLMNPQRTUWXY"
    out = ["91110000600037341L", "91110000600037341l", "9111 0000 6000 37341L", "A1110000600037341L", "12345"]
    for _ in range(n):
        body = "".join(rnd.choice("0123456789") for _ in range(8)) + "".join(rnd.choice(alpha) for _ in range(9))
        out.append(body + (uscc.calc_check_digit(body + "0") if rnd.random() < 0.7 else rnd.choice(alpha)))
    return out


@pytest.mark.parametrize(("key", "values"), [("id_number", _ids(20000)), ("uscc", _usccs(20000))])
def test_native_check_agrees_with_python(key, values):
    con = duckdb.connect()
    semantic.register_udfs(con)
    con.register("t", pa.table({"_row_id": list(range(1, len(values) + 1)), "v": values}))
    st = semantic.SEMANTIC_TYPES[key]
    got = dict(con.execute(f"SELECT v, {semantic.valid_sql(key, 'v')} FROM t").fetchall())
    wrong = {v: g for v, g in got.items() if g != st.is_valid(v)}
    assert not wrong
    assert 0 < sum(got.values()) < len(got)          # both verdicts occur
    # the quality report (two-step form) counts the same invalid values
    report = quality_report(con, "t", [ColumnSchema("v", "VARCHAR", key)], key_columns=[])
    assert report["columns"]["v"]["invalid"] == sum(1 for v in values if st.normalize(v) and not st.is_valid(v))
