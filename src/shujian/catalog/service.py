"""Catalog service: the one place that reads and changes datasets (CLI and web call it)."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import UTC, date, datetime

from rapidfuzz import process
from sqlalchemy.orm import Session

from ..db.models import Dataset, DatasetColumn, DatasetVersion, Job
from ..errors import InputError, NotFound
from ..security.access import restrict, sees
from ..security.masking import refuse_sealed
from ..workspace import Workspace, pid_alive
from .importer import Importer, ImportRequest, ImportResult, ProgressSink
from .schema import CatalogSchema, ColumnSchema, DatasetSchema

_log = logging.getLogger(__name__)


@dataclass
class VersionRef:
    dataset: str
    version: int
    relation: str
    version_id: int


class CatalogService:
    def __init__(self, ws: Workspace):
        self.ws = ws

    # -- import -----------------------------------------------------------------------------------
    def import_file(self, req: ImportRequest, progress: ProgressSink | None = None) -> ImportResult:
        return self.import_files([req], progress)[0]

    def import_files(self, reqs: list[ImportRequest], progress: ProgressSink | None = None,
                     prefetch=None) -> list[ImportResult]:
        """Import one or several datasets (the sheets of one workbook) all or nothing.

        Each new version, its 所属院 and its ``data.import`` audit record commit in one transaction; a
        failed import leaves no version and one failure record (written after the rollback).
        ``prefetch``: the file's read the command started (``prefetch.CsvPrefetch``); the caller closes
        it when this raises before the importer took it."""
        from .importer import check_import_path

        self.recover_interrupted()
        for req in reqs:
            if req.path is not None:
                check_import_path(req.path, self.ws.settings)
        owners = [self._owner(req) for req in reqs]
        by_name = {req.name: (req, owner) for req, owner in zip(reqs, owners, strict=True)}

        def on_commit(s: Session, results: list[ImportResult]) -> None:
            for result in results:
                req, owner = by_name[result.dataset]
                self._claim(req.name, owner, s)
                _audit_import(self.ws, s, req, owner, result,
                              {"file": _file_name(req.path), "sheet": result.sheet, "agency": req.agency,
                               "request_no": req.request_no})

        try:
            results = Importer(self.ws, progress, on_commit, prefetch=prefetch).import_files(reqs)
        except BaseException as exc:
            for req, owner in zip(reqs, owners, strict=True):
                _audit_failed_import(self.ws, req, owner, exc, {"file": _file_name(req.path), "sheet": req.sheet})
            raise
        for result in results:
            _screen_subscriptions(self.ws, result.dataset)
        return results

    def import_db(self, req: ImportRequest, pull, progress: ProgressSink | None = None) -> ImportResult | None:
        """Pull a database table or query into a new version (None: nothing new, no version made);
        the version and its audit record commit together, like :meth:`import_files`."""
        from .connectors import pull_to_dataset, safe_url

        self.recover_interrupted()
        owner = self._owner(req)
        where = {"source": safe_url(pull.url), "table": pull.table, "query": bool(pull.query), "agency": req.agency}

        def on_commit(s: Session, results: list[ImportResult]) -> None:
            for result in results:
                self._claim(req.name, owner, s)
                _audit_import(self.ws, s, req, owner, result, where)

        try:
            result = pull_to_dataset(self.ws, req, pull, progress, on_commit)
        except BaseException as exc:
            _audit_failed_import(self.ws, req, owner, exc, where)
            raise
        if result is None:
            return None
        _screen_subscriptions(self.ws, result.dataset)      # a pulled version is screened like an import
        return result

    def _owner(self, req: ImportRequest) -> int | None:
        """The importing user's org (and, for a personal import, the user: ``req.owner_*`` are set for the
        new dataset); refuses a new version of a dataset the importer cannot see (another org's, another
        user's personal one) and a personal import into a dataset that is not the importer's own."""
        from ..db.models import User
        from ..security.access import sees
        from ..security.scope import scope_for

        name, importer = req.name, req.importer
        with self.ws.db.unit_of_work() as s:
            u = s.query(User).filter_by(username=importer).first() if importer else None
            if u is None:
                if req.personal:
                    raise InputError("导入到个人数据区须指明导入人", hint="命令行加 --as 用户名；网页导入自动记为本人")
                return None
            scope = scope_for(s, u.username, u.org_id, u.roles)
            ds = s.query(Dataset).filter_by(name=name).one_or_none()
            if ds is not None and not sees(s, ds, scope):
                raise InputError(f"数据集名称“{name}”已被使用", hint="换一个数据集名称")
            if req.personal and ds is not None and ds.owner_user_id != u.id:
                raise InputError(f"数据集“{name}”不在您的个人数据区，不能作为个人数据导入",
                                 hint="换一个数据集名称导入到个人数据区")
            req.owner_org_id, req.owner_user_id = u.org_id, (u.id if req.personal else None)
            return u.org_id

    def _claim(self, name: str, org_id: int | None, s: Session | None = None) -> None:
        """A dataset without an org becomes the importing org's (in the import's transaction ``s``)."""
        if org_id is None:
            return
        if s is None:
            with self.ws.db.unit_of_work() as own:
                return self._claim(name, org_id, own)
        ds = s.query(Dataset).filter_by(name=name).one_or_none()
        if ds is not None and ds.org_id is None:
            ds.org_id = org_id

    def import_arrow(self, req: ImportRequest, data, schema=None, progress: ProgressSink | None = None) -> ImportResult:
        """Import in-memory Arrow data (parsed judgments, text, the law tables); audited like a file import."""
        self.recover_interrupted()
        owner = self._owner(req) if req.personal else None        # the owner of the personal dataset

        def on_commit(s: Session, results: list[ImportResult]) -> None:
            for result in results:
                _audit_import(self.ws, s, req, owner, result, {"source": "arrow", "agency": req.agency})

        result = Importer(self.ws, progress, on_commit).import_arrow(req, data, schema)
        _screen_subscriptions(self.ws, result.dataset)
        return result

    def recover_interrupted(self) -> list[int]:
        """Mark jobs whose process died as interrupted and drop the tables they left behind."""
        with self.ws.db.unit_of_work() as s:
            dead = [j for j in s.query(Job).filter_by(status="running") if not pid_alive(j.pid)]
            for j in dead:
                j.status, j.error = "interrupted", "进程意外退出；之前的版本保持不变，可重新执行"
            live_relations = {r for (r,) in s.query(DatasetVersion.relation)}
            running = {j.id for j in s.query(Job).filter_by(status="running")}
        with self.ws.warehouse() as con:
            for (name,) in con.execute("SELECT table_name FROM duckdb_tables() WHERE schema_name='main'").fetchall():
                orphan_ds = name.startswith("ds_") and name not in live_relations and _job_of(name) not in running
                orphan_stage = name.startswith("_stage_") and _job_of(name) not in running
                if orphan_ds or orphan_stage:
                    con.execute(f'DROP TABLE IF EXISTS "{name}"')
        return [j.id for j in dead]

    # -- reading ----------------------------------------------------------------------------------
    def list_datasets(self) -> list[dict]:
        with self.ws.db.unit_of_work() as s:
            out = []
            datasets = restrict(s.query(Dataset), Dataset).order_by(Dataset.name).all()
            chosen, counts = _chosen_versions(s, datasets, {}), _version_counts(s, datasets)
            for ds in datasets:
                v = chosen.get(ds.id)
                out.append({"name": ds.name, "versions": counts.get(ds.id, 0), "current_version": ds.current_version,
                            "pinned_version": ds.pinned_version, "rows": v.row_count if v else 0,
                            "columns": len(v.columns) if v else 0, "level": ds.level, "sealed": ds.sealed,
                            "agency": v.agency if v else None,
                            "imported_at": _utc_iso(v.imported_at) if v else None, **_area(s, ds)})
            return out

    def describe(self, name: str, version: int | None = None) -> dict:
        with self.ws.db.unit_of_work() as s:
            ds = self._get(s, name)
            v = self._version_or_fail(ds, version)
            return {"name": ds.name, "description": ds.description, "level": ds.level, "sealed": ds.sealed,
                    "current_version": ds.current_version, "pinned_version": ds.pinned_version,
                    "versions": [_version_dict(x) for x in ds.versions], "version": _version_dict(v),
                    "columns": [_column_dict(c) for c in v.columns], **_area(s, ds)}

    def share(self, name: str, target: str) -> dict:
        """个人数据区 → ``本部门`` (the owner's department) or ``本院`` (the org's catalog): by a data governor
        (``data.share``) of the owning org or above; audited in the same transaction."""
        from ..db.models import User
        from ..errors import PermissionDenied
        from ..security.access import allowed, viewer_scope
        from ..security.audit import record as audit
        from ..security.permissions import action_label, roles_for

        if target not in SHARE_TARGETS:
            raise InputError(f"共享范围“{target}”无效", hint=f"可选：{'、'.join(SHARE_TARGETS)}")
        with self.ws.db.unit_of_work() as s:
            ds = self._get(s, name)
            if not allowed(viewer_scope(), "data.share", ds, session=s):
                who = "、".join(roles_for("data.share"))
                raise PermissionDenied(f"无权“{action_label('data.share')}”：数据集“{name}”的共享由所属院（或上级院）的{who}办理",
                                       hint=f"请联系{who}办理")
            if ds.owner_user_id is None:
                raise InputError(f"数据集“{name}”不在个人数据区，已是本院数据目录中的数据集", hint="无需共享")
            owner = s.get(User, ds.owner_user_id)
            if target == "本部门":
                if owner is None or owner.department_id is None:
                    raise InputError(f"数据集“{name}”的所有者没有所属部门，不能共享给本部门", hint="改为共享给本院")
                ds.department_id = owner.department_id
            else:
                ds.owner_user_id, ds.department_id = None, None
            audit(self.ws, "data.share", target=f"dataset:{name}", session=s,
                  detail={"to": target, "owner": owner.username if owner else None})
            return {"name": ds.name, **_area(s, ds)}

    def preview(self, name: str, version: int | None = None, limit: int = 20) -> tuple[list[str], list[tuple]]:
        """The first rows (raw; callers mask).  Sealed datasets are refused for everyone."""
        ref = self.resolve(name, version)
        with self.ws.db.unit_of_work() as s:
            refuse_sealed(name, self._get(s, name).sealed)
            cols = [c.name for c in s.query(DatasetColumn).filter_by(version_id=ref.version_id)
                    .order_by(DatasetColumn.position)]
        with self.ws.warehouse() as con:
            sql = f'SELECT {", ".join(_q(c) for c in cols)} FROM "{ref.relation}" ORDER BY _row_id LIMIT {int(limit)}'
            return cols, con.execute(sql).fetchall()

    def quality(self, name: str, version: int | None = None) -> dict:
        from ..security.access import present_quality

        with self.ws.db.unit_of_work() as s:
            ds = self._get(s, name)
            v = self._version_or_fail(ds, version)
            report = {"dataset": name, "version": v.version, "rows": v.row_count, "skipped_rows": v.skipped_rows,
                      "skipped": v.skipped or [], "note": v.note, **(v.quality or {})}
            # example values are masked for identified users and withheld on sealed data (access layer)
            return present_quality(report, {c.name: c.semantic for c in v.columns}, sealed=ds.sealed)

    def resolve(self, name: str, version: int | None = None) -> VersionRef:
        """The version a reader gets: the one asked for, else the pinned one, else the latest."""
        with self.ws.db.unit_of_work() as s:
            ds = self._get(s, name)
            v = self._version_or_fail(ds, version)
            return VersionRef(ds.name, v.version, v.relation, v.id)

    def schema(self, names: list[str] | None = None, versions: dict[str, int] | None = None) -> CatalogSchema:
        """A CatalogSchema for the compiler: every dataset (or ``names``) at its resolved version."""
        versions = versions or {}
        cat = CatalogSchema()
        with self.ws.db.unit_of_work() as s:
            query = restrict(s.query(Dataset), Dataset)
            if names is not None:
                query = query.filter(Dataset.name.in_(names))
            datasets = query.all()
            chosen = _chosen_versions(s, datasets, versions)
            for ds in datasets:
                v = chosen.get(ds.id) or self._version_or_fail(ds, versions.get(ds.name))
                cols = tuple(ColumnSchema(c.name, c.dtype, c.semantic, level=c.level) for c in v.columns)
                cat.add(DatasetSchema(ds.name, v.relation, cols, version=v.version, version_id=v.id,
                                      sealed=ds.sealed, level=ds.level))
        return cat

    # -- changes ----------------------------------------------------------------------------------
    def pin(self, name: str, version: int | None) -> dict:
        with self.ws.db.unit_of_work() as s:
            ds = self._get(s, name)
            if version is not None:
                self._version_or_fail(ds, version)
            ds.pinned_version = version
            return {"name": ds.name, "pinned_version": version, "current_version": ds.current_version}

    def set_semantic(self, name: str, column: str, key: str | None, version: int | None = None) -> dict:
        from . import semantic

        if key is not None and key not in semantic.SEMANTIC_TYPES:
            raise InputError(f"数据要素类型“{key}”不存在", hint=f"可选：{'、'.join(semantic.SEMANTIC_TYPES)}")
        with self.ws.db.unit_of_work() as s:
            v = self._version_or_fail(self._governed(s, name), version)
            col = next((c for c in v.columns if c.name == column), None)
            if col is None:
                raise NotFound(f"数据集“{name}”第 {v.version} 版没有列“{column}”",
                               hint=f"现有列：{'、'.join(c.name for c in v.columns)}")
            before = col.semantic
            col.semantic, col.semantic_source = key, "user"
            report = v.quality or {}
            if column in (report.get("columns") or {}):
                # the validity count depends on the type: recompute this column's entry now, so the
                # quality report of the version matches the type it is read with
                from .quality import column_quality

                today = date.fromisoformat(report["today"]) if report.get("today") else None
                with self.ws.warehouse() as con:
                    entry = column_quality(con, v.relation, ColumnSchema(col.name, col.dtype, key), today=today,
                                           lines=report.get("lines"))
                v.quality = {**report, "columns": {**report["columns"], column: entry}}
            _audit_govern(self.ws, s, name, {"column": column, "version": v.version, "semantic": [before, key]})
            return _column_dict(col)

    def retype(self, name: str, column: str, type_word: str, actor: str | None = None) -> dict:
        """Change the storage type of one column of the current version (``shujian data retype``).

        The column is rebuilt from its delivered text (the ``_raw_`` column when the import kept one,
        else the stored value as text; 是/否 for BOOLEAN) into a new table that replaces the version's
        table only when every value converted; the column's quality entry is recomputed.
        """
        from ..security.audit import record as audit
        from .retype import retype_column

        def on_commit(s, out: dict) -> None:          # the new table and its record commit together
            audit(self.ws, "data.retype", actor=actor, target=f"dataset:{name}", session=s,
                  detail={"column": column, "dtype": out["dtype"], "version": out["version"]})

        return retype_column(self.ws, self._governed, name, column, type_word, on_commit)

    def set_level(self, name: str, level: str, sealed: bool | None = None) -> dict:
        from ..config import CLASSIFICATION_LEVELS

        if level not in CLASSIFICATION_LEVELS:
            raise InputError(f"分级“{level}”无效", hint=f"可选：{'/'.join(CLASSIFICATION_LEVELS)}")
        with self.ws.db.unit_of_work() as s:
            ds = self._governed(s, name)
            change = {"level": [ds.level, level], "sealed": [ds.sealed, ds.sealed if sealed is None else sealed]}
            ds.level = level
            if sealed is not None:
                ds.sealed = sealed
            _audit_govern(self.ws, s, name, change)
            return {"name": ds.name, "level": ds.level, "sealed": ds.sealed}

    def diff(self, name: str, old: int, new: int, key: list[str] | None = None, *, roles=None,
             limit: int = 20) -> dict:
        """Rows added, removed and changed between versions ``old`` and ``new`` (版本比对).

        ``roles``: the viewer's roles — personal columns they may not unmask (security.masking rules)
        are masked; None is the local operator (values in clear).  A sealed dataset gives counts only.
        """
        from ..security.masking import effective_level, may_unmask
        from .diff import diff_tables, mask_diff

        with self.ws.db.unit_of_work() as s:
            ds = self._get(s, name)
            a, b = self._version_or_fail(ds, old), self._version_or_fail(ds, new)
            cols1, cols2 = [_column_dict(c) for c in a.columns], [_column_dict(c) for c in b.columns]
            rel1, rel2, level, sealed = a.relation, b.relation, ds.level, ds.sealed
        with self.ws.warehouse() as con:
            result = diff_tables(con, rel1, rel2, cols1, cols2, key, limit=0 if sealed else limit)
        meta = {c["name"]: c for c in cols1 + cols2}
        semantics = {n: c["semantic"] for n, c in meta.items()}
        clear = {n for n, c in meta.items()
                 if roles is None or may_unmask(roles, effective_level(level, c["level"], c["semantic"]))}
        out = mask_diff(result, semantics, clear)
        personal = [n for n, sem in semantics.items() if sem and _personal(sem)]
        out.update({"dataset": name, "old": old, "new": new, "sealed": sealed, "level": level,
                    "masked": sorted(set(personal) - clear), "semantics": semantics})
        return out

    def jobs(self, limit: int = 50) -> list[dict]:
        """Recent import jobs; a job for another org's dataset is left out (org scope)."""
        with self.ws.db.unit_of_work() as s:
            hidden = ({n for (n,) in s.query(Dataset.name)}
                      - {n for (n,) in restrict(s.query(Dataset.name), Dataset)})
            q = s.query(Job).order_by(Job.id.desc())
            if hidden:
                q = q.filter(Job.target.notin_(sorted(hidden)))
            return [{"id": j.id, "kind": j.kind, "target": j.target, "status": j.status,
                     "started_at": _utc_iso(j.started_at), "error": j.error}
                    for j in q.limit(limit)]

    # -- helpers ----------------------------------------------------------------------------------
    def _governed(self, s, name: str) -> Dataset:
        """The dataset for a change of its 分级/密封/要素类型/存储类型: visible, and owned by the acting
        user's org or one above it (access layer); a platform-shared one only by the top of the org tree."""
        from ..security.access import check_owner

        ds = self._get(s, name)
        check_owner(s, ds, what=f"数据集“{name}”")
        return ds

    def _get(self, s, name: str) -> Dataset:
        ds = s.query(Dataset).filter_by(name=name).one_or_none()
        if ds is None or not sees(s, ds):                           # another org's: as if missing
            names = [n for (n,) in restrict(s.query(Dataset.name), Dataset)]
            guess = process.extractOne(name, names) if names else None
            hint = f"是否指“{guess[0]}”？" if guess and guess[1] >= 60 else "用 shujian data list 查看已有数据集"
            raise NotFound(f"数据集“{name}”不存在", hint=hint)
        return ds

    @staticmethod
    def _version_or_fail(ds: Dataset, version: int | None) -> DatasetVersion:
        v = _version(ds, version)
        if v is None:
            have = "、".join(str(x.version) for x in ds.versions) or "无"
            raise NotFound(f"数据集“{ds.name}”没有第 {version} 版", hint=f"已有版本：{have}")
        return v

SHARE_TARGETS = ("本部门", "本院")


def _area(s, ds: Dataset) -> dict:
    """Where a dataset lives: ``本院`` (the org catalog), ``个人`` or ``本部门`` (a personal one shared with the
    owner's department), with the owner's name."""
    if ds.owner_user_id is None:
        return {"area": "本院", "owner": None}
    from ..db.models import User

    owner = s.get(User, ds.owner_user_id)
    return {"area": "本部门" if ds.department_id is not None else "个人", "owner": owner.name if owner else None}


def _audit_import(ws: Workspace, s: Session, req: ImportRequest, owner: int | None, result: ImportResult,
                  where: dict) -> None:
    """The ``data.import`` record of a new version, in the transaction that makes the version visible."""
    from ..security.audit import record as audit

    audit(ws, "data.import", actor=req.importer, org_id=owner, target=f"dataset:{result.dataset}", session=s,
          detail={"version": result.version, "rows": result.rows, **where})


def _audit_govern(ws: Workspace, s: Session, name: str, detail: dict) -> None:
    """``data.govern`` (分级、密封、要素类型) in the change's transaction: before → after of what changed."""
    from ..security.audit import record as audit

    audit(ws, "data.govern", target=f"dataset:{name}", session=s, detail=detail)


def _audit_failed_import(ws: Workspace, req: ImportRequest, owner: int | None, exc: BaseException,
                         where: dict) -> None:
    """A failed or interrupted import: one record marked 失败/中断, in its own transaction after the
    import rolled back (no version was made).  The error's kind only — its text may quote cell values."""
    from ..errors import ShujianError
    from ..security.audit import record as audit

    interrupted = isinstance(exc, KeyboardInterrupt)
    kind = exc.code if isinstance(exc, ShujianError) else type(exc).__name__
    try:
        audit(ws, "data.import", actor=req.importer, org_id=owner, target=f"dataset:{req.name}",
              outcome="中断" if interrupted else "失败", reason=f"导入未完成（{kind}），未生成新版本",
              detail={"error": kind, **where})
    except Exception:   # noqa: BLE001 - the import's own error is the one to report
        _log.exception("导入 %s 失败的审计记录未能写入", req.name)


def _screen_subscriptions(ws: Workspace, dataset: str) -> None:
    """关键词订阅: screen the new version for the dataset's subscriptions (never fails the import)."""
    from ..text.hooks import after_import

    after_import(ws, dataset)


def _chosen_versions(s: Session, datasets: list[Dataset], versions: dict[str, int]) -> dict[int, DatasetVersion]:
    """Dataset id → the version a reader gets (``versions`` by name, else pinned, else current), with its
    columns, in two statements for all ``datasets`` (read through ``ds.versions`` and ``v.columns`` it was
    two per dataset on every compile, run and data page).  A dataset without that version is left out:
    the caller's ``_version_or_fail`` says which versions it has."""
    from sqlalchemy import tuple_
    from sqlalchemy.orm import selectinload

    wanted = set()
    for ds in datasets:
        w = versions.get(ds.name)
        w = w if w is not None else (ds.pinned_version or ds.current_version)     # as _version chooses
        if w is not None:
            wanted.add((ds.id, w))
    if not wanted:
        return {}
    rows = (s.query(DatasetVersion).options(selectinload(DatasetVersion.columns))
            .filter(tuple_(DatasetVersion.dataset_id, DatasetVersion.version).in_(sorted(wanted))))
    return {v.dataset_id: v for v in rows}


def _version_counts(s: Session, datasets: list[Dataset]) -> dict[int, int]:
    from sqlalchemy import func

    ids = [ds.id for ds in datasets]
    return dict(s.query(DatasetVersion.dataset_id, func.count()).filter(DatasetVersion.dataset_id.in_(ids))
                .group_by(DatasetVersion.dataset_id)) if ids else {}


def _version(ds: Dataset, version: int | None) -> DatasetVersion | None:
    wanted = version if version is not None else (ds.pinned_version or ds.current_version)
    return next((v for v in ds.versions if v.version == wanted), None)


def _version_dict(v: DatasetVersion) -> dict:
    return {"version": v.version, "relation": v.relation, "rows": v.row_count, "agency": v.agency,
            "request_no": v.request_no,
            "period": [v.period_start.isoformat() if v.period_start else None,
                       v.period_end.isoformat() if v.period_end else None],
            "importer": v.importer, "imported_at": _utc_iso(v.imported_at), "content_hash": v.content_hash,
            "level": v.level, "source_path": v.source_path, "source_format": v.source_format,
            "source_encoding": v.source_encoding, "skipped_rows": v.skipped_rows, "note": v.note}


def _column_dict(c: DatasetColumn) -> dict:
    return {"name": c.name, "dtype": c.dtype, "semantic": c.semantic, "semantic_source": c.semantic_source,
            "level": c.level, "raw_column": c.raw_column}


def _utc_iso(moment: datetime) -> str:
    """ISO time with an explicit UTC offset: SQLite gives back naive UTC datetimes, PostgreSQL aware ones."""
    aware = moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)
    return aware.isoformat()


def _personal(semantic: str) -> bool:
    from .semantic import SEMANTIC_TYPES

    t = SEMANTIC_TYPES.get(semantic)
    return bool(t and t.personal)


def _job_of(table: str) -> int | None:
    digits = table.rsplit("_", 1)[-1]
    return int(digits) if digits.isdigit() else None


def _q(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _file_name(path) -> str | None:
    """The bare name of an imported file for the audit record (not the server's folder layout)."""
    from pathlib import Path

    return Path(str(path)).name if path is not None else None
