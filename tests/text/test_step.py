"""The ``text`` step of the model language: compiled SQL, DuckDB and Spark runs, capabilities."""

from __future__ import annotations

import json

import pytest

from shujian.compiler import compile_model
from shujian.demo.evaluate import load_tables, run_model_on
from shujian.errors import ValidationFailed
from shujian.spec import load_model
from shujian.text.library import rule_source

ROWS = [
    {"编号": "A1", "主题": "预付卡", "详情": "我在力美健身办卡3000元，现在老板跑路了", "时间": "2024-01-01"},
    {"编号": "A2", "主题": "建议", "详情": "让数据多跑路，群众少跑路", "时间": "2024-01-02"},
    {"编号": "A3", "主题": "噪音", "详情": "晚上很难再关门闭窗_x000D_\n睡不着", "时间": "2024-01-03"},
    {"编号": "A4", "主题": None, "详情": None, "时间": "2024-01-04"},
    {"编号": "A5", "主题": "美容", "详情": "在丽人坊美容院充值5000元，店铺已转让，新老板不认会员卡", "时间": "2024-01-05"},
]


def model(later: tuple[dict, ...] = (), **text) -> object:
    step = {"fields": ["title", "body"], "rule": rule_source("prepaid-card"), "merchant": "merchant",
            "merchant_key": "mkey", **text}
    return load_model({
        "id": "t-text", "name": "文本步骤", "line": "公益诉讼检察", "point": "预付卡",
        "inputs": {"msg": {"dataset": "12345工单", "fields": {"no": "编号", "title": "主题", "body": "详情"}}},
        "steps": [{"id": "hits", "from": "msg", "text": step}, *later],
        "output": {"subject": {"type": "case", "key": "no"}, "title": "{no}", "facts": ["text_words"]}})


def run(m) -> list[dict]:
    con, catalog = load_tables({"12345工单": ROWS})
    try:
        return run_model_on(con, catalog, m)
    finally:
        con.close()


def test_text_step_runs_on_duckdb_with_explanations():
    rows = {r["no"]: r for r in run(model())}
    assert set(rows) == {"A1", "A5"}
    explain = json.loads(rows["A1"]["text_match"])
    assert explain["rule"] == "预付式消费投诉" and explain["hits"][0]["words"] == ["办卡", "跑路"]
    assert rows["A1"]["text_words"] == "办卡、跑路、预付" and rows["A1"]["mkey"] == "力美健身"
    assert rows["A5"]["merchant"] == "丽人坊美容院"


def test_keep_all_marks_the_non_matches():
    rows = {r["no"]: r for r in run(model(keep="all"))}
    assert len(rows) == 5 and rows["A2"]["text_match"] is None and rows["A4"]["merchant"] is None


def test_compiled_sql_has_a_prefilter_and_the_function():
    con, catalog = load_tables({"12345工单": ROWS})
    duck = compile_model(model(), catalog, "duckdb")
    # DuckDB: the prefilter in C (shujian_text_pre, tests/text/test_prefilter.py); Spark: regular expressions
    assert "SHUJIAN_TEXT_PRE(" in duck.sql and "SHUJIAN_TEXT(" in duck.sql and "text.rules" in duck.capabilities
    on_spark = compile_model(model(), catalog, "spark")
    assert " RLIKE " in on_spark.sql and "__tx['matched']" in on_spark.sql
    with pytest.raises(ValidationFailed, match="text.rules；postgres 引擎不支持"):
        compile_model(model(), catalog, "postgres")


def _config(sql: str) -> dict:
    start = sql.index("'{\"rule\"")
    return json.loads(sql[start + 1:sql.index("}'", start) + 1])


def test_the_function_computes_only_the_fields_read():
    """A model whose later steps do not read the explanation: the call's config asks for the fields
    still read, merchants for matching rows only — and the rows are those of the full function."""
    narrow = model(({"id": "sel", "select": {"columns": ["no", "text_words", "mkey"]}},))
    con, catalog = load_tables({"12345工单": ROWS})
    config = _config(compile_model(narrow, catalog, "duckdb").sql)
    assert config["outputs"] == ["merchant_key", "words"] and config["matched_only"] is True
    full = _config(compile_model(model(), catalog, "duckdb").sql)       # the last step read whole
    assert full["outputs"] == ["explain", "merchant", "merchant_key", "words"]
    assert "matched_only" not in _config(compile_model(model(keep="all"), catalog, "duckdb").sql)
    got = {r["no"]: (r["text_words"], r["mkey"]) for r in run(narrow)}
    assert got == {r["no"]: (r["text_words"], r["mkey"]) for r in run(model())}
    assert got["A1"] == ("办卡、跑路、预付", "力美健身")


def test_text_step_problems_are_located():
    con, catalog = load_tables({"12345工单": [{"编号": 1, "主题": "x", "详情": "y"}]})
    bad = load_model({**model().model_dump(mode="json", by_alias=True, exclude_none=True),
                      "steps": [{"id": "hits", "from": "msg", "text": {"field": "nope", "rule": {"any": "退"}}}]})
    with pytest.raises(ValidationFailed, match=r"steps\[0\].text.field"):
        compile_model(bad, catalog, "duckdb")
    num = load_model({**model().model_dump(mode="json", by_alias=True, exclude_none=True),
                      "steps": [{"id": "hits", "from": "msg", "text": {"field": "no", "rule": {"any": "退"}}}]})
    with pytest.raises(ValidationFailed, match="需要文本列"):
        compile_model(num, catalog, "duckdb")


@pytest.mark.spark
def test_spark_gives_the_same_matches(spark):
    from shujian.engines.spark_engine import SparkEngine
    from shujian.text.udf import register_spark

    con, catalog = load_tables({"12345工单": ROWS})
    duck = sorted((r["no"], r["text_match"], r["mkey"]) for r in run_model_on(con, catalog, model()))
    table = con.execute("SELECT * FROM t_1").to_arrow_table()
    spark.createDataFrame(table.to_pandas()).createOrReplaceTempView("t_1")
    register_spark(spark)
    compiled = compile_model(model(), catalog, "spark")
    out = SparkEngine(spark).execute(compiled.sql, compiled.parameters).table.to_pylist()
    assert sorted((r["no"], r["text_match"], r["mkey"]) for r in out) == duck
