"""定期调度: cron schedules per model, executed by ``shujian worker`` (or later by the server)."""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import UTC, datetime

from croniter import croniter

from ..db.base import utcnow
from ..db.models import Schedule
from ..errors import InputError, ShujianError
from ..security.access import load_visible, restrict
from ..security.scope import Scope, current_scope, scope_for, use_scope
from ..workspace import Workspace
from .service import RunService


def next_time(cron: str, after: datetime) -> datetime:
    if not croniter.is_valid(cron):
        raise InputError(f"cron 表达式“{cron}”无效",
                         hint="格式为 分 时 日 月 周，例如 “0 2 * * *” 表示每天 2:00")
    return croniter(cron, after).get_next(datetime)


class ScheduleService:
    def __init__(self, ws: Workspace, clock: Callable[[], datetime] = utcnow):
        self.ws = ws
        self.clock = clock

    def add(self, model_id: str, cron: str, params: dict[str, str] | None = None, engine: str = "duckdb") -> dict:
        runs = RunService(self.ws)
        runs.compile(model_id, params=params)     # refuse a schedule that could never run (binding included)
        nxt = next_time(cron, _aware(self.clock()))
        scope = current_scope()
        with self.ws.db.unit_of_work() as s:
            # the org it runs for (its 数据绑定 and catalog): the acting user's, else as a local run
            org_id = scope.org_id if scope is not None and scope.username else None
            sch = Schedule(model_id=model_id, cron=cron, params=params or {}, engine=engine, enabled=True,
                           next_run_at=nxt, org_id=org_id, created_by=scope.username if scope else None)
            s.add(sch)
            s.flush()
            return _dict(sch)

    def list(self) -> list[dict]:
        with self.ws.db.unit_of_work() as s:
            return [_dict(x) for x in restrict(s.query(Schedule), Schedule).order_by(Schedule.id)]

    def remove(self, schedule_id: int) -> None:
        with self.ws.db.unit_of_work() as s:
            s.delete(load_visible(s, current_scope(), Schedule, schedule_id))      # another org's: as if missing

    def set_enabled(self, schedule_id: int, enabled: bool) -> dict:
        with self.ws.db.unit_of_work() as s:
            sch = load_visible(s, current_scope(), Schedule, schedule_id)
            sch.enabled = enabled
            return _dict(sch)

    def run_due(self, now: datetime | None = None) -> list[dict]:
        """Run every enabled schedule whose time has come; returns one entry per attempted run."""
        now = _aware(now or self.clock())
        with self.ws.db.unit_of_work() as s:
            due = [(x.id, x.model_id, dict(x.params or {}), x.engine, x.cron, _scope_of(s, x))
                   for x in s.query(Schedule).filter(Schedule.enabled.is_(True)).order_by(Schedule.id)
                   if x.next_run_at is not None and _aware(x.next_run_at) <= now]
        out = []
        for sid, model_id, params, engine, cron, scope in due:
            entry = {"schedule_id": sid, "model_id": model_id}
            run_id = None
            try:
                with use_scope(scope):
                    result = RunService(self.ws, clock=lambda: now).run(model_id, params=params, engine=engine,
                                                                       schedule_id=sid)
                entry.update(result.to_dict())
                run_id = result.run_id
            except ShujianError as exc:
                entry.update({"status": "failed", "error": exc.message})
            with self.ws.db.unit_of_work() as s:
                sch = s.get(Schedule, sid)
                sch.next_run_at = next_time(cron, now)
                sch.last_run_id = run_id or sch.last_run_id
            out.append(entry)
        return out

    def work(self, interval: float = 30.0, once: bool = False, on_result: Callable[[dict], None] | None = None) -> None:
        from ..text.hooks import screen_all

        while True:
            for entry in self.run_due():
                if on_result:
                    on_result(entry)
            screen_all(self.ws)      # 关键词订阅: versions from connector pulls and other imports
            if once:
                return
            time.sleep(interval)


def _scope_of(s, sch: Schedule) -> Scope | None:
    """A schedule made by a user runs for that user's org (its binding, its catalog); None: as before."""
    if sch.org_id is None:
        return None
    return scope_for(s, sch.created_by or f"调度{sch.id}", sch.org_id, ())


def _aware(dt: datetime) -> datetime:
    return dt if dt.tzinfo else dt.replace(tzinfo=UTC)


def _dict(x: Schedule) -> dict:
    return {"schedule_id": x.id, "model_id": x.model_id, "cron": x.cron, "params": x.params, "engine": x.engine,
            "enabled": x.enabled, "next_run_at": x.next_run_at.isoformat() if x.next_run_at else None,
            "last_run_id": x.last_run_id, "org_id": x.org_id}
