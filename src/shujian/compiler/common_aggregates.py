"""Two screening aggregates of one relation by the same keys are computed as one.

gang-repeat-offenders groups its 2.6 M events by person twice: ``person_totals`` (count, first and
last county; having ≥ 3 rows or two counties) and ``repeat_persons`` (first and last case; having two
cases).  Each is a hash aggregate over every event keyed by an 18-character string.  Computed as one
aggregate with both sets of measures, kept where either having holds, each step reads its groups
back and applies its own having::

    s_a__agg__both AS (SELECT person, count(*) AS rows_n, …, min(case_id) AS first_case, …
                       FROM s_events GROUP BY person HAVING <having of a> OR <having of b>)
    s_a__agg AS (SELECT person, rows_n, … FROM s_a__agg__both)     -- then s_a: WHERE <having of a>

Exact: the same groups (same relation, same filter, same keys) and the same measures; a group that
either step keeps passes the combined having (TRUE in one of the two), and each step still tests its
own.  Applied only where both aggregates are read by nothing but their having filters (the combined
having keeps the shared result small: 192 k of 2 M persons in gang), both read one relation with the
same WHERE, and neither has a window, DISTINCT, ordering or limit.
"""

from __future__ import annotations

from sqlglot import exp

from shujian.compiler.shape import PLAIN_CLAUSES, from_table
from shujian.compiler.shape import readers as cte_readers

BOTH = "__both"


def merge_aggregates(ctes: list[tuple[str, exp.Query]]) -> None:
    """Merge, in place, each pair of aggregates the module docstring describes (the first pair found
    for a relation; the merged CTE takes the first one's place)."""
    readers = cte_readers(ctes)
    queries = dict(ctes)
    candidates: list[tuple[str, str, exp.Expression]] = []     # (CTE, relation and keys, its havings)
    for name, query in ctes:
        shape = _shape(query)
        having = _havings(name, readers, queries) if shape is not None else None
        if shape is not None and having is not None:
            candidates.append((name, shape, having))
    done: set[str] = set()
    for i, (a, shape_a, having_a) in enumerate(candidates):
        for b, shape_b, having_b in candidates[i + 1:]:
            if a in done or b in done or shape_a != shape_b:
                continue
            merged = _merge(queries[a], queries[b], having_a, having_b)
            if merged is None:
                continue
            both, keep_b = merged
            position = next(k for k, (name, _) in enumerate(ctes) if name == a)
            ctes.insert(position, (a + BOTH, both))
            cols_a = [exp.column(e.alias_or_name) for e in queries[a].expressions]
            replaced = {a: exp.select(*cols_a).from_(a + BOTH), b: keep_b.from_(a + BOTH)}
            ctes[:] = [(name, replaced.get(name, query)) for name, query in ctes]
            done |= {a, b}


def _shape(query: exp.Query) -> str | None:
    """The relation, WHERE and group keys of a plain aggregate (as text, to compare), else None."""
    if not isinstance(query, exp.Select) or query.args.get("group") is None:
        return None
    if any(query.args.get(k) for k in PLAIN_CLAUSES if k != "group") or query.find(exp.Window, exp.Subquery):
        return None
    table = from_table(query)
    if table is None:
        return None
    keys = query.args["group"].expressions
    if not keys or not all(isinstance(k, exp.Column) for k in keys):
        return None
    where = query.args.get("where")
    relation = f"{table.name} AS {table.alias_or_name} WHERE {where.sql() if where is not None else ''}"
    return relation + " GROUP BY " + ",".join(sorted(k.sql() for k in keys))


def _havings(name: str, readers: dict[str, list[str]], queries: dict[str, exp.Query]) -> exp.Expression | None:
    """The OR of the filters of the steps that read ``name`` when each is ``SELECT … FROM name WHERE
    <having>`` and nothing else reads it; None otherwise."""
    reads = readers.get(name, [])
    if not reads or len(set(reads)) != len(reads):
        return None
    preds = []
    for reader in reads:
        query = queries.get(reader)
        if not isinstance(query, exp.Select) or any(query.args.get(k) for k in PLAIN_CLAUSES):
            return None
        table, where = from_table(query), query.args.get("where")
        if table is None or table.name != name or where is None or where.find(exp.Subquery, exp.Exists):
            return None
        if len(list(query.find_all(exp.Table))) != 1:
            return None
        preds.append(where.this.copy())
    return exp.or_(*preds) if len(preds) > 1 else preds[0]


def _merge(a: exp.Select, b: exp.Select, having_a: exp.Expression, having_b: exp.Expression
           ) -> tuple[exp.Select, exp.Select] | None:
    """The merged aggregate and ``b``'s projection of it (without its FROM), or None."""
    keys = {k.name for k in a.args["group"].expressions}
    measures: dict[str, exp.Expression] = {}       # alias in the merged query → aggregate expression
    for e in a.expressions:
        if e.alias_or_name in keys:
            continue
        if not isinstance(e, exp.Alias):
            return None
        measures[e.alias] = e.this
    b_cols, b_names = [], {}
    for e in b.expressions:
        name = e.alias_or_name
        if name in keys:
            b_cols.append(exp.column(name))
            continue
        if not isinstance(e, exp.Alias):
            return None
        alias, n = name, 2
        while alias in measures and measures[alias].sql() != e.this.sql():
            alias, n = f"{name}__{n}", n + 1
        measures[alias] = e.this
        b_names[name] = alias
        b_cols.append(exp.alias_(exp.column(alias), name) if alias != name else exp.column(name))
    a_aliases = {e.alias_or_name for e in a.expressions}

    def over_aggregates(pred: exp.Expression, names: dict[str, str]) -> exp.Expression | None:
        pred = pred.copy()
        for col in list(pred.find_all(exp.Column)):
            alias = names.get(col.name, col.name)
            if col.table or (alias not in measures and col.name not in keys):
                return None
            if alias in measures:
                col.replace(exp.paren(measures[alias].copy()))
        return pred

    ha = over_aggregates(having_a, {n: n for n in a_aliases})
    hb = over_aggregates(having_b, b_names)
    if ha is None or hb is None:
        return None
    both = exp.select(*[exp.column(k.name) for k in a.args["group"].expressions],
                      *[exp.alias_(expr.copy(), alias) for alias, expr in measures.items()]).from_(
        from_table(a).copy())
    if a.args.get("where") is not None:
        both.set("where", a.args["where"].copy())
    both = both.group_by(*[k.copy() for k in a.args["group"].expressions]).having(exp.or_(ha, hb))
    return both, exp.select(*b_cols)
