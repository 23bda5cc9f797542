"""Condition trees (all/any/not, comparisons, keywords, expression strings) → sqlglot predicates."""

from __future__ import annotations

import string

from sqlglot import exp

from shujian.compiler.expr import ColRef, Ctx, ExprCompiler, Scope, suggest
from shujian.compiler.types import ANY, TEMPORAL, comparable, yes_no_word, zh
from shujian.spec.model import All, AnyOf, Compare, KeywordCond, Keywords, Not

_OPS = {"=": exp.EQ, "!=": exp.NEQ, "<": exp.LT, "<=": exp.LTE, ">": exp.GT, ">=": exp.GTE}


def condition(ctx: Ctx, cond: object, scope: Scope, loc: str) -> exp.Expression | None:
    """Compile one condition node; problems go to ``ctx`` and None is returned on error."""
    if isinstance(cond, str):
        return ExprCompiler(ctx, scope, loc).compile_bool(cond)
    if isinstance(cond, All | AnyOf):
        items = cond.all if isinstance(cond, All) else cond.any
        key = "all" if isinstance(cond, All) else "any"
        parts = [condition(ctx, c, scope, f"{loc}.{key}[{i}]") for i, c in enumerate(items)]
        if any(p is None for p in parts):
            return None
        return exp.and_(*parts) if key == "all" else exp.or_(*parts)
    if isinstance(cond, Not):
        inner = condition(ctx, cond.not_, scope, f"{loc}.not")
        return exp.not_(inner) if inner is not None else None
    if isinstance(cond, KeywordCond):
        return keywords(ctx, cond.keywords, scope, f"{loc}.keywords")
    if isinstance(cond, Compare):
        return compare(ctx, cond, scope, loc)
    ctx.problem(loc, "无法识别的条件")
    return None


def column(ctx: Ctx, name: str, scope: Scope, loc: str) -> ColRef | None:
    """Look a field up in the scope, reporting an unknown one with a suggestion."""
    ref = scope.lookup(name, None)
    if ref is None:
        names = list(scope.cols)
        ctx.problem(loc, f'列 "{name}" 不在{scope.label}中{suggest(name, names)}'
                         f"（可用列：{', '.join(names)}）")
    return ref


def compare(ctx: Ctx, c: Compare, scope: Scope, loc: str) -> exp.Expression | None:
    ref = column(ctx, c.field, scope, f"{loc}.field")
    if ref is None:
        return None
    col = ref.expr()
    if c.op in ("is_null", "not_null"):
        node = exp.Is(this=col, expression=exp.null())
        return node if c.op == "is_null" else exp.not_(node)
    rhs = _rhs(ctx, c, scope, loc, ref.dtype)
    if rhs is None:
        return None
    if c.op in ("in", "not_in"):
        if not rhs:  # empty list parameter: nothing is "in" it
            return exp.false() if c.op == "in" else exp.true()
        node = exp.In(this=col, expressions=rhs)
        return node if c.op == "in" else exp.not_(node)
    if c.op == "between":
        if len(rhs) != 2:
            ctx.problem(loc, "between 需要两个值 [下限, 上限]")
            return None
        return exp.Between(this=col, low=rhs[0], high=rhs[1])
    if len(rhs) != 1:
        ctx.problem(loc, f"比较 {c.op} 只需要一个值")
        return None
    return _OPS[c.op](this=col, expression=rhs[0])


def _rhs(ctx: Ctx, c: Compare, scope: Scope, loc: str, dtype: str) -> list[exp.Expression] | None:
    many = c.op in ("in", "not_in", "between")
    if c.param is not None:
        if many:
            return ctx.bind_list(c.param, f"{loc}.param")
        node, ptype = ctx.bind(c.param, f"{loc}.param")
        return _checked(ctx, [(node, ptype)], dtype, c.field, loc) if node is not None else None
    if c.expr is not None:
        node, etype = ExprCompiler(ctx, scope, f"{loc}.expr").compile(c.expr)
        return _checked(ctx, [(node, etype)], dtype, c.field, loc) if node is not None else None
    values = c.value if isinstance(c.value, list) else [c.value]
    if isinstance(c.value, list) and not many:
        ctx.problem(f"{loc}.value", f"比较 {c.op} 的值不能是列表")
        return None
    lits = [ctx.literal(v, f"{loc}.value") for v in values]
    lits = [_yes_no(dtype, n, t) for n, t in lits]
    if dtype in TEMPORAL:
        lits = [(exp.cast(n, "DATE"), "DATE") if t == "VARCHAR" else (n, t) for n, t in lits]
    return _checked(ctx, lits, dtype, c.field, loc)


def _yes_no(dtype: str, node: exp.Expression, t: str) -> tuple[exp.Expression, str]:
    """是/否 values against a yes/no column in the column's form (docs/data-import.md, “是/否列”)."""
    if dtype == "BOOLEAN" and t == "VARCHAR" and yes_no_word(node.this) is not None:
        return exp.Boolean(this=yes_no_word(node.this)), "BOOLEAN"
    if dtype == "VARCHAR" and t == "BOOLEAN":
        return exp.Literal.string("是" if node.this else "否"), "VARCHAR"
    return node, t


def _checked(ctx: Ctx, items: list[tuple[exp.Expression, str]], dtype: str, field: str,
             loc: str) -> list[exp.Expression] | None:
    for node, t in items:
        if not comparable(dtype, t):
            ctx.problem(loc, f'不能比较{zh(dtype)}列 "{field}" 和{zh(t)} {node.sql("duckdb")}')
            return None
    return [n for n, _ in items]


def keywords(ctx: Ctx, k: Keywords, scope: Scope, loc: str) -> exp.Expression | None:
    """any/all/none of the keywords occur in the text field (substring match, bound values)."""
    ctx.use("keywords", loc)
    ref = column(ctx, k.field, scope, f"{loc}.field")
    if ref is None:
        return None
    if ref.dtype not in ("VARCHAR", ANY):
        ctx.problem(f"{loc}.field", f'关键词筛查需要文本列，"{k.field}" 是{zh(ref.dtype)}')
        return None
    before = set(ctx.bound)
    if k.param is not None:
        words = ctx.bind_list(k.param, f"{loc}.param")
    else:
        words = [exp.Literal.string(w) for w in k.words or []]
    if words is None:
        return None
    text = exp.func("COALESCE", ref.expr(), exp.Literal.string(""))   # NULL text has no keyword
    if ctx.dialect == "duckdb" and k.match != "all" and words:
        one = _one_pattern(ctx, k, words, text, keep=before)
        if one is not None:
            return one if k.match == "any" else exp.not_(one)
    hits = [exp.GT(this=exp.StrPosition(this=text.copy(), substr=w), expression=exp.Literal.number(0))
            for w in words]
    if not hits:
        return exp.false() if k.match == "any" else exp.true()
    if k.match == "all":
        return exp.and_(*hits)
    found = exp.or_(*hits)
    return found if k.match == "any" else exp.not_(exp.paren(found))


_REGEX_SPECIAL = frozenset(string.punctuation)


def keyword_pattern(words: list[str]) -> str:
    r"""One regular expression matching any of ``words`` as a plain substring (ASCII punctuation
    escaped; RE2, Java and PostgreSQL read ``\`` + punctuation as that character).

    >>> print(keyword_pattern(["预付卡", "a.b", "(x)"]))
    预付卡|a\.b|\(x\)
    """
    return "|".join("".join(f"\\{ch}" if ch in _REGEX_SPECIAL else ch for ch in w) for w in words)


def _one_pattern(ctx: Ctx, k: Keywords, words: list[exp.Expression], text: exp.Expression,
                 keep: set[str]) -> exp.Expression | None:
    """DuckDB: any/none of N keywords as one ``regexp_matches`` over an alternation of the escaped
    words (one RE2 scan of the text instead of N substring searches; measured 2.6× less CPU on 450k
    12345 tickets).  The pattern is bound as a parameter; None when a word is not a string.  Same
    result as the substring searches: an empty word matches every text in both."""
    values = [ctx.bound.get(w.name) if isinstance(w, exp.Placeholder) else w.this for w in words]
    if not all(isinstance(v, str) for v in values):
        return None
    for w in words:    # the pattern replaces the per-word parameters (unless bound for another use)
        if isinstance(w, exp.Placeholder) and w.name not in keep:
            ctx.bound.pop(w.name, None)
    name = f"{k.param}__pattern" if k.param is not None else None
    pattern = keyword_pattern(values)
    if name is None:
        node: exp.Expression = exp.Literal.string(pattern)
    else:
        ctx.bound[name] = pattern
        node = exp.Placeholder(this=name)
    return exp.RegexpLike(this=text, expression=node)
