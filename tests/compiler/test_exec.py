"""Each step kind compiled for DuckDB and executed on small in-memory tables."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from shujian.compiler import compile_model
from shujian.spec import load_model

from .conftest import model, run

FIXTURES = Path(__file__).parents[1] / "fixtures" / "models"
D = dt.date


def test_filter_compare_in_between_null(con, catalog):
    spec = model([{"id": "f", "filter": {"all": [
        {"field": "birth", "op": "between", "value": ["1945-01-01", "1965-01-01"]},
        {"field": "name", "op": "in", "value": ["张三", "王五", "李四"]},
        {"not": {"field": "death", "op": "is_null"}},
        "savings >= 0"]}}])
    assert [r["person"] for r in run(con, catalog, spec)] == ["C"]


def test_filter_any_and_param(con, catalog):
    spec = model([{"id": "f", "filter": {"any": [{"field": "savings", "op": ">", "param": "min"},
                                                 {"field": "note", "op": "=", "value": "无"}]}}],
                 params={"min": {"type": "float", "default": 500, "label": "最低"}})
    assert [r["person"] for r in run(con, catalog, spec)] == ["A", "C"]
    assert [r["person"] for r in run(con, catalog, spec, params={"min": 10})] == ["A", "B", "C"]


def test_filter_in_list_param_and_empty_list(con, catalog):
    spec = model([{"id": "f", "filter": {"field": "name", "op": "in", "param": "names"}}],
                 params={"names": {"type": "list", "default": ["张三", "李四"], "label": "姓名"}})
    assert [r["person"] for r in run(con, catalog, spec)] == ["A", "B"]
    assert run(con, catalog, spec, params={"names": []}) == []


def test_filter_keywords_any_all_none(con, catalog):
    def hits(kw: dict) -> list[str]:
        spec = model([{"id": "f", "filter": {"keywords": {"field": "content", **kw}}}],
                     key="no", roles=("tickets",))
        return [r["no"] for r in run(con, catalog, spec)]

    assert hits({"match": "any", "words": ["跑路"]}) == ["T1", "T4", "T6", "T8"]
    assert hits({"match": "all", "words": ["关门", "不退"]}) == ["T2", "T7"]
    none = hits({"match": "none", "words": ["跑路", "关门", "退"]})
    assert none == ["T5"]


def test_filter_expression_with_date_arithmetic(con, catalog):
    spec = model([{"id": "f", "filter": "add_months(birth, 12 * 60) <= today() and year(birth) < 1955"}])
    assert [r["person"] for r in run(con, catalog, spec)] == ["A", "B"]


def test_join_inner_with_where_and_param(con, catalog):
    spec = model([{"id": "j", "join": {"left": "pension", "right": "custody", "on": ["person"],
                                       "where": "month > add_months(start, :grace) and "
                                                "month <= coalesce(end, today())"}}],
                 roles=("custody", "pension"), sort="_ev_pension",
                 params={"grace": {"type": "int", "default": 1, "label": "容忍"}})
    rows = run(con, catalog, spec)
    a = [r for r in rows if r["person"] == "A"]
    assert [r["month"] for r in a] == [D(2023, m, 1) for m in (3, 4, 5, 6)]
    assert all(r["_ev_custody"] == 1 for r in a)           # scalar evidence after a join
    assert [r["_ev_pension"] for r in a] == [3, 4, 5, 6]
    assert not [r for r in rows if r["person"] == "D"]
    two = run(con, catalog, spec, params={"grace": 3})
    assert len([r for r in two if r["person"] == "A"]) == 2


def test_join_left_keeps_unmatched(con, catalog):
    spec = model([{"id": "j", "join": {"left": "people", "right": "custody", "type": "left",
                                       "on": ["person"], "right_prefix": "c_"}}],
                 roles=("people", "custody"))
    rows = run(con, catalog, spec)
    assert [(r["person"], r["c_kind"]) for r in rows] == [("A", "逮捕"), ("B", "行政拘留"), ("C", "逮捕")]
    assert rows[0]["name"] == "张三" and rows[0]["c_name"] == "甲"


def test_join_semi_and_anti(con, catalog):
    def merchants(kind: str) -> list[str]:
        spec = model([{"id": "j", "join": {"left": "tickets", "right": "filings", "type": kind,
                                           "on": ["merchant"]}}],
                     key="no", roles=("tickets", "filings"))
        rows = run(con, catalog, spec)
        assert all("_ev_filings" not in r for r in rows)     # the other side contributes no evidence
        return sorted({r["merchant"] for r in rows}, key=str)

    assert merchants("semi") == ["书店", "健身房"]
    assert merchants("anti") == [None, "美容店", "面馆"]


def test_join_overlap_open_end(con, catalog):
    spec = model([{"id": "d", "from": "people", "derive": {"columns": {
                      "d_start": "add_days(death, 0)", "d_end": "add_days(death, 30)"}}},
                  {"id": "j", "join": {"left": "d", "right": "custody", "on": ["person"],
                                       "overlap": {"left_start": "d_start", "left_end": "d_end",
                                                   "right_start": "start", "right_end": "end"},
                                       "right_prefix": "c_"}}],
                 roles=("people", "custody"))
    # B died 2023-03-10 inside [2023-01-10, 2023-06-01]; C died 2023-08-01, custody open-ended
    assert [r["person"] for r in run(con, catalog, spec)] == ["B", "C"]


def test_join_within_days_and_months(con, catalog):
    def hits(within: dict) -> list[tuple]:
        spec = model([{"id": "j", "join": {"left": "custody", "right": "pension", "on": ["person"],
                                           "within": within}}],
                     roles=("custody", "pension"))
        return sorted((r["person"], r["month"].month) for r in run(con, catalog, spec))

    assert hits({"left": "start", "right": "month", "days": 30}) == [("A", 2), ("B", 2), ("C", 2)]
    assert hits({"left": "start", "right": "month", "months": 1, "direction": "before"}) == [
        ("A", 1), ("B", 1), ("C", 1)]
    assert len(hits({"left": "start", "right": "month", "months": 2, "direction": "either"})) == 9


def test_derive_functions(con, catalog):
    spec = model([{"id": "d", "derive": {"columns": {
        "label": "concat(upper(person), '-', trim(coalesce(note, '空')))",
        "age_months": "date_diff('month', birth, cast('2024-01-01' as date))",
        "days_alive": "date_diff('day', birth, death)",
        "ms": "month_start(birth)",
        "level": "case when savings > 100 then '高' when savings > 0 then '中' else '低' end",
        "short": "substr(name, 1, 1)", "n": "length(name)",
        "is_low": "contains(coalesce(note, ''), '低保') or regexp_matches(name, '^王')",
        "big": "greatest(savings, 50) + least(1, 2)"}}}])
    rows = {r["person"]: r for r in run(con, catalog, spec)}
    assert rows["A"]["label"] == "A-低保 户" and rows["B"]["label"] == "B-空"
    assert rows["A"]["age_months"] == (2024 - 1950) * 12 - 2
    assert rows["B"]["days_alive"] == (D(2023, 3, 10) - D(1940, 12, 1)).days
    assert rows["A"]["days_alive"] is None
    assert rows["C"]["ms"] == D(1960, 7, 1)
    assert [rows[p]["level"] for p in "ABC"] == ["高", "中", "低"]
    assert rows["B"]["short"] == "李" and rows["B"]["n"] == 2
    assert [rows[p]["is_low"] for p in "ABC"] == [True, False, True]
    assert rows["B"]["big"] == 51


def test_aggregate_having_list_and_evidence(con, catalog):
    spec = model([{"id": "a", "aggregate": {"by": ["person"], "measures": {
                      "n": "count(*)", "total": "sum(amount)", "first": "min(month)",
                      "avg_amt": "avg(amount)", "months": "list(month)",
                      "some": "any_value(amount) > 0"},
                  "having": "total > 1200 and n >= 12 and person != 'D'"}}],
                 roles=("pension",))
    rows = run(con, catalog, spec)
    assert [r["person"] for r in rows] == ["A", "B", "C"]
    a = rows[0]
    assert a["n"] == 12 and a["total"] == sum(100 + m for m in range(1, 13))
    assert a["first"] == D(2023, 1, 1) and len(a["months"]) == 12 and a["some"] is True
    assert a["_ev_pension"] == list(range(1, 13))          # a capped list after aggregation


def test_aggregate_evidence_cap(con, catalog):
    spec = load_model(model([{"id": "a", "aggregate": {"by": ["person"], "measures": {"n": "count(*)"}}}],
                            roles=("pension",)))
    compiled = compile_model(spec, catalog, "duckdb", evidence_cap=5)
    rows = con.execute(compiled.sql, compiled.parameters).fetchall()
    assert all(len(r[-1]) == 5 for r in rows)
    assert [(e.role, e.is_list) for e in compiled.evidence] == [("pension", True)]


def test_window_rank_lag_and_moving_sum(con, catalog):
    spec = model([{"id": "w", "window": {"partition_by": ["person"], "order_by": ["month desc"],
                                         "columns": {"rn": "row_number()", "nxt": "lag(amount)",
                                                     "last3": "sum(amount)"},
                                         "rows_preceding": 2}},
                  {"id": "f", "filter": {"field": "rn", "op": "<=", "value": 2}}],
                 roles=("pension",), sort="_ev_pension")
    rows = [r for r in run(con, catalog, spec) if r["person"] == "A"]
    assert [r["rn"] for r in rows] == [2, 1]
    assert rows[1]["nxt"] is None and rows[0]["nxt"] == 112
    assert rows[0]["last3"] == 112 + 111


def test_union_all_and_distinct_align_evidence(con, catalog):
    steps = [{"id": "p", "from": "pension", "select": {"columns": ["person"]}},
             {"id": "c", "from": "custody", "select": {"columns": ["person"]}},
             {"id": "u", "union": {"steps": ["p", "c"]}}]
    rows = run(con, catalog, model(steps, roles=("pension", "custody")))
    assert len(rows) == 48 + 3
    from_custody = [r for r in rows if r["_ev_custody"] is not None]
    assert len(from_custody) == 3 and all(r["_ev_pension"] is None for r in from_custody)
    steps.append({"id": "d", "distinct": {}})
    rows = run(con, catalog, model(steps, roles=("pension", "custody")))
    assert [r["person"] for r in rows] == ["A", "B", "C", "D"]
    assert rows[0]["_ev_pension"] == list(range(1, 13)) and rows[0]["_ev_custody"] == [1]
    assert rows[3]["_ev_custody"] == []


def test_union_distinct_flag(con, catalog):
    steps = [{"id": "p", "from": "pension", "select": {"columns": ["person"]}},
             {"id": "q", "from": "pension", "select": {"columns": ["person"]}},
             {"id": "s1", "from": "p", "distinct": {}}, {"id": "s2", "from": "q", "distinct": {}},
             {"id": "u", "union": {"steps": ["s1", "s2"], "distinct": True}}]
    assert len(run(con, catalog, model(steps, roles=("pension",)))) == 4


def test_components_links_people_sharing_events(con, catalog):
    spec = model([{"id": "g", "components": {"node": "person", "event": "event", "component": "gang"}}],
                 roles=("events",))
    rows = {r["person"]: r for r in run(con, catalog, spec)}
    assert {p: r["gang"] for p, r in rows.items()} == {
        "P1": "P1", "P2": "P1", "P3": "P1", "P4": "P1", "P5": "P5", "P6": "P5", "P7": "P7"}
    assert rows["P2"]["_ev_events"] == [2, 3]


def test_components_long_chain_converges(con):
    con.execute("CREATE OR REPLACE TABLE ds_chain AS SELECT i AS _row_id, 'E' || (i // 2) AS ev, "
                "'N' || lpad(((i + 1) // 2)::VARCHAR, 3, '0') AS node FROM range(0, 60) t(i)")
    from shujian.catalog.schema import CatalogSchema, ColumnSchema, DatasetSchema
    cat = CatalogSchema()
    cat.add(DatasetSchema("链", "ds_chain", (ColumnSchema("ev"), ColumnSchema("node"))))
    spec = load_model({"id": "c", "name": "链", "line": "x", "point": "x",
                       "inputs": {"e": {"dataset": "链", "fields": {"ev": "ev", "node": "node"}}},
                       "steps": [{"id": "g", "components": {"node": "node", "event": "ev"}}],
                       "output": {"subject": {"type": "case", "key": "component"}, "title": "{component}"}})
    compiled = compile_model(spec, cat, "duckdb")
    labels = {r[1] for r in con.execute(compiled.sql).fetchall()}
    assert labels == {"N000"}                                  # a 30-hop chain, 8 rounds


def test_pension_fixture_end_to_end(con, catalog):
    compiled = compile_model(load_model(FIXTURES / "pension_during_custody.yaml"), catalog, "duckdb")
    rows = con.execute(compiled.sql, compiled.parameters).fetchall()
    by = {r[0]: r for r in rows}
    assert set(by) == {"A", "C"}                     # B was in 行政拘留, not a custody kind
    assert by["A"][2] == 4 and by["C"][2] == 10
    assert compiled.datasets == ["监所在押人员", "养老金发放"]
    assert compiled.output_columns[-3:] == ["_rule", "_ev_pension", "_ev_custody"]


def test_gang_fixture_end_to_end(con, catalog):
    compiled = compile_model(load_model(FIXTURES / "gang_components.yaml"), catalog, "duckdb")
    rows = con.execute(compiled.sql, compiled.parameters).fetchall()
    assert [(r[0], r[1], r[2]) for r in rows] == [("P1", 4, 3)]
    assert rows[0][3] == ["P1", "P2", "P3", "P4"]


def test_prepaid_fixture_end_to_end(con, catalog):
    compiled = compile_model(load_model(FIXTURES / "prepaid_card_hotline.yaml"), catalog, "duckdb")
    rows = con.execute(compiled.sql, compiled.parameters).fetchall()
    assert [(r[0], r[1]) for r in rows] == [("美容店", 3)]
    assert rows[0][-1] == [1, 2, 3]


def test_doc_example_is_the_fixture_and_runs(con, catalog):
    import re
    doc = (Path(__file__).parents[2] / "docs" / "model-language.md").read_text(encoding="utf-8")
    section = doc.split("## 12.", 1)[1]
    block = re.search(r"```yaml\n(.*?)```", section, re.S).group(1)
    documented = load_model(block)
    fixture = load_model(FIXTURES / "pension_during_custody.yaml")
    assert documented.steps == fixture.steps and documented.output == fixture.output
    compiled = compile_model(documented, catalog, "duckdb", params={"grace_months": 0})
    rows = {r[0]: r for r in con.execute(compiled.sql, compiled.parameters).fetchall()}
    assert rows["A"][2] == 5                          # Feb..Jun once the grace month is removed


def test_within_months_from_param(con, catalog):
    spec = model([{"id": "j", "join": {"left": "custody", "right": "pension", "on": ["person"],
                                       "within": {"left": "start", "right": "month", "months": ":m"}}}],
                 roles=("custody", "pension"), params={"m": {"type": "int", "default": 2, "label": "月数"}})
    assert len(run(con, catalog, spec)) == 6                # Feb and Mar for A, B, C
    assert len(run(con, catalog, spec, params={"m": 3})) == 9


def test_optional_input_missing_from_catalog(con, catalog):
    from copy import deepcopy
    smaller = deepcopy(catalog)
    del smaller.datasets["预付卡备案"]
    compiled = compile_model(load_model(FIXTURES / "prepaid_card_hotline.yaml"), smaller, "duckdb")
    rows = con.execute(compiled.sql, compiled.parameters).fetchall()
    assert sorted(r[0] for r in rows) == ["书店", "美容店"]       # nothing filed: 书店 is back
    assert "预付卡备案" not in compiled.datasets


def test_fixture_models_compile_for_every_dialect(catalog):
    import sqlglot
    for path in sorted(FIXTURES.glob("*.yaml")):
        for dialect in ("duckdb", "spark", "postgres"):
            compiled = compile_model(load_model(path), catalog, dialect)
            sqlglot.parse_one(compiled.sql, read=dialect)
            assert compiled.parameters and all(str(v) not in compiled.sql
                                               for v in compiled.parameters.values() if len(str(v)) > 2)


def test_list_distinct_is_list(con, catalog):
    """list(distinct x) means list(x) (list is distinct already) and renders valid SQL in every dialect
    (PostgreSQL once came out as ARRAY_AGG(DISTINCT DISTINCT …))."""
    import sqlglot

    steps = [{"id": "a", "aggregate": {"by": ["person"], "measures": {
        "plain": "list(amount)", "dist": "list(distinct amount)"}}}]
    rows = run(con, catalog, model(steps, roles=("pension",)))
    assert rows and all(r["plain"] == r["dist"] for r in rows)
    for dialect in ("duckdb", "spark", "postgres"):
        sql = compile_model(load_model(model(steps, roles=("pension",))), catalog, dialect).sql
        assert "DISTINCT DISTINCT" not in sql.upper()
        sqlglot.parse_one(sql, read=dialect)
