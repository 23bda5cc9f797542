"""Parameters: CLI coercion with Chinese errors, binding (values never pasted into SQL)."""

from __future__ import annotations

import datetime as dt

import pytest

from shujian.compiler import check_params, compile_model
from shujian.errors import ValidationFailed
from shujian.spec import load_model

from .conftest import model, run

PARAMS = {
    "n": {"type": "int", "default": 1, "label": "次数", "min": 0, "max": 10},
    "x": {"type": "float", "default": 1.5, "label": "比例"},
    "who": {"type": "str", "default": "张三", "label": "姓名"},
    "since": {"type": "date", "default": "2020-01-01", "label": "起始日期"},
    "on": {"type": "bool", "default": False, "label": "开关"},
    "words": {"type": "list", "default": ["a"], "label": "关键词"},
    "kind": {"type": "str", "default": "甲", "label": "类别", "choices": ["甲", "乙"]},
}


def spec_with_params(steps=None) -> dict:
    return model(steps or [{"id": "f", "filter": "name = :who"}], params=PARAMS)


def test_check_params_coerces_cli_strings():
    m = load_model(spec_with_params())
    out = check_params(m, {"n": "3", "x": "2", "since": "2024-02-29", "on": "是", "words": "预付卡，跑路, 退费"})
    assert out == {"n": 3, "x": 2.0, "who": "张三", "since": dt.date(2024, 2, 29), "on": True,
                   "words": ["预付卡", "跑路", "退费"], "kind": "甲"}


def test_check_params_reports_every_problem_in_chinese():
    m = load_model(spec_with_params())
    with pytest.raises(ValidationFailed) as exc:
        check_params(m, {"n": "3.5", "since": "2024-13-01", "on": "maybe", "kind": "丙", "nope": "1"})
    msgs = [str(p) for p in exc.value.problems]
    assert msgs[0] == "params.nope: 模型没有参数 nope；可用参数：n, x, who, since, on, words, kind"
    assert "params.n: 参数 n（次数）应为整数，收到 '3.5'" in msgs
    assert "params.since: 参数 since（起始日期）应为日期（YYYY-MM-DD），收到 '2024-13-01'" in msgs
    assert "params.on: 参数 on（开关）应为是/否（true/false），收到 'maybe'" in msgs
    assert "params.kind: 参数 kind（类别）的取值 ['丙'] 不在可选范围 ['甲', '乙'] 中" in msgs


def test_range_checks():
    m = load_model(spec_with_params())
    with pytest.raises(ValidationFailed, match="不能大于 10"):
        check_params(m, {"n": "11"})
    with pytest.raises(ValidationFailed, match="不能小于 0"):
        check_params(m, {"n": "-1"})


def test_injection_attempt_is_just_data(con, catalog):
    evil = "'; DROP TABLE ds_people; --"
    m = load_model(spec_with_params())
    compiled = compile_model(m, catalog, "duckdb", params={"who": evil})
    assert evil not in compiled.sql and "DROP" not in compiled.sql
    assert "$who" in compiled.sql and compiled.parameters == {"who": evil}
    assert con.execute(compiled.sql, compiled.parameters).fetchall() == []
    assert con.execute("SELECT count(*) FROM ds_people").fetchone() == (3,)
    assert [r["person"] for r in run(con, catalog, spec_with_params(), params={"who": "李四"})] == ["B"]


def test_list_param_binds_one_placeholder_per_element(catalog):
    m = load_model(spec_with_params([{"id": "f", "filter": {"keywords": {"field": "note", "param": "words"}}}]))
    for dialect, mark in (("spark", ":words_1"), ("postgres", "%(words_1)s")):
        compiled = compile_model(m, catalog, dialect, params={"words": ["低保", "x'); --"]})
        assert mark in compiled.sql and "x');" not in compiled.sql
        assert compiled.parameters == {"words_0": "低保", "words_1": "x'); --"}
    # DuckDB screens any/none keywords with one bound pattern (escaped alternation) instead, and a
    # pattern of a few words as substring tests, each word bound again (compiler.patterns)
    compiled = compile_model(m, catalog, "duckdb", params={"words": ["低保", "x'); --"]})
    assert "$words__pattern__1" in compiled.sql and "x'" not in compiled.sql
    assert compiled.parameters == {"words__pattern__0": "低保", "words__pattern__1": "x'); --"}
    many = ["低保", "x'); --", "a", "b", "c", "d", "e"]
    compiled = compile_model(m, catalog, "duckdb", params={"words": many})
    assert "$words__pattern" in compiled.sql and "x'" not in compiled.sql
    assert compiled.parameters == {"words__pattern": "低保|x\\'\\)\\; \\-\\-|a|b|c|d|e"}


def test_postgres_percent_is_escaped_for_psycopg(catalog):
    m = load_model(spec_with_params([{"id": "f", "filter": "name like '%三' and name = :who"}]))
    sql = compile_model(m, catalog, "postgres").sql
    assert "'%%三'" in sql and "%(who)s" in sql


def test_only_used_params_are_bound(catalog):
    compiled = compile_model(load_model(spec_with_params()), catalog, "duckdb")
    assert compiled.parameters == {"who": "张三"}


def test_date_param_binds_as_date(con, catalog):
    steps = [{"id": "f", "filter": {"field": "birth", "op": ">=", "param": "since"}}]
    m = load_model(spec_with_params(steps))
    compiled = compile_model(m, catalog, "duckdb", params={"since": "1950-01-01"})
    assert compiled.parameters == {"since": dt.date(1950, 1, 1)}
    assert sorted(r[0] for r in con.execute(compiled.sql, compiled.parameters).fetchall()) == ["A", "C"]
