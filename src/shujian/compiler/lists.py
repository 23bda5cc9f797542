"""DuckDB: the lists of an aggregate with a having are built for the groups the having keeps.

An ``aggregate`` step with ``having`` compiles to two CTEs: ``s_x__agg`` groups its input and
computes every measure — the evidence lists (``_ev_<role>``) and ``list(…)`` measures among them —
for every group, and ``s_x`` keeps the groups the having passes.  A list is the costly measure
(one growing array per group, then distinct, sort and slice), and the having usually keeps a few
groups: prepaid-card-complaints' ``per_merchant`` builds a sample of tickets and the ticket ids
for 466,865 merchants of which 28,734 pass (large city).  Here the lists come after the screen::

    s_x__agg   AS (SELECT by, <other measures> FROM src GROUP BY by)            -- no lists
    s_x__kept  AS (SELECT … FROM s_x__agg WHERE <having>)
    s_x__lists AS (SELECT src.by, <lists> FROM src JOIN s_x__kept AS k
                   ON src.by IS NOT DISTINCT FROM k.by GROUP BY src.by)
    s_x        AS (SELECT k.<columns>, l.<lists> FROM s_x__kept AS k JOIN s_x__lists AS l
                   ON k.by IS NOT DISTINCT FROM l.by)

Exact: a kept group's lists are computed over the same rows (the rows of ``src`` whose keys equal
the group's, NULL keys included — the key columns are unique in ``s_x__kept``, so the join repeats
no row), with the same expressions; the other measures and the having are untouched, and every
kept group has a row in ``s_x__lists`` (it has rows in ``src``).  Applied only where the having reads
no list, the keys are plain columns, and ``src`` is an aggregate or a window step, whose rows are
computed by a blocking operator anyway: read twice, it is written once (a stage) instead of being
computed twice, and a costly row-wise step (a text function) is never read a second time.  DuckDB
only: the statement other dialects run is unchanged.
"""

from __future__ import annotations

from sqlglot import exp

from shujian.compiler.shape import PLAIN_CLAUSES, from_table
from shujian.compiler.shape import readers as cte_readers

AGG, KEPT, LISTS = "__agg", "__kept", "__lists"


def lists_after_having(ctes: list[tuple[str, exp.Query]]) -> None:
    """Rewrite, in place, each aggregate-with-having pair of ``ctes`` that the module docstring
    describes."""
    queries = dict(ctes)
    readers = cte_readers(ctes)
    for name, query in list(ctes):
        if not name.endswith(AGG) or len(readers.get(name, ())) != 1:
            continue
        step = name[: -len(AGG)]
        parts = _parts(query, queries.get(step), name, queries)
        if parts is None:
            continue
        keys, lists = parts
        position = next(i for i, (n, _) in enumerate(ctes) if n == name)
        new = _rewritten(step, query, queries[step], keys, lists)
        ctes[position:position + 1] = new[:3]
        ctes[:] = [(n, new[3][1] if n == step else q) for n, q in ctes]


def _parts(agg: exp.Query, step: exp.Query | None, name: str, queries: dict[str, exp.Query]
           ) -> tuple[list[str], list[str]] | None:
    """(group keys, list measures, having) when ``agg`` and ``step`` have the docstring's shape."""
    if not isinstance(agg, exp.Select) or not isinstance(step, exp.Select):
        return None
    group = agg.args.get("group")
    if group is None or any(agg.args.get(k) for k in PLAIN_CLAUSES if k != "group"):
        return None
    keys = group.expressions
    if not keys or not all(isinstance(k, exp.Column) and not k.table for k in keys):
        return None
    source = from_table(agg)
    if source is None or source.alias or source.name not in queries or not _blocking(queries[source.name]):
        return None
    key_names = [k.name for k in keys]
    lists = []
    for e in agg.expressions:
        if e.alias_or_name in key_names and isinstance(e.unalias(), exp.Column):
            continue
        if not isinstance(e, exp.Alias):
            return None
        if e.this.find(exp.Lambda, exp.Window, exp.Subquery):
            return None
        if e.this.find(exp.ArrayAgg):
            lists.append(e.alias)
    if not lists:
        return None
    # the step: SELECT <columns> FROM name WHERE <having>, reading no list in its having
    if from_table(step) is None or from_table(step).name != name or from_table(step).alias \
            or any(step.args.get(k) for k in PLAIN_CLAUSES) or step.args.get("where") is None:
        return None
    having = step.args["where"].this
    if having.find(exp.Subquery, exp.Exists, exp.Select) or any(c.table or c.name in lists for c in having.find_all(exp.Column)):
        return None
    if not all(isinstance(e, exp.Column) and not e.table for e in step.expressions):
        return None
    return key_names, lists


def _blocking(query: exp.Query) -> bool:
    """The query groups or computes a window (its rows come out of a blocking operator)."""
    return isinstance(query, exp.Select) and (query.args.get("group") is not None or query.find(exp.Window) is not None)


def _null_safe(keys: list[str], left: str, right: str) -> exp.Expression:
    return exp.and_(*[exp.NullSafeEQ(this=exp.column(k, table=left), expression=exp.column(k, table=right))
                      for k in keys])


def _rewritten(step: str, agg: exp.Select, final: exp.Select, keys: list[str], lists: list[str]
               ) -> list[tuple[str, exp.Query]]:
    source = from_table(agg).name
    scalars = [e for e in agg.expressions if e.alias_or_name not in lists]
    list_exprs = [e for e in agg.expressions if e.alias_or_name in lists]
    kept_cols = [c for c in final.named_selects if c not in lists]
    agg_q = exp.Select(expressions=scalars)
    agg_q.set("from_", agg.args.get("from_") or agg.args.get("from"))
    if agg.args.get("where") is not None:
        agg_q.set("where", agg.args["where"])
    agg_q.set("group", agg.args["group"])
    kept = exp.Select(expressions=[exp.column(c) for c in kept_cols])
    kept.set("from_", exp.From(this=exp.to_table(step + AGG)))
    kept.set("where", final.args["where"])
    src_alias, k_alias = "_src", "_k"
    lists_q = exp.Select(expressions=[*[exp.column(k, table=src_alias) for k in keys],
                                      *[_qualified(e, src_alias) for e in list_exprs]])
    lists_q.set("from_", exp.From(this=exp.alias_(exp.to_table(source), src_alias, table=True)))
    lists_q.set("joins", [exp.Join(this=exp.alias_(exp.to_table(step + KEPT), k_alias, table=True),
                                   on=_null_safe(keys, src_alias, k_alias))])
    if agg.args.get("where") is not None:
        lists_q.set("where", exp.Where(this=_qualified(agg.args["where"].this.copy(), src_alias)))
    lists_q.set("group", exp.Group(expressions=[exp.column(k, table=src_alias) for k in keys]))
    out = exp.Select(expressions=[exp.column(c, table=k_alias if c not in lists else "_l")
                                  for c in final.named_selects])
    out.set("from_", exp.From(this=exp.alias_(exp.to_table(step + KEPT), k_alias, table=True)))
    out.set("joins", [exp.Join(this=exp.alias_(exp.to_table(step + LISTS), "_l", table=True),
                               on=_null_safe(keys, k_alias, "_l"))])
    return [(step + AGG, agg_q), (step + KEPT, kept), (step + LISTS, lists_q), (step, out)]


def _qualified(node: exp.Expression, table: str) -> exp.Expression:
    """``node`` with its unqualified columns read from ``table``."""
    for col in node.find_all(exp.Column):
        if not col.table:
            col.set("table", exp.to_identifier(table))
    return node
