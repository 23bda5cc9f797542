"""Semantic types on import: detected, normalised for joins, raw kept in ``_raw_<col>``, overridable."""

from __future__ import annotations

import json
from pathlib import Path

import duckdb
import pytest
from tests.catalog.conftest import fast_path

from shujian.catalog import semantic
from shujian.catalog.importer import CLEAN_FORMS
from shujian.catalog.service import CatalogService
from shujian.cli.main import main


def cli(capsys, *args: str) -> tuple[int, str, str]:
    code = main(list(args))
    cap = capsys.readouterr()
    return code, cap.out, cap.err


def imp(capsys, path: Path, name: str, *extra: str) -> dict:
    code, out, err = cli(capsys, "data", "import", str(path), "--name", name, "--no-progress", "--format", "json",
                         *extra)
    assert code == 0, err
    return json.loads(out)


def columns(ws, name: str) -> dict[str, dict]:
    return {c["name"]: c for c in CatalogService(ws).describe(name)["columns"]}


def test_ids_normalised_joinable_and_raw_kept(ws, tmp_path, capsys):
    (tmp_path / "社保.csv").write_text(
        "公民身份号码,姓名,联系电话\n"
        "11010519491231002x,张 三,138-0013-8000\n"
        "１１０１０５１９８００１０１００１６,李四,+8613900139000\n"
        "110105800101001,王五,13700137000\n", encoding="utf-8")
    (tmp_path / "在押.csv").write_text(
        "身份证号,入所日期\n11010519491231002X,2023-01-01\n110105198001010016,2023-02-01\n", encoding="utf-8")
    imp(capsys, tmp_path / "社保.csv", "社保")
    imp(capsys, tmp_path / "在押.csv", "在押")
    cols = columns(ws, "社保")
    assert cols["公民身份号码"]["semantic"] == "id_number" and cols["公民身份号码"]["semantic_source"] == "detected"
    assert cols["公民身份号码"]["raw_column"] == "_raw_公民身份号码"
    assert cols["姓名"]["semantic"] == "person_name" and cols["联系电话"]["semantic"] == "phone"
    assert columns(ws, "在押")["身份证号"]["raw_column"] is None      # already normal: no raw copy
    svc = CatalogService(ws)
    a, b = svc.resolve("社保").relation, svc.resolve("在押").relation
    with ws.warehouse() as con:
        rows = con.execute(f'SELECT "公民身份号码", "_raw_公民身份号码", "姓名", "_raw_姓名", "联系电话" '
                           f'FROM {a} ORDER BY _row_id').fetchall()
        joined = con.execute(f'SELECT count(*) FROM {a} JOIN {b} ON {a}."公民身份号码" = {b}."身份证号"').fetchone()
    assert rows[0] == ("11010519491231002X", "11010519491231002x", "张三", "张 三", "13800138000")
    assert rows[1][:2] == ("110105198001010016", "１１０１０５１９８００１０１００１６")
    assert rows[1][4] == "13900139000"
    assert rows[2][:2] == ("110105198001010016", "110105800101001")     # 15 digits → 18 (GB 11643)
    assert joined == (3,)


def test_user_override_and_none(ws, tmp_path, capsys):
    (tmp_path / "a.csv").write_text("证照,备注,编号\n11010519491231002x,说明,A1\n", encoding="utf-8")
    result = imp(capsys, tmp_path / "a.csv", "覆盖", "--semantic", "证照=id_number", "--semantic", "备注=none")
    sem = {c["name"]: c["semantic"] for c in result["columns"]}
    assert sem == {"证照": "id_number", "备注": None, "编号": None}
    cols = columns(ws, "覆盖")
    assert cols["证照"]["semantic_source"] == "user" and cols["备注"]["semantic_source"] == "user"
    with ws.warehouse() as con:
        assert con.execute(f'SELECT "证照" FROM {CatalogService(ws).resolve("覆盖").relation}').fetchone() == (
            "11010519491231002X",)


def test_set_semantic_after_import(ws, tmp_path, capsys):
    (tmp_path / "a.csv").write_text("编号,金额\nA1,1\n", encoding="utf-8")
    imp(capsys, tmp_path / "a.csv", "后改")
    code, out, _ = cli(capsys, "data", "semantic", "后改", "编号", "case_number")
    assert code == 0 and "case_number" in out
    assert columns(ws, "后改")["编号"] == {**columns(ws, "后改")["编号"], "semantic": "case_number",
                                         "semantic_source": "user"}
    code, _, err = cli(capsys, "data", "semantic", "后改", "不存在", "text")
    assert code != 0 and "没有列" in err and "编号" in err
    code, _, err = cli(capsys, "data", "semantic", "后改", "编号", "nonsense")
    assert code != 0 and "不存在" in err
    assert cli(capsys, "data", "semantic", "后改", "编号", "none")[0] == 0
    assert columns(ws, "后改")["编号"]["semantic"] is None


def test_set_semantic_updates_the_quality_report_of_the_version(ws, tmp_path, capsys):
    # half the values are not valid ID numbers, so the column is not detected as one on import
    (tmp_path / "a.csv").write_text("证件,金额\n11010519491231002X,1\n12345,2\n110105198001010016,3\nabc,4\n",
                                    encoding="utf-8")
    imp(capsys, tmp_path / "a.csv", "后定类型")
    assert columns(ws, "后定类型")["证件"]["semantic"] is None
    before = CatalogService(ws).quality("后定类型")["columns"]["证件"]
    assert before["semantic"] is None and before["invalid"] is None
    assert cli(capsys, "data", "semantic", "后定类型", "证件", "id_number")[0] == 0
    after = CatalogService(ws).quality("后定类型")["columns"]["证件"]
    assert after["semantic"] == "id_number" and after["invalid"] == 2
    assert [e["value"] for e in after["invalid_examples"]] == ["12345", "abc"]
    assert CatalogService(ws).quality("后定类型")["columns"]["金额"]["nulls"] == 0   # other columns kept
    assert cli(capsys, "data", "semantic", "后定类型", "证件", "none")[0] == 0
    assert CatalogService(ws).quality("后定类型")["columns"]["证件"]["invalid"] is None


def test_uscc_and_case_numbers(ws, tmp_path, capsys):
    (tmp_path / "a.csv").write_text(
        "统一社会信用代码,案号\n91110000802100433b,（2023）京0105刑初123号\n911100007109305X4K,(2023)京0105刑初124号\n",
        encoding="utf-8")
    imp(capsys, tmp_path / "a.csv", "企业")
    cols = columns(ws, "企业")
    assert cols["统一社会信用代码"]["semantic"] == "uscc" and cols["案号"]["semantic"] == "case_number"
    report = CatalogService(ws).quality("企业")
    assert report["columns"]["统一社会信用代码"]["invalid"] == 1
    assert report["columns"]["统一社会信用代码"]["invalid_examples"] == [{"row": 3, "record": 2, "value": "911100007109305X4K"}]
    with ws.warehouse() as con:
        got = con.execute(f'SELECT "统一社会信用代码", "案号" FROM {CatalogService(ws).resolve("企业").relation} '
                          "ORDER BY _row_id").fetchall()
    assert got[0][0] == "91110000802100433B" and got[1][1] == "（2023）京0105刑初124号"


@pytest.mark.parametrize("key", sorted(CLEAN_FORMS))
def test_fast_path_is_the_identity_on_clean_values(key):
    """The importer skips the normaliser for values matching CLEAN_FORMS; that must change nothing."""
    samples = {"id_number": ["11010519491231002X", "110105198001010016"], "person_name": ["张三", "欧阳娜娜"],
               "phone": ["13800138000"], "uscc": ["91110000802100433B"]}[key]
    con = duckdb.connect()
    semantic.register_udfs(con)
    norm = semantic.normalize_sql(key, "v")
    for v in samples:
        fast, slow = con.execute(f"SELECT {fast_path(key, 'v', norm)}, {norm} FROM (SELECT ? AS v)", [v]).fetchone()
        assert fast == slow == v == semantic.SEMANTIC_TYPES[key].normalize(v)
