"""The ``text`` step (文本规则) → SQL: a regular-expression prefilter, then ``shujian_text``.

Two CTEs.  The first keeps the rows whose text contains one of the rule's positive terms
(``regexp_matches`` on DuckDB, ``RLIKE`` on Spark — a necessary condition of a match, evaluated by
the engine in parallel) and calls the Python function ``shujian_text`` (``shujian.text.udf``) on
them; the second keeps the matches and unpacks the function's struct into the step's columns.
The rule travels as a JSON literal so the statement is self-contained and logged as run.
Capability ``text.rules``: engines that host the function declare it (DuckDB, Spark).
"""

from __future__ import annotations

import json

from sqlglot import exp

from shujian.compiler.conditions import column
from shujian.compiler.steps import Builder, Rel, _cols, _ev_cols
from shujian.compiler.types import ANY, zh
from shujian.spec.text import TextStep, prefilter_pattern

FUNCTION = "shujian_text"
STRUCT = "__tx"
SEPARATOR = "。"


def build_text(b: Builder, sid: str, t: TextStep, src: Rel, loc: str) -> Rel | None:
    b.ctx.use("text.rules", loc)
    scope = src.scope(f"步骤输入 {src.cte}")
    parts = []
    for i, name in enumerate(t.text_fields):
        ref = column(b.ctx, name, scope, f"{loc}.text.{'field' if t.field else f'fields[{i}]'}")
        if ref is None:
            return None
        if ref.dtype not in ("VARCHAR", ANY):
            b.ctx.problem(f"{loc}.text", f'文本规则需要文本列，"{name}" 是{zh(ref.dtype)}')
            return None
        parts.append(exp.func("COALESCE", ref.expr(), exp.Literal.string("")))
    outputs = t.outputs()
    clash = [c for c in outputs.values() if c in src.cols]
    if clash:
        b.ctx.problem(f"{loc}.text", f"输出列 {'、'.join(clash)} 与输入列重名，请换一个名字")
        return None
    text = parts[0] if len(parts) == 1 else exp.Concat(
        expressions=[p for i, part in enumerate(parts) for p in ([exp.Literal.string(SEPARATOR)] if i else []) + [part]])
    config = {"rule": t.rule.model_dump(mode="json", exclude_defaults=True) if t.rule else None,
              "outputs": sorted(outputs)}
    call = exp.Anonymous(this=FUNCTION, expressions=[
        text.copy(), exp.Literal.string(json.dumps(config, ensure_ascii=False, separators=(",", ":")))])
    first = exp.select(*_cols(list(src.cols)), exp.alias_(call, STRUCT), *_ev_cols(src)).from_(src.cte)
    if t.rule is not None and t.keep == "matched":
        pattern = prefilter_pattern(t.rule.positive_terms())
        first = first.where(exp.RegexpLike(this=text.copy(), expression=exp.Literal.string(pattern)))
    inner = b.add(f"{sid}__text", first)
    cols = dict(src.cols)
    unpacked = []
    for kind, name in outputs.items():
        unpacked.append(exp.alias_(_field(kind), name))
        cols[name] = "VARCHAR"
    q = exp.select(*_cols(list(src.cols)), *unpacked, *_ev_cols(src)).from_(inner)
    if t.rule is not None and t.keep == "matched":
        q = q.where(_field("matched"))
    return Rel(b.add(sid, q), cols, dict(src.evidence))


def _field(name: str) -> exp.Expression:
    return exp.Bracket(this=exp.column(STRUCT), expressions=[exp.Literal.string(name)])
