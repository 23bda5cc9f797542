"""Import of files shaped the way agency systems and clerks really export them (not the demo
generator): 身份证号 typed into Excel as numbers, title rows and two-level headers, headers repeated
on every printed page, blank rows, hidden columns and sheets, Excel date serials, several sheets,
and CSV files with defects (NUL bytes, a BOM in the middle, a quote that never closes).

Every file is written here with openpyxl or as bytes, and goes through the real CLI into a real
DuckDB warehouse; the expected rows are the rows Excel shows (counted here from what is written).
"""

from __future__ import annotations

import json
from datetime import date, datetime
from pathlib import Path

import openpyxl
import pytest
from stdnum.cn import ric

from shujian.catalog.service import CatalogService
from shujian.cli.main import main
from shujian.db.models import DatasetVersion


def cli(capsys, *args: str) -> tuple[int, str, str]:
    code = main(list(args))
    cap = capsys.readouterr()
    return code, cap.out.replace("\n", ""), cap.err.replace("\n", "")     # rich wraps long lines


def valid_id(i: int, tail: str = "") -> str:
    """A 身份证号 with a right check digit (born 1980-01-01 + i days within the month)."""
    body = (f"11010519800{1 + i % 9}{10 + i % 18:02d}{i % 1000:03d}")[:17 - len(tail)] + tail
    return body + ric.calc_check_digit(body + "0")


def ending_000(region: str) -> str:
    """A right 身份证号 that ends in 000 (15 digits, then 00 and the check digit 0)."""
    bodies = (f"{region}1990{m:02d}{d:02d}{s}00" for m in range(1, 13) for d in range(1, 29) for s in range(10))
    return next(b for b in bodies if ric.calc_check_digit(b + "0") == "0") + "0"


def fetch(ws, name: str, columns: str) -> list[tuple]:
    ref = CatalogService(ws).resolve(name)
    with ws.warehouse() as con:
        return con.execute(f'SELECT {columns} FROM "{ref.relation}" ORDER BY _row_id').fetchall()


def quality(capsys, name: str) -> dict:
    code, out, err = cli(capsys, "data", "quality", name, "--format", "json")
    assert code == 0, err
    return json.loads(out)


# -- 1. 身份证号 as Excel numbers, and the other ways IDs are written ----------------------------------

def test_id_typed_as_excel_number_is_flagged_with_the_fix(sqlite_ws, tmp_path, capsys):
    good = [valid_id(i) for i in range(4)]
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(["姓名", "身份证号"])
    ws.append(["张三", 330102199001011234])          # typed as a number: Excel keeps 15 digits
    ws.append(["李四", 3.30102199001012e17])
    ws.append(["王五", "'" + good[0]])                # Excel's text marker
    ws.append(["赵六", good[1][:-1] + good[1][-1].lower() if good[1].endswith("X") else good[1]])
    ws.append(["钱七", "".join(chr(ord(c) + 0xFEE0) for c in good[2])])        # full-width digits
    ws.append(["孙八", f"{good[3][:6]} {good[3][6:14]} {good[3][14:]}"])        # spaces inside
    wb.save(tmp_path / "人员.xlsx")
    code, out, err = cli(capsys, "data", "import", str(tmp_path / "人员.xlsx"), "--name", "人员", "--no-progress")
    assert code == 0, err
    assert "列“身份证号”" in out and "设置为文本格式重新导出" in out           # the import says so at once
    ids = [r[0] for r in fetch(sqlite_ws, "人员", '"身份证号"')]
    assert ids[:2] == ["3.30102199001011E+17", "3.30102199001012E+17"]       # never a digit string
    assert ids[2:] == good
    col = quality(capsys, "人员")["columns"]["身份证号"]
    assert col["invalid"] == 2 and col["digits_lost"] == 2
    assert [e["row"] for e in col["digits_lost_examples"]] == [2, 3]         # Excel rows
    assert "身份证号" in col["advice"] and "设置为文本格式重新导出" in col["advice"]
    code, out, _ = cli(capsys, "data", "quality", "人员")
    assert "设置为文本格式重新导出" in out


def test_id_exported_from_excel_numbers_to_csv_stays_text(sqlite_ws, tmp_path, capsys):
    """Excel saves such a column to CSV as 3.30102E+17 or 330102199001011000: the column is text
    (not a DOUBLE that would lose more), and flagged — also when the 000 form passes the checksum."""
    passing = ending_000("330102")                          # ends in 000 and has a right check digit
    assert ric.is_valid(passing) and passing.endswith("000")
    lines = ["姓名,身份证号,金额", "张三,3.30102E+17,100", f"李四,{passing},200", "王五,330102199001011000,300"]
    (tmp_path / "a.csv").write_bytes("\r\n".join(lines).encode("gbk"))
    code, out, err = cli(capsys, "data", "import", str(tmp_path / "a.csv"), "--name", "人员", "--no-progress")
    assert code == 0, err
    col = quality(capsys, "人员")["columns"]["身份证号"]
    assert col["dtype"] == "VARCHAR" and col["semantic"] == "id_number"
    assert col["digits_lost"] == 3
    assert [e["row"] for e in col["digits_lost_examples"]] == [2, 3, 4]       # lines, header = line 1
    assert "第 2 行“3.30102E+17”" in col["advice"]


def test_real_ids_ending_in_000_alone_are_not_flagged(sqlite_ws, tmp_path, capsys):
    ids = [valid_id(i) for i in range(300)] + [ending_000("110105")]
    (tmp_path / "a.csv").write_text("身份证号\n" + "\n".join(ids) + "\n", encoding="utf-8")
    assert cli(capsys, "data", "import", str(tmp_path / "a.csv"), "--name", "人员", "--no-progress")[0] == 0
    col = quality(capsys, "人员")["columns"]["身份证号"]
    assert col["digits_lost"] == 0 and "advice" not in col and col["invalid"] == 0


def card(i: int, length: int = 19) -> str:
    """A 银行卡号 with a right Luhn digit."""
    from stdnum import luhn

    body = f"622848{i:07d}123456"[:length - 1]
    return body + luhn.calc_check_digit(body)


def test_bank_card_typed_as_excel_number_is_flagged_with_the_fix(sqlite_ws, tmp_path, capsys):
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(["姓名", "银行卡号"])
    ws.append(["张三", 6228480012345678901])          # 19 digits typed as a number: 4 lost
    ws.append(["李四", 6.22848001234568e18])
    for i in range(4):
        ws.append([f"人{i}", card(i)])
    wb.save(tmp_path / "发放.xlsx")
    code, out, err = cli(capsys, "data", "import", str(tmp_path / "发放.xlsx"), "--name", "发放", "--no-progress")
    assert code == 0, err
    col = quality(capsys, "发放")["columns"]["银行卡号"]
    assert col["semantic"] == "bank_card" and col["digits_lost"] == 2
    assert [e["row"] for e in col["digits_lost_examples"]] == [2, 3]
    assert "银行卡号（如" in col["advice"] and "设置为文本格式重新导出" in col["advice"]


def test_bank_cards_from_excel_numbers_in_csv_and_real_cards_ending_in_zero(sqlite_ws, tmp_path, capsys):
    """Saved to CSV, a 19-digit card kept as a number is 6228480012345670000 (15 digits, then zeros);
    a real card ending in one 0, or a 16-digit one (one digit lost, indistinguishable), is not flagged."""
    real = [card(i) for i in range(100)] + [c for c in (card(i, 16) for i in range(50)) if c.endswith("0")]
    lines = ["银行卡号", "6228480012345670000", "6228480012345680000", *real]
    (tmp_path / "a.csv").write_text("\n".join(lines) + "\n", encoding="utf-8")
    assert cli(capsys, "data", "import", str(tmp_path / "a.csv"), "--name", "发放", "--no-progress")[0] == 0
    col = quality(capsys, "发放")["columns"]["银行卡号"]
    assert col["digits_lost"] == 2 and [e["row"] for e in col["digits_lost_examples"]] == [2, 3]
    (tmp_path / "b.csv").write_text("\n".join(["银行卡号", *real]) + "\n", encoding="utf-8")
    assert cli(capsys, "data", "import", str(tmp_path / "b.csv"), "--name", "发放2", "--no-progress")[0] == 0
    col = quality(capsys, "发放2")["columns"]["银行卡号"]
    assert col["digits_lost"] == 0 and "advice" not in col


# -- 2. titles, two-level headers, blank rows, repeated headers, hidden columns ------------------------

def roster(path: Path, repeat_both: bool = False) -> Path:
    """2024年某市低保人员名册: a merged title, a two-level header (联系方式 over 电话/地址) with the
    other names merged down, a blank row between blocks, the header repeated for the next printed
    page (one or both header rows), and the 地址 column hidden."""
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "名册"
    ws.append(["2024年某市低保人员名册"])
    ws.merge_cells("A1:F1")
    ws.append(["序号", "姓名", "身份证号", "联系方式", None, "保障金额"])
    ws.append([None, None, None, "电话", "地址", None])
    for c in "ABCF":
        ws.merge_cells(f"{c}2:{c}3")
    ws.merge_cells("D2:E2")
    ws.append([1, "张三", valid_id(1), "13800138000", "某街1号", 500])
    ws.append([2, "李四", valid_id(2), "13800138001", "某街2号", 600.5])
    ws.append([None] * 6)                                                    # row 6: blank
    ws.append([3, "王五", valid_id(3), "13800138002", "某街3号", 700])
    if repeat_both:                                                          # rows 8–9: the page's header
        ws.append(["序号", "姓名", "身份证号", "联系方式", None, "保障金额"])
        ws.append(["序号", "姓名", "身份证号", "电话", "地址", "保障金额"])
    else:                                                                    # row 8
        ws.append(["序号", "姓名", "身份证号", "电话", "地址", "保障金额"])
    ws.append([4, "赵六", "123", "13800138003", "某街4号", 800])
    ws.column_dimensions["E"].hidden = True
    wb.save(path)
    return path


def test_title_row_is_refused_with_the_header_row_to_use(sqlite_ws, tmp_path, capsys):
    code, _, err = cli(capsys, "data", "import", str(roster(tmp_path / "名册.xlsx")), "--name", "低保", "--no-progress")
    assert code == 2 and "标题行" in err and "--header-row 3" in err


@pytest.mark.parametrize("repeat_both", [False, True])
def test_repeated_page_header_is_left_out_and_rows_are_excel_rows(sqlite_ws, tmp_path, capsys, repeat_both):
    path = roster(tmp_path / "名册.xlsx", repeat_both)
    code, out, err = cli(capsys, "data", "import", str(path), "--name", "低保", "--header-row", "3", "--no-progress")
    assert code == 0, err
    repeated = "8、9" if repeat_both else "8"
    assert f"第 {repeated} 行与表头" in out and "重复的表头" in out
    rows = fetch(sqlite_ws, "低保", '"序号", "姓名", "电话", "地址", "保障金额"')
    assert [r[0] for r in rows] == [1, 2, 3, 4]                  # 序号 is a number column again
    assert [r[3] for r in rows] == ["某街1号", "某街2号", "某街3号", "某街4号"]   # the hidden column is data
    assert str(rows[1][4]) == "600.50"
    report = quality(capsys, "低保")
    bad = report["columns"]["身份证号"]
    assert bad["invalid"] == 1
    assert bad["invalid_examples"] == [{"row": 10 if repeat_both else 9, "record": 4, "value": "123"}]


# -- 3. dates ------------------------------------------------------------------------------------------

def test_dates_as_cells_serials_and_text(sqlite_ws, tmp_path, capsys):
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(["姓名", "出生日期", "入职日期"])
    texts = ["2024.1.5", "2024年1月6日", "20240107", "2024-01-08"]
    for i, (serial, text) in enumerate(zip([45296, 61, 59, 45297], texts, strict=True)):
        ws.append([f"人{i}", serial, text])
        ws.cell(ws.max_row, 2).number_format = "yyyy-mm-dd"         # a date cell is a serial + format
    wb.save(tmp_path / "a.xlsx")
    assert cli(capsys, "data", "import", str(tmp_path / "a.xlsx"), "--name", "日期", "--no-progress")[0] == 0
    rows = fetch(sqlite_ws, "日期", '"出生日期", "入职日期"')
    # Excel's 1900 leap-year bug: serial 61 is 1900-03-01, 59 is 1900-02-28
    assert [r[0] for r in rows] == [date(2024, 1, 5), date(1900, 3, 1), date(1900, 2, 28), date(2024, 1, 6)]
    assert [r[1] for r in rows] == [date(2024, 1, d) for d in (5, 6, 7, 8)]


def test_date_column_of_excel_day_numbers_gets_the_fix(sqlite_ws, tmp_path, capsys):
    """A date column that lost its format in Excel (General) is exported as day numbers: kept as
    numbers (the user sees them so too), with an advice giving the dates they stand for."""
    lines = ["姓名,登记日期,序号,金额", "张三,45296,10001,45296", "李四,45300,10002,45300"]
    (tmp_path / "a.csv").write_text("\n".join(lines) + "\n", encoding="utf-8")
    code, out, _ = cli(capsys, "data", "import", str(tmp_path / "a.csv"), "--name", "登记", "--no-progress")
    assert code == 0 and "列“登记日期”" in out and "45296 即 2024-01-05" in out
    cols = quality(capsys, "登记")["columns"]
    assert "设置为日期格式" in cols["登记日期"]["advice"]
    assert "advice" not in cols["序号"] and "advice" not in cols["金额"]


def test_midnight_timestamps_text_are_dates_of_a_timestamp_column(sqlite_ws, tmp_path, capsys):
    lines = ["姓名,登记时间", "张三,2024-01-05 00:00:00", "李四,2024/1/6 8:05:00"]
    (tmp_path / "a.csv").write_text("\n".join(lines) + "\n", encoding="utf-8-sig")
    assert cli(capsys, "data", "import", str(tmp_path / "a.csv"), "--name", "登记", "--no-progress")[0] == 0
    rows = fetch(sqlite_ws, "登记", 'CAST("登记时间" AS VARCHAR)')
    assert [r[0] for r in rows] == ["2024-01-05 00:00:00", "2024-01-06 08:05:00"]


# -- 4. amounts and yes/no ---------------------------------------------------------------------------

def test_amounts_and_yes_no_words(sqlite_ws, tmp_path, capsys):
    lines = ["姓名,金额,是否在职,有无房产,核实", '张三,"1,234.50",是,有,√', "李四,¥1234,否,无,×",
             "王五,1.2万元,是,无,√", "赵六,-50,否,有,×", "钱七,(100.00),是,无,√", '孙八,"（1,000）",否,无,×']
    (tmp_path / "a.csv").write_bytes(("\r\n".join(lines) + "\r\n").encode("gb18030"))
    code, out, _ = cli(capsys, "data", "import", str(tmp_path / "a.csv"), "--name", "发放", "--no-progress")
    assert code == 0 and "按文本保存" not in out
    rows = fetch(sqlite_ws, "发放", 'CAST("金额" AS VARCHAR), "是否在职", "有无房产", "核实"')
    # an amount in parentheses is negative (how accounting software exports it)
    assert [r[0] for r in rows] == ["1234.50", "1234.00", "12000.00", "-50.00", "-100.00", "-1000.00"]
    assert [r[1:] for r in rows] == [(True, True, True), (False, False, False), (True, False, True),
                                     (False, True, False), (True, False, True), (False, False, False)]


# -- 5. several sheets ---------------------------------------------------------------------------------

def book(path: Path, first_rows: int = 1, hidden: bool = False) -> Path:
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "说明"
    for i in range(first_rows):
        ws.append([f"本表由某局导出，第 {i + 1} 行说明"])
    if hidden:
        code = wb.create_sheet("代码表")
        code.append(["代码", "名称"])
        code.append(["1", "在职"])
        code.sheet_state = "hidden"
    data = wb.create_sheet("明细")
    data.append(["姓名", "金额"])
    data.append(["张三", 10])
    wb.create_sheet("Sheet3")
    wb.save(path)
    return path


def test_the_data_sheet_is_chosen_and_the_others_listed(sqlite_ws, tmp_path, capsys):
    path = book(tmp_path / "a.xlsx", hidden=True)
    code, out, err = cli(capsys, "data", "import", str(path), "--name", "发放", "--no-progress")
    assert code == 0, err
    assert "导入的是“明细”" in out and "“说明”、“代码表”、“明细”、“Sheet3”" in out and "--sheet" in out
    with sqlite_ws.db.unit_of_work() as s:
        assert s.query(DatasetVersion.source_sheet).scalar() == "明细"
    code, _, err = cli(capsys, "data", "import", str(path), "--name", "发放", "--sheet", "汇总", "--no-progress")
    assert code != 0 and "没有名为“汇总”的工作表" in err and "说明、代码表、明细、Sheet3" in err


def test_a_book_without_data_names_its_sheets(sqlite_ws, tmp_path, capsys):
    wb = openpyxl.Workbook()
    wb.active.title = "封面"
    wb.active.append(["2024年报表"])
    wb.create_sheet("空表")
    wb.save(tmp_path / "a.xlsx")
    code, _, err = cli(capsys, "data", "import", str(tmp_path / "a.xlsx"), "--name", "发放", "--no-progress")
    assert code != 0 and "“封面”、“空表”" in err and "没有一个有数据" in err
    wb = openpyxl.Workbook()
    wb.active.title = "明细"
    wb.active.append(["姓名", "金额"])
    wb.save(tmp_path / "b.xlsx")
    code, _, err = cli(capsys, "data", "import", str(tmp_path / "b.xlsx"), "--name", "发放", "--no-progress")
    assert code != 0 and "工作表“明细”只有表头" in err


# -- 6. example rows are the rows Excel shows ----------------------------------------------------------

def test_quality_rows_count_title_header_and_blank_rows(sqlite_ws, tmp_path, capsys, monkeypatch):
    from shujian.cli.common import console

    monkeypatch.setattr(console, "width", 250)   # no wrapped cells
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(["某区养老金发放表"])
    ws.append(["姓名", "身份证号", "入所日期", "出所日期"])
    ws.append(["张三", valid_id(1), date(2023, 1, 1), date(2023, 2, 1)])      # row 3
    ws.append([None] * 4)                                                   # row 4: blank
    ws.append(["李四", "12345", date(2023, 3, 1), date(2023, 1, 1)])         # row 5: bad ID, start > end
    ws.append(["王五", valid_id(1), date(2023, 1, 1), date(2023, 2, 1)])      # row 6: duplicate of row 3
    wb.save(tmp_path / "a.xlsx")
    code, _, err = cli(capsys, "data", "import", str(tmp_path / "a.xlsx"), "--name", "发放", "--header-row", "2",
                       "--no-progress")
    assert code == 0, err
    r = quality(capsys, "发放")
    assert [e["row"] for e in r["columns"]["身份证号"]["invalid_examples"]] == [5]
    assert r["duplicates"]["examples"][0]["rows"] == [3, 6]
    assert r["start_after_end"][0]["examples"][0]["row"] == 5
    code, out, _ = cli(capsys, "data", "quality", "发放")
    assert "第5行 12345" in out and "第 3、6 行" in out
    # recomputed after a change of the column's semantic type: still Excel rows
    assert cli(capsys, "data", "semantic", "发放", "身份证号", "id_number")[0] == 0
    assert [e["row"] for e in quality(capsys, "发放")["columns"]["身份证号"]["invalid_examples"]] == [5]


# -- 7. CSV defects: a message naming file, line and fix; the previous version stays ------------------

GOOD = "姓名,身份证号,金额,备注\r\n" + "".join(f"人{i},{valid_id(i)},{i + 1}00,\r\n" for i in range(3))


def _first_version(path: Path, capsys) -> None:
    path.write_bytes(GOOD.encode("gbk"))
    assert cli(capsys, "data", "import", str(path), "--name", "人员", "--no-progress")[0] == 0


def _unchanged(ws) -> None:
    svc = CatalogService(ws)
    assert svc.describe("人员")["current_version"] == 1 and len(svc.describe("人员")["versions"]) == 1
    with ws.warehouse() as con:
        assert con.execute("SELECT count(*) FROM duckdb_tables()").fetchone()[0] == 1
        assert con.execute("SELECT count(*) FROM duckdb_views() WHERE NOT internal").fetchone()[0] == 0


@pytest.mark.parametrize(("data", "says"), [
    # a NUL byte in line 5
    (GOOD.encode("gbk") + "王五,1,2,a".encode("gbk") + b"\x00b\r\n", ["第 5 行", "空字符", "另存为"]),
    # a UTF-8 BOM starting line 5: two exports pasted together
    ((GOOD + "人9,1,2,\r\n").encode("utf-8") + b"\xef\xbb\xbf" + GOOD.encode("utf-8"),
     ["第 6 行开头有 BOM", "拼接", "删去第 6 行的 BOM"]),
    # the same in a GBK file: neither UTF-8 nor GBK
    (GOOD.encode("gbk") + b"\xef\xbb\xbf" + "王五,1,2,\r\n".encode("gbk"), ["第 5 行", "BOM", "统一另存为"]),
    # a quoted value that never closes (the CSV sniffer gives up)
    (GOOD.encode("utf-8") + '王五,1,"2,备注\r\n'.encode() + GOOD.encode("utf-8"),
     ["第 5 行的双引号没有成对", "补上缺少的双引号"]),
    # fields missing or too many
    (GOOD.encode("utf-8") + "王五,1,2\r\n".encode(), ["第 5 行格式有误", "字段数为 3，应为 4", "--skip-bad-rows"]),
    # a UTF-8 line in a GBK file
    (GOOD.encode("gbk") + "王五,1,2,备注\r\n".encode(), ["第 5 行是 UTF-8 编码", "统一另存为"]),
])
def test_csv_defects_are_named_and_leave_the_previous_version(sqlite_ws, tmp_path, capsys, data, says):
    path = tmp_path / "人员.csv"
    _first_version(path, capsys)
    path.write_bytes(data)
    code, _, err = cli(capsys, "data", "import", str(path), "--name", "人员", "--no-progress")
    assert code != 0
    assert "人员.csv" in err and all(s in err for s in says), err
    _unchanged(sqlite_ws)


def test_csv_header_repeated_per_page_is_left_out(sqlite_ws, tmp_path, capsys):
    head, *rows = GOOD.split("\r\n")[:-1]
    lines = ["某区人员名单", head, *rows, head, *rows, "", head, rows[0]]
    (tmp_path / "a.csv").write_bytes(("\r\n".join(lines) + "\r\n").encode("gbk"))
    code, out, err = cli(capsys, "data", "import", str(tmp_path / "a.csv"), "--name", "人员", "--header-row", "2",
                         "--no-progress")
    assert code == 0, err
    assert "第 6、11 行与表头" in out
    assert [r[0] for r in fetch(sqlite_ws, "人员", '"金额"')] == [100, 200, 300, 100, 200, 300, 100]


def test_the_byte_scan_finds_what_a_search_of_the_whole_file_finds():
    """readers.TextScan sees a file block by block (1 MB in use; any size here): a repeated header,
    a BOM or a NUL byte across the seam of two blocks is found once, at its offset in the file."""
    import random

    from shujian.catalog.readers import TextScan

    rnd = random.Random(3)
    head = "姓名,金额\r\n".encode()
    pieces = [b"a,1\r\n", head, TextScan.BOM, b"x\x00", "，".encode(), b"\n", "张三".encode(), b"\r\n"]
    for _ in range(3000):
        data = head + b"".join(rnd.choice(pieces) for _ in range(rnd.randint(0, 30)))
        scan, size = TextScan(head), rnd.randint(1, 16)
        for i in range(0, len(data), size):
            scan.feed(data[i:i + size])
        found, i = [], data.find(b"\n" + head)
        while i >= 0:
            found.append(i + 1)
            i = data.find(b"\n" + head, i + 1)
        assert scan.repeats == found and scan.repeat_count == len(found)
        assert scan.bom == (None if data.find(TextScan.BOM, 1) < 0 else data.find(TextScan.BOM, 1))
        assert scan.nul == (None if data.find(b"\0") < 0 else data.find(b"\0"))
        assert scan.newlines == data.count(b"\n")
        assert scan.lines() == len(data.rstrip(b"\r\n").split(b"\n"))


def test_a_quote_open_to_the_end_says_how_many_lines_it_took(sqlite_ws, tmp_path, capsys):
    """Past the sniffer's sample, DuckDB rejects the rest of the file as one line: --skip-bad-rows
    must not drop the lines after it unsaid."""
    lines = ["编号,备注", *(f"{i},x" for i in range(30_000)), '30000,"没有结束', *(f"{i},y" for i in range(50))]
    (tmp_path / "a.csv").write_bytes(("\r\n".join(lines) + "\r\n").encode("gbk"))
    code, out, err = cli(capsys, "data", "import", str(tmp_path / "a.csv"), "--name", "编号", "--skip-bad-rows",
                         "--format", "json", "--no-progress")
    assert code == 0, err
    result = json.loads(out)
    assert result["rows"] == 30_000
    (skip,) = result["skipped"]
    assert skip["line"] == 30_002 and "第 30002–30052 行（共 51 行）" in skip["error"]


# -- old .xls workbooks, and “.xls” files that are not workbooks ---------------------------------------

XLS = Path(__file__).parents[1] / "fixtures" / "import" / "low_income_roster.xls"


def test_old_xls_workbook_is_read_like_xlsx(sqlite_ws, tmp_path, capsys):
    """low_income_roster.xls (written with xlwt, BIFF8 as old agency systems export): a one-line 说明
    sheet, then 名册 with a merged title, a 身份证号 typed as a number, date cells and a 合计 row."""
    code, _, err = cli(capsys, "data", "import", str(XLS), "--name", "低保", "--no-progress")
    assert code == 2 and "标题行" in err and "--header-row 2" in err
    code, out, err = cli(capsys, "data", "import", str(XLS), "--name", "低保", "--header-row", "2", "--no-progress")
    assert code == 0, err
    assert "导入的是“名册”" in out and "合计" in out and "设置为文本格式重新导出" in out
    rows = fetch(sqlite_ws, "低保", '"姓名", "身份证号", "发放日期", CAST("保障金额" AS VARCHAR)')
    assert rows == [("张三", "3.30102199001011E+17", date(2024, 1, 5), "500.00"),
                    ("李四", "110105194912310021", date(2024, 1, 6), "600.50"),
                    ("王五", "11010519491231002X", date(2024, 1, 7), "700.00")]
    col = quality(capsys, "低保")["columns"]["身份证号"]
    assert [e["row"] for e in col["digits_lost_examples"]] == [3]


@pytest.mark.parametrize(("data", "says"), [
    (b"<html><body><table><tr><td>\xe5\xa7\x93\xe5\x90\x8d</td></tr></table></body></html>", "网页（HTML）"),
    ("姓名\t金额\r\n张三\t1\r\n".encode("gbk"), "--format-in csv"),
    (b"\xd0\xcf\x11\xe0", "不是有效的 .xls 文件"),
])
def test_xls_that_is_no_workbook_is_named(sqlite_ws, tmp_path, capsys, data, says):
    (tmp_path / "名册.xls").write_bytes(data)
    code, _, err = cli(capsys, "data", "import", str(tmp_path / "名册.xls"), "--name", "低保", "--no-progress")
    assert code != 0 and "名册.xls" in err and says in err and "另存为 .xlsx" in err
    assert CatalogService(sqlite_ws).list_datasets() == []


def test_csv_example_rows_count_title_repeated_and_skipped_lines(sqlite_ws, tmp_path, capsys):
    """Lines an editor shows: the title, the header, a repeated header and a line skipped as bad are
    counted (blank lines are not: DuckDB skips them, see docs/data-import.md §8)."""
    head, *rows = GOOD.split("\r\n")[:-1]
    lines = ["某区人员名单", head, rows[0], "坏行", rows[1], head, rows[2], "人9,12345,900,"]
    (tmp_path / "a.csv").write_bytes(("\r\n".join(lines) + "\r\n").encode("gbk"))
    code, _, err = cli(capsys, "data", "import", str(tmp_path / "a.csv"), "--name", "人员", "--header-row", "2",
                       "--skip-bad-rows", "--no-progress")
    assert code == 0, err
    (bad,) = quality(capsys, "人员")["columns"]["身份证号"]["invalid_examples"]
    assert (bad["row"], bad["record"], bad["value"]) == (8, 4, "12345")      # line 8 of the file


@pytest.mark.parametrize(("encoding", "newline"), [("utf-8", "\n"), ("gbk", "\r\n")])
def test_csv_example_rows_count_blank_lines_and_values_spanning_lines(sqlite_ws, tmp_path, capsys, encoding,
                                                                      newline):
    """A value in quotes over two lines and blank lines (DuckDB skips them) before a bad value: the
    example names the line an editor shows, not the record number plus the header."""
    lines = ["某区人员名单", "姓名,身份证号,备注", f"张三,{valid_id(1)},好", "",             # lines 1–4
             f'李四,{valid_id(2)},"第一行', '第二行"', "", "",                           # 5–8
             "王五,12345,x",                                                             # 9: bad ID
             f'赵六,{valid_id(3)},"引号""里', '的值"',                                   # 10–11
             f'孙八,{valid_id(4)},5"寸', "",                                             # 12–13: a quote as a character
             "钱七,99,y"]                                                                # 14: bad ID
    (tmp_path / "a.csv").write_bytes((newline.join(lines) + newline).encode(encoding))
    code, _, err = cli(capsys, "data", "import", str(tmp_path / "a.csv"), "--name", "人员", "--header-row", "2",
                       "--no-progress")
    assert code == 0, err
    assert [r[0] for r in fetch(sqlite_ws, "人员", '"备注"')] == ["好", f"第一行{newline}第二行", "x",
                                                              f'引号"里{newline}的值', '5"寸', "y"]
    bad = quality(capsys, "人员")["columns"]["身份证号"]["invalid_examples"]
    assert [(e["row"], e["record"], e["value"]) for e in bad] == [(9, 3, "12345"), (14, 6, "99")]


def test_record_lines_agree_with_a_csv_reader(tmp_path):
    """readers.record_lines over random files — values spanning lines, escaped quotes, blank lines,
    lines left out, \\r\\n — gives each record the line Python's csv module starts it on, whatever the
    block size."""
    import csv
    import io
    import random

    from shujian.catalog import readers

    rnd = random.Random(7)
    for trial in range(60):
        out = io.StringIO()
        writer = csv.writer(out, lineterminator="\r\n" if trial % 2 else "\n")
        writer.writerow(["a", "b"])
        for _ in range(rnd.randint(1, 60)):
            if rnd.random() < 0.2:
                out.write("\r\n" if trial % 2 else "\n")                  # a blank line
            writer.writerow([rnd.choice(["x", 'y"z', "多\n行", "a\r\nb", "", "\n\n", '""']), str(rnd.randint(0, 9))])
            if rnd.random() < 0.1:
                out.write('5"寸,1' + ("\r\n" if trial % 2 else "\n"))      # a quote inside an unquoted value
        text = out.getvalue()
        path = tmp_path / f"{trial}.csv"
        path.write_bytes(text.encode())
        reader = csv.reader(io.StringIO(text, newline=""))
        next(reader)
        starts, at = [], reader.line_num
        for row in reader:
            if row:
                starts.append(at + 1 + _blank_lines_before(text, at))
            at = reader.line_num
        gone = set(rnd.sample(starts, min(3, len(starts)))) if trial % 3 == 0 else set()
        expected = [n for n in starts if n not in gone]
        size = rnd.choice([7, 64, 1 << 20])
        runs = _with_chunk(readers, size, lambda p=path, g=gone: readers.record_lines(p, 1, g))
        assert [readers.source_row(runs, k) for k in range(1, len(expected) + 1)] == expected, trial


def _blank_lines_before(text: str, line: int) -> int:
    """Blank lines right after line ``line`` of ``text`` (csv.reader counts them in line_num)."""
    rest = text.splitlines()[line:]
    n = 0
    while n < len(rest) and rest[n] == "":
        n += 1
    return n


def _with_chunk(readers, size: int, run):
    old = readers.CHUNK
    readers.CHUNK = size
    try:
        return run()
    finally:
        readers.CHUNK = old


# -- hidden columns and dates written with a midnight time ---------------------------------------------

@pytest.mark.parametrize("first_column", [1, 3])
def test_hidden_excel_columns_are_named_in_the_import_notes(sqlite_ws, tmp_path, capsys, first_column):
    """Columns hidden in Excel are imported like the others, and the import says which they are
    (letter and name): whoever checked the sheet in Excel never saw them."""
    from openpyxl.utils import get_column_letter

    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "明细"
    for r, row in enumerate([["姓名", "内部编号", "金额", "备注"], ["张三", "A1", 10, "x"], ["李四", "A2", 20, "y"]], 1):
        for c, value in enumerate(row):
            ws.cell(r, first_column + c, value)
    hidden = [get_column_letter(first_column + 1), get_column_letter(first_column + 3)]
    for letter in hidden:
        ws.column_dimensions[letter].hidden = True
    wb.save(tmp_path / "a.xlsx")
    code, out, err = cli(capsys, "data", "import", str(tmp_path / "a.xlsx"), "--name", "发放", "--no-progress")
    assert code == 0, err
    assert f"“内部编号”（{hidden[0]} 列）、“备注”（{hidden[1]} 列）" in out and "隐藏" in out
    assert "“金额”" not in out and "“姓名”（" not in out
    assert fetch(sqlite_ws, "发放", '"内部编号", "备注"') == [("A1", "x"), ("A2", "y")]      # imported all the same
    wb = openpyxl.Workbook()
    wb.active.append(["姓名", "金额"])
    wb.active.append(["张三", 10])
    wb.save(tmp_path / "b.xlsx")
    code, out, _ = cli(capsys, "data", "import", str(tmp_path / "b.xlsx"), "--name", "发放2", "--no-progress")
    assert code == 0 and "隐藏" not in out


def test_hidden_excel_columns_can_be_left_out(sqlite_ws, tmp_path, capsys):
    """--skip-hidden-columns keeps the columns hidden in Excel out of the warehouse (data the request
    did not ask for: 最小必要); the note still names them, now as not imported."""
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "明细"
    for row in [["姓名", "家庭住址", "金额", "联系电话"], ["张三", "某街1号", 10, "13800000000"],
                ["李四", "某街2号", 20, "13900000000"]]:
        ws.append(row)
    ws.column_dimensions["B"].hidden = True
    ws.column_dimensions["D"].hidden = True
    wb.save(tmp_path / "a.xlsx")
    code, out, err = cli(capsys, "data", "import", str(tmp_path / "a.xlsx"), "--name", "发放", "--no-progress",
                         "--skip-hidden-columns", "--format", "json")
    assert code == 0, err
    result = json.loads(out)
    assert [c["name"] for c in result["columns"]] == ["姓名", "金额"]
    assert any("“家庭住址”（B 列）、“联系电话”（D 列）；按要求未导入" in n for n in result["notes"])
    assert fetch(sqlite_ws, "发放", '"姓名", "金额"') == [("张三", 10), ("李四", 20)]
    ref = CatalogService(sqlite_ws).resolve("发放")
    with sqlite_ws.warehouse() as con:
        stored = [r[0] for r in con.execute(f'DESCRIBE "{ref.relation}"').fetchall()]
    assert not {"家庭住址", "联系电话"} & set(stored)
    # a --key on a hidden column left out is a contradiction, refused before anything is written
    code, out, err = cli(capsys, "data", "import", str(tmp_path / "a.xlsx"), "--name", "发放", "--no-progress",
                         "--skip-hidden-columns", "--key", "联系电话")
    assert code != 0 and "联系电话" in err and "既由 --key 指定，又被设为不导入" in err
    assert CatalogService(sqlite_ws).describe("发放")["current_version"] == 1


@pytest.mark.parametrize("encoding", ["utf-8", "gbk"])
def test_named_columns_can_be_left_out_of_a_csv(sqlite_ws, tmp_path, capsys, encoding):
    """--skip-column (repeatable) leaves columns of an agency export out; the checks of the other
    columns (身份证号 normalised, duplicates by --key) are those of a file without them."""
    ids = [valid_id(i) for i in range(3)]
    lines = ["身份证号,姓名,家庭住址,联系电话,金额"] + [f"{ids[i]},人{i},某街{i}号,1380000000{i},{i}" for i in range(3)]
    lines.append(f"{ids[0].lower()},人0,某街9号,13800000009,9")
    (tmp_path / "a.csv").write_bytes(("\r\n".join(lines) + "\r\n").encode(encoding))
    code, out, err = cli(capsys, "data", "import", str(tmp_path / "a.csv"), "--name", "名单", "--no-progress",
                         "--skip-column", "家庭住址", "--skip-column", "联系电话", "--key", "身份证号",
                         "--format", "json")
    assert code == 0, err
    result = json.loads(out)
    assert [c["name"] for c in result["columns"]] == ["身份证号", "姓名", "金额"]
    assert "按要求未导入 2 列：“家庭住址”、“联系电话”" in result["notes"]
    assert [r[0] for r in fetch(sqlite_ws, "名单", '"身份证号"')] == [*ids, ids[0]]
    q = quality(capsys, "名单")
    assert set(q["columns"]) >= {"身份证号", "姓名", "金额"} and "家庭住址" not in q["columns"]
    assert q["duplicates"]["values"] == 1 and q["duplicates"]["rows"] == 2
    # a column the file does not have: named, with the file's columns, and nothing written
    code, out, err = cli(capsys, "data", "import", str(tmp_path / "a.csv"), "--name", "名单", "--no-progress",
                         "--skip-column", "住址")
    assert code != 0 and "--skip-column 指定的列 住址 不在文件中" in err and "家庭住址" in err
    # every column left out
    code, out, err = cli(capsys, "data", "import", str(tmp_path / "a.csv"), "--name", "名单", "--no-progress",
                         *[a for c in ["身份证号", "姓名", "家庭住址", "联系电话", "金额"] for a in ("--skip-column", c)])
    assert code != 0 and "列全部被设为不导入" in err
    assert CatalogService(sqlite_ws).describe("名单")["current_version"] == 1


def test_dates_written_with_midnight_times_are_dates(sqlite_ws, tmp_path, capsys):
    """2024-01-05 00:00:00 beside 2024-01-05 (a date column exported with its time part) is a DATE
    column; one other time of day anywhere in the file — past the sample too — keeps TIMESTAMP."""
    lines = ["姓名,登记日期,办结日期"] + [f"人{i},2024-01-{i % 28 + 1:02d} 00:00:00,2024-02-01 00:00:00"
                                     for i in range(12_000)]
    lines[2] = "人1,2024-01-02,2024-02-01"
    lines[-1] = "人x,2024-01-03 00:00:00,2024-02-01 08:30:00"         # after the 10,000 rows of the sample
    (tmp_path / "a.csv").write_text("\n".join(lines) + "\n", encoding="utf-8")
    code, out, err = cli(capsys, "data", "import", str(tmp_path / "a.csv"), "--name", "登记", "--no-progress")
    assert code == 0, err
    assert "列“登记日期”的值都是日期" in out and "办结日期”的值" not in out
    ref = CatalogService(sqlite_ws).resolve("登记")
    with sqlite_ws.warehouse() as con:
        types = dict(con.execute(f'SELECT column_name, data_type FROM information_schema.columns '
                                 f"WHERE table_name = '{ref.relation}'").fetchall())
    assert types["登记日期"] == "DATE" and types["办结日期"] == "TIMESTAMP"
    rows = fetch(sqlite_ws, "登记", '"登记日期", "办结日期"')
    assert rows[0][0] == date(2024, 1, 1) and rows[1] == (date(2024, 1, 2), datetime(2024, 2, 1))
    cols = quality(capsys, "登记")["columns"]
    assert cols["登记日期"]["dtype"] == "DATE" and cols["登记日期"]["max"] == "2024-01-28"
