"""Expert models written as one SQL SELECT (专家 SQL): checked read-only, then rewritten.

Accepted: exactly one statement that is a query (SELECT / WITH … SELECT / set operations) reading
only catalog datasets by name (or its own CTEs).  Refused with UnsafeSQL: DDL/DML, COPY, ATTACH,
INSTALL/LOAD, PRAGMA, SET, several statements, table functions (read_csv, glob …), file or URL
table names, qualified table names, and system functions (getenv, current_setting …).  Dataset names
are rewritten to their physical relations; ``:name`` parameters are bound, never pasted.

Every table reference is resolved the way the database resolves it: by sqlglot's scope analysis, a
name is a CTE only inside the scopes that CTE is visible in (``FROM ds_1 a, (WITH ds_1 AS … ) b``
reads the table ``ds_1`` in the outer scope, so it must be a dataset the model may read).  A model
that declares ``inputs`` may read only those datasets; the catalog it is compiled against is
already the acting org's (sibling orgs' datasets are not in it).  The run then executes on an
isolated connection that holds only these datasets (:mod:`shujian.engines.isolated`).
"""

from __future__ import annotations

import sqlglot
from sqlglot import exp
from sqlglot.errors import ParseError, SqlglotError
from sqlglot.optimizer.scope import traverse_scope

from shujian.catalog.schema import CatalogSchema
from shujian.compiler.expr import Ctx, suggest
from shujian.errors import Problem, UnsafeSQL, ValidationFailed
from shujian.spec.model import Model, RuleColumn

_DENY_NODES = (exp.DDL, exp.DML, exp.Command, exp.Copy, exp.Pragma, exp.Set, exp.Use,
               exp.Transaction, exp.Commit, exp.Rollback, exp.Attach, exp.Detach, exp.Install,
               exp.Into, exp.Lock, exp.Grant, exp.Describe, exp.Summarize, exp.Kill)
_DENY_FUNCS = {
    "read_csv", "read_csv_auto", "read_parquet", "read_json", "read_json_auto", "read_ndjson",
    "read_text", "read_blob", "read_xlsx", "glob", "parquet_scan", "csv_scan", "sniff_csv",
    "getenv", "current_setting", "set_config", "pg_read_file", "pg_read_binary_file", "pg_ls_dir",
    "lo_import", "lo_export", "dblink", "load_extension", "system", "query", "query_table",
    "duckdb_settings", "duckdb_extensions", "duckdb_secrets", "which_secret", "reflect",
    "java_method", "input_file_name", "pg_sleep", "sleep", "current_user", "session_user",
    "version", "inet_server_addr", "pg_stat_file", "httpfs", "iceberg_scan", "delta_scan",
    "sqlite_scan", "postgres_scan", "mysql_scan", "sqlite_attach", "postgres_attach",
}


_FILE_SUFFIXES = (".csv", ".parquet", ".json", ".xlsx", ".db", ".duckdb", ".txt", ".gz", ".tsv")


def _name(node: exp.Expression) -> str:
    if isinstance(node, exp.Anonymous):
        return str(node.this).lower()
    if isinstance(node, exp.Func):
        return node.sql_name().lower()
    return type(node).__name__.lower()


def check_sql(text: str, datasets: set[str]) -> tuple[exp.Query, list[Problem]]:
    """Parse and check an expert SELECT; returns the tree and the problems found (may be empty)."""
    problems: list[Problem] = []
    try:
        statements = [s for s in sqlglot.parse(text, read="duckdb") if s is not None]
    except ParseError as exc:
        raise UnsafeSQL([Problem("sql", f"SQL 无法解析：{str(exc).splitlines()[0]}")]) from exc
    if len(statements) != 1:
        raise UnsafeSQL([Problem("sql", f"只允许一条 SELECT 语句，实际 {len(statements)} 条")])
    tree = statements[0]
    if not isinstance(tree, exp.Query):
        raise UnsafeSQL([Problem("sql", f"只允许 SELECT 查询，不允许 {tree.key.upper()} 语句")])
    for node in tree.walk():
        problems.extend(_check_node(node))
    refs, unresolved = table_refs(tree)
    problems += unresolved
    for table, is_cte in refs:
        if not is_cte:
            problems.extend(_check_table(table, datasets))
    return tree, problems


def table_refs(tree: exp.Query) -> tuple[list[tuple[exp.Table, bool]], list[Problem]]:
    """Every table reference of ``tree`` and whether it names a CTE visible where it stands.

    Resolved per scope (a CTE defined inside a subquery does not hide a table of the same name in
    the enclosing query).  A reference the scope analysis cannot place is a problem (fail closed).
    """
    found: dict[int, tuple[exp.Table, bool]] = {}
    try:
        for scope in traverse_scope(tree):
            for table in scope.tables:
                is_cte = not table.args.get("db") and table.name in scope.cte_sources
                found[id(table)] = (table, is_cte)
    except SqlglotError as exc:
        return [], [Problem("sql", f"无法分析 SQL 的表引用：{str(exc).splitlines()[0]}")]
    problems = [Problem("sql", f"无法确定表引用 {t.sql('duckdb')[:60]} 的来源；请改写为普通的 FROM/JOIN")
                for t in tree.find_all(exp.Table) if id(t) not in found]
    return list(found.values()), problems


def _check_node(node: exp.Expression) -> list[Problem]:
    if isinstance(node, _DENY_NODES):
        return [Problem("sql", f"不允许 {node.key.upper()}（只读查询中不能写入、改配置或加载扩展）")]
    if isinstance(node, exp.Func) and _name(node) in _DENY_FUNCS or (
            isinstance(node, exp.Anonymous) and _name(node).startswith(("read_", "pg_", "duckdb_"))):
        return [Problem("sql", f"不允许调用函数 {_name(node)}()（文件、网络或系统访问）")]
    if isinstance(node, exp.Literal) and node.is_string and "://" in node.this:
        return [Problem("sql", f"不允许访问网址 {node.this[:60]}")]
    return []


def _check_table(node: exp.Table, datasets: set[str]) -> list[Problem]:
    if not isinstance(node.this, exp.Identifier):
        return [Problem("sql", f"FROM 中只能写数据集名称，不允许表函数或文件：{node.sql('duckdb')[:60]}")]
    if node.args.get("db") or node.args.get("catalog"):
        return [Problem("sql", f"不允许带库名/模式名的表 {node.sql('duckdb')}；请直接写数据集名称")]
    name = node.name
    if name in datasets:
        return []
    if "/" in name or "\\" in name or "://" in name or name.lower().endswith(_FILE_SUFFIXES):
        return [Problem("sql", f"不允许读取文件或网址 {name[:60]}；只能读取目录中的数据集")]
    return [Problem("sql", f'数据集 "{name}" 不在目录中{suggest(name, sorted(datasets))}')]


def compile_raw(model: Model, catalog: CatalogSchema, ctx: Ctx, capabilities: frozenset[str] | None):
    """Check, rewrite and render an expert SQL model."""
    from shujian.compiler.core import RULE_COLUMN, CompiledModel, EvidenceColumn, render

    tree, problems = check_sql(model.sql, set(catalog.datasets))
    refs = [t for t, is_cte in table_refs(tree)[0] if not is_cte]
    problems += _scope_problems(model, catalog, tree, refs)
    if problems:
        raise UnsafeSQL(problems, title=f"模型 {model.id} 的 SQL 不安全或无效")
    used: list[str] = []
    for table in refs:
        ds = catalog.get(table.name)
        if ds.name not in used:
            used.append(ds.name)
        alias = table.alias or ds.name
        table.replace(exp.alias_(exp.to_table(ds.relation), alias, table=True))
    for ph in tree.find_all(exp.Placeholder):
        ctx.bind(ph.name, "sql")
    names = tree.named_selects
    if any(isinstance(s, exp.Star) or (isinstance(s, exp.Column) and isinstance(s.this, exp.Star))
           for s in tree.selects):
        ctx.problem("sql", "专家 SQL 的最外层请明确列出输出列（不要用 *），以便校验输出字段")
    for loc, name in _output_fields(model):
        if name not in names:
            ctx.problem(loc, f'输出字段 "{name}" 不在 SQL 的输出列中{suggest(name, names)}')
    if ctx.problems:
        raise ValidationFailed(ctx.problems, title=f"模型 {model.id} 编译未通过")
    rule = model.output.rule
    rule_expr = exp.column(rule.column) if isinstance(rule, RuleColumn) else exp.Literal.string(rule)
    user = [n for n in names if not n.startswith("_ev_")]
    ev_cols = [n for n in names if n.startswith("_ev_")]
    final = exp.select(*[exp.column(n) for n in user], exp.alias_(rule_expr, RULE_COLUMN),
                       *[exp.column(n) for n in ev_cols]).from_(
        exp.alias_(exp.Subquery(this=tree), "expert", table=True))
    params = dict(ctx.bound)
    return CompiledModel(
        sql=render(final, ctx.dialect, params), parameters=params, dialect=ctx.dialect,
        output_columns=[*user, RULE_COLUMN, *ev_cols], column_types={n: "ANY" for n in user},
        evidence=[EvidenceColumn(n.removeprefix("_ev_"), n, _is_list(tree, n)) for n in ev_cols],
        datasets=used, capabilities=["sql"], tree=final)


def _scope_problems(model: Model, catalog: CatalogSchema, tree: exp.Query, refs: list[exp.Table]) -> list[Problem]:
    """Datasets outside the model's declared inputs, and CTE names that would hide a physical table."""
    problems = []
    declared = {i.dataset for i in model.inputs.values()}
    if declared:
        for name in sorted({t.name for t in refs} - declared):
            problems.append(Problem("sql", f'数据集 "{name}" 未在模型的 inputs 中声明；专家 SQL 只能读取声明的输入数据集'))
    relations = {ds.relation.lower() for ds in catalog.datasets.values()}
    for cte in tree.find_all(exp.CTE):
        if cte.alias_or_name.lower() in relations:
            problems.append(Problem("sql", f"CTE 名称 {cte.alias_or_name} 与数据表重名；请换一个名称"))
    return problems


def _is_list(tree: exp.Query, name: str) -> bool:
    for sel in tree.selects:
        if sel.alias_or_name == name:
            return sel.find(exp.ArrayAgg) is not None
    return False


def _output_fields(model: Model) -> list[tuple[str, str]]:
    out = model.output
    items = [("output.subject.key", out.subject.key)]
    if out.subject.name:
        items.append(("output.subject.name", out.subject.name))
    items += [(f"output.facts[{i}]", f) for i, f in enumerate(out.facts)]
    items += [("output.title", p) for p in model.title_placeholders()]
    if isinstance(out.rule, RuleColumn):
        items.append(("output.rule.column", out.rule.column))
    return items
