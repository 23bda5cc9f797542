"""Drop evidence columns that no later query reads.

Every step carries its inputs' row ids (``_ev_<role>``) so that a clue can point at the rows behind
it.  Many steps feed only a semi/anti join's right side, a screening aggregate or another branch
whose evidence is never selected again; their evidence lists are then computed for nothing — and
on a large city those lists (one per group, over every row) are what holds the memory.  This pass
walks the CTEs from the output back to the inputs and removes every ``_ev_`` projection that no
consumer references, so the SQL computes exactly the evidence the output needs.

It only removes projections: row counts never change.  A ``SELECT DISTINCT`` or ``UNION``
(distinct) compares whole rows, so its evidence columns are left as they are.
"""

from __future__ import annotations

from sqlglot import exp

from shujian.compiler.steps import EV_PREFIX


def prune_evidence(ctes: list[tuple[str, exp.Query]], final: exp.Query) -> None:
    """Remove, in place, the evidence projections of ``ctes`` that neither ``final`` nor a later CTE reads."""
    names = {name for name, _ in ctes}
    needed: dict[str, set[str]] = {name: set() for name in names}
    _collect(final, needed)
    for name, query in reversed(ctes):
        _drop(query, needed[name])
        _collect(query, needed)


def _is_ev(name: str) -> bool:
    return name.startswith(EV_PREFIX)


def _drop(query: exp.Expression, keep: set[str]) -> None:
    if isinstance(query, exp.Union):
        if query.args.get("distinct"):
            return
        _drop(query.this, keep)
        _drop(query.expression, keep)
        return
    if not isinstance(query, exp.Select) or query.args.get("distinct"):
        return
    kept = [e for e in query.expressions if not (_is_ev(e.alias_or_name) and e.alias_or_name not in keep)]
    if kept and len(kept) != len(query.expressions):
        query.set("expressions", kept)


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
    """Record, per CTE name, the evidence columns ``query`` reads from it."""
    for col in query.find_all(exp.Column):
        if not _is_ev(col.name):
            continue
        for table in _resolve(col):
            if table in needed:
                needed[table].add(col.name)


def _resolve(col: exp.Column) -> list[str]:
    """The table(s) a column may come from: its qualifier's table, else every table of its SELECT."""
    select = col.find_ancestor(exp.Select)
    while select is not None:
        sources = _sources(select)
        if col.table:
            if col.table in sources:
                return [sources[col.table]]
        elif sources:
            return list(sources.values())
        select = select.find_ancestor(exp.Select)
    return []
