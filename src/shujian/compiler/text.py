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
    if t.rule is not None and t.keep == "matched":
        config["matched_only"] = True      # rows that do not match are dropped: no merchant for them
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


def narrow_outputs(ctes: list[tuple[str, exp.Query]], final: exp.Query) -> None:
    """After column pruning: each ``shujian_text`` call computes only the fields still read.

    The call's config lists the step's outputs; the explanation (a JSON document per message) is
    most of a match's cost and a model that does not show it (its clue facts name other columns)
    has its projection pruned.  Here each text CTE's config is rewritten, in place, to the fields
    its readers still take (``__tx['…']``); a reader taking the whole struct keeps every field.
    """
    readers = [q for _, q in ctes] + [final]
    for name, query in ctes:
        call = next((c for c in query.find_all(exp.Anonymous) if c.name.lower() == FUNCTION), None)
        if call is None or len(call.expressions) != 2 or not isinstance(call.expressions[1], exp.Literal):
            continue
        config = json.loads(call.expressions[1].this)
        read: set[str] = set()
        for reader in readers:
            if name not in {t.name for t in reader.find_all(exp.Table)}:
                continue
            if any(isinstance(star.parent, exp.Select) for star in reader.find_all(exp.Star)) or any(
                    isinstance(c.this, exp.Star) for c in reader.find_all(exp.Column)):
                read = set(config.get("outputs") or ())            # SELECT *, t.*: every field may be read
                break
            for col in reader.find_all(exp.Column):
                if col.name != STRUCT:
                    continue
                key = col.parent.expressions[0] if isinstance(col.parent, exp.Bracket) and col.parent.this is col \
                    else None
                if not isinstance(key, exp.Literal):
                    read = set(config.get("outputs") or ())        # the whole struct: keep every field
                    break
                read.add(key.this)
        outputs = [o for o in config.get("outputs") or () if o in read]
        if outputs != list(config.get("outputs") or ()):
            config["outputs"] = outputs
            call.expressions[1].replace(exp.Literal.string(json.dumps(config, ensure_ascii=False,
                                                                       separators=(",", ":"))))
