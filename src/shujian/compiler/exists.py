"""DuckDB: a semi/anti join step with a range condition is written as ``SEMI JOIN`` / ``ANTI JOIN``.

A ``semi``/``anti`` join step compiles to ``SELECT … FROM l WHERE [NOT] EXISTS (SELECT 1 FROM r WHERE
<on>)`` — the form every dialect reads.  When ``<on>`` is only equalities of columns, DuckDB turns the
subquery into a plain hash semi/anti join.  When it also compares ranges (``r.day <= l.effective + 10``,
``r.case_no = l.case_no OR …``), DuckDB decorrelates it into a "delim join": it groups the distinct
values of every outer column the condition names, joins those to ``r``, and mark-joins the result back
to the outer rows — and the outer side, written once in the SQL, is computed twice (community-
correction-gaps' sentences, scanned and regex-filtered twice; large city: the NOT EXISTS costs 0.30
CPU s against 0.12 as an anti join).  DuckDB's ``SEMI JOIN``/``ANTI JOIN … ON <on>`` probes a hash
table on the equality keys and tests the rest of the condition on each candidate pair: one pass over
each side.

Exact: ``l ANTI JOIN r ON c`` keeps a row of ``l`` exactly when no row of ``r`` makes ``c`` true —
NULL or false alike count as no match, which is ``NOT EXISTS (… WHERE c)``; ``SEMI JOIN`` keeps it
(once) when one does, which is ``EXISTS``.  Duplicates of ``l`` are kept as ``WHERE`` keeps them, and
the right side's columns are not in scope of the select list (DuckDB), so the output is unchanged.
Rewritten only where the names cannot change meaning: one table on each side under different aliases,
every column of the condition qualified by one of the two (an unqualified name in a subquery reads
the inner table first, in an ``ON`` either), nothing but the ``[NOT] EXISTS`` in the ``WHERE``, and a
subquery without grouping, limit or its own joins.  tests/compiler/test_exists.py compares both
forms on random data with NULLs.
"""

from __future__ import annotations

from sqlglot import exp

from shujian.compiler.shape import PLAIN_CLAUSES, conjuncts, from_table, with_of


def exists_as_joins(tree: exp.Expression) -> exp.Expression:
    """Write the qualifying ``[NOT] EXISTS`` filter of each step of ``tree`` (its CTEs and its body,
    where the compiler puts them — no walk of the whole tree) as a ``SEMI``/``ANTI`` join, in place
    (DuckDB only: PostgreSQL has no such join; Spark plans its EXISTS as a left semi/anti join)."""
    with_ = with_of(tree)
    queries = [cte.this for cte in with_.expressions] if with_ is not None else []
    for select in [q for q in [*queries, tree] if isinstance(q, exp.Select)]:
        found = _exists_filter(select)
        if found is None:
            continue
        negated, sub = found
        inner = _single_table(sub)
        select.set("where", None)
        select.append("joins", exp.Join(this=inner, on=sub.args["where"].this, kind="ANTI" if negated else "SEMI"))
    return tree


def _exists_filter(select: exp.Select) -> tuple[bool, exp.Select] | None:
    """(negated, subquery) when ``select`` is ``SELECT … FROM t AS a WHERE [NOT] EXISTS (SELECT … FROM
    u AS b WHERE c)`` and the rewrite applies (see the module docstring)."""
    where = select.args.get("where")
    if where is None or any(select.args.get(k) for k in PLAIN_CLAUSES):
        return None
    cond, negated = where.this.unnest(), False
    if isinstance(cond, exp.Not):
        cond, negated = cond.this.unnest(), True
    if not isinstance(cond, exp.Exists) or not isinstance(cond.this, exp.Select):
        return None
    sub = cond.this
    outer, inner = _single_table(select), _single_table(sub)
    if outer is None or inner is None or sub.args.get("where") is None or any(sub.args.get(k) for k in PLAIN_CLAUSES):
        return None
    names = {outer.alias_or_name, inner.alias_or_name}
    on = sub.args["where"].this
    if len(names) < 2 or any(c.table not in names for c in on.find_all(exp.Column)):
        return None
    if _only_equalities(on):
        return None          # DuckDB already plans it as a plain hash semi/anti join
    return negated, sub


def _single_table(select: exp.Select) -> exp.Table | None:
    table = from_table(select)
    return table if table is not None and not table.args.get("joins") else None


def _only_equalities(on: exp.Expression) -> bool:
    """``on`` is a conjunction of ``column = column`` tests."""
    return all(isinstance(c, exp.EQ) and isinstance(c.this, exp.Column) and isinstance(c.expression, exp.Column)
               for c in conjuncts(on))
