"""Every bad input gives a located Chinese message; all problems are reported at once."""

from __future__ import annotations

import pytest

from shujian.compiler import compile_model
from shujian.errors import InputError, ValidationFailed
from shujian.spec import load_model

from .conftest import model


def problems(catalog, spec: dict, dialect: str = "duckdb", **kw) -> list[str]:
    with pytest.raises(ValidationFailed) as exc:
        compile_model(load_model(spec), catalog, dialect, **kw)
    return [str(p) for p in exc.value.problems]


def test_unknown_dataset_suggests_closest(catalog):
    spec = model([{"id": "f", "filter": "amount > 1"}], roles=("pension",))
    spec["inputs"]["pension"]["dataset"] = "养老金发"
    out = problems(catalog, spec)
    assert out == ['inputs.pension.dataset: 数据集 "养老金发" 不在目录中，是否指 "养老金发放"？']


def test_unknown_input_column_suggests(catalog):
    spec = model([{"id": "f", "filter": "amount > 1"}], roles=("pension",))
    spec["inputs"]["pension"]["fields"]["person"] = "身份证"
    out = problems(catalog, spec)
    assert out[0] == ('inputs.pension.fields.person: 列 "身份证" 不在数据集 "养老金发放" 中，'
                      '是否指 "身份证号"？')


def test_unknown_column_in_join_key(catalog):
    spec = model([{"id": "j", "join": {"left": "pension", "right": "custody", "on": ["persn"]}}],
                 roles=("pension", "custody"))
    out = problems(catalog, spec)
    assert out[0].startswith('steps[0].join.on[0]: 列 "persn" 不在左侧 in_pension 中，是否指 "person"？')


def test_unknown_column_in_expression_and_all_problems_at_once(catalog):
    spec = model([{"id": "f", "filter": {"all": ["nmae = '张三'", {"field": "savngs", "op": ">", "value": 1}]}},
                  {"id": "d", "derive": {"columns": {"x": "upper(birth)"}}}])
    out = problems(catalog, spec)
    assert out[0].startswith('steps[0].filter.all[0]: 列 "nmae" 不在') and '是否指 "name"' in out[0]
    assert out[1].startswith('steps[0].filter.all[1].field: 列 "savngs"')
    assert len(out) == 2        # step d reads the failed step f: not reported twice


@pytest.mark.parametrize("measure, text", [
    ("sum(name)", 'sum() 的参数应为数值，但 “name” 是文本（VARCHAR）'),
    ("avg(note)", 'avg() 的参数应为数值'),
    ("count(*) + min(name)", '不能对文本（VARCHAR） “MIN(name)” 做算术运算'),
])
def test_aggregate_type_errors(catalog, measure, text):
    out = problems(catalog, model([{"id": "a", "aggregate": {"by": ["person"], "measures": {"m": measure}}}]))
    assert out[0].startswith("steps[0].aggregate.measures.m: ") and text in out[0]


def test_bare_column_outside_group_by(catalog):
    out = problems(catalog, model([{"id": "a", "aggregate": {"by": ["person"], "measures": {"m": "name"}}}]))
    assert 'any_value(name)' in out[0]


@pytest.mark.parametrize("cond, text", [
    ("birth > 5", "不能比较日期（DATE） “birth” 和整数（BIGINT） “5”"),
    ("add_days(name, 3) > birth", "add_days() 的参数应为日期，但 “name” 是文本（VARCHAR）"),
    ("birth + 1 > birth", "日期请用 add_days/add_months/date_diff"),
    ("savings", "结果是小数（DOUBLE），应为真/假"),
    ("sum(savings) > 1", "聚合函数 sum() 只能用在"),
    ("row_number() > 1", "窗口函数 row_number() 只能用在 window 步骤中"),
    ("getenv('HOME') = 'x'", "不支持的函数 getenv()"),
    ("name in (select 1)", "表达式中不允许使用"),
    ("date_diff('week', birth, death) > 1", "date_diff 的单位应为"),
])
def test_expression_type_errors(catalog, cond, text):
    out = problems(catalog, model([{"id": "f", "filter": cond}]))
    assert out[0].startswith("steps[0].filter: ") and text in out[0], out


def test_compare_value_type(catalog):
    out = problems(catalog, model([{"id": "f", "filter": {"field": "birth", "op": ">", "value": 3}}]))
    assert out == ['steps[0].filter: 不能比较日期（DATE）列 "birth" 和整数（BIGINT） 3']


def test_keywords_need_text(catalog):
    out = problems(catalog, model([{"id": "f", "filter": {"keywords": {"field": "birth", "words": ["x"]}}}]))
    assert out[0].startswith("steps[0].filter.keywords.field: 关键词筛查需要文本列")


def test_unknown_and_later_and_self_references(catalog):
    spec = model([{"id": "a", "from": "peple", "filter": "savings > 0"},
                  {"id": "b", "from": "c", "filter": "savings > 0"},
                  {"id": "c", "from": "c", "filter": "savings > 0"}])
    out = problems(catalog, spec)
    assert out[0] == "steps[0].from: 没有名为 peple 的步骤或输入角色，是否指 \"people\"？"
    assert out[1] == "steps[1].from: 步骤 c 在本步骤之后，只能读取之前的步骤或输入角色"
    assert out[2] == "steps[2].from: 步骤 c 不能读取自身（循环）"


def test_unreachable_step(catalog):
    spec = model([{"id": "a", "filter": "savings > 0"},
                  {"id": "b", "from": "people", "filter": "savings > 10"}])
    out = problems(catalog, spec)
    assert out == ["steps[0]: 步骤 a 的结果没有被后续步骤使用（最后一步才是输出）"]


def test_first_step_needs_from_with_two_inputs(catalog):
    out = problems(catalog, model([{"id": "a", "filter": "amount > 0"}], roles=("pension", "custody")))
    assert out == ["steps[0].from: 第一个步骤需要用 from 指明读取哪个输入角色"]


def test_duplicate_step_id(catalog):
    out = problems(catalog, model([{"id": "a", "filter": "savings > 0"}, {"id": "a", "distinct": {}}]))
    assert any(p.startswith("steps[1].id: 步骤名 a 与之前的步骤重名") for p in out)


def test_output_fields_missing(catalog):
    spec = model([{"id": "a", "aggregate": {"by": ["person"], "measures": {"n": "count(*)"}}}],
                 title="{person|mask}共{total}次", facts=["n", "nn"], rule={"column": "rule_id"})
    out = problems(catalog, spec)
    assert 'output.facts[1]: 输出字段 "nn" 不在最后一步的列中，是否指 "n"？' in out[0]
    assert out[1].startswith('output.title: 输出字段 "total"')
    assert out[2].startswith('output.rule.column: 输出字段 "rule_id"')


def test_param_errors(catalog):
    spec = model([{"id": "f", "filter": "savings > :min and name = :who"}],
                 params={"min": {"type": "int", "default": "abc", "label": "最低"},
                         "lst": {"type": "list", "default": ["a"], "label": "列表"}})
    out = problems(catalog, spec)
    assert "params.min: 参数 min（最低）应为整数，收到 'abc'" in out
    assert any(p.startswith("steps[0].filter: 参数 :who 未在 params 中声明") for p in out)


def test_param_type_mismatch_in_expression(catalog):
    spec = model([{"id": "f", "filter": "birth > :n"}], params={"n": {"type": "int", "default": 1, "label": "n"}})
    assert "不能比较日期（DATE） “birth” 和整数（BIGINT）" in problems(catalog, spec)[0]


def test_list_param_in_expression_refused(catalog):
    spec = model([{"id": "f", "filter": "name = :names"}],
                 params={"names": {"type": "list", "default": ["a"], "label": "n"}})
    assert "列表参数 :names 只能用于 in/not_in" in problems(catalog, spec)[0]


def test_semantic_binding_missing(catalog):
    spec = model([{"id": "f", "filter": "no != ''"}], key="no", roles=("tickets",))
    spec["inputs"]["tickets"]["fields"]["no"] = {"semantic": "id_number"}
    assert "没有语义类型为 id_number 的列" in problems(catalog, spec)[0]


def test_join_column_clash_needs_prefix(catalog):
    spec = model([{"id": "j", "join": {"left": "people", "right": "custody", "on": ["person"]}}],
                 roles=("people", "custody"))
    assert '两侧都有列 "name"：请设置 right_prefix' in problems(catalog, spec)[0]


def test_union_columns_must_match(catalog):
    spec = model([{"id": "a", "from": "pension", "select": {"columns": ["person", "month"]}},
                  {"id": "b", "from": "custody", "select": {"columns": ["person"]}},
                  {"id": "u", "union": {"steps": ["a", "b"]}}], roles=("pension", "custody"))
    assert problems(catalog, spec)[0].startswith("steps[2].union.steps[1]: union 的各步骤列必须相同")


def test_window_column_must_be_window_function(catalog):
    spec = model([{"id": "w", "window": {"order_by": ["birth"], "columns": {"x": "upper(name)"}}}])
    assert "窗口列应为一个窗口函数" in problems(catalog, spec)[0]


def test_capability_missing_is_refused_where_used(catalog):
    from shujian.compiler import INFO
    spec = model([{"id": "a", "aggregate": {"by": ["person", "name"], "measures": {"n": "count(*)"}}},
                  {"id": "b", "aggregate": {"by": ["person"], "measures": {"m": "sum(n)"}}}])
    caps = INFO["postgres"].capabilities - {"evidence.nested_list"}
    out = problems(catalog, spec, "postgres", capabilities=caps)
    assert out == ["steps[1]: 模型使用 evidence.nested_list；postgres 引擎不支持"]
    compile_model(load_model(spec), catalog, "postgres")          # the declared set has it


def test_capability_override_names_the_function(catalog):
    from shujian.compiler import INFO
    caps = INFO["spark"].capabilities - {"regexp_matches"}
    spec = model([{"id": "f", "filter": "regexp_matches(name, '^张')"}])
    out = problems(catalog, spec, "spark", capabilities=caps)
    assert out == ["steps[0].filter: 模型使用 regexp_matches；spark 引擎不支持"]


def test_unknown_dialect(catalog):
    with pytest.raises(InputError, match="不支持的引擎方言 oracle"):
        compile_model(load_model(model([{"id": "f", "filter": "savings > 0"}])), catalog, "oracle")
