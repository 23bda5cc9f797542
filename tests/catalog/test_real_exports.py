"""Import of files as agencies really send them (issue 16, item 1).

The fixtures are made here the way agency systems write them: GBK with CRLF, a title line above the
header, Excel's leading apostrophe, null markers (无, 暂无, 不详, —, N/A …), mixed 是/否 words and
traditional characters.  Every test goes through the real CLI into a real DuckDB warehouse.
"""

from __future__ import annotations

import json
from datetime import date
from decimal import Decimal
from pathlib import Path

import openpyxl
import pytest

from shujian.catalog.service import CatalogService
from shujian.cli.main import main

TITLE = "某区人力资源和社会保障局 2023年从业人员名单"
HEADER = "姓名,身份证号,是否从业,入职日期,月工资,编号,备注"
ROWS = [
    "張三豐,'11010519491231002X,是,2023-01-05,\"1,234.50\",20230105,臺灣同胞",
    "李四,无,否,暂无,不详,20230106,—",
    "王五,１１０１０５ 19800101 0016,Y,2023/1/7,300元,20230107,\"第一行\r\n第二行\"",
    "赵六,N/A,N,-,—,20230108,",
]


def cli(capsys, *args: str) -> tuple[int, str, str]:
    code = main(list(args))
    cap = capsys.readouterr()
    return code, cap.out, cap.err.replace("\n", "")     # rich wraps long messages


def export_csv(path: Path, *, title: bool = True, rows: list[str] = ROWS) -> Path:
    """A GBK, CRLF export with a title line, like the ones 人社 systems produce."""
    lines = ([TITLE] if title else []) + [HEADER] + rows
    path.write_bytes(("\r\n".join(lines) + "\r\n").encode("gbk"))
    return path


def fetch(ws, name: str, columns: str) -> list[tuple]:
    ref = CatalogService(ws).resolve(name)
    with ws.warehouse() as con:
        return con.execute(f'SELECT {columns} FROM "{ref.relation}" ORDER BY _row_id').fetchall()


def test_title_line_is_refused_with_the_row_to_use(sqlite_ws, tmp_path, capsys):
    path = export_csv(tmp_path / "从业人员.csv")
    code, _, err = cli(capsys, "data", "import", str(path), "--name", "从业人员", "--no-progress")
    assert code == 2
    assert "从业人员.csv 第 1 行" in err and "标题行" in err and "--header-row 2" in err
    assert CatalogService(sqlite_ws).list_datasets() == []


def test_gbk_export_with_markers_apostrophes_and_yes_no(sqlite_ws, tmp_path, capsys):
    path = export_csv(tmp_path / "从业人员.csv")
    code, out, err = cli(capsys, "data", "import", str(path), "--name", "从业人员", "--header-row", "2",
                         "--no-progress", "--format", "json")
    assert code == 0, err
    result = json.loads(out)
    types = {c["name"]: c["dtype"] for c in result["columns"]}
    assert types == {"姓名": "VARCHAR", "身份证号": "VARCHAR", "是否从业": "BOOLEAN", "入职日期": "DATE",
                     "月工资": "DECIMAL(18,2)", "编号": "DATE", "备注": "VARCHAR"}
    rows = fetch(sqlite_ws, "从业人员", '"姓名", "身份证号", "是否从业", "入职日期", "月工资", "备注", "_raw_身份证号"')
    assert rows[0] == ("張三豐", "11010519491231002X", True, date(2023, 1, 5), Decimal("1234.50"), "臺灣同胞",
                       "'11010519491231002X")
    assert rows[1][:5] == ("李四", None, False, None, None) and rows[1][6] == "无"
    assert rows[2][2] is True and rows[2][5] == "第一行\r\n第二行"           # CRLF inside a quoted value kept
    assert rows[3][1:5] == (None, False, None, None)
    report = CatalogService(sqlite_ws).quality("从业人员")
    assert report["columns"]["身份证号"]["null_markers"] == 2
    assert report["columns"]["身份证号"]["invalid"] == 0                     # the apostrophe is not an error
    assert report["columns"]["入职日期"]["null_markers"] == 2
    assert report["columns"]["月工资"]["null_markers"] == 2


def test_one_valid_id_and_one_wu_imports(sqlite_ws, tmp_path, capsys):
    # issue 16: this aborted with DuckDB's "UDF is not expected to return NULL values"
    path = tmp_path / "a.csv"
    path.write_text("姓名,身份证号\n张三,11010519491231002x\n李四,无\n王五,n/a\n", encoding="utf-8")
    code, _, err = cli(capsys, "data", "import", str(path), "--name", "人员", "--no-progress")
    assert code == 0, err
    assert fetch(sqlite_ws, "人员", '"身份证号"') == [("11010519491231002X",), (None,), (None,)]
    assert CatalogService(sqlite_ws).quality("人员")["columns"]["身份证号"]["null_markers"] == 2


def test_forced_types_and_located_errors(sqlite_ws, tmp_path, capsys):
    path = export_csv(tmp_path / "从业人员.csv", title=False)
    code, out, err = cli(capsys, "data", "import", str(path), "--name", "从业人员", "--type", "编号=text",
                         "--type", "是否从业=文本", "--no-progress", "--format", "json")
    assert code == 0, err
    types = {c["name"]: c["dtype"] for c in json.loads(out)["columns"]}
    assert types["编号"] == "VARCHAR" and types["是否从业"] == "VARCHAR"
    assert fetch(sqlite_ws, "从业人员", '"编号", "是否从业"')[0] == ("20230105", "是")
    bad = export_csv(tmp_path / "坏.csv", title=False, rows=[*ROWS, "钱七,,是,2023-02-30,1,20230109,"])
    code, _, err = cli(capsys, "data", "import", str(bad), "--name", "从业人员", "--type", "入职日期=date",
                       "--no-progress")
    assert code == 2
    assert "坏.csv" in err and "列“入职日期”" in err and "第 5 条记录“2023-02-30”" in err and "--type 入职日期=text" in err
    assert CatalogService(sqlite_ws).describe("从业人员")["current_version"] == 1     # nothing half-written
    code, _, err = cli(capsys, "data", "import", str(bad), "--name", "x", "--type", "入职日期=日子")
    assert code == 2 and "类型“日子”无法识别" in err


def test_retype_rebuilds_the_column_and_its_quality(sqlite_ws, tmp_path, capsys):
    path = export_csv(tmp_path / "从业人员.csv", title=False)
    assert cli(capsys, "data", "import", str(path), "--name", "从业人员", "--no-progress")[0] == 0
    code, out, err = cli(capsys, "data", "retype", "从业人员", "编号", "text")
    assert code == 0, err
    info = CatalogService(sqlite_ws).describe("从业人员")
    assert {c["name"]: c["dtype"] for c in info["columns"]}["编号"] == "VARCHAR"
    assert [r[0] for r in fetch(sqlite_ws, "从业人员", '"编号"')] == ["2023-01-05", "2023-01-06", "2023-01-07",
                                                                       "2023-01-08"]
    assert CatalogService(sqlite_ws).quality("从业人员")["columns"]["编号"]["dtype"] == "VARCHAR"
    assert cli(capsys, "data", "retype", "从业人员", "是否从业", "text")[0] == 0
    assert [r[0] for r in fetch(sqlite_ws, "从业人员", '"是否从业"')] == ["是", "否", "是", "否"]
    code, _, err = cli(capsys, "data", "retype", "从业人员", "姓名", "date")
    assert code == 2 and "不能转为日期" in err and "第 1 条“張三豐”" in err
    assert {c["name"]: c["dtype"] for c in CatalogService(sqlite_ws).describe("从业人员")["columns"]}["姓名"] == "VARCHAR"
    assert cli(capsys, "data", "retype", "从业人员", "编号", "date")[0] == 0      # back: text kept as _raw_
    assert fetch(sqlite_ws, "从业人员", '"编号", "_raw_编号"')[0] == (date(2023, 1, 5), "2023-01-05")


def test_reimport_keeps_the_level(ws, tmp_path, capsys):
    path = export_csv(tmp_path / "从业人员.csv", title=False)
    assert cli(capsys, "data", "import", str(path), "--name", "从业人员", "--level", "核心", "--no-progress")[0] == 0
    assert cli(capsys, "data", "import", str(path), "--name", "从业人员", "--no-progress")[0] == 0
    info = CatalogService(ws).describe("从业人员")
    assert info["level"] == "核心" and [v["level"] for v in info["versions"]] == ["核心", "核心"]
    assert cli(capsys, "data", "import", str(path), "--name", "从业人员", "--level", "敏感", "--no-progress")[0] == 0
    assert CatalogService(ws).describe("从业人员")["level"] == "敏感"


def workbook(path: Path) -> Path:
    wb = openpyxl.Workbook()
    sheet = wb.active
    sheet.title = "在职"
    sheet["A1"] = TITLE
    sheet.merge_cells("A1:D1")
    sheet.append(["姓名", "身份证号", "是否营运车辆", "备注"])
    sheet.append(["張三", "'11010519491231002X", "是", "第一行\r\n第二行"])     # written as _x000D_ in the XML
    sheet.append(["李四", "无", "否", None])
    other = wb.create_sheet("离职")
    other.append(["离职人员"])
    other.append(["姓名", "离职日期"])
    other.append(["王五", "2023年1月5日"])
    wb.save(path)
    return path


def test_several_sheets_in_one_command(sqlite_ws, tmp_path, capsys):
    path = workbook(tmp_path / "人员.xlsx")
    code, _, err = cli(capsys, "data", "import", str(path), "--name", "人员", "--all-sheets", "--no-progress")
    assert code == 2 and "第 1 行" in err and "--header-row 2" in err
    assert CatalogService(sqlite_ws).list_datasets() == []          # all or nothing: 离职 was fine, not kept
    code, out, err = cli(capsys, "data", "import", str(path), "--name", "人员", "--sheet", "在职",
                         "--sheet", "离职=离职人员", "--header-row", "2", "--no-progress", "--format", "json")
    assert code == 0, err
    assert [(r["dataset"], r["sheet"], r["rows"]) for r in json.loads(out)] == [("人员_在职", "在职", 2),
                                                                               ("离职人员", "离职", 0 + 1)]
    assert fetch(sqlite_ws, "人员_在职", '"姓名", "身份证号", "是否营运车辆", "备注"') == [
        ("張三", "11010519491231002X", True, "第一行\r\n第二行"), ("李四", None, False, None)]
    assert fetch(sqlite_ws, "离职人员", '"离职日期"') == [(date(2023, 1, 5),)]


def test_several_sheets_in_any_order(sqlite_ws, tmp_path, capsys):
    """A date column's quality check (one-row result read with fetchone) before the next sheet's
    staging left DuckDB 2 with an unfinished result and the second sheet failed to register."""
    path = workbook(tmp_path / "人员.xlsx")
    code, out, err = cli(capsys, "data", "import", str(path), "--name", "人员", "--sheet", "离职=离职人员",
                         "--sheet", "在职", "--header-row", "2", "--no-progress", "--format", "json")
    assert code == 0, err
    assert [(r["dataset"], r["rows"]) for r in json.loads(out)] == [("离职人员", 1), ("人员_在职", 2)]


def test_forced_type_error_in_xlsx_names_the_excel_row(sqlite_ws, tmp_path, capsys):
    path = workbook(tmp_path / "人员.xlsx")
    code, _, err = cli(capsys, "data", "import", str(path), "--name", "人员", "--sheet", "在职",
                       "--header-row", "2", "--type", "姓名=int", "--no-progress")
    assert code == 2 and "人员.xlsx 工作表“在职” 列“姓名”" in err and "第 3 行“張三”" in err


@pytest.mark.parametrize("rows", [["是", "否"], ["有", "无"], ["Y", "n"], ["1", "0"]])
def test_yes_no_columns_are_boolean(sqlite_ws, tmp_path, capsys, rows):
    path = tmp_path / "a.csv"
    path.write_text("姓名,是否营运车辆\n" + "".join(f"人{i},{v}\n" for i, v in enumerate(rows)), encoding="utf-8")
    assert cli(capsys, "data", "import", str(path), "--name", "车辆", "--no-progress")[0] == 0
    assert fetch(sqlite_ws, "车辆", '"是否营运车辆"') == [(True,), (False,)]
