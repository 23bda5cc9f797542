"""Drop the columns — evidence row ids above all — that no later query reads.

Every step carries its input columns and its inputs' row ids (``_ev_<role>``) so that a clue can
point at the rows behind it.  Many steps feed only a semi/anti join's right side, a screening
aggregate or another branch that reads two of their ten columns; the rest is computed for nothing.
That matters twice on a large city: evidence lists (one per group, over every row) are what holds
an aggregate's memory, and a CTE read several times is materialised by DuckDB with *all* its
columns, so unused ID strings are kept (and spilled) for the whole query.  This pass walks the
CTEs from the output back to the inputs and removes every projection that no consumer references.

It only removes projections: row counts never change.  A ``SELECT DISTINCT`` or ``UNION``
(distinct) compares whole rows, so it keeps its columns; a query that reads ``*`` from a CTE keeps
all of that CTE's columns.
"""

from __future__ import annotations

from sqlglot import exp

ALL = "*"


def prune_columns(ctes: list[tuple[str, exp.Query]], final: exp.Query) -> None:
    """Remove, in place, the projections of ``ctes`` that neither ``final`` nor a later CTE reads."""
    needed: dict[str, set[str]] = {name: set() for name, _ in ctes}
    _collect(final, needed)
    read = {t.name for t in final.find_all(exp.Table)}
    for name, query in reversed(ctes):
        if name not in read:
            continue        # read by no query (the branch behind a dropped lookup join): its own reads do not count
        if ALL not in needed[name]:
            _drop(query, needed[name])
        _collect(query, needed)
        read |= {t.name for t in query.find_all(exp.Table)}
    _drop_unread(ctes, final)


def _drop_unread(ctes: list[tuple[str, exp.Query]], final: exp.Query) -> None:
    """Remove the CTEs that no query reads any more (e.g. the one behind a dropped lookup join)."""
    read = {t.name for t in final.find_all(exp.Table)}
    for name, query in reversed(ctes):
        if name in read:
            read |= {t.name for t in query.find_all(exp.Table)}
    ctes[:] = [(name, query) for name, query in ctes if name in read]


def _drop(query: exp.Expression, keep: set[str]) -> None:
    if isinstance(query, exp.Union):
        if query.args.get("distinct"):
            return
        _drop(query.this, keep)
        _drop(query.expression, keep)
        return
    if not isinstance(query, exp.Select) or query.args.get("distinct"):
        return
    kept = [e for e in query.expressions if e.alias_or_name in keep or isinstance(e, exp.Star)]
    if kept and len(kept) != len(query.expressions):
        query.set("expressions", kept)
    _drop_lookups(query)


def _drop_lookups(select: exp.Select) -> None:
    """Remove a LEFT JOIN marked ``lookup`` (at most one row per left row) that nothing but its own
    ON condition reads any more: it cannot change the rows, only add columns no one uses."""
    joins = select.args.get("joins") or []
    for join in list(joins):
        if not join.meta.get("lookup"):
            continue
        alias = join.this.alias_or_name
        on = join.args.get("on")
        in_on = {id(c) for c in on.find_all(exp.Column)} if on is not None else set()
        if not any(c.table == alias and id(c) not in in_on for c in select.find_all(exp.Column)):
            joins.remove(join)
    select.set("joins", joins or None)


def _sources(select: exp.Select) -> dict[str, str]:
    """Alias (or name) → table name of the tables a SELECT reads directly (FROM and JOINs)."""
    out: dict[str, str] = {}
    parts = [select.args.get("from_") or select.args.get("from"), *(select.args.get("joins") or [])]
    for part in parts:
        table = part.this if part is not None else None
        if isinstance(table, exp.Table):
            out[table.alias_or_name] = table.name
    return out


def _collect(query: exp.Expression, needed: dict[str, set[str]]) -> None:
    """Record, per CTE name, the columns ``query`` reads from it (``*``: all of them)."""
    for col in query.find_all(exp.Column, exp.Star):
        if isinstance(col, exp.Star):
            if not isinstance(col.parent, exp.Select):
                continue              # COUNT(*) reads no column; t.* is the Column case below
            name, qualifier = ALL, ""
        else:
            name, qualifier = col.name, col.table
            if isinstance(col.this, exp.Star):
                name = ALL
        for table in _resolve(col, qualifier):
            if table in needed:
                needed[table].add(name)


def _resolve(node: exp.Expression, qualifier: str) -> list[str]:
    """The table(s) a column may come from: its qualifier's table, else every table of its SELECT."""
    select = node.find_ancestor(exp.Select)
    while select is not None:
        sources = _sources(select)
        if qualifier:
            if qualifier in sources:
                return [sources[qualifier]]
        elif sources:
            return list(sources.values())
        select = select.find_ancestor(exp.Select)
    return []
