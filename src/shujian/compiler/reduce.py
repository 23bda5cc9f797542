"""Read only the rows a lookup can match: a semi-join reduction of a looked-up relation.

A step over a whole dataset (``closing_records``: every 公安案件处理 row with a closing keyword;
``decisions``: every 不起诉决定 by 文书号) that later steps only *look up* — as the right side of an
inner or left join, or inside ``EXISTS``/``NOT EXISTS`` — is computed for every row, although the
lookups read the few rows whose key the other sides have.  When every read of such a CTE is a lookup
on one of its columns ``k`` against a column ``x`` of the reader's FROM relation, its rows are
restricted to the keys those relations have, as a hand-written query does
(``WHERE 案件编号 IN (SELECT case_no FROM not_arrested)``)::

    s_closing_records AS (SELECT … FROM in_closures WHERE … AND case_no IN (SELECT case_no FROM s_x))

Exact: a row whose key no reader's row has matches nothing (NULL keys never match an equality), and
in an aggregate a kept group keeps all its rows.  A reader that itself depends on the looked-up CTE
(``pending`` = not_arrested_later without a closing record) is traced back to the relation its rows
come from (``not_arrested_later``): a step's values of a column of its FROM relation are a subset of
that relation's.  Applied only where it pays: to a CTE that reads an input dataset through filters and projections
(one narrowed down by the model already is mostly matched) and that aggregates it or is written out
as a stage (read twice, not a cheap row-wise step); a cheap step read once is only scanned and probed
by its join, which the reduction would merely repeat.
"""

from __future__ import annotations

from sqlglot import exp

from shujian.compiler.screens import _ordered
from shujian.compiler.stages import _rowwise

_JOINABLE = {("LEFT", ""), ("", ""), ("", "INNER")}


def reduce_lookups(ctes: list[tuple[str, exp.Query]], final: exp.Query) -> None:
    """Add the reduction (see the module docstring) to every CTE it applies to, in place."""
    queries = dict(ctes)
    refs: dict[str, list[exp.Table]] = {}
    for query in [*queries.values(), final]:
        for table in query.find_all(exp.Table):
            refs.setdefault(table.name, []).append(table)
    changed = False
    for name, query in ctes:
        key = _own_key_column(query)
        if not key or not _over_dataset(query, queries) or not refs.get(name) or not _pays(query, refs[name]):
            continue
        sources = _key_sources(name, refs[name], queries, key)
        if sources:
            _restrict(query, key[sources[0][2]], sources)
            changed = True
    if changed:            # a key source may be defined after the step it narrows: reorder
        ctes[:] = _ordered(ctes)


def _pays(query: exp.Select, reads: list[exp.Table]) -> bool:
    """The reduction saves work: the step aggregates (measures and evidence lists per group), or it is
    read more than once and is no cheap row-wise step, so it is written out as a stage.  A cheap step
    read once is only scanned and probed by its join, which the reduction would merely repeat."""
    return query.args.get("group") is not None or (len(reads) >= 2 and not _rowwise(query))


def _own_key_column(query: exp.Query) -> dict[str, str]:
    """Output column → source column, for the plain columns of a one-table step (a filter or
    projection, or the group keys of an aggregate) — the columns a WHERE on its input can test."""
    if not isinstance(query, exp.Select) or query.args.get("joins") or _from_table(query) is None:
        return {}
    if query.args.get("distinct") or any(query.args.get(k) for k in ("qualify", "limit", "order")):
        return {}
    group = query.args.get("group")
    grouped = {e.name for e in group.expressions if isinstance(e, exp.Column)} if group else None
    out = {}
    for e in query.expressions:
        inner = e.this if isinstance(e, exp.Alias) else e
        if isinstance(inner, exp.Column) and not isinstance(inner.this, exp.Star):
            if grouped is None or (inner.name in grouped and not isinstance(e, exp.Alias)):
                out[e.alias_or_name] = inner.name
    return out


def _over_dataset(query: exp.Select, queries: dict[str, exp.Query]) -> bool:
    """The step reads an input dataset (``in_<role>``) through filters and projections only."""
    table = _from_table(query)
    for _ in range(50):
        if table is None or table.name not in queries:
            return False
        if table.name.startswith("in_"):
            return True
        inner = queries[table.name]
        if not isinstance(inner, exp.Select) or any(
                inner.args.get(k) for k in ("joins", "group", "distinct", "having", "qualify", "limit")):
            return False
        if inner.find(exp.Subquery, exp.Exists, exp.AggFunc, exp.Window):
            return False
        table = _from_table(inner)
    return False


def _from_table(select: exp.Expression) -> exp.Table | None:
    part = select.args.get("from_") or select.args.get("from")
    table = part.this if part is not None else None
    return table if isinstance(table, exp.Table) and not table.args.get("db") else None


def _key_sources(name: str, tables: list[exp.Table], queries: dict[str, exp.Query], own: dict[str, str]
                 ) -> list[tuple[str, str, str]] | None:
    """(relation, its column, looked-up column) for every read of ``name``; None when some read is
    not a lookup on one column of ``name`` (or its keys cannot be traced to a relation that does not
    read ``name``)."""
    out: list[tuple[str, str, str]] = []
    for table in tables:
        found = _lookup(table)
        if found is None or found[2] not in own:
            return None
        reader, column, key = found
        traced = _trace(reader, column, name, queries)
        if traced is None:
            return None
        out.append((*traced, key))
    if len({key for _, _, key in out}) != 1:
        return None
    return sorted(set(out))


def _lookup(table: exp.Table) -> tuple[str, str, str] | None:
    """(reader's FROM relation, its column, looked-up column) of a read that is a lookup, else None."""
    alias = table.alias_or_name
    parent = table.parent
    if isinstance(parent, exp.Join):
        select = parent.parent
        if ((parent.side or "").upper(), (parent.kind or "").upper()) not in _JOINABLE:
            return None
        cond = parent.args.get("on")
    elif isinstance(parent, exp.From) and isinstance(parent.parent, exp.Select) \
            and isinstance(parent.parent.parent, exp.Exists):
        sub = parent.parent
        if sub.args.get("joins") or sub.args.get("group"):
            return None
        where = sub.args.get("where")
        cond = where.this if where is not None else None
        select = sub.parent.find_ancestor(exp.Select)
    else:
        return None
    if not isinstance(select, exp.Select):
        return None
    left = _from_table(select)
    if left is None or cond is None:
        return None
    for part in cond.flatten() if isinstance(cond, exp.And) else [cond]:
        if isinstance(part, exp.EQ) and isinstance(part.this, exp.Column) and isinstance(part.expression, exp.Column):
            a, b = part.this, part.expression
            if a.table == alias and b.table == left.alias_or_name:
                a, b = b, a
            if a.table == left.alias_or_name and b.table == alias:
                return left.name, a.name, b.name
    return None


def _trace(relation: str, column: str, looked_up: str, queries: dict[str, exp.Query]) -> tuple[str, str] | None:
    """A relation and column whose values include ``relation.column``'s and that does not read
    ``looked_up`` — ``relation`` itself when it does not."""
    for _ in range(50):
        if relation == looked_up:
            return None
        if relation not in queries or not _reads(relation, looked_up, queries):
            return relation, column
        query = queries[relation]
        left = _from_table(query) if isinstance(query, exp.Select) else None
        if left is None:
            return None
        picked = next((e for e in query.expressions if e.alias_or_name == column), None)
        inner = picked.this if isinstance(picked, exp.Alias) else picked
        if not isinstance(inner, exp.Column) or inner.table not in (left.alias_or_name, ""):
            return None
        if not inner.table and query.args.get("joins"):
            return None
        relation, column = left.name, inner.name
    return None


def _reads(name: str, other: str, queries: dict[str, exp.Query]) -> bool:
    todo, seen = [name], set()
    while todo:
        current = todo.pop()
        if current in seen or current not in queries:
            continue
        seen.add(current)
        for table in queries[current].find_all(exp.Table):
            if table.name == other:
                return True
            todo.append(table.name)
    return False


def _restrict(query: exp.Select, column: str, sources: list[tuple[str, str, str]]) -> None:
    keys: exp.Query = exp.select(exp.column(sources[0][1])).from_(sources[0][0])
    for relation, col, _ in sources[1:]:
        keys = exp.union(keys, exp.select(exp.column(col)).from_(relation), distinct=False)
    query.where(exp.column(column).isin(query=keys), copy=False)
