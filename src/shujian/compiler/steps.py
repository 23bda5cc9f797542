"""Single-input steps (filter, derive, select, aggregate, window, distinct) and union.

Each builder reads one or more relations (``Rel``: a CTE with typed columns and evidence columns)
and adds one CTE (sometimes a helper CTE first) to the pipeline.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlglot import exp

from shujian.compiler import dialects
from shujian.compiler.conditions import column, condition
from shujian.compiler.expr import ColRef, Ctx, ExprCompiler, Scope
from shujian.compiler.types import ANY, TEMPORAL, comparable, zh
from shujian.spec.expr import ExprError, function_of, parse_expr
from shujian.spec.model import Aggregate, Derive, Distinct, Select, Union, Window

EV_PREFIX = "_ev_"


@dataclass
class Rel:
    """One CTE of the pipeline: user columns with types, and evidence columns (role, is_list)."""

    cte: str
    cols: dict[str, str]
    evidence: dict[str, tuple[str, bool]] = field(default_factory=dict)

    def scope(self, label: str, table: str | None = None) -> Scope:
        return Scope({n: ColRef(t, table, n) for n, t in self.cols.items()}, label=label)


@dataclass
class Builder:
    """Accumulates CTEs and collects problems for one compile."""

    ctx: Ctx
    ctes: list[tuple[str, exp.Query]] = field(default_factory=list)

    def add(self, name: str, query: exp.Query) -> str:
        self.ctes.append((name, query))
        return name


def table(name: str, alias: str | None = None) -> exp.Table:
    """The table (or CTE) ``name`` as a node, built without parsing the name."""
    node = exp.Table(this=exp.to_identifier(name)) if "." not in name else exp.to_table(name)
    if alias is not None:
        node.set("alias", exp.TableAlias(this=exp.to_identifier(alias)))
    return node


def select(exprs: list[exp.Expression], source: str | exp.Expression, *, where: exp.Expression | None = None,
           group: list[exp.Expression] | None = None) -> exp.Select:
    """``SELECT exprs FROM source [WHERE where] [GROUP BY group]`` made of the given nodes as they are.

    sqlglot's builders (``exp.select(…).from_(…).where(…)``) copy the whole query at every call and
    parse a table given by name; the compiler's nodes are its own, fresh for each query (a node must
    not be handed to two queries), so they are put in place without copies."""
    q = exp.Select(expressions=list(exprs))
    q.set("from_", exp.From(this=source if isinstance(source, exp.Expression) else table(source)))
    if where is not None:
        q.set("where", exp.Where(this=where))
    if group:
        q.set("group", exp.Group(expressions=list(group)))
    return q


def _ev_cols(rel: Rel, table: str | None = None) -> list[exp.Expression]:
    return [exp.column(c, table=table) for c in rel.evidence]


def _cols(names: list[str], table: str | None = None) -> list[exp.Expression]:
    return [exp.column(n, table=table) for n in names]


def _aggregated_evidence(b: Builder, rel: Rel, loc: str, table: str | None = None
                         ) -> tuple[list[exp.Expression], dict[str, tuple[str, bool]]]:
    """Evidence after grouping: every evidence column becomes a capped list (flattened if nested)."""
    out, ev = [], {}
    for col, (role, is_list) in rel.evidence.items():
        b.ctx.use("evidence.list", loc)
        if is_list:
            b.ctx.use("evidence.nested_list", loc)
        agg = dialects.evidence_list(exp.column(col, table=table), b.ctx.dialect, b.ctx.evidence_cap,
                                     nested=is_list)
        out.append(exp.alias_(agg, col, copy=False))
        ev[col] = (role, True)
    return out, ev


def build_filter(b: Builder, sid: str, cond: object, src: Rel, loc: str) -> Rel | None:
    pred = condition(b.ctx, cond, src.scope(f"步骤输入 {src.cte}"), f"{loc}.filter")
    if pred is None:
        return None
    q = select([*_cols(list(src.cols)), *_ev_cols(src)], src.cte, where=pred)
    return Rel(b.add(sid, q), dict(src.cols), dict(src.evidence))


def build_derive(b: Builder, sid: str, d: Derive, src: Rel, loc: str) -> Rel | None:
    scope, cols, outs, ok = src.scope(f"步骤输入 {src.cte}"), dict(src.cols), [], True
    for name, text in d.columns.items():
        where = f"{loc}.derive.columns.{name}"
        if name in src.cols or name.startswith("_"):
            b.ctx.problem(where, f'列 "{name}" 已存在或以下划线开头，请换一个名字')
            ok = False
            continue
        node, dtype = ExprCompiler(b.ctx, scope, where).compile(text)
        if node is None:
            ok = False
            continue
        cols[name] = dtype
        outs.append(exp.alias_(node, name, copy=False))
    if not ok:
        return None
    q = select([*_cols(list(src.cols)), *outs, *_ev_cols(src)], src.cte)
    return Rel(b.add(sid, q), cols, dict(src.evidence))


def build_select(b: Builder, sid: str, s: Select, src: Rel, loc: str) -> Rel | None:
    pairs = [(c, c) for c in s.columns] if isinstance(s.columns, list) else list(s.columns.items())
    scope, outs, cols = src.scope(f"步骤输入 {src.cte}"), [], {}
    for new, old in pairs:
        ref = column(b.ctx, old, scope, f"{loc}.select.columns.{new}")
        if ref is not None:
            outs.append(exp.alias_(ref.expr(), new, copy=False) if new != old else ref.expr())
            cols[new] = ref.dtype
    if len(outs) != len(pairs):
        return None
    q = select([*outs, *_ev_cols(src)], src.cte)
    return Rel(b.add(sid, q), cols, dict(src.evidence))


def build_aggregate(b: Builder, sid: str, a: Aggregate, src: Rel, loc: str) -> Rel | None:
    scope = src.scope(f"步骤输入 {src.cte}")
    by = [r for i, name in enumerate(a.by)
          if (r := column(b.ctx, name, scope, f"{loc}.aggregate.by[{i}]")) is not None]
    if len(by) != len(a.by):
        return None
    cols = {name: src.cols[name] for name in a.by}
    outs, ok = [], True
    for name, text in a.measures.items():
        where = f"{loc}.aggregate.measures.{name}"
        if name in cols:
            b.ctx.problem(where, f'度量名 "{name}" 与分组列重名')
            ok = False
            continue
        node, dtype = ExprCompiler(b.ctx, scope, where, "aggregate", set(a.by)).compile(text)
        if node is None:
            ok = False
            continue
        cols[name] = dtype
        outs.append(exp.alias_(node, name, copy=False))
    ev_sel, ev = _aggregated_evidence(b, src, loc)
    q = select([*_cols(a.by), *outs, *ev_sel], src.cte, group=_cols(a.by))
    if a.having is None:
        return Rel(b.add(sid, q), cols, ev) if ok else None
    out = Rel(f"{sid}__agg", cols, ev)
    pred = condition(b.ctx, a.having, out.scope("聚合结果"), f"{loc}.aggregate.having")
    if not ok or pred is None:
        return None
    b.add(out.cte, q)
    final = select([*_cols(list(cols)), *_ev_cols(out)], out.cte, where=pred)
    return Rel(b.add(sid, final), cols, ev)


def _order(b: Builder, items: list[str], scope: Scope, loc: str) -> list[exp.Ordered] | None:
    out = []
    for i, item in enumerate(items):
        name, _, direction = item.strip().rpartition(" ")
        if direction.lower() not in ("asc", "desc"):
            name, direction = item.strip(), "asc"
        ref = column(b.ctx, name.strip(), scope, f"{loc}[{i}]")
        if ref is None:
            return None
        out.append(exp.Ordered(this=ref.expr(), desc=direction.lower() == "desc",
                               nulls_first=False))
    return out


def build_window(b: Builder, sid: str, w: Window, src: Rel, loc: str) -> Rel | None:
    scope, cols = src.scope(f"步骤输入 {src.cte}"), dict(src.cols)
    parts = [r.expr() for i, n in enumerate(w.partition_by)
             if (r := column(b.ctx, n, scope, f"{loc}.window.partition_by[{i}]")) is not None]
    order = _order(b, w.order_by, scope, f"{loc}.window.order_by")
    if order is None or len(parts) != len(w.partition_by):
        return None
    frame = _range(b, w, scope, order, loc) if w.range_preceding is not None else None
    if w.range_preceding is not None and frame is None:
        return None
    outs, ok = [], True
    for name, text in w.columns.items():
        where = f"{loc}.window.columns.{name}"
        func = _window_func(b, text, where)
        node, dtype = ExprCompiler(b.ctx, scope, where, "window").compile(text) if func else (None, ANY)
        if node is None or name in cols:
            if name in cols:
                b.ctx.problem(where, f'列 "{name}" 已存在，请换一个名字')
            ok = False
            continue
        spec, by = None, order
        if w.rows_preceding is not None and func.kind == "aggregate":
            b.ctx.use("window.frame", loc)
            spec = exp.WindowSpec(kind="ROWS", start=str(w.rows_preceding), start_side="PRECEDING",
                                  end="CURRENT ROW")
        if frame is not None and func.kind == "aggregate":
            key, offset = frame
            by = [exp.Ordered(this=key.copy(), nulls_first=False)]
            spec = exp.WindowSpec(kind="RANGE", start=offset.copy(), start_side="PRECEDING",
                                  end="CURRENT ROW")
        win = exp.Window(this=node, partition_by=parts or None,
                         order=exp.Order(expressions=by) if by else None, spec=spec)
        outs.append(exp.alias_(win, name, copy=False))
        cols[name] = dtype
    if not ok:
        return None
    q = select([*_cols(list(src.cols)), *outs, *_ev_cols(src)], src.cte)
    return Rel(b.add(sid, q), cols, dict(src.evidence))


def _range(b: Builder, w: Window, scope: Scope, order: list[exp.Ordered], loc: str
           ) -> tuple[exp.Expression, exp.Expression] | None:
    """(order key, offset) of ``range_preceding``: one ascending date column, N days/months back."""
    r, where = w.range_preceding, f"{loc}.window.range_preceding"
    if len(order) != 1 or order[0].args.get("desc"):
        b.ctx.problem(where, "range_preceding 需要 order_by 恰好一个升序的日期列（如 order_by: [立案日期]）")
        return None
    dtype = scope.lookup(order[0].this.name, None).dtype
    if dtype not in TEMPORAL and dtype != ANY:
        b.ctx.problem(where, f'range_preceding 的排序列 "{order[0].this.name}" 是{zh(dtype)}，这里需要日期')
        return None
    amount, unit = (r.days, "DAY") if r.days is not None else (r.months, "MONTH")
    value = amount
    if isinstance(amount, str):
        node, ptype = b.ctx.bind(amount.lstrip(":"), where)
        if node is None:
            return None
        value = b.ctx.values.get(amount.lstrip(":"))
        if ptype != "BIGINT" or not isinstance(value, int) or isinstance(value, bool) or value < 0:
            b.ctx.problem(where, f"参数 {amount} 应为非负整数，实际是{zh(ptype)} {value!r}")
            return None
    else:
        node = exp.Literal.number(amount)
    b.ctx.use("window.range", loc)
    return dialects.range_frame(order[0].this, node, unit, dtype, b.ctx.dialect, value)


def _window_func(b: Builder, text: str, loc: str):
    try:
        tree = parse_expr(text)
    except ExprError as exc:
        b.ctx.problem(loc, str(exc))
        return None
    func = function_of(tree)
    if func is None or func.kind == "scalar" or func.name == "list":
        b.ctx.problem(loc, f"窗口列应为一个窗口函数（row_number/rank/dense_rank/lag/lead）或"
                           f"聚合函数（count/sum/min/max/avg），实际 “{text}”")
        return None
    return func


def build_distinct(b: Builder, sid: str, d: Distinct, src: Rel, loc: str) -> Rel | None:
    names = d.columns if d.columns is not None else list(src.cols)
    scope = src.scope(f"步骤输入 {src.cte}")
    refs = [column(b.ctx, n, scope, f"{loc}.distinct.columns[{i}]") for i, n in enumerate(names)]
    if any(r is None for r in refs):
        return None
    ev_sel, ev = _aggregated_evidence(b, src, loc)
    q = select([*_cols(names), *ev_sel], src.cte, group=_cols(names))
    return Rel(b.add(sid, q), {n: src.cols[n] for n in names}, ev)


def build_union(b: Builder, sid: str, u: Union, srcs: list[Rel], loc: str) -> Rel | None:
    first = srcs[0]
    for i, rel in enumerate(srcs[1:], start=1):
        if set(rel.cols) != set(first.cols):
            miss, extra = set(first.cols) - set(rel.cols), set(rel.cols) - set(first.cols)
            b.ctx.problem(f"{loc}.union.steps[{i}]",
                          f"union 的各步骤列必须相同：{u.steps[i]} 缺少 {sorted(miss)}，多出 {sorted(extra)}"
                          "（可先用 select 步骤对齐）")
            return None
        for name, t in rel.cols.items():
            if not comparable(t, first.cols[name]):
                b.ctx.problem(f"{loc}.union.steps[{i}]",
                              f'列 "{name}" 类型不一致：{zh(first.cols[name])} 与 {zh(t)}')
                return None
    b.ctx.use("union", loc)
    ev: dict[str, tuple[str, bool]] = {}
    for rel in srcs:
        for col, (role, is_list) in rel.evidence.items():
            ev[col] = (role, is_list or ev.get(col, (role, False))[1])
    queries = []
    for rel in srcs:
        sel = []
        for col, (_role, is_list) in ev.items():
            if col not in rel.evidence:
                sel.append(exp.alias_(dialects.null_evidence(is_list), col))
            elif is_list and not rel.evidence[col][1]:
                sel.append(exp.alias_(dialects.as_list(exp.column(col)), col))
            else:
                sel.append(exp.column(col))
        queries.append(select([*_cols(list(first.cols)), *sel], rel.cte))
    q = queries[0]
    for other in queries[1:]:
        q = exp.union(q, other, distinct=u.distinct)
    return Rel(b.add(sid, q), dict(first.cols), ev)
