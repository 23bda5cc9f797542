"""The ``text`` step (文本规则) → SQL: a prefilter, then ``shujian_text``.

Two CTEs.  The first keeps the rows whose text contains one of the rule's positive terms
(a necessary condition of a match, on the text as the matcher cleans it: on DuckDB the function
``shujian_text_pre``, in C over each batch without the interpreter lock; on Spark ``RLIKE``, see
``text.clean.sql_prefilter``) and calls the Python function ``shujian_text`` (``shujian.text.udf``) on
them; the second keeps the matches and unpacks the function's struct into the step's columns (a step
that gives only a name key calls ``shujian_text_key`` on DuckDB, which returns that key as VARCHAR).
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
from shujian.text.clean import sql_prefilter

FUNCTION = "shujian_text"
KEYS_FUNCTION = "shujian_text_keys"       # hands a step's keys to the function (name_key_among)
CONFIG_FUNCTION = "shujian_text_config"   # hands a step's config to the function once (kept_configs)
PRE_FUNCTION = "shujian_text_pre"         # the prefilter on DuckDB (its config: the positive terms)
KEY_FUNCTION = "shujian_text_key"         # a name key alone on DuckDB: VARCHAR, not the struct
#: a config at least this long is handed over once per statement, not once per row (DuckDB)
KEEP_CONFIG_CHARS = 256
STRUCT = "__tx"
TEXT = "__text"                           # the text the prefilter and the call read, computed once
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
    config_sql: exp.Expression = exp.Literal.string(json.dumps(config, ensure_ascii=False, separators=(",", ":")))
    if t.among is not None:
        config_sql = _among(b, sid, t, config_sql, loc)
        if config_sql is None:
            return None
    screened = t.rule is not None and t.keep == "matched"
    source: exp.Expression = exp.to_table(src.cte)
    if screened and TEXT not in src.cols and TEXT not in src.evidence:
        # the prefilter reads the text up to five times and the call once more: DuckDB computes a
        # projection once but repeats an expression in each filter (a concatenation of two fields:
        # 3.6 -> 3.1-3.3 CPU s for prepaid's 4.5 M messages on the large city)
        source = exp.select(*_cols(list(src.cols)), exp.alias_(text, TEXT), *_ev_cols(src)).from_(
            src.cte).subquery(src.cte)
        text = exp.column(TEXT)
    # a step that only gives a name key (a registry's names) calls, on DuckDB, the function returning that
    # VARCHAR: built in C from the batch (with name_key_among), not a six-field struct of 2 M rows
    # unpacked again (2.2-2.5 CPU s on the large city's registry, of which the key test ≈ 1)
    key_only = t.rule is None and set(outputs) == {"name_key"} and b.ctx.dialect == "duckdb"
    call = exp.Anonymous(this=KEY_FUNCTION if key_only else FUNCTION, expressions=[text.copy(), config_sql])
    first = exp.select(*_cols(list(src.cols)), exp.alias_(call, STRUCT), *_ev_cols(src)).from_(source)
    if screened and b.ctx.dialect == "duckdb":
        # the cleaning and the positive terms' regular expressions cost ≈ 1.9 CPU s over prepaid's 4.5 M
        # messages on the large city; the C prefilter reads the text once (the same rows: a superset
        # of the matches, exactly Matcher.candidate of the cleaned text).  Its own config (the positive
        # terms), kept by its own one-row CTE: the text function's config CTE read twice would be a
        # stage of its own (compiler.stages), one more statement
        positive = json.dumps({"positive": t.rule.positive_terms()}, ensure_ascii=False, separators=(",", ":"))
        first = first.where(exp.Anonymous(this=PRE_FUNCTION, expressions=[text.copy(), exp.Literal.string(positive)]))
    elif screened:
        first = first.where(sql_prefilter(text, prefilter_pattern(t.rule.positive_terms())))
    inner = b.add(f"{sid}__text", first)
    cols = dict(src.cols)
    unpacked = []
    for kind, name in outputs.items():
        unpacked.append(exp.alias_(exp.column(STRUCT) if key_only else _field(kind), name))
        cols[name] = "VARCHAR"
    q = exp.select(*_cols(list(src.cols)), *unpacked, *_ev_cols(src)).from_(inner)
    if t.rule is not None and t.keep == "matched":
        q = q.where(_field("matched"))
    return Rel(b.add(sid, q), cols, dict(src.evidence))


def _among(b: Builder, sid: str, t: TextStep, config: exp.Expression, loc: str) -> exp.Expression | None:
    """``name_key_among: step.column``: the config as a scalar subquery over one row that hands the
    step's keys to ``shujian_text_keys`` once (it keeps them and names them in the config it
    returns), so the function computes a name key only for names that can carry one of them.

    DuckDB only: Spark fails on a Python function in a scalar subquery (a NullPointerException in
    ``OneRowRelationExec``, Spark 4), and its executors would not share the kept set anyway; there
    the config stays a literal and every name gets its key (the join is the same)."""
    step, column = t.among
    cte = f"s_{step}"
    query = next((q for name, q in b.ctes if name == cte), None)
    where = f"{loc}.text.name_key_among"
    if query is None:
        b.ctx.problem(where, f"name_key_among 引用的步骤 {step} 不存在或不在本步骤之前，请写本步骤之前的步骤名")
        return None
    if column not in query.named_selects:
        b.ctx.problem(where, f"步骤 {step} 没有列 {column}（可用列：{', '.join(query.named_selects)}）")
        return None
    if b.ctx.dialect != "duckdb":
        return config
    keys = b.add(f"{sid}__keys", exp.select(exp.alias_(exp.Anonymous(this=KEYS_FUNCTION, expressions=[
        config, exp.ArrayAgg(this=exp.column(column))]), "config")).from_(cte))
    return exp.Subquery(this=exp.select(exp.column("config")).from_(keys))


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


def kept_configs(ctes: list[tuple[str, exp.Query]], dialect: str) -> None:
    """DuckDB: each ``shujian_text`` call whose config is a long literal (a rule is several KB of JSON)
    reads it from a one-row CTE ``<cte>__config`` (a ``shujian_text_pre`` call its positive terms from
    ``<cte>__pre_config``) that hands it to ``shujian_text_config`` once, which
    keeps it in this process and returns a short handle the call receives instead (as
    ``shujian_text_keys`` does for a key set).  DuckDB flattens a constant argument into every row of
    the Arrow batch it passes a Python function: a 5.9 KB prepaid-card rule copied for 1.1 M messages
    cost ≈ 1.4 CPU s on the large city.  The statement still carries the whole config (it stays
    self-contained, logged as run).  In place: the CTE is inserted before the one it serves.

    Spark keeps the literal: its Python workers would not share the kept config."""
    if dialect != "duckdb":
        return
    for i in range(len(ctes) - 1, -1, -1):
        name, query = ctes[i]
        # the text function's config (<cte>__config) and the prefilter's positive terms (<cte>__pre_config)
        for function, suffix in ((FUNCTION, "__config"), (PRE_FUNCTION, "__pre_config")):
            call = next((c for c in query.find_all(exp.Anonymous) if c.name.lower() == function), None)
            if call is None or len(call.expressions) != 2 or not isinstance(call.expressions[1], exp.Literal) \
                    or len(call.expressions[1].this) < KEEP_CONFIG_CHARS:
                continue
            cte = f"{name}{suffix}"
            literal = call.expressions[1]
            call.expressions[1].replace(exp.Subquery(this=exp.select(exp.column("config")).from_(cte)))
            ctes.insert(i, (cte, exp.select(exp.alias_(exp.Anonymous(this=CONFIG_FUNCTION, expressions=[literal]),
                                                       "config"))))
