"""Golden SQL per step kind per dialect (tests/fixtures/compiler/<case>.<dialect>.sql).

Regenerate with ``SHUJIAN_UPDATE_GOLDEN=1 pytest tests/compiler/test_golden.py`` and review the diff.
DuckDB output is executed; Spark and PostgreSQL output must parse in that dialect.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest
import sqlglot

from shujian.compiler import compile_model
from shujian.spec import load_model

from .conftest import model

GOLDEN = Path(__file__).parents[1] / "fixtures" / "compiler"
UPDATE = os.environ.get("SHUJIAN_UPDATE_GOLDEN") == "1"
P = {"min": {"type": "float", "default": 10, "label": "最低金额"},
     "words": {"type": "list", "default": ["跑路", "关门"], "label": "关键词"},
     "grace": {"type": "int", "default": 1, "label": "容忍月数"}}

CASES: dict[str, tuple[str, dict]] = {
    "filter": ("filter: condition tree, in/between/null, keywords from a list param", model([
        {"id": "f", "filter": {"all": [
            {"field": "savings", "op": ">", "param": "min"},
            {"field": "birth", "op": "between", "value": ["1940-01-01", "1960-12-31"]},
            {"any": [{"field": "death", "op": "is_null"}, "year(death) >= 2023"]},
            {"not": {"keywords": {"field": "note", "match": "any", "param": "words"}}}]}}], params=P)),
    "join_inner": ("join inner with a free condition using date arithmetic", model([
        {"id": "paid", "join": {"left": "pension", "right": "custody", "on": ["person"],
                                "where": "month > add_months(start, :grace) and month <= coalesce(end, today())"}}],
        roles=("pension", "custody"), params=P)),
    "join_left": ("join left with right_prefix", model([
        {"id": "j", "join": {"left": "people", "right": "custody", "type": "left", "on": ["person"],
                             "right_prefix": "c_"}}], roles=("people", "custody"))),
    "join_semi": ("join semi = has a matching record", model([
        {"id": "j", "join": {"left": "tickets", "right": "filings", "type": "semi", "on": ["merchant"]}}],
        key="no", roles=("tickets", "filings"))),
    "join_anti": ("join anti = has no matching record within 30 days", model([
        {"id": "j", "join": {"left": "tickets", "right": "filings", "type": "anti", "on": ["merchant"],
                             "within": {"left": "date", "right": "filed", "days": 30, "direction": "either"}}}],
        key="no", roles=("tickets", "filings"))),
    "join_overlap": ("join with interval overlap (open end = today)", model([
        {"id": "j", "join": {"left": "custody", "right": "pension", "on": ["person"],
                             "overlap": {"left_start": "start", "left_end": "end",
                                         "right_start": "month", "right_end": "month"}}}],
        roles=("custody", "pension"))),
    "derive": ("derive: string, date and case expressions", model([
        {"id": "d", "derive": {"columns": {
            "label": "concat(upper(person), '-', trim(coalesce(note, '')))",
            "age": "date_diff('year', birth, today())", "ms": "month_start(birth)",
            "later": "add_days(birth, 30)", "level": "case when savings > :min then '高' else '低' end",
            "is_a": "regexp_matches(name, '^张') or starts_with(name, '李')"}}}], params=P)),
    "aggregate": ("aggregate with having and evidence lists", model([
        {"id": "a", "aggregate": {"by": ["person"], "measures": {
            "months": "count(*)", "total": "sum(amount)", "first": "min(month)", "amounts": "list(amount)"},
            "having": "total > :min"}}], roles=("pension",), params=P)),
    "window": ("window: row_number, lag and a moving sum", model([
        {"id": "w", "window": {"partition_by": ["person"], "order_by": ["month desc"],
                               "columns": {"rn": "row_number()", "prev": "lag(amount)", "s3": "sum(amount)"},
                               "rows_preceding": 2}}], roles=("pension",))),
    "window_range": ("window: date-range frame, N months back from a parameter, and N days back", model([
        {"id": "w", "window": {"partition_by": ["person"], "order_by": ["month"],
                               "columns": {"n12": "count(*)", "paid12": "sum(amount)"},
                               "range_preceding": {"months": ":grace"}}},
        {"id": "d", "window": {"partition_by": ["person"], "order_by": ["month"],
                               "columns": {"n90": "count(*)", "rn": "row_number()"},
                               "range_preceding": {"days": 90}}}], roles=("pension",), params=P)),
    "double_arith": ("round() and % over a DOUBLE: PostgreSQL computes them on NUMERIC", model([
        {"id": "d", "derive": {"columns": {
            "r": "round(savings * 1.1, 1)", "m": "savings % 3", "whole": "savings % 10 = 0",
            "ri": "round(length(name), 0)"}}}])),
    "nested_dates": ("date functions inside date functions are all spelled per dialect", model([
        {"id": "d", "derive": {"columns": {
            "next_month": "add_months(month_start(birth), 1)",
            "ms_later": "month_start(add_days(birth, 40))"}}}])),
    "union": ("union of two steps with different evidence roles", model([
        {"id": "a", "from": "pension", "select": {"columns": ["person"]}},
        {"id": "b", "from": "custody", "select": {"columns": ["person"]}},
        {"id": "u", "union": {"steps": ["a", "b"], "distinct": False}}], roles=("pension", "custody"))),
    "select": ("select keeps and renames columns, evidence stays", model([
        {"id": "s", "select": {"columns": {"who": "person", "paid": "amount"}}}], key="who",
        roles=("pension",))),
    "distinct": ("distinct keeps evidence as lists", model([
        {"id": "d", "distinct": {"columns": ["person"]}}], roles=("pension",))),
    "components": ("components: co-occurrence graph, 2 rounds", model([
        {"id": "g", "components": {"node": "person", "event": "event", "component": "gang",
                                   "max_iterations": 2}}], roles=("events",))),
}
DIALECTS = ("duckdb", "spark", "postgres")


def _text(title: str, dialect: str, sql: str) -> str:
    return f"-- title: {title}\n-- dialect: {dialect}\n{sql}\n"


@pytest.mark.parametrize("dialect", DIALECTS)
@pytest.mark.parametrize("case", sorted(CASES))
def test_golden(case: str, dialect: str, catalog, con) -> None:
    title, spec = CASES[case]
    compiled = compile_model(load_model(spec), catalog, dialect)
    path = GOLDEN / f"{case}.{dialect}.sql"
    text = _text(title, dialect, compiled.sql)
    if UPDATE or not path.exists():
        path.write_text(text, encoding="utf-8")
    assert path.read_text(encoding="utf-8") == text, f"golden differs: {path} (SHUJIAN_UPDATE_GOLDEN=1)"
    if dialect == "duckdb":
        con.execute(compiled.sql, compiled.parameters).fetchall()
    else:  # psycopg doubles a literal % (modulo) around its %(name)s placeholders
        sqlglot.parse_one(compiled.sql.replace("%%", "%") if dialect == "postgres" else compiled.sql,
                          read=dialect)
