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
