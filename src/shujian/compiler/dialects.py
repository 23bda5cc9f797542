"""Per-engine facts as data: which features exist, and the few SQL shapes that differ.

The pipeline is one dialect-free sqlglot tree; only evidence lists (capped, sorted arrays) need
per-dialect spelling, which is kept here as small templates parsed with that dialect's reader.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import sqlglot
from sqlglot import exp

DIALECTS = ("duckdb", "spark", "postgres")

# Every capability a model can need.  Function names are the expression language's names.
FUNCTIONS = frozenset({
    "concat", "substr", "length", "upper", "lower", "trim", "contains", "starts_with",
    "regexp_matches", "year", "month", "date_diff", "add_months", "add_days", "month_start", "today",
    "coalesce", "least", "greatest", "abs", "round", "count", "sum", "min", "max", "avg",
    "any_value", "list", "row_number", "rank", "dense_rank", "lag", "lead", "cast", "case",
})
FEATURES = frozenset({
    "join.inner", "join.left", "join.semi", "join.anti", "join.overlap", "join.within",
    "window.frame", "window.range", "union", "components", "evidence.list", "evidence.nested_list", "keywords",
    "entity.join",   # 按主体关联: reads the warehouse's subject registry (er_members/er_pairs)
    "text.rules",            # the text step: a Python function in the engine (shujian.text.udf)
})


@dataclass(frozen=True)
class DialectInfo:
    """What one engine offers (能力清单). ``missing`` names capabilities the engine lacks."""

    name: str
    missing: frozenset[str] = frozenset()
    notes: tuple[str, ...] = ()

    @property
    def capabilities(self) -> frozenset[str]:
        return (FUNCTIONS | FEATURES) - self.missing


INFO: dict[str, DialectInfo] = {
    "duckdb": DialectInfo("duckdb"),
    "spark": DialectInfo("spark", missing=frozenset({"entity.join"}), notes=(
        "date_diff('month') 在 spark 中按整月计（timestampdiff），duckdb/postgres 按跨越的月界计",)),
    "postgres": DialectInfo("postgres", missing=frozenset({"entity.join", "text.rules"}), notes=(
        "any_value 在 postgres 中编译为 MIN（PostgreSQL 16 以前没有 any_value）",)),
}

_LIST_AGG = {
    "duckdb": "LIST_SLICE(LIST_SORT(LIST_DISTINCT(ARRAY_AGG(__x))), 1, {cap})",
    "spark": "SLICE(SORT_ARRAY(COLLECT_SET(__x)), 1, {cap})",
    "postgres": "(ARRAY_AGG(DISTINCT __x ORDER BY __x) FILTER (WHERE __x IS NOT NULL))[1:{cap}]",
}
_NESTED_AGG = {
    "duckdb": "LIST_SLICE(LIST_SORT(LIST_DISTINCT(FLATTEN(ARRAY_AGG(__x)))), 1, {cap})",
    "spark": "SLICE(SORT_ARRAY(ARRAY_DISTINCT(FLATTEN(COLLECT_LIST(__x)))), 1, {cap})",
    # PostgreSQL cannot ARRAY_AGG arrays of different lengths and has no FLATTEN: concatenate the
    # lists as text inside the aggregate, then split, dedupe, sort and cap them in a subquery
    # (the aggregate belongs to the outer query because its argument references only outer columns)
    "postgres": "ARRAY(SELECT DISTINCT CAST(_ev_v AS BIGINT) FROM UNNEST(STRING_TO_ARRAY("
                "STRING_AGG(ARRAY_TO_STRING(__x, ','), ','), ',')) AS _ev_u(_ev_v) "
                "WHERE _ev_v <> '' ORDER BY 1 LIMIT {cap})",
}
_PLAIN_LIST = {  # user-facing list(x): collected values, capped, order unspecified but sorted
    "duckdb": "LIST_SLICE(LIST_SORT(LIST_DISTINCT(ARRAY_AGG(__x))), 1, {cap})",
    "spark": "SLICE(SORT_ARRAY(COLLECT_SET(__x)), 1, {cap})",
    "postgres": "(ARRAY_AGG(DISTINCT __x ORDER BY __x) FILTER (WHERE __x IS NOT NULL))[1:{cap}]",
}


@lru_cache(maxsize=64)
def _template(template: str, dialect: str, cap: int) -> exp.Expression:
    """The parsed template (parsed once per process; callers fill a copy)."""
    return sqlglot.parse_one(template.format(cap=cap), read=dialect)


def _fill(template: str, dialect: str, value: exp.Expression, cap: int) -> exp.Expression:
    return _template(template, dialect, int(cap)).transform(
        lambda n: value.copy() if isinstance(n, exp.Column) and n.name == "__x" else n)


def evidence_list(value: exp.Expression, dialect: str, cap: int, *, nested: bool) -> exp.Expression:
    """Aggregate evidence row ids into a sorted, distinct list of at most ``cap`` ids (NULLs dropped,
    nested lists flattened)."""
    template = (_NESTED_AGG if nested else _LIST_AGG).get(dialect)
    if template is None:  # capability missing: compile_model reports it and never renders this
        return exp.null()
    return _fill(template, dialect, value, cap)


def value_list(value: exp.Expression, dialect: str, cap: int) -> exp.Expression:
    """The ``list(x)`` aggregate of the expression language: distinct values, sorted, capped."""
    return _fill(_PLAIN_LIST[dialect], dialect, value, cap)


def as_list(value: exp.Expression) -> exp.Expression:
    """Wrap one row id into a one-element list (union of scalar and list evidence)."""
    return exp.Array(expressions=[value])


# Decimals a number keeps when it becomes text (说明 "已存280000元", "比例0.35").
NUMBER_TEXT_SCALE = 6


def number_text(value: exp.Expression) -> exp.Expression:
    """A DOUBLE/DECIMAL as text, the same on every dialect: rounded to ``NUMBER_TEXT_SCALE`` decimals,
    trailing zeros and a bare point dropped — 280000.0 → '280000', 1234.5 → '1234.5', 0.1 + 0.2 →
    '0.3'.  (A plain cast reads '280000.0' on DuckDB, '2.8E7' on Spark and '280000' on PostgreSQL.)"""
    fixed = exp.cast(exp.cast(value, exp.DataType.build(f"DECIMAL(38, {NUMBER_TEXT_SCALE})")), "VARCHAR")
    digits = exp.Trim(this=fixed, expression=exp.Literal.string("0"), position="TRAILING")
    return exp.Trim(this=digits, expression=exp.Literal.string("."), position="TRAILING")


def concat_lists(a: exp.Expression, b: exp.Expression) -> exp.Expression:
    return exp.ArrayConcat(this=a, expressions=[b])


def range_frame(order: exp.Expression, amount: exp.Expression, unit: str, dtype: str,
                dialect: str, value: int | None = None) -> tuple[exp.Expression, exp.Expression]:
    """(ORDER BY key, PRECEDING offset) of a date RANGE frame of ``amount`` days/months.

    DuckDB takes ``INTERVAL (x) MONTH`` and PostgreSQL ``x * INTERVAL '1 MONTH'`` with ``x`` a bound
    parameter.  Spark's parser accepts only a literal as a frame bound (INVALID_WINDOW_FRAME_BOUND),
    so there the integer ``value`` of the parameter (already checked to be an int) is written as a
    number; and Spark cannot range a DATE by days, so days over a DATE become day numbers
    (``UNIX_DATE``) ranged by that integer.
    """
    if dialect == "postgres":
        one = exp.Interval(this=exp.Literal.string("1"), unit=exp.var(unit))
        return order, exp.Mul(this=amount, expression=one)
    if dialect == "spark":
        if isinstance(amount, exp.Placeholder):
            amount = exp.Literal.number(int(value or 0))
        if unit == "DAY" and dtype == "DATE":
            return exp.func("UNIX_DATE", order), amount
        return order, exp.Interval(this=amount, unit=exp.var(unit))
    return order, exp.Interval(this=amount, unit=exp.var(unit))


def null_evidence(is_list: bool) -> exp.Expression:
    return exp.cast(exp.null(), exp.DataType.build("ARRAY<BIGINT>" if is_list else "BIGINT"))
