"""The safe expression language (表达式语言) used inside steps.

Expressions are parsed with sqlglot (DuckDB syntax) and then every node is checked against a
whitelist of node types and function names; anything else is refused with a message that names the
offending piece.  Columns are bare names (Chinese allowed, ``"双引号"`` for odd ones); in a join
condition ``left.列``/``right.列`` pick a side; ``:name`` is a declared parameter.

>>> parse_expr("金额 > :min_amount").sql("duckdb")
'金额 > $min_amount'
"""

from __future__ import annotations

from dataclasses import dataclass

import sqlglot
from sqlglot import exp
from sqlglot.errors import ParseError


class ExprError(ValueError):
    """An expression that does not parse or uses something outside the whitelist."""


@dataclass(frozen=True)
class Func:
    """One whitelisted function: its user-facing name, kind and argument count range."""

    name: str
    kind: str = "scalar"          # scalar | aggregate | window
    min_args: int = 1
    max_args: int = 1


# sqlglot node class → whitelisted function
_FUNCS: dict[type[exp.Expression], Func] = {
    exp.Concat: Func("concat", min_args=1, max_args=99),
    exp.Substring: Func("substr", min_args=2, max_args=3),
    exp.Length: Func("length"),
    exp.Upper: Func("upper"),
    exp.Lower: Func("lower"),
    exp.Trim: Func("trim"),
    exp.Contains: Func("contains", min_args=2, max_args=2),
    exp.StartsWith: Func("starts_with", min_args=2, max_args=2),
    exp.RegexpLike: Func("regexp_matches", min_args=2, max_args=2),
    exp.Year: Func("year"),
    exp.Month: Func("month"),
    exp.DateDiff: Func("date_diff", min_args=3, max_args=3),
    exp.AddMonths: Func("add_months", min_args=2, max_args=2),
    exp.CurrentDate: Func("today", min_args=0, max_args=0),
    exp.Coalesce: Func("coalesce", min_args=1, max_args=99),
    exp.Least: Func("least", min_args=1, max_args=99),
    exp.Greatest: Func("greatest", min_args=1, max_args=99),
    exp.Abs: Func("abs"),
    exp.Round: Func("round", min_args=1, max_args=2),
    exp.Count: Func("count", "aggregate", 0, 1),
    exp.Sum: Func("sum", "aggregate"),
    exp.Min: Func("min", "aggregate"),
    exp.Max: Func("max", "aggregate"),
    exp.Avg: Func("avg", "aggregate"),
    exp.AnyValue: Func("any_value", "aggregate"),
    exp.ArrayAgg: Func("list", "aggregate"),
    exp.RowNumber: Func("row_number", "window", 0, 0),
    exp.Rank: Func("rank", "window", 0, 0),
    exp.DenseRank: Func("dense_rank", "window", 0, 0),
    exp.Lag: Func("lag", "window", 1, 3),
    exp.Lead: Func("lead", "window", 1, 3),
}
# functions sqlglot does not know: parsed as Anonymous, rewritten by the compiler
_ANON = {
    "add_days": Func("add_days", min_args=2, max_args=2),
    "month_start": Func("month_start"),
    "today": Func("today", min_args=0, max_args=0),
}
# structural nodes allowed anywhere in an expression
_NODES: tuple[type[exp.Expression], ...] = (
    exp.Column, exp.Identifier, exp.Literal, exp.Boolean, exp.Null, exp.Placeholder, exp.Paren,
    exp.Add, exp.Sub, exp.Mul, exp.Div, exp.Mod, exp.Neg, exp.IntDiv,
    exp.EQ, exp.NEQ, exp.GT, exp.GTE, exp.LT, exp.LTE, exp.And, exp.Or, exp.Not,
    exp.In, exp.Between, exp.Is, exp.Like, exp.ILike, exp.DPipe, exp.Case, exp.If, exp.Cast,
    exp.DataType, exp.DataTypeParam, exp.Var, exp.Distinct, exp.Star, exp.Tuple,
)
CAST_TYPES = {"VARCHAR", "TEXT", "BIGINT", "INT", "INTEGER", "DOUBLE", "DECIMAL", "DATE",
              "TIMESTAMP", "BOOLEAN"}

FUNCTION_NAMES = sorted({f.name for f in _FUNCS.values()} | set(_ANON) | {"cast", "case"})


def function_of(node: exp.Expression) -> Func | None:
    """The whitelisted function a node stands for, or None for structural nodes."""
    if isinstance(node, exp.Anonymous):
        return _ANON.get(str(node.this).lower())
    return _FUNCS.get(type(node))


def parse_expr(text: str) -> exp.Expression:
    """Parse one expression and check it against the whitelist; raise ExprError (中文) otherwise."""
    if not isinstance(text, str) or not text.strip():
        raise ExprError("表达式不能为空")
    if ";" in text:
        raise ExprError("表达式中不能出现分号")
    try:
        tree = sqlglot.parse_one(text, read="duckdb")
    except ParseError as exc:
        raise ExprError(f"表达式无法解析：{_first_error(exc)}") from exc
    if isinstance(tree, exp.Query) or not isinstance(tree, exp.Expression):
        raise ExprError("表达式中不能写查询语句")
    # DuckDB's reader wraps any_value(x) as IGNORE NULLS; the language has no such clause
    tree = tree.transform(lambda n: n.this if isinstance(n, exp.IgnoreNulls)
                          and isinstance(n.this, exp.AnyValue) else n, copy=False)     # a fresh parse: no copy
    for node in tree.walk():
        _check_node(node)
    return tree


def _first_error(exc: ParseError) -> str:
    errs = getattr(exc, "errors", None) or []
    if errs:
        e = errs[0]
        return f"第 {e.get('line')} 行第 {e.get('col')} 列附近：{e.get('description')}"
    return str(exc).splitlines()[0]


def _check_node(node: exp.Expression) -> None:
    if isinstance(node, exp.Anonymous):
        name = str(node.this).lower()
        if name not in _ANON:
            raise ExprError(f"不支持的函数 {name}()；可用函数：{', '.join(FUNCTION_NAMES)}")
        _check_arity(_ANON[name], len(node.expressions))
        return
    func = _FUNCS.get(type(node))
    if func is not None:
        if not isinstance(node, exp.Count | exp.Concat | exp.Coalesce | exp.Least | exp.Greatest
                          | exp.DateDiff | exp.Round | exp.Substring | exp.Trim):
            _check_arity(func, sum(1 for _ in node.iter_expressions()))
        return
    if isinstance(node, exp.Cast):
        target = node.to.this.name if isinstance(node.to.this, exp.DataType.Type) else str(node.to)
        if target.upper() not in CAST_TYPES:
            raise ExprError(f"不支持转换为类型 {target}；可用：{', '.join(sorted(CAST_TYPES))}")
        return
    if isinstance(node, exp.Column) and node.table and node.table not in ("left", "right"):
        raise ExprError(f"列引用 {node.sql()} 的前缀只能是 left 或 right")
    if not isinstance(node, _NODES):
        raise ExprError(f"表达式中不允许使用 {_describe(node)}")


def _check_arity(func: Func, n: int) -> None:
    if not func.min_args <= n <= func.max_args:
        want = (str(func.min_args) if func.min_args == func.max_args
                else f"{func.min_args}–{func.max_args}")
        raise ExprError(f"函数 {func.name}() 需要 {want} 个参数，实际 {n} 个")


def _describe(node: exp.Expression) -> str:
    if isinstance(node, exp.Func):
        name = node.sql_name() if hasattr(node, "sql_name") else type(node).__name__
        return f"函数 {name.lower()}()；可用函数：{', '.join(FUNCTION_NAMES)}"
    text = node.sql("duckdb")
    return f"“{text[:40]}”（{type(node).__name__}）"
