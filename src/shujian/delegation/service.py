"""委托研判 requests: 已提交 → 已受理 → 已反馈 → 已办结 (or 已退回), with deadlines.

A prosecutor asks a question (with the business rule in words and the data needed); an analyst of
the 数字办 accepts it, links the models and runs that answer it, and delivers the clues of those runs
as a package: each clue is handed to the requesting org and enters the normal clue workflow.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime

from sqlalchemy.orm import Session

from ..db.base import utcnow
from ..db.models import AnalysisRequest, Clue, ClueEvent, ClueRun, Org, Run, User
from ..errors import InputError, NotFound, PermissionDenied
from ..orgs.service import find_user
from ..security import access
from ..security.scope import current_scope
from ..workflow.service import TransitionRefused
from ..workspace import Workspace

STATES = ("已提交", "已受理", "已反馈", "已办结", "已退回")
OPEN = ("已提交", "已受理")
MOVES: dict[str, tuple[tuple[str, ...], str]] = {
    "受理": (("已提交",), "已受理"), "反馈": (("已受理",), "已反馈"),
    "办结": (("已反馈",), "已办结"), "退回": (("已提交", "已受理"), "已退回"),
}


class DelegationService:
    def __init__(self, ws: Workspace, clock: Callable[[], datetime] = utcnow):
        self.ws = ws
        self.clock = clock

    def submit(self, requester: str, question: str, *, deadline: date, rule_text: str = "",
               data_needed: str = "") -> dict:
        """A prosecutor's request: question, business rule in words, data needed, deadline."""
        if not question.strip():
            raise InputError("委托研判需要写明研判问题", hint="用 --question 描述要查找的违法情形")
        if deadline < self.clock().date():
            raise InputError(f"研判期限 {deadline} 早于今天 {self.clock().date()}")
        with self.ws.db.unit_of_work() as s:
            user = find_user(s, requester)
            req = AnalysisRequest(requester_id=user.id, org_id=user.org_id, question=question, rule_text=rule_text,
                                  data_needed=data_needed, deadline=deadline, state="已提交", model_ids=[],
                                  run_ids=[], clue_ids=[], history=[], created_at=self.clock())
            s.add(req)
            s.flush()
            self._log(s, req, user, None, "已提交", "提交委托")
            return request_dict(s, req)

    def accept(self, request_id: int, analyst: str) -> dict:
        with self.ws.db.unit_of_work() as s:
            req, user = self._handled(s, request_id, analyst)
            self._move(s, req, "受理", user, None)
            req.analyst_id = user.id
            return request_dict(s, req)

    def link(self, request_id: int, analyst: str, *, model_ids: list[str] = (), run_ids: list[int] = ()) -> dict:
        """Link the models and runs that answer the request (only while 已受理)."""
        with self.ws.db.unit_of_work() as s:
            req, user = self._handled(s, request_id, analyst)
            if req.state != "已受理":
                raise TransitionRefused(f"委托研判 {request_id} 当前状态为“{req.state}”，只能在“已受理”时关联模型和运行")
            runs = [s.get(Run, r) for r in run_ids]
            missing = [r for r, run in zip(run_ids, runs, strict=True)     # out of the analyst's scope: as if missing
                       if run is None or not access.sees(s, run, user)]
            if missing:
                raise NotFound(f"运行记录 {'、'.join(map(str, missing))} 不存在", hint="用 shujian model runs 查看")
            req.model_ids = sorted({*req.model_ids, *model_ids, *(r.model_id for r in runs)})
            req.run_ids = sorted({*req.run_ids, *run_ids})
            self._log(s, req, user, req.state, req.state, f"关联模型 {'、'.join(req.model_ids)}，运行 {req.run_ids}")
            return request_dict(s, req)

    def deliver(self, request_id: int, analyst: str, *, clue_ids: list[int] | None = None, note: str = "") -> dict:
        """Return the clue package: the linked runs' open clues (or ``clue_ids``) go to the requesting org."""
        with self.ws.db.unit_of_work() as s:
            req, user = self._handled(s, request_id, analyst)
            ids = list(clue_ids) if clue_ids else _run_clues(s, req.run_ids)
            found = [s.get(Clue, i) for i in ids]
            missing = [i for i, c in zip(ids, found, strict=True)          # out of the analyst's scope: as if missing
                       if c is None or not access.sees(s, c, user)]
            if missing and clue_ids:
                raise NotFound(f"线索 {'、'.join(map(str, missing[:20]))} 不存在", hint="用 shujian clue list 查看线索")
            clues = [c for c in found if c is not None and access.sees(s, c, user) and not c.suppressed]
            if not clues:
                raise TransitionRefused(f"委托研判 {request_id} 的线索包为空，不能反馈",
                                        hint="先关联产生线索的运行（shujian delegation link --run），或用 --clue 指定线索")
            req.clue_ids, req.note = [c.id for c in clues], note     # (rolled back if the move is refused)
            self._move(s, req, "反馈", user, note)
            requester = s.get(User, req.requester_id)
            for c in clues:
                c.org_id, c.assignee_id = req.org_id, requester.id
                s.add(ClueEvent(clue_id=c.id, at=self.clock(), actor_id=user.id, action="委托研判反馈",
                                reason=f"委托研判 {req.id}：{req.question}", attachments=[],
                                data={"request_id": req.id}))
            return request_dict(s, req)

    def close(self, request_id: int, requester: str, note: str = "") -> dict:
        with self.ws.db.unit_of_work() as s:
            user = find_user(s, requester)
            req = _req(s, request_id, user)
            if user.id != req.requester_id:
                raise PermissionDenied(f"只有委托人可以办结委托研判 {request_id}")
            self._move(s, req, "办结", user, note)
            return request_dict(s, req)

    def reject(self, request_id: int, analyst: str, reason: str) -> dict:
        if not reason.strip():
            raise InputError(f"退回委托研判 {request_id} 必须写明理由")
        with self.ws.db.unit_of_work() as s:
            req, user = self._handled(s, request_id, analyst)
            self._move(s, req, "退回", user, reason)
            return request_dict(s, req)

    def list(self, *, state: str | None = None, overdue: bool = False) -> list[dict]:
        today = self.clock().date()
        with self.ws.db.unit_of_work() as s:
            q = access.restrict(s.query(AnalysisRequest), AnalysisRequest).order_by(AnalysisRequest.id)
            if state:
                q = q.filter(AnalysisRequest.state == state)
            rows = [request_dict(s, r, today) for r in q]
        return [r for r in rows if r["overdue"]] if overdue else rows

    def get(self, request_id: int) -> dict:
        with self.ws.db.unit_of_work() as s:
            return request_dict(s, _req(s, request_id, current_scope()), self.clock().date())

    # -- internals --------------------------------------------------------------------------------
    def _handled(self, s: Session, request_id: int, username: str) -> tuple[AnalysisRequest, User]:
        """The request as the analyst ``username`` may handle it: in the analyst's org scope (else 不存在,
        as if missing) and the 数字办's ``delegation.handle`` right (access layer)."""
        user = find_user(s, username)
        req = _req(s, request_id, current_scope())
        access.check(user, "delegation.handle", req, session=s, what=str(request_id),
                     denied=f"用户 {user.name} 不是数字办/情报中心人员，不能处理委托研判 {request_id}",
                     hint="需要角色：数字办")
        return req, user

    def _move(self, s: Session, req: AnalysisRequest, action: str, user: User, note: str | None) -> None:
        sources, target = MOVES[action]
        if req.state not in sources:
            allowed = "、".join(a for a, (src, _) in MOVES.items() if req.state in src) or "无"
            raise TransitionRefused(f"委托研判 {req.id} 当前状态为“{req.state}”，不能“{action}”",
                                    hint=f"从“{req.state}”可执行：{allowed}")
        source, req.state = req.state, target
        self._log(s, req, user, source, target, note)

    def _log(self, s: Session, req: AnalysisRequest, user: User, source: str | None, target: str,
             note: str | None) -> None:
        """The request's own history entry and its audit record, both in the change's transaction."""
        from ..security.audit import record

        req.history = [*(req.history or []), {"at": self.clock().isoformat(), "actor": user.username,
                                              "from": source, "to": target, "note": note}]
        detail = {"from": source, "to": target, "clues": list(req.clue_ids or [])[:200]}
        record(self.ws, "delegation", actor=user.username, org_id=user.org_id, target=f"delegation:{req.id}",
               reason=note, detail=detail, session=s)


def _req(s: Session, request_id: int, user) -> AnalysisRequest:
    """The request if ``user`` (a scope, a user row) may see it; another org's request: as if missing."""
    return access.load_visible(s, user, AnalysisRequest, request_id)


def _run_clues(s: Session, run_ids: list[int]) -> list[int]:
    if not run_ids:
        return []
    q = s.query(ClueRun.clue_id).filter(ClueRun.run_id.in_(run_ids)).distinct()
    return sorted(cid for (cid,) in q)


def request_dict(s: Session, r: AnalysisRequest, today: date | None = None) -> dict:
    requester, analyst = s.get(User, r.requester_id), s.get(User, r.analyst_id) if r.analyst_id else None
    org = s.get(Org, r.org_id)
    return {"request_id": r.id, "state": r.state, "question": r.question, "rule_text": r.rule_text,
            "data_needed": r.data_needed, "deadline": r.deadline.isoformat() if r.deadline else None,
            "overdue": bool(today and r.deadline and r.deadline < today and r.state in OPEN),
            "requester": requester.username, "org": org.name if org else None,
            "analyst": analyst.username if analyst else None, "model_ids": list(r.model_ids or []),
            "run_ids": list(r.run_ids or []), "clue_ids": list(r.clue_ids or []), "history": list(r.history or [])}
