"""Column lineage of a compiled statement: which catalog columns each output column is made from.

Pure (no IO): the compiled tree qualified with sqlglot against the physical relations' columns,
then each output column followed through its scopes (CTEs, subqueries, unions) down to the tables;
any reference that cannot be placed makes the whole answer unknown (None).  A
preview masks an output column by what it is derived from, not by its name, so ``concat(person,
'')`` or ``upper(card)`` stays masked like the column it copies.  A ``count(…)`` gives a number that
carries none of its argument's values, so lineage stops there.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlglot import exp
from sqlglot.errors import SqlglotError
from sqlglot.optimizer.qualify import qualify
from sqlglot.optimizer.scope import Scope, build_scope

from shujian.catalog.schema import RAW_PREFIX, ROW_ID, CatalogSchema


@dataclass(frozen=True)
class Origin:
    """Where an output column comes from: the catalog ``(relation, column)`` pairs it is made from."""

    sources: frozenset[tuple[str, str]]


def origins(tree: exp.Expression, catalog: CatalogSchema, dialect: str = "duckdb") -> dict[str, Origin] | None:
    """Origin of every output column of ``tree``; None when the lineage cannot be worked out (the
    caller must then treat every column as derived from everything: fail closed)."""
    schema = {ds.relation: {**{c.name: c.dtype for c in ds.columns}, ROW_ID: "BIGINT",
                            **{RAW_PREFIX + c.name: "VARCHAR" for c in ds.columns}}
              for ds in catalog.datasets.values()}
    try:
        qualified = qualify(tree.copy(), schema=schema, dialect=dialect, validate_qualify_columns=False,
                            identify=False)
        root = build_scope(qualified)
        if root is None:
            return None
        walk = _Walk()
        out = {}
        for select in qualified.selects:
            found = walk.expression(root, select)
            if found is None:
                return None
            out[select.alias_or_name] = Origin(frozenset(found))
        return out
    except (SqlglotError, RecursionError, KeyError, ValueError):
        return None


class _Walk:
    """Sources of scope columns, each worked out once (a CTE read by many steps is not walked again)."""

    def __init__(self) -> None:
        self.memo: dict[tuple[int, str], set[tuple[str, str]] | None] = {}

    def column(self, scope: Scope, name: str) -> set[tuple[str, str]] | None:
        key = (id(scope), name)
        if key not in self.memo:
            self.memo[key] = None           # a cycle (recursive CTE) stays unknown
            self.memo[key] = self._column(scope, name)
        return self.memo[key]

    def _column(self, scope: Scope, name: str) -> set[tuple[str, str]] | None:
        expression = scope.expression
        if not isinstance(expression, exp.Select | exp.SetOperation):
            return None
        names = [s.alias_or_name for s in expression.selects]
        return self._at(scope, names.index(name)) if name in names else None

    def _at(self, scope: Scope, index: int) -> set[tuple[str, str]] | None:
        """Sources of the ``index``-th output column (a set operation matches its parts by position)."""
        if scope.set_operation_scopes:
            found: set[tuple[str, str]] = set()
            for part in scope.set_operation_scopes:
                got = self._at(part, index)
                if got is None:
                    return None
                found |= got
            return found
        selects = scope.expression.selects if isinstance(scope.expression, exp.Select) else []
        return self.expression(scope, selects[index]) if index < len(selects) else None

    def expression(self, scope: Scope, node: exp.Expression) -> set[tuple[str, str]] | None:
        body = node.this if isinstance(node, exp.Alias) else node
        if isinstance(body, exp.Window):
            body = body.this
        if isinstance(body, exp.Count):
            return set()                    # a count carries no value of its argument
        found: set[tuple[str, str]] = set()
        # a subquery in a select list (a text step's kept config): what its own outputs are made from, in its
        # own scope; one that returns an outer column (correlated) cannot place it there and fails closed
        nodes = list(node.walk(prune=lambda n: n is not node and isinstance(n, exp.Query)))
        for query in (n for n in nodes if n is not node and isinstance(n, exp.Query)):
            query = query.unnest() if isinstance(query, exp.Subquery) else query
            sub = next((s for s in scope.subquery_scopes if s.expression is query), None)
            if sub is None or not isinstance(query, exp.Select):
                return None
            for i in range(len(query.selects)):
                got = self._at(sub, i)
                if got is None:
                    return None
                found |= got
        for col in nodes:
            if not isinstance(col, exp.Column):
                continue
            if isinstance(col.this, exp.Star):
                return None
            source = scope.sources.get(col.table) if col.table else (
                next(iter(scope.sources.values())) if len(scope.sources) == 1 else None)
            if isinstance(source, exp.Table):
                found.add((source.name, col.name))
            elif isinstance(source, Scope):
                got = self.column(source, col.name)
                if got is None:
                    return None
                found |= got
            else:
                return None
        return found


__all__ = ["Origin", "origins"]
