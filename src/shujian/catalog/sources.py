"""Saved database sources (保存的数据源) and their scheduled pulls (定期汇聚).

A source remembers what to pull (URL without password, table or query, incremental options, provenance)
into which dataset, and optionally a cron expression: ``shujian worker`` pulls due sources like it runs
due model schedules.  The password is never stored: the source names an environment variable.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

from ..db.base import utcnow
from ..db.models import DataSource
from ..errors import InputError, ShujianError
from ..security.access import load_visible, restrict
from ..security.scope import current_scope
from .connectors import DbPull, _parse, check_query, safe_url
from .importer import ImportRequest, validate_name

OPTION_KEYS = ("check_column", "merge_key", "batch_rows", "level", "agency", "request_no", "types", "semantics",
               "key_columns", "description")


def refuse_clear_password(url: str, password_env: str | None) -> None:
    """A saved source may not carry a password in its URL: it would be stored in clear."""
    if _parse(url).password is not None:
        raise InputError("连接串中含有密码；保存的数据源不保存明文密码",
                         hint=f"去掉连接串中的密码（{safe_url(url)}），把密码放进环境变量并用 --password-env 指定，"
                              f"如 --password-env {password_env or 'SHUJIAN_PW_SOURCE'}")


class SourceService:
    def __init__(self, ws, clock: Callable[[], datetime] = utcnow):
        self.ws = ws
        self.clock = clock

    def add(self, name: str, url: str, dataset: str, *, table: str | None = None, query: str | None = None,
            password_env: str | None = None, cron: str | None = None, options: dict | None = None,
            created_by: str | None = None) -> dict:
        from ..runs.schedule import next_time

        name, dataset = validate_name(name), validate_name(dataset)
        refuse_clear_password(url, password_env)
        if bool(table) == bool(query):
            raise InputError("请用 --table 或 --query 之一指定要汇聚的数据", hint="例如 --table public.社保缴费")
        if query:
            check_query(query, _parse(url).get_backend_name())
        unknown = set(options or {}) - set(OPTION_KEYS)
        if unknown:
            raise InputError(f"未知的数据源选项：{'、'.join(sorted(unknown))}")
        nxt = next_time(cron, _aware(self.clock())) if cron else None
        with self.ws.db.unit_of_work() as s:
            if s.query(DataSource).filter_by(name=name).one_or_none() is not None:
                raise InputError(f"数据源“{name}”已存在", hint="换一个名称，或先 shujian data source remove")
            src = DataSource(name=name, dataset=dataset, url=safe_url(url), password_env=password_env,
                             table_name=table, query=query, options=options or {}, cron=cron, enabled=True,
                             next_run_at=nxt, created_by=created_by)
            s.add(src)
            s.flush()
            return _dict(src)

    def list(self) -> list[dict]:
        with self.ws.db.unit_of_work() as s:
            return [_dict(x) for x in restrict(s.query(DataSource), DataSource).order_by(DataSource.name)]

    def remove(self, name: str) -> None:
        with self.ws.db.unit_of_work() as s:
            s.delete(self._get(s, name))

    def pull(self, name: str, progress=None, actor: str | None = None) -> dict:
        """Pull one source now; the outcome is recorded on the source (a failure re-raises)."""
        from .service import CatalogService

        with self.ws.db.unit_of_work() as s:
            src = self._get(s, name)
            o = dict(src.options or {})
            pull = DbPull(url=src.url, table=src.table_name, query=src.query, password_env=src.password_env,
                          check_column=o.get("check_column"), merge_key=list(o.get("merge_key") or []),
                          batch_rows=int(o.get("batch_rows") or 50_000))
            req = ImportRequest(name=src.dataset, agency=o.get("agency"), request_no=o.get("request_no"),
                                level=o.get("level"), description=o.get("description"),
                                types=dict(o.get("types") or {}), semantics=dict(o.get("semantics") or {}),
                                key_columns=o.get("key_columns"), importer=actor or src.created_by,
                                note=f"数据源“{src.name}”汇聚")
        try:
            result = CatalogService(self.ws).import_db(req, pull, progress)
        except ShujianError as exc:
            self._record(name, "failed", exc.message, None)
            raise
        version = result.version if result else None
        self._record(name, "succeeded" if result else "unchanged", None, version)
        return {"source": name, "dataset": req.name, "version": version, "rows": result.rows if result else None,
                "status": "succeeded" if result else "unchanged"}

    def pull_due(self, now: datetime | None = None) -> list[dict]:
        """Pull every enabled source whose cron time has come (``shujian worker``)."""
        from ..runs.schedule import next_time

        now = _aware(now or self.clock())
        with self.ws.db.unit_of_work() as s:
            due = [(x.name, x.cron) for x in s.query(DataSource).filter(DataSource.enabled.is_(True))
                   .order_by(DataSource.id) if x.cron and x.next_run_at and _aware(x.next_run_at) <= now]
        out = []
        for name, cron in due:
            try:
                out.append(self.pull(name))
            except ShujianError as exc:
                out.append({"source": name, "status": "failed", "error": exc.message})
            with self.ws.db.unit_of_work() as s:
                self._get(s, name).next_run_at = next_time(cron, now)
        return out

    def _record(self, name: str, status: str, error: str | None, version: int | None) -> None:
        with self.ws.db.unit_of_work() as s:
            src = self._get(s, name)
            src.last_status, src.last_error, src.last_run_at = status, error, utcnow()
            if version is not None:
                src.last_version = version

    @staticmethod
    def _get(s, name: str) -> DataSource:
        return load_visible(s, current_scope(), DataSource, name, by="name", label=f"“{name}”")


def _aware(moment: datetime) -> datetime:
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _dict(x: DataSource) -> dict:
    return {"name": x.name, "dataset": x.dataset, "url": x.url, "password_env": x.password_env,
            "table": x.table_name, "query": x.query, "options": x.options or {}, "cron": x.cron,
            "enabled": x.enabled, "next_run_at": x.next_run_at.isoformat() if x.next_run_at else None,
            "last_run_at": x.last_run_at.isoformat() if x.last_run_at else None, "last_status": x.last_status,
            "last_error": x.last_error, "last_version": x.last_version}
