"""Import of each format and encoding, with Chinese column names and type inference end to end.

Every test imports through the real CLI (``main([...])``) into a real DuckDB warehouse, with the
metadata on SQLite and on PostgreSQL (the ``ws`` fixture), then reads the catalog and the warehouse.
"""

from __future__ import annotations

import json
from datetime import date
from decimal import Decimal
from pathlib import Path

import openpyxl
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from shujian.catalog.service import CatalogService
from shujian.cli.main import main

HEADER = ["身份证号", "姓名", "发放日期", "发放金额", "备注"]
ROWS = [
    ["110105194912310021", "张三", "2023-01-05", "1,234.50", "按月发放"],
    ["11010519491231002x", "李四", "2023/1/6", "300元", ""],
    ["110105194912310048", "王五", "2023年1月7日", "12", "补发"],
]


def cli(capsys, *args: str) -> tuple[int, str, str]:
    code = main(list(args))
    cap = capsys.readouterr()
    return code, cap.out, cap.err


def import_json(capsys, path: Path, name: str, *extra: str) -> dict:
    code, out, err = cli(capsys, "data", "import", str(path), "--name", name, "--no-progress",
                         "--format", "json", *extra)
    assert code == 0, err
    return json.loads(out)


def write_text(path: Path, rows: list[list[str]], encoding: str, sep: str = ",") -> Path:
    path.write_bytes("".join(sep.join(r) + "\n" for r in rows).encode(encoding))
    return path


def fetch(ws, name: str, columns: str = "*", version: int | None = None) -> list[tuple]:
    ref = CatalogService(ws).resolve(name, version)
    with ws.warehouse() as con:
        return con.execute(f'SELECT {columns} FROM "{ref.relation}" ORDER BY _row_id').fetchall()


def dtypes(ws, name: str) -> dict[str, str]:
    return {c["name"]: c["dtype"] for c in CatalogService(ws).describe(name)["columns"]}


def csv_rows_for(encoding: str) -> list[list[str]]:
    # "1,234.50" has a comma: quote it for comma-separated files
    return [HEADER] + [[f'"{v}"' if "," in v else v for v in r] for r in ROWS]


@pytest.mark.parametrize("encoding,expected", [("utf-8", "utf-8"), ("utf-8-sig", "utf-8-sig"),
                                               ("gbk", "gb18030"), ("gb18030", "gb18030")])
def test_csv_encodings_are_detected_and_values_typed(ws, tmp_path, capsys, encoding, expected):
    path = write_text(tmp_path / f"发放_{encoding}.csv", csv_rows_for(encoding), encoding)
    result = import_json(capsys, path, "养老金发放")
    assert result["rows"] == 3
    assert [c["name"] for c in result["columns"]] == HEADER          # Chinese names kept, no BOM char
    info = CatalogService(ws).describe("养老金发放")
    assert info["version"]["source_encoding"] == expected
    assert dtypes(ws, "养老金发放") == {"身份证号": "VARCHAR", "姓名": "VARCHAR", "发放日期": "DATE",
                                        "发放金额": "DECIMAL(18,2)", "备注": "VARCHAR"}
    rows = fetch(ws, "养老金发放", '"姓名", "发放日期", "发放金额"')
    assert rows == [("张三", date(2023, 1, 5), Decimal("1234.50")), ("李四", date(2023, 1, 6), Decimal("300.00")),
                    ("王五", date(2023, 1, 7), Decimal("12.00"))]


def test_gb18030_only_characters_survive(ws, tmp_path, capsys):
    # 𠀀 (U+20000) is outside GBK; an agency system exporting GB18030 can contain it
    rows = [["姓名", "金额"], ["𠀀明", "5"], ["张三", "6"]]
    path = write_text(tmp_path / "gb18030.csv", rows, "gb18030")
    import_json(capsys, path, "生僻字")
    assert [r[0] for r in fetch(ws, "生僻字", '"姓名"')] == ["𠀀明", "张三"]


def test_tsv_and_explicit_tab(ws, tmp_path, capsys):
    path = write_text(tmp_path / "数据.tsv", [HEADER] + ROWS, "utf-8", sep="\t")
    result = import_json(capsys, path, "制表符")
    assert result["rows"] == 3
    assert fetch(ws, "制表符", '"发放金额"')[0] == (Decimal("1234.50"),)


@pytest.mark.parametrize("raw,expected", [
    (["2023-01-05", "2023/1/5", "2023年1月5日", "20230105"], [date(2023, 1, 5)] * 4),
    (["202301", "202302", "202312"], [date(2023, 1, 1), date(2023, 2, 1), date(2023, 12, 1)]),
])
def test_date_formats_end_to_end(ws, tmp_path, capsys, raw, expected):
    path = write_text(tmp_path / "d.csv", [["日期"]] + [[v] for v in raw], "utf-8")
    import_json(capsys, path, "日期")
    assert dtypes(ws, "日期")["日期"] == "DATE"
    assert [r[0] for r in fetch(ws, "日期", '"日期"')] == expected


def test_amounts_with_commas_and_yuan(ws, tmp_path, capsys):
    rows = [["金额"], ['"1,234.50"'], ["300元"], ["￥12.5"], ['"12,000元"']]
    path = write_text(tmp_path / "amount.csv", rows, "utf-8")
    import_json(capsys, path, "金额")
    assert dtypes(ws, "金额")["金额"] == "DECIMAL(18,2)"
    assert [r[0] for r in fetch(ws, "金额", '"金额"')] == [Decimal("1234.50"), Decimal("300"), Decimal("12.5"),
                                                           Decimal("12000")]


def test_codes_with_leading_zeros_stay_text(ws, tmp_path, capsys):
    rows = [["单位编码", "人数"], ["007", "3"], ["012", "10"], ["100", "7"]]
    import_json(capsys, write_text(tmp_path / "c.csv", rows, "utf-8"), "编码")
    assert dtypes(ws, "编码") == {"单位编码": "VARCHAR", "人数": "BIGINT"}
    assert fetch(ws, "编码", '"单位编码", "人数"') == [("007", 3), ("012", 10), ("100", 7)]


def _xlsx(path: Path, sheets: dict[str, list[list]]) -> Path:
    wb = openpyxl.Workbook()
    wb.remove(wb.active)
    for title, rows in sheets.items():
        sheet = wb.create_sheet(title)
        for r in rows:
            sheet.append(r)
    wb.save(path)
    return path


def test_xlsx_first_sheet_and_named_sheet(ws, tmp_path, capsys):
    path = _xlsx(tmp_path / "人社.xlsx", {
        "说明": [["字段", "含义"], ["身份证号", "公民身份号码"]],
        "发放明细": [HEADER, *[[r[0], r[1], date(2023, 1, 5 + i), float(i + 1) * 100.5, r[4] or None]
                              for i, r in enumerate(ROWS)]],
    })
    first = import_json(capsys, path, "说明")
    assert first["rows"] == 1 and [c["name"] for c in first["columns"]] == ["字段", "含义"]
    result = import_json(capsys, path, "发放明细", "--sheet", "发放明细")
    assert result["rows"] == 3
    assert dtypes(ws, "发放明细")["发放日期"] == "DATE"
    assert fetch(ws, "发放明细", '"发放日期", "发放金额"')[1] == (date(2023, 1, 6), Decimal("201.00"))
    info = CatalogService(ws).describe("发放明细")["version"]
    assert info["source_format"] == "xlsx"


def test_xlsx_missing_sheet_lists_available(ws, tmp_path, capsys):
    path = _xlsx(tmp_path / "人社.xlsx", {"Sheet1": [["a"], ["1"]], "明细": [["a"], ["1"]]})
    code, _, err = cli(capsys, "data", "import", str(path), "--name", "x", "--sheet", "发放", "--no-progress")
    assert code != 0
    text = "".join(err.split())
    assert "人社.xlsx" in text and "“发放”" in text and "Sheet1、明细" in text and "--sheet" in text


def test_parquet_keeps_native_types(ws, tmp_path, capsys):
    table = pa.table({"身份证号": ["110105194912310021", "11010519491231002x"],
                      "金额": pa.array([1.5, 2.25], pa.float64()),
                      "日期": pa.array([date(2023, 1, 5), date(2023, 2, 1)], pa.date32()),
                      "次数": pa.array([1, 2], pa.int32())})
    pq.write_table(table, tmp_path / "a.parquet")
    import_json(capsys, tmp_path / "a.parquet", "pq")
    assert dtypes(ws, "pq") == {"身份证号": "VARCHAR", "金额": "DOUBLE", "日期": "DATE", "次数": "BIGINT"}
    assert fetch(ws, "pq", '"身份证号", "次数"') == [("110105194912310021", 1), ("11010519491231002X", 2)]


def test_json_lines_union_of_keys(ws, tmp_path, capsys):
    lines = [{"姓名": "张三", "金额": "1,200元", "日期": "2023-01-05"},
             {"姓名": "李四", "日期": "2023年2月1日", "标签": ["低保", "残疾"]},
             {"姓名": "王五", "金额": 30, "日期": "2023/3/1"}]
    path = tmp_path / "a.jsonl"
    path.write_text("\n".join(json.dumps(x, ensure_ascii=False) for x in lines) + "\n\n", encoding="utf-8")
    result = import_json(capsys, path, "jsonl")
    assert result["rows"] == 3
    assert [c["name"] for c in result["columns"]] == ["姓名", "金额", "日期", "标签"]
    rows = fetch(ws, "jsonl", '"金额", "日期", "标签"')
    assert rows[0][:2] == (Decimal("1200.00"), date(2023, 1, 5))
    assert rows[1][0] is None and json.loads(rows[1][2]) == ["低保", "残疾"]


def test_import_arrow_api(ws):
    from shujian.catalog.importer import ImportRequest

    data = pa.table({"案号": ["(2023)京0105刑初123号"], "金额": pa.array([5.5], pa.float64()), "标记": ["是"]})
    res = CatalogService(ws).import_arrow(ImportRequest(name="arrow"), data)
    assert res.rows == 1 and res.version == 1
    assert dtypes(ws, "arrow") == {"案号": "VARCHAR", "金额": "DOUBLE", "标记": "VARCHAR"}   # declared types kept
    assert fetch(ws, "arrow", '"案号"') == [("（2023）京0105刑初123号",)]
