"""Closing rows of agency Excel exports (表尾: 合计, 制表人：…, 审核人：…) are not imported as data.

A 民政 or 人社 export typically ends with a total row and a sign-off row under the table.  Imported as
data they become a person named “合计” and a 序号 column of text; the importer leaves them out and
says so.  A total row between groups of data, or a footer-like row followed by more data, stays.
"""

from __future__ import annotations

import json
from pathlib import Path

import openpyxl
import pytest

from shujian.catalog.readers import footer_text
from shujian.catalog.service import CatalogService
from shujian.cli.main import main


def sheet(path: Path, rows: list[list]) -> Path:
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "名单"
    ws.append(["台州市民政局 2024年火化人员名单"])
    ws.merge_cells("A1:E1")
    ws.append(["序号", "姓名", "身份证号", "火化日期", "备注"])
    for row in rows:
        ws.append(row)
    wb.save(path)
    return path


DATA = [[1, "张三", "11010519491231002X", "2024-03-05", None],
        [2, "李四", "无", "2024-03-06", "无"]]


def imported(capsys, path: Path) -> tuple[int, dict, str]:
    code = main(["data", "import", str(path), "--name", "火化", "--header-row", "2", "--no-progress",
                 "--format", "json"])
    cap = capsys.readouterr()
    out = json.loads(cap.out) if code == 0 else {}
    return code, (out[0] if isinstance(out, list) else out), cap.err


def rows_of(ws) -> list[tuple]:
    ref = CatalogService(ws).resolve("火化")
    with ws.warehouse() as con:
        return con.execute(f'SELECT "序号", "姓名" FROM "{ref.relation}" ORDER BY _row_id').fetchall()


def test_total_and_sign_off_rows_at_the_end_are_left_out(sqlite_ws, tmp_path, capsys):
    path = sheet(tmp_path / "火化.xlsx", [*DATA, ["合计", None, None, None, "2人"], [],
                                        ["制表人：王某", None, "审核人：赵某", None, "2024年4月1日"]])
    code, out, err = imported(capsys, path)
    assert code == 0, err
    assert out["rows"] == 2
    assert rows_of(sqlite_ws) == [(1, "张三"), (2, "李四")]        # 序号 is a number again, not text
    note = " ".join(out["notes"])
    assert "第 5、7 行是表尾" in note and "“合计  2人”" in note and "制表人：王某" in note


def test_a_total_between_groups_and_a_footer_like_row_before_data_stay(sqlite_ws, tmp_path, capsys):
    path = sheet(tmp_path / "火化.xlsx", [DATA[0], ["小计", None, None, None, "1人"],
                                        ["注：以下为椒江区", None, None, None, None], DATA[1]])
    code, out, err = imported(capsys, path)
    assert code == 0, err
    assert out["rows"] == 4 and not any("表尾" in n for n in out["notes"])
    assert [r[1] for r in rows_of(sqlite_ws)] == ["张三", None, None, "李四"]


def test_a_sheet_of_footers_only_is_refused(sqlite_ws, tmp_path, capsys):
    code, _, err = imported(capsys, sheet(tmp_path / "火化.xlsx", [["制表人：王某"]]))
    assert code == 2 and "火化.xlsx" in err.replace("\n", "")
    assert CatalogService(sqlite_ws).list_datasets() == []


@pytest.mark.parametrize(("row", "width", "footer"), [
    (["合计", None, 12345.5], 5, True),
    (["总 计"], 5, True),
    (["制表人：李某", None, "审核人：王某"], 5, True),
    (["填报日期：2024-03-01"], 5, True),
    (["制表人 李某"], 5, True),
    (["注：本表数据截至2024年3月底"], 5, True),
    (["数据来源：市民政局"], 5, True),
    (["填报单位（盖章）：椒江区民政局"], 5, True),
    (["领导签字：", None, "日期："], 5, True),
    (["单位盖章"], 5, True),
    (["签字笔采购"], 5, False),
    (["张三", "合计"], 5, False),                                   # the first filled cell decides
    (["审核人员培训费", "2024-01-01", "300", "财政", "是", "否"], 6, False),   # a full data row
    (["合计金额为三千元的退款"], 5, False),
    ([None, None], 5, False),
])
def test_what_looks_like_a_footer(row, width, footer):
    assert (footer_text(row, width) is not None) is footer


CSV_BODY = "序号,姓名,身份证号,火化日期\r\n1,张三,11010519491231002X,2024-03-05\r\n2,李四,无,2024-03-06\r\n"


@pytest.mark.parametrize("encoding", ["gbk", "utf-8"])
def test_a_csv_footer_is_left_out_and_the_file_stays_as_it_was(sqlite_ws, tmp_path, capsys, encoding):
    """The sign-off line has one field: before, the import stopped on it as a malformed line, and the
    合计 line above it became a data row."""
    path = tmp_path / "火化.csv"
    path.write_bytes((CSV_BODY + "合计,,,\r\n\r\n制表人：王某\r\n").encode(encoding))
    before = path.read_bytes()
    code = main(["data", "import", str(path), "--name", "火化", "--no-progress", "--format", "json"])
    cap = capsys.readouterr()
    assert code == 0, cap.err
    out = json.loads(cap.out)
    out = out[0] if isinstance(out, list) else out
    assert out["rows"] == 2 and out["skipped_rows"] == 0
    assert "文件末尾 2 行是表尾" in " ".join(out["notes"]) and "“制表人：王某”" in " ".join(out["notes"])
    assert rows_of(sqlite_ws) == [(1, "张三"), (2, "李四")]
    assert path.read_bytes() == before


def test_csv_rows_that_only_look_like_a_footer_stay(sqlite_ws, tmp_path, capsys):
    path = tmp_path / "火化.csv"
    body = CSV_BODY.replace("\r\n", "\n")
    path.write_text(body + '3,"合计\n制表人：王某",,2024-03-07\n', encoding="utf-8")
    code = main(["data", "import", str(path), "--name", "火化", "--no-progress", "--format", "json"])
    cap = capsys.readouterr()
    assert code == 0, cap.err
    out = json.loads(cap.out)
    out = out[0] if isinstance(out, list) else out
    assert out["rows"] == 3 and not any("表尾" in n for n in out["notes"])
