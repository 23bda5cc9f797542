"""Split a compiled statement into stages: the CTEs read more than once become tables of their own.

A model is one ``WITH … SELECT`` statement.  DuckDB materialises a CTE that several queries read
and keeps it, together with the hash tables of every join and aggregate still waiting on it, for
the life of the statement; on a province (a gang model's 66 M person–case rows read five times)
the pinned blocks outgrow the memory limit and the query fails instead of spilling.  Run as stages,
each shared CTE is written once to a temporary table (compressed, evictable, read back like any
table) and every statement only holds its own operators' memory.  The rows are the same: a stage is
exactly the CTE's query, and the later statements read it under a new name.

Pure: SQL text (or the compiler's tree) in, SQL texts out; the engine creates and drops the tables.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any, cast

import sqlglot
from sqlglot import exp

from shujian.compiler.shape import nodes

# parameter markers as the compiler renders them: $name (DuckDB), :name (Spark)
MARKERS = {"duckdb": re.compile(r"\$([A-Za-z_][A-Za-z0-9_]*)"),
           "spark": re.compile(r"(?<![:\w]):([A-Za-z_][A-Za-z0-9_]*)")}


def bind(names: list[str], parameters: dict[str, Any]) -> dict[str, Any] | None:
    """The values of the parameters a statement names (DuckDB and Spark refuse unused ones)."""
    return {k: parameters[k] for k in names if k in parameters} or None


@dataclass
class Stage:
    """``CREATE TEMP TABLE table AS <sql>`` (the engine writes the statement around ``sql``)."""

    table: str
    sql: str
    parameters: list[str] = field(default_factory=list)


@dataclass
class StagedStatement:
    stages: list[Stage]
    final: str
    final_parameters: list[str]
    #: the tables and views the statement reads (not its CTEs): what an engine sizes the run by
    relations: list[str] = field(default_factory=list)

    @property
    def tables(self) -> list[str]:
        return [s.table for s in self.stages]

    def together(self) -> tuple[str, list[str]]:
        """The stages and the final statement as one DuckDB statement, and the parameters it binds.

        Each stage becomes a ``MATERIALIZED`` CTE under its table's name, holding exactly the stage's
        statement, ahead of the final statement's own CTEs (whose names never carry the run suffix);
        the later statements read it under the same name.  The rows are those of the staged run:
        the same statements, computed once each, only kept in the statement's memory instead of in
        temporary tables — no table written, no statement boundary between the stages.
        """
        if not self.stages:
            return self.final, list(self.final_parameters)
        heads = ", ".join(f"{s.table} AS MATERIALIZED ({s.sql})" for s in self.stages)
        body = f", {self.final[len('WITH '):]}" if self.final.startswith("WITH ") else f" {self.final}"
        names = {p for s in self.stages for p in s.parameters} | set(self.final_parameters)
        return f"WITH {heads}{body}", sorted(names)


def split_stages(sql: str, dialect: str = "duckdb", *, suffix: str = "", min_reads: int = 2) -> StagedStatement:
    """Every CTE that ``min_reads`` or more queries read becomes a stage, in dependency order.

    For SQL text (expert SQL, a wrapped preview); a compiled model hands its tree to
    :func:`split_tree` instead (``CompiledModel.staged``), which saves parsing the statement again.
    """
    return split_tree(not_null_tests(sqlglot.parse_one(sql, read=dialect)), dialect, suffix=suffix,
                      min_reads=min_reads, copy=False, sql=sql)


def split_tree(tree: exp.Expression, dialect: str = "duckdb", *, suffix: str = "", min_reads: int = 2,
               copy: bool = True, sql: str | None = None) -> StagedStatement:
    """The stages of a parsed (or compiled) statement; see :func:`split_stages`.

    A row-wise CTE (filter and projection of one table) is never a stage: each reader repeats it,
    and its source counts one read per reader.

    A stage's statement carries the unstaged CTEs it needs; later statements read staged CTEs
    as tables named ``<cte><suffix>`` (a per-run suffix keeps two runs on one connection apart).
    A statement without CTEs is one final statement and no stage.  ``copy=False`` works on ``tree``
    itself and puts its tables and WITH clause back afterwards (no copy of the whole tree: a compiled
    model is split once per run; sqlglot's dialect rewrites, idempotent, may stay applied).  Every CTE is rendered once and the statements are put together
    from those texts, so a model with many shared steps costs one rendering, not one per stage.
    """
    with_ = tree.args.get("with_") or tree.args.get("with")
    if with_ is None or with_.args.get("recursive"):     # a recursive CTE reads itself: keep it whole
        text = sql if sql is not None else tree.sql(dialect=dialect)
        return StagedStatement([], text, _params(text, dialect), _relations(tree, set()))
    tree = tree.copy() if copy else tree
    with_ = tree.args.get("with_") or tree.args.get("with")
    key = "with_" if tree.args.get("with_") is not None else "with"
    tree.set(key, None)
    try:
        return _split(tree, with_, dialect, suffix, min_reads)
    finally:
        tree.set(key, with_)


def _split(body: exp.Expression, with_: exp.Expression, dialect: str, suffix: str, min_reads: int
           ) -> StagedStatement:
    """:func:`split_tree` of ``body`` (the statement without its WITH clause) and ``with_``; the
    tables renamed for rendering are put back before it returns.  The CTEs are rendered without
    sqlglot's defensive copy of each (the generator's dialect rewrites are idempotent)."""
    ctes: list[tuple[str, exp.Expression]] = [(c.alias, cast(exp.Expression, c.this)) for c in with_.expressions]
    names = {name for name, _ in ctes}
    # one walk of each query gives its tables and what makes it more than a cheap row-wise step
    found_in = {name: nodes(query) for name, query in ctes}
    body_nodes = nodes(body)
    tables = {name: [n for n in found if isinstance(n, exp.Table)] for name, found in found_in.items()}
    body_tables = [n for n in body_nodes if isinstance(n, exp.Table)]
    rowwise = {name for name, query in ctes if _rowwise(query, found_in[name])}
    refs = {name: [t.name for t in tables[name] if t.name in names and not t.args.get("db")] for name in names}
    body_refs = [t.name for t in body_tables if t.name in names and not t.args.get("db")]
    staged = _staged(ctes, refs, body_refs, rowwise, min_reads)
    needs = {name: [r for r in refs[name] if r not in staged] for name in names}
    body_needs = [name for name in body_refs if name not in staged]
    relations = sorted({_relation(t) for found in [*tables.values(), body_tables] for t in found if t.name not in names})
    renamed = [pair for found in [*tables.values(), body_tables] for pair in _rename(found, staged, suffix)]
    try:
        texts = {name: query.sql(dialect=dialect, copy=False) for name, query in ctes}
        body_text = body.sql(dialect=dialect, copy=False)
    finally:
        for new, old in renamed:
            new.replace(old)
    # DuckDB would materialise a row-wise CTE read twice (every column of every row written out);
    # repeating the scan is cheaper (frequent-lending-plaintiff, large city: 2.7 → 1.5 s).  Spark has
    # no such clause and inlines CTEs anyway.
    lazy = " NOT MATERIALIZED" if dialect == "duckdb" else ""
    heads = {name: f"{exp.to_identifier(name).sql(dialect=dialect)} AS{lazy if name in rowwise else ''} "
             for name in names}
    order = [name for name, _ in ctes]

    def statement(query_text: str, direct: list[str]) -> str:
        """``query_text`` with the unstaged CTEs it needs (transitively), in the original order."""
        need: set[str] = set()
        todo = list(direct)
        while todo:
            name = todo.pop()
            if name not in need:
                need.add(name)
                todo += needs[name]
        if not need:
            return query_text
        return "WITH " + ", ".join(f"{heads[n]}({texts[n]})" for n in order if n in need) + " " + query_text

    stages = []
    for name in order:
        if name in staged:
            text = statement(texts[name], needs[name])
            stages.append(Stage(name + suffix, text, _params(text, dialect)))
    final = statement(body_text, body_needs)
    return StagedStatement(stages, final, _params(final, dialect), relations)


def not_null_tests(tree: exp.Expression) -> exp.Expression:
    """Write ``NOT x IS NULL`` (how sqlglot renders "x is not null") as ``x IS NOT NULL``, in place.

    Same meaning in every dialect, but DuckDB pushes only the second form into the table scan as a
    null filter; the first stays a separate filter whose selectivity is guessed, and the guess picks
    the wrong side of a join to hash (gang-repeat-offenders' events: the 3.3 M persons instead of the
    1.6 M cases, +40% CPU on the large city).  Parsing the text back gives the first form again, so
    the split of SQL text applies it too."""
    for node in [n for n in nodes(tree) if isinstance(n, exp.Not)]:
        inner = node.this
        while isinstance(inner, exp.Paren):
            inner = inner.this
        if isinstance(inner, exp.Is) and isinstance(inner.expression, exp.Null):
            node.replace(exp.Is(this=inner.this, expression=exp.Not(this=exp.Null())))
    return tree


def _staged(ctes: list[tuple[str, exp.Expression]], refs: dict[str, list[str]], body_refs: list[str],
            rowwise: set[str], min_reads: int) -> set[str]:
    """The CTEs read ``min_reads`` times or more, counting a row-wise CTE's reads once per reader."""
    reads: dict[str, int] = {name: 0 for name, _ in ctes}
    for name in body_refs:
        reads[name] += 1
    for name, _ in reversed(ctes):
        times = max(reads[name], 1) if name in rowwise else 1
        for ref in refs[name]:
            reads[ref] += times
    return {name for name, _ in ctes if reads[name] >= min_reads and name not in rowwise}


def _rename(tables: list[exp.Table], staged: set[str], suffix: str) -> list[tuple[exp.Expression, exp.Expression]]:
    """Read each staged CTE as its table ``<cte><suffix>`` (keeping the name it was read under);
    the (new, old) table nodes, to put the old ones back.  ``tables``: the tables of one query."""
    out = []
    for t in tables:
        if t.name in staged and not t.args.get("db"):
            new = exp.Table(this=exp.to_identifier(t.name + suffix),
                            alias=exp.TableAlias(this=exp.to_identifier(t.alias_or_name)))
            t.replace(new)
            out.append((new, t))
    return out


#: string functions: a row-wise step using one costs per row what a cheap projection costs per column
#: block (M7's ``upper(trim(原告证件号码))`` over 4.2 M rows, M5's keyword regexps over every licence event)
COSTLY = (exp.RegexpLike, exp.RegexpILike, exp.RegexpExtract, exp.RegexpReplace, exp.RegexpSplit, exp.Upper,
          exp.Lower, exp.Trim, exp.Concat, exp.ConcatWs, exp.DPipe, exp.Substring, exp.Replace, exp.Like,
          exp.ILike, exp.Contains, exp.StrPosition)


def costly(query: exp.Expression, found: list[exp.Expression] | None = None) -> bool:
    """The query evaluates a string function (or a Python function) on its rows (``found``: the
    query's nodes, when the caller has them)."""
    for node in nodes(query) if found is None else found:
        if isinstance(node, COSTLY) or (isinstance(node, exp.Anonymous) and node.name.lower().startswith("shujian_")):
            return True
    return False


_NOT_ROWWISE = (exp.AggFunc, exp.Window, exp.Subquery, exp.Exists)


def _rowwise(query: exp.Expression, found: list[exp.Expression] | None = None) -> bool:
    """A filter/projection of one table with cheap expressions: cheaper to repeat in each reader than
    to write out.  One that evaluates string functions is not: read twice, it is computed once
    into a stage (the cost-aware half of the decision; see docs/model-language.md §8).
    ``found``: the query's nodes (:func:`shujian.compiler.shape.nodes`), when the caller has them."""
    if not isinstance(query, exp.Select) or query.args.get("joins") or query.args.get("distinct"):
        return False
    found = nodes(query) if found is None else found
    if any(query.args.get(k) for k in ("group", "having", "qualify", "order", "limit")):
        return False
    if costly(query, found):
        return False        # string or Python functions: compute them once, not once per reader
    return not any(isinstance(node, _NOT_ROWWISE) for node in found)


def _relation(table: exp.Table) -> str:
    """A table's name, or a table function's text (``range(10)``, ``read_parquet(…)``)."""
    return table.name if isinstance(table.this, exp.Identifier) else table.sql()


def _relations(query: exp.Expression, ctes: set[str]) -> list[str]:
    """The tables (and views) ``query`` reads that are none of the statement's CTEs; a table function
    (``range(10)``, ``read_parquet(…)``) by its text, which names no table (its size is unknown)."""
    return sorted({t.name if isinstance(t.this, exp.Identifier) else t.sql() for t in query.find_all(exp.Table)
                   if t.name not in ctes})


def _params(sql: str, dialect: str) -> list[str]:
    return sorted(set(MARKERS.get(dialect, MARKERS["duckdb"]).findall(sql)))
