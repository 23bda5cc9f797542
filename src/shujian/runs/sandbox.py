"""沙箱运行 (sandbox runs): 人人都是建模者 without flooding the clue pool.

A sandbox run compiles and executes a model exactly as a normal run (same catalog, binding, sealed-data
rule, evidence), but its output rows are stored as results of the run (``sandbox_results``) instead of
clues: the starter sees them (masked), nobody is asked to 研判 them.  A 数字办 or 院领导 of the starter's org
(or an org above it) sees the org's sandbox runs and publishes (发布) one: its stored results go through the
bulk :class:`~shujian.clues.store.ClueWriter` as the clues of that run — fingerprints, dedup, suppression
and evidence exactly as if the run had been a normal one — with the audit record in the same transaction.

Who sees and who publishes is decided by :mod:`shujian.security.access` (sandbox runs: their starter and
the org's publishers; ``runs.publish`` on the run's org).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import fields
from datetime import datetime
from typing import Any

from sqlalchemy import func
from sqlalchemy.orm import Session

from ..clues.render import json_value
from ..clues.store import ClueCandidate, ClueWriter, StoreResult, _copy_rows, _json_dumps
from ..db.base import utcnow
from ..db.models import Run, SandboxResult, User
from ..errors import InputError, NotFound, PermissionDenied
from ..security.access import allowed, load_visible, present_clue, restrict, viewer_scope
from ..security.audit import record as audit
from ..security.scope import current_scope
from ..workflow.service import TransitionRefused
from ..workspace import Workspace

PUBLISH_BATCH = 50_000       # stored results turned back into candidates and written per batch


def starter(s: Session) -> int | None:
    """The id of the user starting a run now (None: the local operator without ``--as``)."""
    scope = current_scope()
    if scope is None or not scope.username:
        return None
    return s.query(User.id).filter(User.username == scope.username).scalar()


class ResultWriter:
    """Stores the output of a sandbox run as data, batch by batch, in the caller's transaction — the
    sandbox counterpart of :class:`ClueWriter` (same ``add``/``result``; no clue, no subject)."""

    def __init__(self, session: Session, run_id: int):
        self.session, self.run_id = session, run_id
        self.result = StoreResult()
        self._position = 0

    def add(self, candidates: list[ClueCandidate]) -> None:
        """Store one batch: ``COPY`` on PostgreSQL, the driver's executemany elsewhere (as the clue store)."""
        if not candidates:
            return
        self.session.flush()
        conn = self.session.connection()
        dumps = _json_dumps(conn)
        start, run_id = self._position, self.run_id
        rows = [(run_id, start + i, dumps(candidate_data(c))) for i, c in enumerate(candidates)]
        self._position += len(rows)
        _copy_rows(conn, "sandbox_results", ("run_id", "position", "data"), rows)


def candidate_data(c: ClueCandidate) -> dict:
    """A clue candidate as JSON data (facts as the clue store keeps them)."""
    d = {f.name: getattr(c, f.name) for f in fields(c)}
    d["facts"] = json_value(c.facts)
    d["evidence"] = [list(e) for e in c.evidence]
    return d


def candidate_of(d: dict) -> ClueCandidate:
    """The candidate back from :func:`candidate_data`."""
    return ClueCandidate(**{**d, "evidence": [tuple(e) for e in d.get("evidence") or []]})


class SandboxService:
    """Start, list, show and publish sandbox runs; the acting user is the request's/command's scope."""

    def __init__(self, ws: Workspace, clock: Callable[[], datetime] = utcnow):
        self.ws, self.clock = ws, clock

    def run(self, ref, **kw):
        """A sandbox run of ``ref`` (see :meth:`RunService.run`); its results are stored, no clue."""
        from .service import RunService

        return RunService(self.ws, self.clock).run(ref, sandbox=True, **kw)

    def list(self, limit: int = 200) -> list[dict]:
        """Sandbox runs the acting user may see, newest first: their own, and for publishers their orgs'."""
        with self.ws.db.unit_of_work() as s:
            q = restrict(s.query(Run), Run).filter(Run.sandbox.is_(True)).order_by(Run.id.desc())
            return [self._brief(s, r) for r in q.limit(limit)]

    def get(self, run_id: int, limit: int = 200) -> dict:
        """One sandbox run with its first ``limit`` results as the user may see them (masked)."""
        scope = current_scope()
        with self.ws.db.unit_of_work() as s:
            run = self._load(s, run_id)
            total = s.query(SandboxResult).filter_by(run_id=run.id).count()
            rows = (s.query(SandboxResult.data).filter_by(run_id=run.id).order_by(SandboxResult.position)
                    .limit(limit))
            results = [_shown(d, clear=scope is None) for (d,) in rows]
            return {**self._brief(s, run), "results": results, "total": total,
                    "can_publish": run.published_at is None and run.status == "succeeded"
                    and allowed(viewer_scope(), "runs.publish", run, session=s),
                    "dataset_versions": run.dataset_versions, "params": run.params, "sql": run.sql}

    def publish(self, run_id: int) -> dict:
        """发布: the run's stored results become its clues (ClueWriter: fingerprints, dedup), audited in the
        same transaction; by a 数字办/院领导 of the run's org or an org above it."""
        from ..governance.service import GovernanceService

        require_user(current_scope())
        with self.ws.db.unit_of_work() as s:
            model_id = self._publishable(s, run_id).model_id
        GovernanceService(self.ws).check_runnable(model_id)        # a 下架 model's results stay in the sandbox
        now = self.clock()
        with self.ws.db.unit_of_work() as s:
            run = self._publishable(s, run_id)      # again, in the writing transaction (a concurrent publish)
            writer = ClueWriter(s, run.id, now=now)
            for batch in _batches(s, run.id):
                writer.add(batch)
            stored = writer.result
            run.clues_new, run.clues_seen = stored.new, stored.seen + stored.suppressed + stored.reopened
            run.published_by, run.published_at = starter(s), now
            audit(self.ws, "run.publish", target=f"run:{run.id}", session=s,
                  detail={"model_id": run.model_id, "clues_new": stored.new, "clues_seen": run.clues_seen,
                          "started_by": _name(s, run.started_by)})
            return {**self._brief(s, run), "clue_ids": stored.clue_ids}

    def my_models(self) -> list[dict]:
        """The models the acting user authored (模型台账), newest first, with whether they may 提请认证 now."""
        from ..db.models import GovModel, GovRevision

        scope = current_scope()
        with self.ws.db.unit_of_work() as s:
            me = starter(s)
            if me is None:
                return []
            q = restrict(s.query(GovModel), GovModel, session=s).filter(GovModel.author_id == me)
            out = []
            for gm in q.order_by(GovModel.id.desc()):
                latest = (s.query(GovRevision).filter_by(gov_model_id=gm.id).order_by(GovRevision.number.desc())
                          .first())
                out.append({"model_id": gm.model_id, "name": gm.name, "state": gm.state,
                            "revision": latest.number if latest else None,
                            "can_propose": scope is not None and gm.state == "草稿"
                            and latest is not None and latest.submitted_at is None})
            return out

    def propose(self, model_id: str) -> dict:
        """提请认证: the acting user submits their model (草稿 → 提交) into the governance flow; the
        governance service checks that they are its author."""
        from ..governance.service import GovernanceService

        scope = current_scope()
        require_user(scope)
        return GovernanceService(self.ws, self.clock).submit(model_id, scope.username)

    # -- helpers ----------------------------------------------------------------------------------
    def _load(self, s: Session, run_id: int) -> Run:
        run = load_visible(s, current_scope(), Run, run_id)
        if not run.sandbox:
            raise NotFound(f"沙箱运行 {run_id} 不存在", hint=f"运行 {run_id} 是正式运行，见运行记录")
        return run

    def _publishable(self, s: Session, run_id: int) -> Run:
        from ..security.permissions import action_label, roles_for

        run = self._load(s, run_id)
        if not allowed(viewer_scope(), "runs.publish", run, session=s):
            who = "、".join(roles_for("runs.publish"))
            raise PermissionDenied(f"无权“{action_label('runs.publish')}”：沙箱运行 {run_id} 由发起人所在院（或上级院）的"
                                   f"{who}发布", hint=f"请联系{who}发布；您可以提请认证该模型")
        if run.published_at is not None:
            raise TransitionRefused(f"沙箱运行 {run_id} 已于 {run.published_at:%Y-%m-%d %H:%M} 由"
                                    f"{_name(s, run.published_by) or '（未知）'}发布，线索已在线索池中",
                                    hint="同一次运行只能发布一次；如需更新请重新沙箱运行后发布")
        if run.status != "succeeded":
            raise TransitionRefused(f"沙箱运行 {run_id} 的状态是“{_STATUS.get(run.status, run.status)}”，"
                                    "只能发布成功的运行", hint="重新沙箱运行后再发布")
        return run

    @staticmethod
    def _brief(s: Session, r: Run) -> dict:
        from ..db.models import Org

        org = s.get(Org, r.org_id) if r.org_id else None
        return {"run_id": r.id, "model_id": r.model_id, "status": r.status,
                "status_text": _STATUS.get(r.status, r.status), "rows_out": r.rows_out,
                "started_at": r.started_at.isoformat() if r.started_at else None,
                "started_by": _name(s, r.started_by), "org": org.name if org else None,
                "published_at": r.published_at.isoformat() if r.published_at else None,
                "published_by": _name(s, r.published_by), "clues_new": r.clues_new, "clues_seen": r.clues_seen,
                "error": r.error}


_STATUS = {"running": "运行中", "succeeded": "成功", "failed": "失败", "cancelled": "已取消"}


def _name(s: Session, user_id: int | None) -> str | None:
    if user_id is None:
        return None
    u = s.get(User, user_id)
    return u.name if u else None


def _batches(s: Session, run_id: int) -> Iterator[list[ClueCandidate]]:
    """The stored results in position order, one bounded batch at a time (by position range, so no
    cursor stays open while the clue writer uses the connection)."""
    last = s.query(func.max(SandboxResult.position)).filter_by(run_id=run_id).scalar()
    for start in range(0, (last if last is not None else -1) + 1, PUBLISH_BATCH):
        rows = (s.query(SandboxResult.data).filter(SandboxResult.run_id == run_id,
                                                   SandboxResult.position >= start,
                                                   SandboxResult.position < start + PUBLISH_BATCH)
                .order_by(SandboxResult.position).all())
        yield [candidate_of(d) for (d,) in rows]


def _shown(d: dict, *, clear: bool) -> dict:
    """One result as the viewer sees it: the clue presentation (subject, title, facts masked)."""
    c = {"subject": {"type": d.get("subject_type"), "key": d.get("subject_key"), "name": d.get("subject_name")},
         "title": d.get("title"), "facts": d.get("facts") or {}, "measure": d.get("measure")}
    return present_clue(c, clear=clear)


def require_user(scope: Any = None) -> None:
    """Refuse a personal/sandbox action by the local operator without ``--as`` (nobody to own it)."""
    if scope is None or not getattr(scope, "username", None):
        raise InputError("此操作须指明操作人", hint="命令行加 --as 用户名（建模者本人或数字办、院领导）")
