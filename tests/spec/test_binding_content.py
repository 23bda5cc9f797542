"""Binding content (pure): the model's own binding, the rename pass, CLI options, located checks."""

from __future__ import annotations

import pytest

from shujian.bindings import apply_binding, default_inputs, expectations, normalise, parse_options, validate
from shujian.bindings.check import check, score_column
from shujian.catalog.schema import CatalogSchema, ColumnSchema, DatasetSchema
from shujian.compiler import compile_model
from shujian.spec import load_model

C = ColumnSchema
MODEL = {
    "id": "t", "name": "测试", "line": "测试", "point": "测试",
    "inputs": {
        "custody": {"dataset": "监所在押人员", "fields": {"person": "身份证号", "name": "姓名", "start": "入所日期",
                                                     "end": "出所日期"}},
        "pension": {"dataset": "养老金发放", "fields": {"person": {"semantic": "id_number"}, "month": "发放年月",
                                                   "amount": "发放金额"}},
    },
    "steps": [{"id": "paid", "join": {"left": "pension", "right": "custody", "on": ["person"],
                                      "where": "month >= start and month <= coalesce(end, today())"}},
              {"id": "per", "aggregate": {"by": ["person", "name"], "measures": {"total": "sum(amount)"}}}],
    "output": {"subject": {"type": "person", "key": "person", "name": "name"}, "title": "{person}{total}"},
}


@pytest.fixture
def model():
    return load_model(MODEL)


def demo_catalog() -> CatalogSchema:
    cat = CatalogSchema()
    cat.add(DatasetSchema("监所在押人员", "t1", (C("身份证号", semantic="id_number"), C("姓名", semantic="person_name"),
                                           C("入所日期", "DATE"), C("出所日期", "DATE"))))
    cat.add(DatasetSchema("养老金发放", "t2", (C("身份证号", semantic="id_number"), C("发放年月", "DATE"),
                                          C("发放金额", "DOUBLE"))))
    return cat


def export_catalog(start_type: str = "DATE") -> CatalogSchema:
    cat = CatalogSchema()
    cat.add(DatasetSchema("在押人员名册", "e1", (C("公民身份号码", semantic="id_number"), C("人员姓名"),
                                            C("入监时间", start_type), C("出监时间", "DATE"), C("备注"))))
    cat.add(DatasetSchema("养老金明细", "e2", (C("证件号码", semantic="id_number"), C("待遇所属期", "DATE"),
                                          C("实发金额", "DOUBLE"))))
    return cat


def test_the_model_file_is_the_default_binding(model):
    assert default_inputs(model)["pension"] == {"dataset": "养老金发放",
                                                "fields": {"person": "语义:id_number", "month": "发放年月",
                                                           "amount": "发放金额"}}
    assert apply_binding(model, None) is model and apply_binding(model, {}) is model


def test_the_rename_pass_changes_inputs_only(model):
    bound = apply_binding(model, {"custody": {"dataset": "在押人员名册", "fields": {"person": "公民身份号码"}}})
    assert bound.inputs["custody"].dataset == "在押人员名册"
    assert bound.inputs["custody"].fields["person"] == "公民身份号码"
    assert bound.inputs["custody"].fields["start"] == "入所日期"          # unmapped: the model's own column
    assert bound.inputs["pension"] == model.inputs["pension"]               # unbound role: unchanged
    assert bound.steps == model.steps and bound.output == model.output
    assert model.inputs["custody"].dataset == "监所在押人员"                 # the model itself is not touched


def test_cli_options_name_fields_by_logical_name_or_model_column(model):
    inputs, problems = parse_options(model, ["custody=在押人员名册"],
                                     ["custody.start=入监时间", "出所日期=出监时间", "month=待遇所属期",
                                      "custody.身份证号=公民身份号码"])
    assert problems == []
    assert inputs == {"custody": {"dataset": "在押人员名册", "fields": {"start": "入监时间", "end": "出监时间",
                                                                    "person": "公民身份号码"}},
                      "pension": {"fields": {"month": "待遇所属期"}}}


def test_cli_options_refuse_ambiguous_unknown_and_malformed(model):
    _, problems = parse_options(model, ["custody"], ["person=证件号码", "无此字段=x", "custody.无此=y", "ghost.a=b"])
    text = [str(p) for p in problems]
    assert text[0] == "--input: “custody”格式不对，应为 角色=数据集，例如 --input custody=在押人员名册"
    assert "字段“person”在多个输入角色中都有（custody、pension），请写明角色，例如 --map custody.person=列名" in text[1]
    assert "模型 t 的输入中没有字段“无此字段”" in text[2]
    assert "模型 t 的输入中没有字段“ghost.a”" in text[3]
    assert text[4].startswith("binding.custody.fields.无此: 输入 custody 没有字段“无此”")
    assert "字段：person（身份证号）、name（姓名）" in text[4]
    _, problems = normalise(model, {"custdy": {"dataset": "x"}})
    assert str(problems[0]) == ("binding.custdy: 模型 t 没有输入角色 custdy，是否指“custody”？"
                                "（输入角色：custody、pension）")


def test_a_complete_binding_compiles_to_the_exports(model):
    inputs = {"custody": {"dataset": "在押人员名册", "fields": {"person": "公民身份号码", "name": "人员姓名",
                                                           "start": "入监时间", "end": "出监时间"}},
              "pension": {"dataset": "养老金明细", "fields": {"month": "待遇所属期", "amount": "实发金额"}}}
    res = validate(model, inputs, export_catalog(), expectations(model, demo_catalog()))
    assert res.ok and res.warnings == []
    assert res.inputs["pension"]["fields"]["person"] == "证件号码"       # the semantic field, resolved
    sql = compile_model(apply_binding(model, res.inputs), export_catalog()).sql
    assert '"入监时间" AS "start"' in sql and "e1" in sql and "监所在押人员" not in sql


def test_unmapped_and_missing_columns_are_located_with_suggestions(model):
    res = check(model, {"custody": {"dataset": "在押人员名册", "fields": {"end": "出监日"}},
                        "pension": {"dataset": "养老金明细"}}, export_catalog(), expectations(model, demo_catalog()))
    by = {i.location: i for i in res.issues}
    person = by["binding.custody.fields.person"]
    assert person.message.startswith("输入 custody 的字段 person 没有映射：数据集“在押人员名册”中没有与模型列“身份证号”同名的列；"
                                     "可能是：“公民身份号码”（数据要素 身份证号")
    assert person.message.endswith("请映射到“在押人员名册”中的一列（--map custody.person=列名）")
    assert person.suggestions[0] == "公民身份号码"
    assert by["binding.custody.fields.start"].suggestions[0] == "入监时间"
    assert by["binding.custody.fields.end"].message.startswith("输入 custody 的字段 end 映射到的列“出监日”不在数据集"
                                                              "“在押人员名册”中；可能是：“出监时间”")
    assert by["binding.pension.fields.month"].suggestions == ["待遇所属期"]
    assert by["binding.pension.fields.amount"].suggestions == ["实发金额"]
    assert "binding.pension.fields.person" not in by                      # one 身份证号 column: resolved


def test_a_missing_dataset_suggests_the_datasets_that_fit(model):
    res = check(model, {"pension": {"dataset": "养老金"}}, export_catalog(), expectations(model, demo_catalog()))
    by = {i.location: i for i in res.issues}
    assert by["binding.pension.dataset"].message == "输入 pension 绑定的数据集“养老金”不在本院数据目录中；可能是：“养老金明细”"
    assert by["binding.custody.dataset"].message.startswith(
        "输入 custody 需要数据集“监所在押人员”（模型 t 的默认数据集），本院数据目录中没有；可能是：“在押人员名册”")


def test_a_column_of_an_incompatible_type_is_located_on_the_binding(model):
    inputs = {"custody": {"dataset": "在押人员名册", "fields": {"person": "公民身份号码", "name": "人员姓名",
                                                           "start": "入监时间", "end": "出监时间"}},
              "pension": {"dataset": "养老金明细", "fields": {"month": "待遇所属期", "amount": "实发金额"}}}
    res = validate(model, inputs, export_catalog(start_type="VARCHAR"), expectations(model, demo_catalog()))
    assert not res.ok
    first = res.issues[0]
    assert (first.location, first.kind) == ("binding.custody.fields.start", "type")
    assert first.message.startswith("输入 custody 的字段 start 映射到列“入监时间”，类型为文本（VARCHAR）；"
                                    "模型默认数据集中该列为日期（DATE）")
    assert "出监时间" in first.suggestions
    assert any(i.kind == "compile" and i.location.startswith("steps[0]") for i in res.issues)


def test_semantic_type_is_a_strong_hint_and_types_must_fit():
    from shujian.bindings import Expect

    want = Expect("身份证号", "id_number", "VARCHAR", True)
    assert score_column(C("身份证号"), want)[0] == 100
    tagged, _ = score_column(C("证件号码", semantic="id_number"), want)
    named, _ = score_column(C("身份号"), want)                       # similar name, no semantic type
    other, why = score_column(C("证件号码", "BIGINT", semantic="phone"), want)
    assert tagged > named > other and "类型不符" in why
