"""Column lineage of a compiled statement: which catalog columns each output column is made from.

Pure (no IO): sqlglot's lineage over the compiled tree, given the physical relations' columns.  A
preview masks an output column by what it is derived from, not by its name, so ``concat(person,
'')`` or ``upper(card)`` stays masked like the column it copies.  A ``count(…)`` gives a number that
carries none of its argument's values, so lineage stops there.
"""

from __future__ import annotations

from dataclasses import dataclass

import sqlglot
from sqlglot import exp
from sqlglot.errors import SqlglotError
from sqlglot.lineage import Node, lineage

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
        nodes = lineage(None, tree, schema=schema, dialect=dialect)
    except (SqlglotError, RecursionError, KeyError, ValueError):
        return None
    return {name: _origin(node, dialect) for name, node in nodes.items()}


def _origin(root: Node, dialect: str) -> Origin:
    sources: set[tuple[str, str]] = set()
    stack = [root]
    while stack:
        node = stack.pop()
        body = node.expression.this if isinstance(node.expression, exp.Alias) else node.expression
        if isinstance(body, exp.Count):
            continue                        # a count carries no value of its argument
        if isinstance(node.expression, exp.Table):
            sources.add(_leaf(node, dialect))
        stack.extend(node.downstream)
    return Origin(frozenset(sources))


def _leaf(node: Node, dialect: str) -> tuple[str, str]:
    """``(relation, column)`` of a lineage leaf (its name is ``relation.column``)."""
    col = sqlglot.parse_one(node.name, read=dialect)
    relation = node.expression.name
    return relation, col.name if isinstance(col, exp.Column) else node.name.rsplit(".", 1)[-1].strip('"')


__all__ = ["Origin", "origins"]
