"""Change a column's storage type after import (``shujian data retype 数据集 列 text``).

The version's table is copied with the one column rebuilt, so the change is atomic: the new table
replaces the old one in the version's metadata row (one commit), or — when a value does not convert —
nothing changes and the message names the rows.  The column is rebuilt from the delivered text: the
``_raw_`` column when the import kept one, else the stored value written as text (BOOLEAN as 是/否).
When a text column becomes typed, its text is kept as the ``_raw_`` column, so nothing is lost.
"""

from __future__ import annotations

import os
from datetime import date

from ..db.base import utcnow
from ..db.models import DatasetVersion, Job
from ..errors import ImportFailed, NotFound
from .quality import column_quality
from .schema import RAW_PREFIX, ROW_ID, ColumnSchema
from .typeinfer import TYPE_LABELS, forced_type, null_sql, parse_sql


def retype_column(ws, get_dataset, name: str, column: str, type_word: str, on_commit=None) -> dict:
    """Retype ``column`` of the current version of dataset ``name``; returns the column's new state.
    ``on_commit(session, out)`` runs in the transaction that switches the version to the new table
    (the audit record commits with the change)."""
    target = forced_type(type_word, column)
    with ws.db.unit_of_work() as s:
        ds = get_dataset(s, name)
        v = next((x for x in ds.versions if x.version == ds.current_version), None)
        col = next((c for c in v.columns if c.name == column), None) if v else None
        if col is None:
            have = "、".join(c.name for c in v.columns) if v else "无"
            raise NotFound(f"数据集“{name}”的当前版本没有列“{column}”", hint=f"现有列：{have}")
        snap = {"version_id": v.id, "version": v.version, "relation": v.relation, "dtype": col.dtype,
                "raw": col.raw_column, "semantic": col.semantic, "today": (v.quality or {}).get("today"),
                "lines": (v.quality or {}).get("lines")}
        job = Job(kind="retype", target=name, status="running", pid=os.getpid())
        s.add(job)
        s.flush()
        job_id = job.id
    if snap["dtype"] == target.dtype:
        _finish(ws, job_id, "succeeded", None)
        return {"dataset": name, "version": snap["version"], "column": column, "dtype": target.dtype, "changed": False}
    new = f"ds_{job_id:06d}"
    try:
        entry, raw = _rebuild(ws, snap, column, target, new)
        out = {"dataset": name, "version": snap["version"], "column": column, "dtype": target.dtype, "changed": True,
               "label": TYPE_LABELS.get(target.dtype, target.dtype)}
        _commit(ws, snap, column, target.dtype, raw, entry, new, lambda s: on_commit and on_commit(s, out))
    except BaseException as exc:
        with ws.warehouse() as con:
            con.execute(f'DROP TABLE IF EXISTS "{new}"')
        _finish(ws, job_id, "failed", str(exc))
        raise
    with ws.warehouse() as con:
        con.execute(f'DROP TABLE IF EXISTS "{snap["relation"]}"')
    _finish(ws, job_id, "succeeded", None)
    return out


def _text_of(col: str, dtype: str) -> str:
    if dtype.upper() == "BOOLEAN":
        return f"(CASE WHEN {col} THEN '是' WHEN NOT {col} THEN '否' END)"
    return f"CAST({col} AS VARCHAR)"


def _rebuild(ws, snap: dict, column: str, target, new: str) -> tuple[dict, str | None]:
    q = _q(column)

    def text(alias: str) -> str:
        return f"{alias}.{_q(snap['raw'])}" if snap["raw"] else _text_of(f"{alias}.{q}", snap["dtype"])

    expr = text("o") if target.dtype == "VARCHAR" else parse_sql(target, text("o"))
    keep_raw = snap["raw"] is None and snap["dtype"].upper() == "VARCHAR" and target.dtype != "VARCHAR"
    raw = RAW_PREFIX + column if keep_raw else snap["raw"]
    extra = f", o.{q} AS {_q(raw)}" if keep_raw else ""
    with ws.warehouse() as con:
        old = _q(snap["relation"])
        con.execute(f'CREATE TABLE "{new}" AS SELECT o.* REPLACE ({expr} AS {q}){extra} FROM {old} o '
                    f'ORDER BY o.{ROW_ID}')
        bad = con.execute(f'SELECT n.{ROW_ID}, {text("o")}, count(*) OVER () FROM "{new}" n JOIN {old} o '
                          f'USING ({ROW_ID}) WHERE n.{q} IS NULL AND {null_sql(text("o"))} IS NOT NULL '
                          f'ORDER BY 1 LIMIT 5').fetchall()
        if bad:
            listed = "；".join(f"第 {r} 条“{str(val)[:40]}”" for r, val, _ in bad)
            label = TYPE_LABELS.get(target.dtype, target.dtype)
            raise ImportFailed(f"列“{column}”有 {bad[0][2]} 个值不能转为{label}：{listed}；未做任何修改",
                               hint=f"先修正数据后重新导入，或保持原类型（数据集第 {snap['version']} 版未改变）")
        today = date.fromisoformat(snap["today"]) if snap["today"] else None
        entry = column_quality(con, new, ColumnSchema(column, target.dtype, snap["semantic"]), today=today,
                               lines=snap["lines"])
    return entry, raw


def _commit(ws, snap: dict, column: str, dtype: str, raw: str | None, entry: dict, new: str, then) -> None:
    with ws.db.unit_of_work() as s:
        v = s.get(DatasetVersion, snap["version_id"])
        col = next(c for c in v.columns if c.name == column)
        col.dtype, col.raw_column = dtype, raw
        v.relation = new
        report = dict(v.quality or {})
        report["columns"] = {**(report.get("columns") or {}), column: entry}
        report["relation"] = new
        v.quality = report
        s.flush()
        then(s)


def _finish(ws, job_id: int, status: str, error: str | None) -> None:
    with ws.db.unit_of_work() as s:
        job = s.get(Job, job_id)
        job.status, job.error, job.finished_at = status, error, utcnow()


def _q(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'
