"""是/否 columns in models (one convention: BOOLEAN or text, '是'/'否' compile on both) and the
limits that keep a hostile .xlsx from exhausting memory (issue 14 finding 9)."""

from __future__ import annotations

import zipfile
from pathlib import Path

import openpyxl
import pytest

from shujian.catalog.readers import XlsxLimits, check_xlsx
from shujian.catalog.schema import CatalogSchema, ColumnSchema, DatasetSchema
from shujian.catalog.service import CatalogService
from shujian.cli.main import main
from shujian.compiler import compile_model
from shujian.errors import ImportFailed
from shujian.models_library import get_model
from shujian.spec import load_model

C = ColumnSchema


def drunk_driving_catalog(trade_type: str) -> CatalogSchema:
    cat = CatalogSchema()
    cat.add(DatasetSchema("危险驾驶案件", "ds_cases", (
        C("案件编号"), C("身份证号", semantic="id_number"), C("姓名"), C("违法日期", "DATE"),
        C("血液酒精含量", "DOUBLE"), C("是否营运车辆", trade_type), C("处理结果"), C("生效日期", "DATE"))))
    cat.add(DatasetSchema("驾驶证业务记录", "ds_events", (
        C("身份证号", semantic="id_number"), C("业务类型"), C("业务日期", "DATE"), C("决定书编号"))))
    cat.add(DatasetSchema("交通违法", "ds_traffic", (
        C("决定书编号"), C("驾驶人身份证号", semantic="id_number"), C("驾驶人姓名"), C("违法日期", "DATE"), C("违法行为"),
        C("号牌号码"))))
    return cat


@pytest.mark.parametrize("trade_type", ["BOOLEAN", "VARCHAR"])
def test_builtin_model_compiles_on_both_forms(trade_type):
    compiled = compile_model(get_model("drunk-driving-licence"), drunk_driving_catalog(trade_type), "duckdb")
    assert "是否营运车辆" in compiled.sql


@pytest.mark.parametrize("trade_type", ["BOOLEAN", "VARCHAR"])
def test_comparing_with_shi_compiles_on_both_forms(trade_type):
    # before: "不能比较布尔（BOOLEAN）… 和文本（VARCHAR） '是'" when the export's 是/否 column was inferred BOOLEAN
    cat = CatalogSchema()
    cat.add(DatasetSchema("车辆", "ds_cars", (C("身份证号", semantic="id_number"), C("是否营运车辆", trade_type))))
    spec = small_model("trade = '是'")
    spec["steps"].append({"id": "d", "derive": {"columns": {"months": "case when trade = '是' then 120 else 60 end"}}})
    compiled = compile_model(load_model(spec), cat, "duckdb")
    assert ("= TRUE" in compiled.sql) == (trade_type == "BOOLEAN")


def small_model(condition) -> dict:
    return {"id": "yes-no", "name": "营运车辆", "version": "1.0.0", "line": "刑事检察", "point": "测试",
            "inputs": {"cars": {"dataset": "车辆", "fields": {"person": "身份证号", "trade": "是否营运车辆"}}},
            "steps": [{"id": "f", "from": "cars", "filter": condition}],
            "output": {"subject": {"type": "person", "key": "person"}, "title": "营运车辆"}}


@pytest.mark.parametrize("condition", ["trade = '是'", {"field": "trade", "op": "=", "value": "是"},
                                       "trade = true", {"field": "trade", "op": "in", "value": ["Y", "是"]}])
def test_models_select_yes_rows_of_an_imported_export(sqlite_ws, tmp_path, capsys, condition):
    path = tmp_path / "车辆.csv"
    path.write_text("身份证号,是否营运车辆\n11010519491231002X,是\n110105198001010016,否\n", encoding="utf-8")
    assert main(["data", "import", str(path), "--name", "车辆", "--no-progress"]) == 0
    catalog = CatalogService(sqlite_ws).schema()
    assert catalog.get("车辆").column("是否营运车辆").dtype == "BOOLEAN"
    compiled = compile_model(load_model(small_model(condition)), catalog, "duckdb")
    with sqlite_ws.warehouse() as con:
        rows = con.execute(compiled.sql, compiled.parameters).fetchall()
    assert [r[0] for r in rows] == ["11010519491231002X"]


def test_a_word_that_is_not_yes_or_no_is_still_refused():
    from shujian.errors import ValidationFailed

    with pytest.raises(ValidationFailed, match="不能比较"):
        cat = CatalogSchema()
        cat.add(DatasetSchema("车辆", "ds_cars", (C("身份证号", semantic="id_number"), C("是否营运车辆", "BOOLEAN"))))
        compile_model(load_model(small_model("trade = '也许'")), cat, "duckdb")


def xlsx_with_shared_string(path: Path, text: str) -> Path:
    """A minimal workbook as Excel writes it: the cell refers to a shared string."""
    parts = {
        "[Content_Types].xml": '<?xml version="1.0"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/'
        'content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships'
        '+xml"/><Default Extension="xml" ContentType="application/xml"/><Override PartName="/xl/workbook.xml" '
        'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/><Override '
        'PartName="/xl/worksheets/sheet1.xml" ContentType="application/vnd.openxmlformats-officedocument.'
        'spreadsheetml.worksheet+xml"/><Override PartName="/xl/sharedStrings.xml" ContentType="application/vnd.'
        'openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"/></Types>',
        "_rels/.rels": '<?xml version="1.0"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/'
        'relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/'
        'relationships/officeDocument" Target="xl/workbook.xml"/></Relationships>',
        "xl/workbook.xml": '<?xml version="1.0"?><workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/'
        '2006/main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"><sheets><sheet '
        'name="明细" sheetId="1" r:id="rId1"/></sheets></workbook>',
        "xl/_rels/workbook.xml.rels": '<?xml version="1.0"?><Relationships xmlns="http://schemas.openxmlformats.org/'
        'package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/'
        'officeDocument/2006/relationships/worksheet" Target="worksheets/sheet1.xml"/><Relationship Id="rId2" '
        'Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/sharedStrings" '
        'Target="sharedStrings.xml"/></Relationships>',
        "xl/worksheets/sheet1.xml": '<?xml version="1.0"?><worksheet xmlns="http://schemas.openxmlformats.org/'
        'spreadsheetml/2006/main"><sheetData><row r="1"><c r="A1" t="s"><v>0</v></c></row><row r="2"><c r="A2" '
        't="s"><v>1</v></c></row></sheetData></worksheet>',
        "xl/sharedStrings.xml": '<?xml version="1.0"?><sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/'
        f'2006/main" count="2" uniqueCount="2"><si><t>备注</t></si><si><t>{text}</t></si></sst>',
    }
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, body in parts.items():
            zf.writestr(name, body)
    return path


def test_a_huge_shared_string_is_refused_before_reading(sqlite_ws, tmp_path, capsys):
    ok = xlsx_with_shared_string(tmp_path / "ok.xlsx", "第一行_x000D_\n第二行")
    assert main(["data", "import", str(ok), "--name", "备注", "--no-progress"]) == 0
    ref = CatalogService(sqlite_ws).resolve("备注")
    with sqlite_ws.warehouse() as con:
        assert con.execute(f'SELECT "备注" FROM "{ref.relation}"').fetchall() == [("第一行\r\n第二行",)]
    capsys.readouterr()
    bomb = xlsx_with_shared_string(tmp_path / "bomb.xlsx", "x" * 400_000)     # > Excel's 32,767 a cell
    assert main(["data", "import", str(bomb), "--name", "备注", "--no-progress"]) == 2
    err = capsys.readouterr().err.replace("\n", "")
    assert "bomb.xlsx" in err and "共享字符串" in err and "32767" in err
    assert CatalogService(sqlite_ws).describe("备注")["current_version"] == 1


def test_xlsx_limits_on_size_ratio_and_count(tmp_path):
    path = tmp_path / "a.xlsx"
    wb = openpyxl.Workbook()
    for i in range(50):
        wb.active.append([f"值{i}", "同一个值" * 200])
    wb.save(path)
    check_xlsx(path)                                                   # an ordinary workbook passes
    with pytest.raises(ImportFailed, match="解压后有"):
        check_xlsx(path, XlsxLimits(max_unpacked=10_000))
    with pytest.raises(ImportFailed, match="超过 .* 个字符"):
        check_xlsx(path, XlsxLimits(max_text_bytes=500))
    bomb = tmp_path / "bomb.xlsx"
    with zipfile.ZipFile(bomb, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("xl/worksheets/sheet1.xml", b"<a>" + b" " * (8 << 20) + b"</a>")
    with pytest.raises(ImportFailed, match="压缩比异常"):
        check_xlsx(bomb)
    shared = xlsx_with_shared_string(tmp_path / "s.xlsx", "x")
    with pytest.raises(ImportFailed, match="共享字符串超过 1 个"):
        check_xlsx(shared, XlsxLimits(max_shared_strings=1))


@pytest.mark.parametrize("word", ["無", "无", "否"])
def test_a_model_may_write_every_no_word_the_import_reads(word):
    # before: '無' — which the import reads as 否 in a 有/無 column of a 繁体 export — was refused by the
    # compiler (its own word list lacked it): "不能比较布尔（BOOLEAN）… 和文本"
    cat = CatalogSchema()
    cat.add(DatasetSchema("车辆", "ds_cars", (C("身份证号", semantic="id_number"), C("是否营运车辆", "BOOLEAN"))))
    compiled = compile_model(load_model(small_model(f"trade = '{word}'")), cat, "duckdb")
    assert "= FALSE" in compiled.sql
