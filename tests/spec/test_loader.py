from __future__ import annotations

import json
from pathlib import Path

import pytest

from shujian.errors import ValidationFailed
from shujian.spec import Model, json_schema, load_model

FIXTURES = Path(__file__).parents[1] / "fixtures" / "models"

BASE = """\
id: m
name: 测试
line: 刑事检察
point: 测试点
inputs:
  a: {dataset: d, fields: {x: 列1}}
steps:
  - id: s1
    filter: "x > 1"
output: {subject: {type: person, key: x}, title: "{x}"}
"""


def problems(text: str) -> list[str]:
    with pytest.raises(ValidationFailed) as exc:
        load_model(text)
    return [str(p) for p in exc.value.problems]


@pytest.mark.parametrize("path", sorted(FIXTURES.glob("*.yaml")), ids=lambda p: p.stem)
def test_fixtures_load_and_round_trip(path: Path) -> None:
    model = load_model(path)
    again = load_model(json.loads(model.model_dump_json(by_alias=True, exclude_none=True)))
    assert again == model


def test_base_loads_from_text_and_dict() -> None:
    m = load_model(BASE)
    assert m.steps[0].kind == "filter" and m.steps[0].filter == "x > 1"
    assert load_model(m.model_dump(by_alias=True)) == m


def test_yaml_on_key_is_not_a_boolean() -> None:
    m = load_model(FIXTURES / "pension_during_custody.yaml")
    assert m.steps[1].join.on == ["person"]


def test_unknown_key_located_with_line() -> None:
    out = problems(BASE.replace('filter: "x > 1"', 'filtr: "x > 1"'))
    assert any(p.startswith("steps[0].filtr（第 9 行）") and "未知的键" in p for p in out)


def test_wrong_types_located() -> None:
    text = BASE.replace('filter: "x > 1"', "join: {right: a, on: [{left: x}], type: outer}")
    out = problems(text)
    assert any(p.startswith("steps[0].join.on[0].right") and "缺少必填项" in p for p in out)
    assert any(p.startswith("steps[0].join.type") for p in out)


def test_two_kinds_in_one_step_refused() -> None:
    out = problems(BASE.replace('filter: "x > 1"', 'filter: "x > 1"\n    distinct: {}'))
    assert any("只能有一种类型" in p for p in out)


def test_steps_and_sql_exclusive() -> None:
    out = problems(BASE + 'sql: "select 1"\n')
    assert any("steps 或 sql" in p for p in out)


def test_bad_condition_and_compare() -> None:
    text = BASE.replace('filter: "x > 1"', "filter: {all: [{field: x, op: '>'}, 3]}")
    out = problems(text)
    assert any(p.startswith("steps[0].filter.all[0]") and "value、param、expr" in p for p in out)
    assert any(p.startswith("steps[0].filter.all[1]") and "条件应为" in p for p in out)


def test_param_names_and_version() -> None:
    text = BASE + "params: {坏名: {type: int, label: x}}\nversion: v1\n"
    out = problems(text)
    assert any(p.startswith("params") and "参数名" in p for p in out)
    assert any(p.startswith("version") for p in out)


def test_title_placeholders() -> None:
    m = load_model(FIXTURES / "pension_during_custody.yaml")
    assert m.title_placeholders() == ["person", "months", "total"]


def test_json_schema_exports_aliases() -> None:
    schema = json_schema()
    assert "from" in schema["$defs"]["Step"]["properties"]
    assert set(schema["required"]) >= {"id", "name", "output"}
    assert Model.model_json_schema()  # plain export works too


ARCHITECTURE_SKETCH = """\
id: pension-during-custody
name: 服刑人员违规领取养老金监督模型
line: 刑事执行检察            # 业务条线
point: 养老金停发             # 监督点
legal_basis:
  - {law: 劳社厅函〔2001〕44号, article: "", summary: 服刑期间停发基本养老金}
  - {law: 社会保险法, article: 第八十八条}
params:
  grace_months: {type: int, default: 1, label: 发放滞后容忍月数}
inputs:
  custody: {dataset: 监所在押人员, fields: {person: 身份证号, start: 入所日期, end: 出所日期}}
  pension: {dataset: 养老金发放,   fields: {person: 身份证号, month: 发放年月, amount: 发放金额}}
steps:
  - join: {left: pension, right: custody, on: [person], type: inner,
           where: "month > add_months(start, :grace_months) and month <= coalesce(end, current_date)"}
  - aggregate: {by: [person], measures: {months: count(*), total: sum(amount)}}
output:
  subject: {type: person, key: person}
  title: "{person|mask}服刑期间领取养老金{months}个月，合计{total}元"
  facts: [months, total]
  measure: 检察建议
"""


def test_architecture_sketch_loads_with_default_step_ids() -> None:
    m = load_model(ARCHITECTURE_SKETCH)
    assert [s.id for s in m.steps] == ["step1", "step2"]
    assert m.steps[0].join.on == ["person"] and m.output.rule == "R1"
