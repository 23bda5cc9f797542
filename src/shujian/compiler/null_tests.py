"""DuckDB: a null test of a column computed by ``upper``/``lower``/``trim`` is made on the column it reads.

frequent-lending-plaintiff derives ``pid = upper(trim(原告证件号码))`` and the next step keeps ``pid is
not null``.  DuckDB pushes that filter through the projection into the scan, substituting the
expression — so over the 4.2 M suits of the large city the string functions run twice, once for the
filter and once for the column (key stage 2.21 → 1.99 CPU s with the test on the raw column).  These
functions return NULL exactly when their argument is NULL, so ``upper(trim(x)) IS NOT NULL`` is
``x IS NOT NULL``, a null filter DuckDB applies in the scan for free.  The test is moved down the
chain of steps to the step that computes the column and written there on its input column::

    s_keyed AS (SELECT …, UPPER(TRIM(plaintiff_id)) AS pid FROM s_lending)
    s_attributable AS (SELECT … FROM s_keyed WHERE pid IS NOT NULL AND case_no IS NOT NULL)
  →
    s_keyed AS (SELECT …, UPPER(TRIM(plaintiff_id)) AS pid FROM s_lending WHERE plaintiff_id IS NOT NULL)
    s_attributable AS (SELECT … FROM s_keyed WHERE case_no IS NOT NULL)

Exact: filters commute with each other and with row-wise projections, so a filter may move below
every step between (each a filter/projection of one relation: no join, group, window, DISTINCT or
LIMIT) — provided no other query reads those steps (it would lose rows): each is read exactly once.
tests/compiler/test_null_tests.py compares every row with the unmoved statement on random data.
"""

from __future__ import annotations

from collections import Counter

from sqlglot import exp

from shujian.compiler.shape import PLAIN_CLAUSES, conjuncts, from_table, nodes, with_of

_NULL_PRESERVING = (exp.Upper, exp.Lower, exp.Trim)   # NULL exactly when the argument is NULL


def sink_null_tests(tree: exp.Expression) -> exp.Expression:
    """Move every qualifying ``c IS NOT NULL`` test of a step of ``tree`` (module docstring), in place.
    Expects the ``IS NOT NULL`` form (``stages.not_null_tests`` writes it)."""
    with_ = with_of(tree)
    if with_ is None or with_.args.get("recursive"):
        return tree
    queries = {cte.alias: cte.this for cte in with_.expressions}
    reads = Counter(t.name for t in nodes(tree) if isinstance(t, exp.Table) and t.name in queries and not t.args.get("db"))
    for query in [*queries.values(), tree]:
        if _plain(query):
            _sink(query, queries, reads)
    return tree


def _sink(query: exp.Select, queries: dict[str, exp.Expression], reads: Counter) -> None:
    where = query.args.get("where")
    if where is None:
        return
    source = _source(query)
    parts = conjuncts(where.this)
    kept = []
    for part in parts:
        column = _not_null_column(part, source.alias_or_name)
        found = _trace(column.name, source.name, queries, reads) if column is not None else None
        if found is None:
            kept.append(part)
            continue
        step, value = found
        test = exp.Is(this=value.copy(), expression=exp.Not(this=exp.Null()))
        old = step.args.get("where")
        step.set("where", exp.Where(this=exp.and_(old.this, test) if old is not None else test))
    if len(kept) != len(parts):
        query.set("where", exp.Where(this=exp.and_(*kept)) if kept else None)


def _trace(name: str, relation: str, queries: dict[str, exp.Expression], reads: Counter
           ) -> tuple[exp.Select, exp.Column] | None:
    """The step computing column ``name`` of ``relation`` as a null-preserving function of its input
    column, reached through steps each read once; (that step, the input column)."""
    while relation in queries and reads[relation] == 1 and _plain(queries[relation]):
        step = queries[relation]
        alias = _source(step).alias_or_name
        out = next((e for e in step.expressions if e.alias_or_name == name), None)
        value = out.this if isinstance(out, exp.Alias) else out
        if not isinstance(value, exp.Column | exp.Upper | exp.Lower | exp.Trim):
            return None
        inner = value
        while isinstance(inner, _NULL_PRESERVING) and not (isinstance(inner, exp.Trim) and inner.args.get("expression")):
            inner = inner.this
        if not isinstance(inner, exp.Column) or inner.table not in ("", alias):
            return None
        if inner is not value:
            return step, inner
        name, relation = inner.name, _source(step).name
    return None


def _plain(query: exp.Expression) -> bool:
    """A filter/projection of one table: no join, grouping, window, DISTINCT or LIMIT."""
    if not isinstance(query, exp.Select) or any(query.args.get(k) for k in PLAIN_CLAUSES):
        return False
    table = from_table(query)
    if table is None or table.args.get("db"):
        return False
    return not any(e.find(exp.Window, exp.AggFunc) for e in query.expressions)


def _source(query: exp.Select) -> exp.Table:
    return from_table(query)


def _not_null_column(node: exp.Expression, alias: str) -> exp.Column | None:
    if isinstance(node, exp.Is) and isinstance(node.expression, exp.Not) and isinstance(node.expression.this, exp.Null):
        column = node.this
        if isinstance(column, exp.Column) and column.table in ("", alias):
            return column
    return None
