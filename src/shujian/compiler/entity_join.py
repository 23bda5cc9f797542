"""The ``entity_join`` step: join two relations through the subject registry (主体库).

A row's identity is its evidence pointer (input role → ``_row_id``) and the physical relation that
role reads; the registry's ``er_members`` maps (relation, row) to a subject, ``er_pairs`` holds the
scored pairs with their comparison levels.  Two CTEs are added: ``<sid>__links`` (left row, right row,
subject, probability, basis) and the step itself.  Pure: the registry is only named, never read.
"""

from __future__ import annotations

import sqlglot
from sqlglot import exp

from shujian.compiler.steps import EV_PREFIX, Builder, Rel
from shujian.spec.entity_step import EntityJoin

MEMBERS, PAIRS = "er_members", "er_pairs"
OUT_TYPES = ("VARCHAR", "DOUBLE", "VARCHAR", "VARCHAR")   # subject, probability, basis, status


def _lit(s: str) -> str:
    return "'" + s.replace("'", "''") + "'"


def _role(b: Builder, rel: Rel, given: str | None, side: str, loc: str) -> str | None:
    rows = [role for col, (role, is_list) in rel.evidence.items() if not is_list and col == f"{EV_PREFIX}{role}"]
    if given is not None:
        if given not in rows:
            b.ctx.problem(loc, f"{side}侧没有来自输入角色 {given} 的明细行（可用：{', '.join(rows) or '无'}）；"
                               "按主体关联需在聚合之前进行")
            return None
        return given
    if len(rows) != 1:
        key = "left_role" if side == "左" else "right_role"
        b.ctx.problem(loc, f"{side}侧的行来自多个输入角色（{', '.join(rows)}），请用 {key} 指明" if rows
                      else f"{side}侧没有明细行（已聚合），按主体关联需在聚合之前进行")
        return None
    return rows[0]


def _relation(b: Builder, role: str) -> str | None:
    """The physical relation the input CTE ``in_<role>`` reads ('' for an absent optional input,
    None when there is no such CTE)."""
    for name, query in b.ctes:
        if name == f"in_{role}":
            table = query.find(exp.Table)
            return table.name if table is not None else ""
    return None


def _links_sql(ej: EntityJoin, lrel: str, rrel: str) -> str:
    lo, kind = float(ej.min_probability), _lit(ej.kind)
    if ej.mode == "fuzzy":
        return f"""
        SELECT ml.source_row AS lrow, mr.source_row AS rrow, ml.subject_id, p.probability AS prob,
               p.compared AS basis FROM (
            SELECT fp_l AS fp_a, fp_r AS fp_b, probability, compared, band, kind FROM {PAIRS}
            UNION ALL SELECT fp_r, fp_l, probability, compared, band, kind FROM {PAIRS}) AS p
        JOIN {MEMBERS} AS ml ON ml.fingerprint = p.fp_a AND ml.source_ref = {_lit(lrel)} AND ml.kind = {kind}
        JOIN {MEMBERS} AS mr ON mr.fingerprint = p.fp_b AND mr.source_ref = {_lit(rrel)} AND mr.kind = {kind}
        WHERE p.kind = {kind} AND p.band <> 'rejected' AND p.probability >= {lo}"""
    same = "ml.fingerprint = mr.fingerprint"
    return f"""
        SELECT lrow, rrow, subject_id, prob, basis FROM (
            SELECT ml.source_row AS lrow, mr.source_row AS rrow, ml.subject_id,
                   CASE WHEN {same} THEN 1.0
                        ELSE COALESCE(p1.probability, p2.probability, LEAST(ml.confidence, mr.confidence)) END AS prob,
                   CASE WHEN {same} THEN '同一记录'
                        ELSE COALESCE(p1.compared, p2.compared, '经同一主体 ' || ml.subject_id || ' 的其他记录间接关联（本侧：'
                                      || COALESCE(ml.basis, '') || '｜对侧：' || COALESCE(mr.basis, '') || '）')
                   END AS basis
            FROM {MEMBERS} AS ml
            JOIN {MEMBERS} AS mr ON mr.subject_id = ml.subject_id AND mr.source_ref = {_lit(rrel)}
            LEFT JOIN {PAIRS} AS p1 ON p1.fp_l = ml.fingerprint AND p1.fp_r = mr.fingerprint
            LEFT JOIN {PAIRS} AS p2 ON p2.fp_r = ml.fingerprint AND p2.fp_l = mr.fingerprint
            WHERE ml.kind = {kind} AND ml.source_ref = {_lit(lrel)}) AS x
        WHERE prob >= {lo}"""


def _out_cols(b: Builder, ej: EntityJoin, left: Rel, right: Rel, loc: str) -> dict[str, tuple[str, str, str]] | None:
    """Output name → (table alias, source column, type)."""
    cols = {n: ("l", n, t) for n, t in left.cols.items()}
    for n, t in right.cols.items():
        out = f"{ej.right_prefix}{n}" if ej.right_prefix else n
        if out in cols:
            b.ctx.problem(loc, f'两侧都有列 "{n}"：请设置 right_prefix（如 right_prefix: "{ej.right}_"）')
            return None
        cols[out] = ("r", n, t)
    names = (ej.subject_column, ej.probability_column, ej.basis_column, ej.status_column)
    for name, dtype, src in zip(names, OUT_TYPES, ("subject_id", "prob", "basis", "status"), strict=True):
        if name in cols:
            b.ctx.problem(loc, f'输出列 "{name}" 与已有列重名，请在 entity_join 中换一个列名')
            return None
        cols[name] = ("m", src, dtype)
    return cols


def _evidence(left: Rel, right: Rel) -> tuple[list[exp.Expression], dict]:
    sel = [exp.column(c, table="l") for c in left.evidence]
    ev = dict(left.evidence)
    for col, info in right.evidence.items():
        name, n = col, 2
        while name in ev:
            name, n = f"{col}_{n}", n + 1
        sel.append(exp.alias_(exp.column(col, table="r"), name) if name != col else exp.column(col, table="r"))
        ev[name] = info
    return sel, ev


def build_entity_join(b: Builder, sid: str, ej: EntityJoin, left: Rel, right: Rel, loc: str) -> Rel | None:
    jloc = f"{loc}.entity_join"
    b.ctx.use("entity.join", jloc)
    lrole = _role(b, left, ej.left_role, "左", f"{jloc}.left_role")
    rrole = _role(b, right, ej.right_role, "右", f"{jloc}.right_role")
    cols = _out_cols(b, ej, left, right, jloc) if lrole and rrole else None
    if cols is None:
        return None
    lrel, rrel = _relation(b, lrole), _relation(b, rrole)
    if lrel is None or rrel is None:
        b.ctx.problem(jloc, f"无法确定输入角色 {lrole if lrel is None else rrole} 读取的数据表，按主体关联需要原始输入行")
        return None
    links = f"{sid}__links"
    status = (f"CASE WHEN prob >= {float(ej.certain)} THEN '确定' ELSE '待核实：匹配概率 ' || "
              f"CAST(ROUND(prob, 4) AS VARCHAR) || ' 低于确定阈值 {float(ej.certain)}；' || basis END")
    inner = sqlglot.parse_one(_links_sql(ej, lrel, rrel), read="duckdb")
    b.add(links, sqlglot.parse_one(f"SELECT lrow, rrow, subject_id, prob, basis, {status} AS status "
                                   f"FROM ({inner.sql('duckdb')}) AS y", read="duckdb"))
    sel = [exp.alias_(exp.column(src, table=t), n) if n != src or t == "m" else exp.column(src, table=t)
           for n, (t, src, _dt) in cols.items()]
    ev_sel, ev = _evidence(left, right)
    q = exp.select(*sel, *ev_sel).from_(exp.alias_(exp.to_table(left.cte), "l", table=True))
    q = q.join(exp.alias_(exp.to_table(links), "m", table=True),
               on=exp.EQ(this=exp.column("lrow", table="m"), expression=exp.column(f"{EV_PREFIX}{lrole}", table="l")))
    q = q.join(exp.alias_(exp.to_table(right.cte), "r", table=True),
               on=exp.EQ(this=exp.column(f"{EV_PREFIX}{rrole}", table="r"), expression=exp.column("rrow", table="m")))
    return Rel(b.add(sid, q), {n: dt for n, (_t, _s, dt) in cols.items()}, ev)
