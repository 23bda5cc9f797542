"""Merged cells in agency Excel exports.

Excel keeps a merged cell's value in its top-left cell only.  A 所属单位 merged down over the rows of
the people it employs belongs to each of them; a column name merged down over a two-row header
(姓名 over rows 2–3, beside 就业信息 merged across 单位 and 入职日期) names the column when the lower
row is the header.  Before, those rows got NULL and the column was called 列1.
"""

from __future__ import annotations

import json
from pathlib import Path

import openpyxl

from shujian.catalog.service import CatalogService
from shujian.cli.main import main


def export(path: Path) -> Path:
    """Used range from column B (an empty column A), a title, a two-row header and merges."""
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "人员"
    ws["B1"] = "某区人社局 从业人员名单"
    ws.merge_cells("B1:E1")
    ws["B2"], ws["C2"], ws["E2"] = "姓名", "就业信息", "备注"
    ws["C3"], ws["D3"] = "单位", "入职日期"
    ws.merge_cells("B2:B3")
    ws.merge_cells("C2:D2")
    ws.merge_cells("E2:E3")
    people = [("张三", "椒江区某厂", "2024-01-01", "夜班"), ("李四", None, "2024-01-02", None),
              ("王五", None, "2024-01-03", None), ("赵六", "路桥区某店", "2024-02-01", None)]
    for i, (name, unit, day, note) in enumerate(people, start=4):
        ws[f"B{i}"], ws[f"D{i}"] = name, day
        if unit:
            ws[f"C{i}"] = unit
        if note:
            ws[f"E{i}"] = note
    ws.merge_cells("C4:C6")            # one employer for three rows
    ws.merge_cells("D7:E7")            # a merge across columns in a data row: left as it is
    wb.save(path)
    return path


def test_merged_cells_fill_the_rows_and_the_header_they_cover(sqlite_ws, tmp_path, capsys):
    path = export(tmp_path / "人员.xlsx")
    code = main(["data", "import", str(path), "--name", "人员", "--header-row", "3", "--no-progress",
                 "--format", "json"])
    cap = capsys.readouterr()
    assert code == 0, cap.err
    out = json.loads(cap.out)
    out = out[0] if isinstance(out, list) else out
    assert [c["name"] for c in out["columns"]] == ["姓名", "单位", "入职日期", "备注"]
    ref = CatalogService(sqlite_ws).resolve("人员")
    with sqlite_ws.warehouse() as con:
        rows = con.execute(f'SELECT "姓名", "单位", CAST("入职日期" AS VARCHAR), "备注" FROM "{ref.relation}" '
                           "ORDER BY _row_id").fetchall()
    assert rows == [("张三", "椒江区某厂", "2024-01-01", "夜班"), ("李四", "椒江区某厂", "2024-01-02", None),
                    ("王五", "椒江区某厂", "2024-01-03", None), ("赵六", "路桥区某店", "2024-02-01", None)]
