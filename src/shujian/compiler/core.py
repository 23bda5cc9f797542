"""compile_model: a model spec + catalog schema + dialect → one SQL statement and its parameters.

Pure: no IO, no database connection.  The statement is a named CTE pipeline (one CTE per input
role ``in_<role>`` and per step ``s_<id>``) ending in a SELECT of the output columns, the rule
(``_rule``) and the evidence columns (``_ev_<role>``).  Every problem is collected with its
location and raised once as ValidationFailed.
"""

from __future__ import annotations

import re
import threading
from dataclasses import dataclass, field
from typing import Any

from sqlglot import exp
from sqlglot.tokens import Tokenizer

from shujian.catalog.schema import ROW_ID, CatalogSchema, DatasetSchema
from shujian.compiler import dialects
from shujian.compiler.common_aggregates import merge_aggregates
from shujian.compiler.entity_join import build_entity_join
from shujian.compiler.exists import exists_as_joins
from shujian.compiler.expr import Ctx, suggest
from shujian.compiler.graph import build_components
from shujian.compiler.joins import build_join
from shujian.compiler.lists import lists_after_having
from shujian.compiler.null_tests import sink_null_tests
from shujian.compiler.params import resolve_params
from shujian.compiler.patterns import regexps_as_contains
from shujian.compiler.prune import prune_columns
from shujian.compiler.reduce import reduce_lookups
from shujian.compiler.screens import Plan, key_births, two_passes
from shujian.compiler.shape import nodes
from shujian.compiler.stages import MARKERS as STAGED_DIALECTS
from shujian.compiler.stages import StagedStatement, not_null_tests, split_tree
from shujian.compiler.steps import (
    EV_PREFIX,
    Builder,
    Rel,
    build_aggregate,
    build_derive,
    build_distinct,
    build_filter,
    build_select,
    build_union,
    build_window,
)
from shujian.compiler.text import build_text, kept_configs, narrow_outputs
from shujian.compiler.types import norm
from shujian.errors import InputError, ValidationFailed
from shujian.spec.model import FieldBinding, Model, RuleColumn, Step

RULE_COLUMN = "_rule"


@dataclass(frozen=True)
class EvidenceColumn:
    """One evidence column of the output: the input role it points into and whether it is a list."""

    role: str
    column: str
    is_list: bool


@dataclass
class CompiledModel:
    """The result of compiling a model for one dialect."""

    sql: str
    parameters: dict[str, Any]
    dialect: str
    output_columns: list[str]
    column_types: dict[str, str]
    evidence: list[EvidenceColumn]
    datasets: list[str]
    capabilities: list[str]
    rule_column: str = RULE_COLUMN
    tree: exp.Expression | None = field(default=None, repr=False)
    _split_lock: threading.Lock = field(default_factory=threading.Lock, repr=False, compare=False)

    def staged(self, suffix: str = "") -> StagedStatement | None:
        """The statement split into stages (:mod:`shujian.compiler.stages`), made from the compiled
        tree, so the engine never parses the SQL again.  ``suffix`` names the stage tables of one run.
        None for expert SQL (no tree) and for dialects without staged execution."""
        if self.tree is None or self.dialect not in STAGED_DIALECTS:
            return None
        with self._split_lock:          # the split renames tables in the tree and puts them back
            return split_tree(self.tree, self.dialect, suffix=suffix, copy=False)

    def evidence_by_role(self) -> dict[str, list[EvidenceColumn]]:
        out: dict[str, list[EvidenceColumn]] = {}
        for ev in self.evidence:
            out.setdefault(ev.role, []).append(ev)
        return out


def compile_model(model: Model, catalog: CatalogSchema, dialect: str = "duckdb", *,
                  params: dict[str, Any] | None = None,
                  capabilities: frozenset[str] | None = None,
                  evidence_cap: int = 1000, list_cap: int = 100, two_pass: bool = True) -> CompiledModel:
    """Compile ``model`` for ``dialect`` ('duckdb' | 'spark' | 'postgres').

    ``params`` are typed values (see ``check_params`` for CLI strings); defaults fill the rest.
    ``capabilities`` overrides the dialect's declared capabilities (an engine may offer fewer).
    ``two_pass=False`` keeps a key-partitioned model in one pass (see ``compiler.screens``).
    Raises ValidationFailed (every located problem at once) or UnsafeSQL for expert SQL.
    """
    if dialect not in dialects.DIALECTS:
        raise InputError(f"不支持的引擎方言 {dialect}", hint=f"可用：{', '.join(dialects.DIALECTS)}")
    values, problems = resolve_params(model, params)
    ctx = Ctx(dialect, model.params, values, list_cap=list_cap, evidence_cap=evidence_cap,
              problems=problems)
    if model.sql is not None:
        from shujian.compiler.rawsql import compile_raw
        return compile_raw(model, catalog, ctx, capabilities)
    b = Builder(ctx)
    rels, datasets = _inputs(b, model, catalog)
    last = _steps(b, model, rels)
    plan = key_births(model, rels, _reads) if last is not None and two_pass else None
    if last is not None:
        _check_output(ctx, model, last)
    elif not ctx.problems:
        ctx.problem(f"steps[{len(model.steps or []) - 1}]", "最后一步没有产生结果，无法编译")
    _check_capabilities(ctx, capabilities)
    if ctx.problems:
        raise ValidationFailed(ctx.problems, title=f"模型 {model.id} 编译未通过")
    return _finish(b, model, last, datasets, plan)


# ---------------------------------------------------------------- inputs
def _dataset(ctx: Ctx, catalog: CatalogSchema, role: str, name: str) -> DatasetSchema | None:
    ds = catalog.get(name)
    if ds is None:
        ctx.problem(f"inputs.{role}.dataset",
                    f'数据集 "{name}" 不在目录中{suggest(name, list(catalog.datasets))}')
    return ds


def _bind_field(ctx: Ctx, ds: DatasetSchema, loc: str, binding: str | FieldBinding):
    if isinstance(binding, str) or binding.column is not None:
        name = binding if isinstance(binding, str) else binding.column
        col = ds.column(name)
        if col is None:
            ctx.problem(loc, f'列 "{name}" 不在数据集 "{ds.name}" 中{suggest(name, ds.column_names)}')
        return col
    hits = [c for c in ds.columns if c.semantic == binding.semantic]
    if len(hits) != 1:
        found = "没有" if not hits else f"有多列（{', '.join(c.name for c in hits)}）"
        ctx.problem(loc, f'数据集 "{ds.name}" 中{found}语义类型为 {binding.semantic} 的列，请直接写列名')
        return None
    return hits[0]


def _inputs(b: Builder, model: Model, catalog: CatalogSchema) -> tuple[dict[str, Rel], list[str]]:
    rels, datasets = {}, []
    for role, inp in model.inputs.items():
        if not re.match(r"^[A-Za-z_][A-Za-z0-9_]*$", role):
            b.ctx.problem(f"inputs.{role}", "输入角色名只能用英文字母、数字和下划线")
            continue
        ds = _dataset(b.ctx, catalog, role, inp.dataset) if not inp.optional else catalog.get(inp.dataset)
        ev = {f"{EV_PREFIX}{role}": (role, False)}
        if ds is None and inp.optional:
            sel = [exp.alias_(exp.cast(exp.null(), "VARCHAR"), f) for f in inp.fields]
            q = exp.select(*sel, exp.alias_(exp.cast(exp.null(), "BIGINT"), f"{EV_PREFIX}{role}")).where(
                exp.false())
            rels[role] = Rel(b.add(f"in_{role}", q), {f: "VARCHAR" for f in inp.fields}, ev)
            continue
        if ds is None:
            continue
        datasets.append(ds.name)
        cols, sel = {}, []
        for logical, binding in inp.fields.items():
            col = _bind_field(b.ctx, ds, f"inputs.{role}.fields.{logical}", binding)
            if col is not None:
                cols[logical] = norm(col.dtype)
                sel.append(exp.alias_(exp.column(col.name), logical) if col.name != logical
                           else exp.column(col.name))
        sel.append(exp.alias_(exp.column(ROW_ID), f"{EV_PREFIX}{role}"))
        rels[role] = Rel(b.add(f"in_{role}", exp.select(*sel).from_(exp.to_table(ds.relation))), cols, ev)
    return rels, datasets


# ---------------------------------------------------------------- steps and their graph
def _reads(step: Step, index: int, model: Model) -> list[tuple[str, str]]:
    """(name, location) of every relation a step reads; default = the previous step."""
    default = model.steps[index - 1].id if index else (
        next(iter(model.inputs)) if len(model.inputs) == 1 else None)
    loc = f"steps[{index}]"
    if step.kind in ("join", "entity_join"):
        return [(step.body.left or default, f"{loc}.{step.kind}.left"), (step.body.right, f"{loc}.{step.kind}.right")]
    if step.kind == "union":
        return [(s, f"{loc}.union.steps[{i}]") for i, s in enumerate(step.union.steps)]
    return [(step.from_ or default, f"{loc}.from")]


def _resolve(ctx: Ctx, model: Model, rels: dict[str, Rel], index: int) -> list[Rel] | None:
    ids = [s.id for s in model.steps]
    out = []
    for name, loc in _reads(model.steps[index], index, model):
        if name is None:
            ctx.problem(loc, "第一个步骤需要用 from 指明读取哪个输入角色")
            return None
        if name == ids[index]:
            ctx.problem(loc, f"步骤 {name} 不能读取自身（循环）")
            return None
        if name in ids[index + 1:]:
            ctx.problem(loc, f"步骤 {name} 在本步骤之后，只能读取之前的步骤或输入角色")
            return None
        if name not in rels and name not in ids and name not in model.inputs:
            choices = list(model.inputs) + ids[:index]
            ctx.problem(loc, f"没有名为 {name} 的步骤或输入角色{suggest(name, choices)}")
            return None
        if name not in rels:
            return None          # an earlier step/input failed; its problem is already reported
        out.append(rels[name])
    return out


_BUILDERS = {"filter": build_filter, "derive": build_derive, "select": build_select,
             "aggregate": build_aggregate, "window": build_window, "distinct": build_distinct,
             "components": build_components, "text": build_text}


def _steps(b: Builder, model: Model, rels: dict[str, Rel]) -> Rel | None:
    ids = [s.id for s in model.steps]
    for i, step in enumerate(model.steps):
        if step.id in model.inputs or step.id in ids[:i]:
            b.ctx.problem(f"steps[{i}].id", f"步骤名 {step.id} 与{'输入角色' if step.id in model.inputs else '之前的步骤'}重名")
            continue
        srcs = _resolve(b.ctx, model, rels, i)
        if srcs is None:
            continue
        loc, cte = f"steps[{i}]", f"s_{step.id}"
        if step.kind == "join":
            rel = build_join(b, cte, step.join, srcs[0], srcs[1], loc)
        elif step.kind == "union":
            rel = build_union(b, cte, step.union, srcs, loc)
        elif step.kind == "entity_join":
            rel = build_entity_join(b, cte, step.entity_join, srcs[0], srcs[1], loc)
        else:
            rel = _BUILDERS[step.kind](b, cte, step.body, srcs[0], loc)
        if rel is not None:
            rels[step.id] = rel
    _unreachable(b.ctx, model)
    return rels.get(model.steps[-1].id)


def _unreachable(ctx: Ctx, model: Model) -> None:
    read = {name for i, s in enumerate(model.steps) for name, _ in _reads(s, i, model)}
    for i, step in enumerate(model.steps[:-1]):
        if step.id not in read:
            ctx.problem(f"steps[{i}]", f"步骤 {step.id} 的结果没有被后续步骤使用（最后一步才是输出）")


# ---------------------------------------------------------------- output, capabilities, SQL
def _check_output(ctx: Ctx, model: Model, last: Rel) -> None:
    out, names = model.output, list(last.cols)

    def need(name: str | None, loc: str) -> None:
        if name is not None and name not in last.cols:
            ctx.problem(loc, f'输出字段 "{name}" 不在最后一步的列中{suggest(name, names)}'
                             f"（可用列：{', '.join(names)}）")

    need(out.subject.key, "output.subject.key")
    need(out.subject.name, "output.subject.name")
    for i, f in enumerate(out.facts):
        need(f, f"output.facts[{i}]")
    for p in model.title_placeholders():
        need(p, "output.title")
    if isinstance(out.rule, RuleColumn):
        need(out.rule.column, "output.rule.column")


def _check_capabilities(ctx: Ctx, override: frozenset[str] | None) -> None:
    have = override if override is not None else dialects.INFO[ctx.dialect].capabilities
    for cap, loc in ctx.used.items():
        if cap not in have:
            ctx.problem(loc, f"模型使用 {cap}；{ctx.dialect} 引擎不支持")


_PLAIN = re.compile(r"^[a-z_][a-z0-9_]*$")
_KEYWORDS = {k.upper() for k in Tokenizer.KEYWORDS} | {"END", "START", "MONTH", "YEAR", "DAY", "DATE",
                                                       "NAME", "TYPE", "VALUE", "KEY", "ORDER", "USER"}


def quote_identifiers(tree: exp.Expression) -> exp.Expression:
    """Quote every identifier that is not plain lowercase ASCII or that is a keyword in any dialect
    (``end``, ``month`` …): PostgreSQL folds case and Spark/PostgreSQL reserve different words."""
    for ident in nodes(tree):
        if isinstance(ident, exp.Identifier) and not ident.quoted and (not _PLAIN.match(ident.name) or ident.name.upper() in _KEYWORDS):
            ident.set("quoted", True)
    return tree


def render(tree: exp.Expression, dialect: str, parameters: dict[str, Any], *, copy: bool = True) -> str:
    """SQL text for the dialect; for psycopg (postgres) literal % are doubled around %(name)s.
    ``copy=False`` quotes the identifiers of ``tree`` itself and lets sqlglot's generator apply its
    dialect rewrites to it (the tree then reads as the text does: the stages split from it match)."""
    sql = quote_identifiers(tree.copy() if copy else tree).sql(dialect=dialect, pretty=True, copy=copy)
    if dialect == "postgres":
        names = "|".join(re.escape(n) for n in parameters) or "(?!)"
        sql = re.sub(rf"%(?!\((?:{names})\)s)", "%%", sql)
    return sql


def _finish(b: Builder, model: Model, last: Rel, datasets: list[str],
            plan: Plan | None = None) -> CompiledModel:
    rule = model.output.rule
    rule_expr = exp.column(rule.column) if isinstance(rule, RuleColumn) else exp.Literal.string(rule)
    final = exp.select(*[exp.column(c) for c in last.cols], exp.alias_(rule_expr, RULE_COLUMN),
                       *[exp.column(c) for c in last.evidence]).from_(last.cte)
    prune_columns(b.ctes, final)
    reduce_lookups(b.ctes, final)
    merge_aggregates(b.ctes)                    # two screening aggregates of one relation: one pass
    ctes = b.ctes
    if plan is not None and last.evidence:      # evidence after screens (compiler.screens)
        ctes = two_passes(ctes, last.cte, model.output.subject.key, plan, prune_columns)
    elif b.ctx.dialect == "duckdb":              # (pass 2 already builds lists for the clues' keys only)
        lists_after_having(ctes)                # lists for the groups a having keeps (compiler.lists)
    if "text.rules" in b.ctx.used:              # (two walks of every CTE: only for a text step)
        narrow_outputs(ctes, final)             # text functions: only the fields still read
        kept_configs(ctes, b.ctx.dialect)       # … and their rule handed over once, not per row
    if ctes:                   # the WITH clause as nodes (the builder parses every CTE's name)
        final.set("with_", exp.With(expressions=[exp.CTE(this=query, alias=exp.TableAlias(this=exp.to_identifier(name)))
                                                 for name, query in ctes]))
    not_null_tests(final)      # the tree is rendered, split into stages and read as it is: no copies
    if b.ctx.dialect == "duckdb":
        exists_as_joins(final)
        sink_null_tests(final)
        regexps_as_contains(final, b.ctx.bound)    # a few plain words: substring tests
    parameters = dict(b.ctx.bound)
    evidence = [EvidenceColumn(role, col, is_list) for col, (role, is_list) in last.evidence.items()]
    return CompiledModel(
        sql=render(final, b.ctx.dialect, parameters, copy=False), parameters=parameters, dialect=b.ctx.dialect,
        output_columns=[*last.cols, RULE_COLUMN, *last.evidence], column_types=dict(last.cols),
        evidence=evidence, datasets=datasets, capabilities=sorted(b.ctx.used), tree=final)
