"""Shapes of the compiled statement that the DuckDB rewrites (``exists``, ``null_tests``) look for, in
one place: the steps (CTEs), a step's single FROM table, the clauses that make a step more than a
filter/projection, the conjuncts of a condition."""

from __future__ import annotations

from sqlglot import exp

# clauses that make a SELECT more than a filter/projection of its FROM
PLAIN_CLAUSES = ("joins", "group", "having", "qualify", "order", "limit", "offset", "distinct", "with", "with_")


def with_of(tree: exp.Expression) -> exp.With | None:
    """The WITH of ``tree`` (sqlglot ≥ 28 names the argument ``with_``)."""
    return tree.args.get("with_") or tree.args.get("with")


def from_table(select: exp.Select) -> exp.Table | None:
    """The table ``select`` reads FROM, or None when it reads a subquery or nothing (sqlglot ≥ 28
    names the argument ``from_``)."""
    source = select.args.get("from_") or select.args.get("from")
    table = source.this if source is not None else None
    return table if isinstance(table, exp.Table) else None


def readers(ctes: list[tuple[str, exp.Query]]) -> dict[str, list[str]]:
    """Relation name → the CTEs that read it, a CTE once per table reference (so ``len`` counts the
    references)."""
    out: dict[str, list[str]] = {}
    for name, query in ctes:
        for table in query.find_all(exp.Table):
            out.setdefault(table.name, []).append(name)
    return out


def conjuncts(node: exp.Expression) -> list[exp.Expression]:
    """The parts of ``a AND (b AND c)`` → [a, b, c], parentheses removed around each."""
    node = node.unnest()
    if isinstance(node, exp.And):
        return [*conjuncts(node.this), *conjuncts(node.expression)]
    return [node]


def nodes(root: exp.Expression) -> list[exp.Expression]:
    """Every node of ``root``, breadth first (the order of sqlglot's ``walk``), gathered in one loop
    instead of sqlglot's generators (``find_all`` over a compiled model costs several times more):
    for the passes that look at every node of the statement."""
    out = [root]
    i = 0
    while i < len(out):
        for value in out[i].args.values():
            if isinstance(value, list):
                out.extend(v for v in value if isinstance(v, exp.Expression))
            elif isinstance(value, exp.Expression):
                out.append(value)
        i += 1
    return out
