"""The version's per-row checks are bits of one BIGINT column per 62 checks instead of a BOOLEAN column
each — the same notes, null-marker counts and table, with more checks than fit in one column; and a raw
copy of a normalised column written sparse when the sample is clean, filled in when it is kept."""

from __future__ import annotations

from shujian.catalog.importer import FLAG_PREFIX, ImportRequest
from shujian.catalog.service import CatalogService
from shujian.db.models import DatasetVersion

COLUMNS = 40          # 40 date columns: a parse check and a null check each, 80 checks, two flag columns
BAD = {0: 3, 30: 5, 31: 7, 39: 9}          # column -> the (0-based) data row holding a value that is no date
MARKERS = {1: 2, 29: 4, 32: 6, 38: 8}      # column -> the data row holding 无 (a null marker)


def _csv(path) -> None:
    rows = []
    for r in range(60):
        cells = [f"2023-{1 + (r + c) % 12:02d}-{1 + r % 28:02d}" for c in range(COLUMNS)]
        for c, at in BAD.items():
            if r == at:
                cells[c] = "不是日期"
        for c, at in MARKERS.items():
            if r == at:
                cells[c] = "无"
        rows.append(",".join(cells))
    path.write_text(",".join(f"日期{c}" for c in range(COLUMNS)) + "\n" + "\n".join(rows) + "\n", encoding="utf-8")


def test_eighty_checks_in_two_flag_columns(sqlite_ws, tmp_path, warehouse_log) -> None:
    path = tmp_path / "wide.csv"
    _csv(path)
    res = CatalogService(sqlite_ws).import_file(ImportRequest(name="wide", path=path))
    # the columns with a value that is no date are kept as text, each named once
    assert sorted(res.notes) == sorted(f"列“日期{c}”有 1 个值无法按推断的类型解析，已按文本保存" for c in BAD)
    types = {c.name: c.dtype for c in res.columns}
    assert all(types[f"日期{c}"] == ("VARCHAR" if c in BAD else "DATE") for c in range(COLUMNS))
    creates = [s for s in warehouse_log if s.startswith(f'CREATE TABLE "{res.relation}"')]
    assert len(creates) == 2   # the retry after the four columns that did not parse
    assert creates[0].count(f'AS "{FLAG_PREFIX}') == 2   # 80 checks: 62 + 18 bits
    assert creates[1].count(f'AS "{FLAG_PREFIX}') == 2   # 36 date columns: 72 checks
    with sqlite_ws.warehouse(read_only=True) as con:
        names = [r[0] for r in con.execute(f'DESCRIBE "{res.relation}"').fetchall()]
        assert not [n for n in names if n.startswith(FLAG_PREFIX)]
        for c, at in MARKERS.items():   # the marker became NULL, in its own row
            assert con.execute(f'SELECT _row_id FROM "{res.relation}" WHERE "日期{c}" IS NULL').fetchall() == [(at + 1,)]
        for c, at in BAD.items():       # the value that is no date stays, as text
            assert con.execute(f'SELECT "日期{c}" FROM "{res.relation}" WHERE _row_id = {at + 1}').fetchone() == ("不是日期",)
    with sqlite_ws.db.unit_of_work() as s:
        quality = s.query(DatasetVersion).filter_by(relation=res.relation).one().quality
    assert {c: quality["columns"][f"日期{c}"].get("null_markers") for c in range(COLUMNS) if c not in BAD} == \
        {c: int(c in MARKERS) for c in range(COLUMNS) if c not in BAD}


def _names_csv(path, dirty_at: set[int], rows: int = 12_000) -> list[str]:
    names = ["张三", "李四", "王五", "欧阳娜娜"]
    values = [("张 三" if i % 2 else "李四　") if i in dirty_at else names[i % 4] for i in range(rows)]
    path.write_text("编号,姓名\n" + "".join(f"{i},{v}\n" for i, v in enumerate(values)), encoding="utf-8")
    return values


def test_raw_copy_of_a_clean_sample_kept_when_a_later_value_differs(sqlite_ws, tmp_path, warehouse_log) -> None:
    """The sample (the first 10,000 rows) holds clean names only: the raw copy is written sparse; two
    later names are normalised, so the copy is kept — whole, every row's delivered value."""
    path = tmp_path / "late.csv"
    values = _names_csv(path, {10_500, 11_999})
    res = CatalogService(sqlite_ws).import_file(ImportRequest(name="late", path=path))
    assert any(s.startswith(f'UPDATE "{res.relation}"') for s in warehouse_log)   # the sparse copy filled in
    with sqlite_ws.warehouse(read_only=True) as con:
        got = con.execute(f'SELECT "_raw_姓名", "姓名" FROM "{res.relation}" ORDER BY _row_id').fetchall()
    assert [r[0] for r in got] == values
    assert (got[10_500][1], got[11_999][1], got[0][1]) == ("李四", "张三", "张三")


def test_raw_copy_of_clean_names_is_dropped(sqlite_ws, tmp_path) -> None:
    path = tmp_path / "clean.csv"
    values = _names_csv(path, set())
    res = CatalogService(sqlite_ws).import_file(ImportRequest(name="clean", path=path))
    with sqlite_ws.warehouse(read_only=True) as con:
        names = [r[0] for r in con.execute(f'DESCRIBE "{res.relation}"').fetchall()]
        got = [r[0] for r in con.execute(f'SELECT "姓名" FROM "{res.relation}" ORDER BY _row_id').fetchall()]
    assert names == ["_row_id", "编号", "姓名"] and got == values
