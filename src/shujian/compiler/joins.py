"""Join steps: inner/left (columns of both sides), semi/anti (EXISTS / NOT EXISTS).

Extra conditions: interval overlap (null end = open, i.e. today), "within N days/months" and a free
condition in the expression language where ``left.x``/``right.x`` pick a side.
"""

from __future__ import annotations

from sqlglot import exp

from shujian.compiler.conditions import condition
from shujian.compiler.expr import ColRef, Ctx, Scope, day_add, suggest
from shujian.compiler.steps import Builder, Rel, select, table
from shujian.compiler.types import ANY, TEMPORAL, comparable, zh
from shujian.spec.model import Join, JoinKey, Within


def _side(ctx: Ctx, rel: Rel, name: str, side: str, loc: str) -> ColRef | None:
    if name not in rel.cols:
        names = list(rel.cols)
        ctx.problem(loc, f'列 "{name}" 不在{side}侧 {rel.cte} 中{suggest(name, names)}'
                         f"（可用列：{', '.join(names)}）")
        return None
    return ColRef(rel.cols[name], "l" if side == "左" else "r", name)


def _keys(ctx: Ctx, j: Join, left: Rel, right: Rel, loc: str) -> list[tuple[ColRef, ColRef]] | None:
    out = []
    for i, key in enumerate(j.on):
        lname, rname = (key.left, key.right) if isinstance(key, JoinKey) else (key, key)
        lref = _side(ctx, left, lname, "左", f"{loc}.on[{i}]")
        rref = _side(ctx, right, rname, "右", f"{loc}.on[{i}]")
        if lref is None or rref is None:
            return None
        if not comparable(lref.dtype, rref.dtype):
            ctx.problem(f"{loc}.on[{i}]", f"连接键类型不一致：{lname} 是{zh(lref.dtype)}，"
                                          f"{rname} 是{zh(rref.dtype)}")
            return None
        out.append((lref, rref))
    return out


def _dates(ctx: Ctx, refs: list[ColRef | None], loc: str) -> bool:
    ok = all(r is not None for r in refs)
    for r in refs:
        if r is not None and r.dtype not in TEMPORAL and r.dtype != ANY:
            ctx.problem(loc, f'列 "{r.column}" 是{zh(r.dtype)}，这里需要日期')
            ok = False
    return ok


def _overlap(ctx: Ctx, j: Join, left: Rel, right: Rel, loc: str) -> exp.Expression | None:
    o = j.overlap
    ls, le = (_side(ctx, left, n, "左", f"{loc}.overlap") for n in (o.left_start, o.left_end))
    rs, re_ = (_side(ctx, right, n, "右", f"{loc}.overlap") for n in (o.right_start, o.right_end))
    if not _dates(ctx, [ls, le, rs, re_], f"{loc}.overlap"):
        return None
    ctx.use("join.overlap", loc)
    today = exp.CurrentDate()
    return exp.and_(
        exp.LTE(this=ls.expr(), expression=exp.func("COALESCE", re_.expr(), today)),
        exp.LTE(this=rs.expr(), expression=exp.func("COALESCE", le.expr(), today)))


def _within(ctx: Ctx, w: Within, left: Rel, right: Rel, loc: str) -> exp.Expression | None:
    a = _side(ctx, left, w.left, "左", f"{loc}.within.left")
    bref = _side(ctx, right, w.right, "右", f"{loc}.within.right")
    if not _dates(ctx, [a, bref], f"{loc}.within"):
        return None
    amount, unit = (w.days, "DAY") if w.days is not None else (w.months, "MONTH")
    if isinstance(amount, str):
        node, ptype = ctx.bind(amount.lstrip(":"), f"{loc}.within")
        if node is None:
            return None
        if ptype not in ("BIGINT", ANY):
            ctx.problem(f"{loc}.within", f"参数 {amount} 应为整数，实际是{zh(ptype)}")
            return None
    else:
        node = exp.Literal.number(amount)
    ctx.use("join.within", loc)

    def shift(sign: int) -> exp.Expression:
        if unit == "DAY" and a.dtype == "DATE" and ctx.dialect == "duckdb":
            return day_add(a.expr(), node.copy(), minus=sign < 0)     # date ± n (see day_add)
        n = node.copy() if sign > 0 else exp.Neg(this=node.copy())
        return exp.cast(exp.DateAdd(this=a.expr(), expression=n, unit=exp.var(unit)), "DATE")

    lo = a.expr() if w.direction == "after" else shift(-1)
    hi = a.expr() if w.direction == "before" else shift(1)
    return exp.Between(this=bref.expr(), low=lo, high=hi)


def _out_columns(ctx: Ctx, j: Join, left: Rel, right: Rel, keys, loc: str):
    """Output names → ColRef for inner/left joins (same-named keys kept once)."""
    cols = {n: ColRef(t, "l", n) for n, t in left.cols.items()}
    same_keys = {r.column for lk, r in keys if lk.column == r.column}
    for n, t in right.cols.items():
        if n in same_keys:
            continue
        out = f"{j.right_prefix}{n}" if j.right_prefix else n
        if out in cols:
            ctx.problem(loc, f'两侧都有列 "{n}"：请设置 right_prefix（如 right_prefix: "{j.right}_"）')
            return None
        cols[out] = ColRef(t, "r", n)
    return cols


def _evidence(left: Rel, right: Rel, kind: str, sides: str = "both") -> tuple[list[exp.Expression], dict]:
    sel = [exp.column(c, table="l") for c in left.evidence]
    ev = dict(left.evidence)
    if kind in ("semi", "anti"):
        return sel, ev          # the other side proves presence/absence, not a contributing row
    if sides == "left":
        return sel, ev          # the right side is a lookup (e.g. labels derived from the left rows)
    for col, info in right.evidence.items():
        name, n = col, 2
        while name in ev:
            name, n = f"{col}_{n}", n + 1
        sel.append(exp.alias_(exp.column(col, table="r"), name, copy=False) if name != col
                   else exp.column(col, table="r"))
        ev[name] = info
    return sel, ev


def _unique_on(query: exp.Query | None, keys: set[str]) -> bool:
    """``query`` has at most one row per value of the columns ``keys``: an aggregate whose every group
    column is one of them, passed through under its own name."""
    if not isinstance(query, exp.Select) or query.args.get("distinct"):
        return False
    group = query.args.get("group")
    if group is None or not group.expressions or any(group.args.get(k) for k in ("grouping_sets", "cube", "rollup")):
        return False
    selects = {e.alias_or_name: e.unalias() for e in query.expressions}
    return all(isinstance(g, exp.Column) and g.name in keys and isinstance(selects.get(g.name), exp.Column)
               and selects[g.name].name == g.name for g in group.expressions)


def build_join(b: Builder, sid: str, j: Join, left: Rel, right: Rel, loc: str) -> Rel | None:
    ctx, jloc = b.ctx, f"{loc}.join"
    ctx.use(f"join.{j.type}", jloc)
    keys = _keys(ctx, j, left, right, jloc)
    if keys is None:
        return None
    preds = [exp.EQ(this=lk.expr(), expression=rk.expr()) for lk, rk in keys]
    if j.overlap is not None:
        preds.append(_overlap(ctx, j, left, right, jloc))
    if j.within is not None:
        preds.append(_within(ctx, j.within, left, right, jloc))
    both = j.type in ("inner", "left")
    cols = _out_columns(ctx, j, left, right, keys, jloc) if both else \
        {**{n: ColRef(t, "r", n) for n, t in right.cols.items()},
         **{n: ColRef(t, "l", n) for n, t in left.cols.items()}}
    if cols is None:
        return None
    if j.where is not None:
        sides = {"left": {n: ColRef(t, "l", n) for n, t in left.cols.items()},
                 "right": {n: ColRef(t, "r", n) for n, t in right.cols.items()}}
        scope = Scope(cols, sides, label=f"连接 {left.cte} 与 {right.cte} 的列")
        preds.append(condition(ctx, j.where, scope, f"{jloc}.where"))
    if any(p is None for p in preds):
        return None
    if not preds:
        ctx.problem(jloc, "连接需要 on、overlap、within 或 where 中至少一个条件")
        return None
    on = exp.and_(*preds, copy=False)
    ev_sel, ev = _evidence(left, right, j.type, j.evidence)
    if both:
        out = {n: c for n, c in cols.items()}
        sel = [exp.alias_(c.expr(), n, copy=False) if n != c.column else c.expr() for n, c in out.items()]
        q = select([*sel, *ev_sel], table(left.cte, "l"))
        q = q.join(table(right.cte, "r"), on=on, join_type="left" if j.type == "left" else "inner", copy=False)
        if j.type == "left" and _unique_on(dict(b.ctes).get(right.cte), {rk.column for _, rk in keys}):
            # one right row at most per left row: the join cannot change the rows, so the prune pass may
            # drop it where no later step reads its columns (a score's branch in the subject-key pass)
            q.args["joins"][-1].meta["lookup"] = True
        return Rel(b.add(sid, q), {n: c.dtype for n, c in out.items()}, ev)
    sub = select([exp.Literal.number(1)], table(right.cte, "r"), where=on)
    exists = exp.Exists(this=sub)
    sel = [exp.column(n, table="l") for n in left.cols]
    q = select([*sel, *ev_sel], table(left.cte, "l"), where=exists if j.type == "semi" else exp.Not(this=exists))
    return Rel(b.add(sid, q), dict(left.cols), ev)
