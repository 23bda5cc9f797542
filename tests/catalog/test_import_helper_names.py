"""A file may have columns named like the CREATE's helper columns (``_sj_t0``, ``_SJ_C1``, ``_sj_flag_0``
…): they are imported as any column, and the typed and normalised columns beside them are the same."""

from __future__ import annotations

import datetime

from shujian.catalog.importer import ImportRequest, _helper_prefix
from shujian.catalog.service import CatalogService

HEADER = ["日期", "身份证号", "_sj_t0", "_SJ_C1", "_sj_v0", "_sj_f0", "_sj_r0", "_sj_n1", "_sj_flag_0"]


def test_helper_prefix_avoids_every_name() -> None:
    assert _helper_prefix(["日期", "姓名"]) == "_sj_"
    assert _helper_prefix(["_SJ_x", "__sj_y"]) == "___sj_"


def test_columns_named_like_helper_columns(sqlite_ws, tmp_path) -> None:
    rows = [["2023-01-05", "11010519491231002X"], ["2023/2/6", "11010519491231002x"], ["无", "１１０１０５１９４９１２３１００２Ｘ"]]
    path = tmp_path / "helpers.csv"
    lines = [",".join(HEADER)] + [",".join(r + [f"{h}-{k}" for h in HEADER[2:]]) for k, r in enumerate(rows)]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    res = CatalogService(sqlite_ws).import_file(ImportRequest(name="helpers", path=path))
    assert [c.name for c in res.columns] == HEADER
    assert {c.name: c.dtype for c in res.columns}["日期"] == "DATE"
    with sqlite_ws.warehouse(read_only=True) as con:
        cols = ", ".join(f'"{h}"' for h in HEADER)
        got = con.execute(f'SELECT {cols} FROM "{res.relation}" ORDER BY _row_id').fetchall()
        names = [r[0] for r in con.execute(f'DESCRIBE "{res.relation}"').fetchall()]
    assert [r[0] for r in got] == [datetime.date(2023, 1, 5), datetime.date(2023, 2, 6), None]
    assert [r[1] for r in got] == ["11010519491231002X"] * 3
    assert [list(r[2:]) for r in got] == [[f"{h}-{k}" for h in HEADER[2:]] for k in range(3)]
    assert names == ["_row_id", *HEADER[:2], "_raw_身份证号", *HEADER[2:]]
