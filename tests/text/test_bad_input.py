"""Bad input in real message exports (issue 18, 'Bad input'): line breaks, tabs, quotes, Excel
``_x000D_`` escapes, fields of 10,000+ characters, empty bodies, mixed GBK/UTF-8 — never a crash, each
counted in the quality report: the import's (the version's note, ``shujian data quality``) and the
screening's (``shujian text screen``, a subscription's screening).  Every test goes through the CLI
into a real warehouse."""

from __future__ import annotations

import json
from pathlib import Path

import openpyxl

from shujian.cli.main import main
from shujian.text.subscriptions import SubscriptionService

HEADER = "编号,主题,详情,时间,地址"
LONG = "反映" + "很" * 12_000 + "在金顺健身办了年卡，健身房关门了"          # 10,000+ characters: counted
HUGE = "反映" + "很" * 200_000                                             # beyond the csv module's field limit
MOJIBAKE = "我在力美健身办卡后老板跑路了".encode().decode("gbk", errors="replace")   # garbled upstream
UTF8_ROWS = [
    'B1,预付卡,"我在力美健身办卡3000元，\n现在老板跑路了",2025-03-01,椒江区',                # a line break in a quoted cell
    "B2,美容,在丽人坊美容院充值\t5000元，店铺已转让，新老板不认会员卡,2025-03-01,椒江区",    # a tab
    'B3,培训,"他说""会退钱""，星辰教育培训学校收了学费后停课",2025-03-02,黄岩区',            # doubled quotes
    "B4,驾校,新起点驾校交了学费_x000D_驾校倒闭了不退费,2025-03-02,路桥区",                  # an Excel escape
    f"B5,长文本,{LONG},2025-03-03,临海市",
    "B6,,,2025-03-03,",                                                                   # an empty body
    f"B8,乱码,{MOJIBAKE},2025-03-04,温岭市",
    "B9,咨询",                                                                             # too few fields
    "B10,建议,让数据多跑路,群众少跑路,2025-03-06,椒江区",                                     # too many fields
    f"B11,超长,{HUGE},2025-03-06,椒江区",
]
GBK_ROW = "B7,预付,在金顺健身办了年卡，健身房关门了,2025-03-05,椒江区"                        # one GBK line


def cli(capsys, *args: str) -> tuple[int, str]:
    code = main(list(args))
    cap = capsys.readouterr()
    assert code == 0, cap.err
    return code, cap.out


def export(tmp_path: Path) -> Path:
    folder = tmp_path / "exports"
    folder.mkdir(exist_ok=True)
    path = folder / "工单.csv"
    utf8 = "\r\n".join([HEADER, *UTF8_ROWS[:6]]).encode() + b"\r\n"
    rest = "\r\n".join([*UTF8_ROWS[6:], "合计,11件,,,", "", "制表人：王某"]).encode() + b"\r\n"   # a footer
    path.write_bytes(utf8 + GBK_ROW.encode("gbk") + b"\r\n" + rest)
    return path


def test_message_export_with_every_kind_of_bad_input(sqlite_ws, tmp_path, capsys):
    _, out = cli(capsys, "text", "import", str(export(tmp_path)), "--name", "12345工单", "--date", "时间",
                 "--format", "json")
    info = json.loads(out)
    assert info["rows"] == 11 and info["text_columns"] == ["主题", "详情"]
    # B10's extra comma shifts its 时间 to 群众少跑路: counted as an unreadable time, not a crash
    assert info["repairs"] == {"gbk_lines": 1, "padded_rows": 1, "cut_rows": 1, "bad_dates": 1, "footer_rows": 2}
    problems = info["quality"]["problems"]
    assert problems == {"empty": 1, "excel_escape": 1, "line_break": 2, "tab": 1, "quote": 1, "long": 2,
                        "truncated": 1, "mojibake": 1, "replacement": 1}
    # the same counts are in the version's quality report
    _, out = cli(capsys, "data", "quality", "12345工单", "--format", "json")
    note = json.loads(out)["note"]
    assert "按 GBK/GB18030 解码的行 1" in note and "字段不足、已补空的行 1" in note and "字段过多、已截断的行 1" in note
    assert "含换行 2" in note and "含制表符 1" in note and "正文为空 1" in note and "疑似编码错乱" in note

    _, out = cli(capsys, "text", "screen", "12345工单", "--field", "主题", "--field", "详情", "--rule",
                 "prepaid-card", "--key", "编号", "--format", "json")
    screened = json.loads(out)
    assert screened["messages"] == 11
    assert {m["key"] for m in screened["matches"]} == {"B1", "B2", "B3", "B4", "B5", "B7"}
    by_key = {m["key"]: m for m in screened["matches"]}
    assert by_key["B7"]["merchant"] == "金顺健身"                  # the GBK line was read as Chinese
    assert screened["quality"]["problems"] == {"empty": 1, "excel_escape": 1, "line_break": 2, "tab": 1,
                                               "quote": 1, "long": 2, "mojibake": 1,
                                               "replacement": 1}


def test_a_subscription_counts_the_problems_of_each_screening(sqlite_ws, tmp_path, capsys):
    cli(capsys, "text", "import", str(export(tmp_path)), "--name", "12345工单")
    sub = SubscriptionService(sqlite_ws).create(name="预付卡", dataset="12345工单", text_fields=["主题", "详情"],
                                                key_field="编号", rule_name="prepaid-card")
    quality = sub["screenings"][0]["quality"]
    assert quality["problems"]["line_break"] == 2 and quality["problems"]["empty"] == 1
    assert quality["labels"]["excel_escape"] == "含 Excel 转义 _x000D_"
    assert len(SubscriptionService(sqlite_ws).matches(sub["id"])) == 6


def test_xlsx_export_with_breaks_escapes_and_empty_cells(sqlite_ws, tmp_path, capsys):
    path = tmp_path / "exports" / "工单.xlsx"
    path.parent.mkdir()
    wb = openpyxl.Workbook()
    sheet = wb.active
    sheet.append(["工单编号", "诉求内容", "受理时间"])
    sheet.append(["X1", "我在力美健身办卡3000元，\r\n现在老板跑路了", "2025-03-01"])   # written as _x000D_ in the XML
    sheet.append(["X2", "新起点驾校_x000D_交了学费后驾校倒闭", "2025-03-02"])        # the escape, as XML holds it
    sheet.append(["X3", None, "2025-03-02"])
    sheet.append(["X4", "反映" + "很" * 11_000, "2025-03-03"])
    sheet.append(["制表人：王某", None, "2025年3月5日"])          # a sign-off under the table: not a ticket
    wb.save(path)
    _, out = cli(capsys, "text", "import", str(path), "--name", "热线", "--format", "json")
    info = json.loads(out)
    assert info["rows"] == 4 and info["text_columns"] == ["诉求内容"]
    assert "表格末尾的表尾行（合计、制表人等，未导入） 1" in info["note"]
    # the XLSX reader turns _x000D_ back into the carriage return it stands for: two line breaks
    assert info["quality"]["problems"] == {"empty": 1, "line_break": 2, "long": 1}
    _, out = cli(capsys, "text", "screen", "热线", "--field", "诉求内容", "--rule", "prepaid-card", "--key", "工单编号",
                 "--format", "json")
    assert {m["key"] for m in json.loads(out)["matches"]} == {"X1", "X2"}
