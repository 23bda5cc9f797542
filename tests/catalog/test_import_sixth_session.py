"""Shortcuts of the sixth session give exactly what the long way gives (issue 20, target 1).

* ``typeinfer._fits`` stops at the first failure that leaves too few values for the share: the same
  verdict (and the same passing values) as testing every value — checked against the full list
  comprehension over random mixes of fitting and failing values at shares around the threshold;
* ``divisions.province_prefixes`` comes from the province codes read without building the whole
  division table: the same set as the table's province-level codes;
* a CSV is read into a TEMP table before the version is made: its records keep the numbers of the
  file's order at every thread count.
"""

from __future__ import annotations

import random

import pytest

from shujian.catalog import typeinfer
from shujian.catalog.importer import ImportRequest
from shujian.catalog.service import CatalogService
from shujian.config import load_settings
from shujian.divisions import province_prefixes
from shujian.divisions.table import NATIONAL, load_table, province_codes
from shujian.workspace import Workspace


def _fits_everything(values, test, min_share):
    ok = [v for v in values if test(v)]
    return ok if ok and len(ok) >= min_share * len(values) else None


@pytest.mark.parametrize("seed", range(6))
def test_fits_stops_early_with_the_same_verdict(seed: int) -> None:
    rng = random.Random(seed)
    tests = [typeinfer._is_date, typeinfer._is_month, typeinfer._is_datetime, typeinfer._INT_RE.fullmatch,
             typeinfer._AMOUNT_RE.fullmatch]
    good = ["2023-01-05", "2023年1月5日", "202301", "12", "1,234.50元", "2023-01-05 12:30", "2023/1/5"]
    bad = ["张三", "x", "2023-13-45", "1.2.3", "", "—"]
    for _ in range(60):
        n = rng.choice([1, 2, 19, 20, 21, 40, 100, 399])
        share = rng.choice([0.95, 0.9, 0.5, 1.0])
        fail = rng.choice([0.0, 0.01, 0.05, 0.06, 0.1, 0.5, 1.0])
        values = [rng.choice(bad) if rng.random() < fail else rng.choice(good) for _ in range(n)]
        for test in tests:
            assert typeinfer._fits(values, test, share) == _fits_everything(values, test, share), (values, share)


def test_fits_at_the_exact_threshold() -> None:
    # 20 values at 0.95: 19 passing fit, 18 do not; the 19 may come in any order
    passing, failing = ["2023-01-05"] * 19, ["x"]
    for pos in range(20):
        values = passing[:pos] + failing + passing[pos:]
        assert typeinfer._fits(values, typeinfer._is_date, 0.95) == passing
        two = values[:]
        two[(pos + 1) % 20] = "y"
        assert typeinfer._fits(two, typeinfer._is_date, 0.95) is None


def test_province_codes_are_those_of_the_whole_table() -> None:
    table = load_table()
    from_table = {c for c, ds in table.by_code.items() if c != NATIONAL and ds[0].level == "province"}
    assert province_codes() == from_table
    assert province_prefixes() == frozenset(c[:2] for c in from_table)
    assert {"11", "44", "65", "71", "81", "82"} <= province_prefixes()


@pytest.mark.parametrize("threads", [1, 2, 4])
def test_csv_records_keep_file_order_at_any_thread_count(sqlite_ws, tmp_path, monkeypatch, threads: int) -> None:
    """Big enough for DuckDB to read in parallel (several row groups): _row_id is the line's record."""
    monkeypatch.setenv("SHUJIAN_DUCKDB_THREADS", str(threads))
    ws = Workspace(load_settings()).ensure()
    assert ws.settings.duckdb_threads == threads
    path = tmp_path / "order.csv"
    n = 150_000
    path.write_text("编号,备注\n" + "".join(f"{i},第{i}条{'x' * (i % 37)}\n" for i in range(n)), encoding="utf-8")
    res = CatalogService(ws).import_file(ImportRequest(name=f"order{threads}", path=path))
    with ws.warehouse(read_only=True) as con:
        bad = con.execute(f'SELECT count(*) FROM "{res.relation}" WHERE _row_id <> "编号" + 1').fetchone()[0]
        rows = con.execute(f'SELECT count(*), max(_row_id) FROM "{res.relation}"').fetchone()
    assert bad == 0 and rows == (n, n)


def test_a_refused_csv_leaves_no_staging_table(sqlite_ws, tmp_path) -> None:
    ws = sqlite_ws
    path = tmp_path / "bad.csv"
    path.write_text("编号,金额\n" + "".join(f"{i},{i}.5\n" for i in range(3000)) + "1,2,3\n", encoding="utf-8")
    with pytest.raises(Exception, match="格式有误"):
        CatalogService(ws).import_file(ImportRequest(name="bad", path=path))
    with ws.warehouse(read_only=True) as con:
        assert con.execute("SELECT count(*) FROM duckdb_tables()").fetchone()[0] == 0
        assert con.execute("SELECT count(*) FROM duckdb_views() WHERE NOT internal").fetchone()[0] == 0


# -- GBK transcoding in parallel runs ---------------------------------------------------------------

def _gbk_file(rng: random.Random, lines: int, rate: float) -> bytes:
    """GBK lines with awkward bytes now and then: a UTF-8 line with Chinese text, an invalid byte, a
    lead byte just before the line break, a line longer than a block, CRLF, no final line break."""
    words = ["张三", "李四", "身份证号", "金额", "无资料", "備註", "𠀀", "ABC", "123", ",", '"']
    out = []
    for i in range(lines):
        text = "".join(rng.choice(words) for _ in range(rng.randint(0, 12)))
        raw = text.encode("gb18030")
        r = rng.random()
        if r < rate:
            raw = "混入的UTF8行".encode()
        elif r < 2 * rate:
            raw += b"\xff"
        elif r < 3 * rate:
            raw += b"\x81"
        elif r < 0.04:
            raw = raw * 40
        out.append(raw + (b"\r\n" if i % 3 else b"\n"))
    data = b"".join(out)
    if rng.random() < 0.3:
        data = data.rstrip(b"\r\n")
    if rng.random() < 0.1:
        data += b"\x81"
    return data


def _outcome(fn, src, dst, encoding):
    try:
        digest = fn(src, dst, encoding)
    except Exception as exc:   # the message and hint are what the user sees
        return ("error", type(exc).__name__, str(exc), getattr(exc, "hint", None))
    return ("ok", digest, dst.read_bytes())


kinds: set[str] = set()


@pytest.mark.parametrize("seed", range(12))
def test_parallel_gbk_transcoding_is_the_sequential_one(tmp_path, monkeypatch, seed: int) -> None:
    """Same UTF-8 bytes, same digest, or the same message naming the same line — with blocks of a
    few hundred bytes, so that every file spans many blocks and runs."""
    from shujian.catalog import encodings, readers

    rng = random.Random(seed)
    monkeypatch.setattr(encodings, "CHUNK", rng.choice([97, 256, 1000]))
    monkeypatch.setattr(readers, "CHUNK", encodings.CHUNK)
    monkeypatch.setattr(encodings, "MIN_PARALLEL_BYTES", 0)
    runs = rng.choice([2, 3, 5])
    clean = seed % 3 == 0   # a third of the files without any awkward byte
    src = tmp_path / "in.csv"
    data = _gbk_file(rng, rng.randint(50, 600), rng.choice([0.001, 0.003, 0.01]))
    if clean:
        data = "\n".join(f"第{i}行,张三,{i}.5元" for i in range(400)).encode("gbk")
    src.write_bytes(data)
    seq = _outcome(readers._transcode_here, src, tmp_path / "seq.csv", "gb18030")
    # the parallel path itself (transcode_to_utf8 would fall back to the sequential one if it failed)
    par = _outcome(lambda s, d, e: readers._transcode_parallel(s, d, e, runs, None), src, tmp_path / "par.csv",
                   "gb18030")
    assert par == seq
    kinds.add(seq[2][:20] if seq[0] == "error" else "ok")
    if clean:
        assert seq[0] == "ok" and seq[2] == data.decode("gbk").encode("utf-8")
    assert not [p.name for p in tmp_path.iterdir() if ".part" in p.name]   # no part file left behind


def test_block_bounds_are_the_sequential_cuts(tmp_path, monkeypatch) -> None:
    from shujian.catalog import encodings

    monkeypatch.setattr(encodings, "CHUNK", 10)
    path = tmp_path / "x"
    path.write_bytes(b"ab\ncdefghijklmnopqrstuvwxyz\n12\n")   # 32 bytes; no line break in the 2nd chunk
    # chunk [0,10) → cut after 3; [10,20) none → 3; [20,30) → 28; [30,32) → 31; then the size
    assert encodings.block_bounds(path, 32) == [0, 3, 3, 28, 31, 32]


def test_one_thread_reads_through_the_view_with_the_same_result(sqlite_ws, tmp_path, monkeypatch) -> None:
    """With one DuckDB thread the CSV is not staged into a TEMP table (no second core to gain): the
    view path gives the same table, skipped lines, columns and notes as the TEMP-table path."""
    path = tmp_path / "export.csv"
    lines = ["某区人员名单", "编号,身份证号,备注,金额"]
    for i in range(400):
        note = f'"第{i}条\r\n续行"' if i % 7 == 3 else ("无" if i % 11 == 0 else f"备注{i}")
        lines.append(f"N{i:05d},11010519800101{i % 1000:03d}X,{note},{i}.50")
        if i % 90 == 30:
            lines.append("坏行,只有,三列")
    path.write_bytes(("\r\n".join(lines) + "\r\n").encode("gbk"))
    out = {}
    for threads in (1, 2):
        monkeypatch.setenv("SHUJIAN_DUCKDB_THREADS", str(threads))
        ws = Workspace(load_settings()).ensure()
        res = CatalogService(ws).import_file(ImportRequest(name=f"t{threads}", path=path, header_row=2,
                                                           skip_bad_rows=True))
        with ws.warehouse(read_only=True) as con:
            table = con.execute(f'SELECT * FROM "{res.relation}" ORDER BY _row_id').fetchall()
        out[threads] = (table, res.skipped, [(c.name, c.dtype, c.semantic) for c in res.columns], res.notes)
    assert out[1] == out[2]
    assert len(out[1][0]) == 400 and [s["line"] for s in out[1][1]] == [s["line"] for s in out[2][1]]
