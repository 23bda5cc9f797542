"""The clue workflow service: transitions with role rules, 交办/督办, 排除, 成案, measures, deadlines.

Every change is a :class:`~shujian.db.models.ClueEvent` (who, when, from, to, reason, attachments).
Time comes from an injectable ``clock`` so deadlines and escalation are testable.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import date, datetime, timedelta

from sqlalchemy import and_, or_
from sqlalchemy.orm import Session

from ..dates import add_months
from ..db.base import utcnow
from ..db.models import Clue, ClueEvent, Department, Org, SupervisionMeasure, User
from ..errors import InputError, NotFound, PermissionDenied, TransitionRefused
from ..orgs.roles import DEPT_HEAD, LEADER
from ..orgs.service import ancestors, descendants, find_org, find_user
from ..security.access import clue_visible, load_visible
from ..security.audit import record as audit
from ..security.scope import current_scope, scope_for
from ..workspace import Workspace
from .rules import (
    EXCLUSION_TYPES,
    FINAL_STATES,
    GOVERNANCE_OUTCOMES,
    MEASURES,
    REPLY_MONTHS,
    ClueAction,
    ClueState,
    Transition,
    check_transition,
)

__all__ = ["TransitionRefused", "WorkflowService", "PermissionDenied", "clue_label"]


def clue_label(c: Clue) -> str:
    """``线索 12（张*…）`` for messages: the title masked like every display of it (access layer)."""
    from ..security.access import mask_clue_text, subject_values

    title = mask_clue_text(c.title, subject_values(c.subject.type, c.subject.key, c.subject.name)) or ""
    title = title if len(title) <= 24 else title[:24] + "…"
    return f"线索 {c.id}（{title}）"


class WorkflowService:
    """Clue lifecycle operations; each public method is one transaction."""

    def __init__(self, ws: Workspace, clock: Callable[[], datetime] = utcnow):
        self.ws = ws
        self.clock = clock

    def today(self) -> date:
        return self.clock().date()

    # -- transitions ------------------------------------------------------------------------------
    def transition(self, clue_id: int, action: str, actor: str, *, reason: str | None = None,
                   attachments: list[str] | None = None, **kw) -> dict:
        """Take ``action`` (研判, 交办, 核查, 排除, 成案, 监督措施, 跟踪, 办结, 退回, 重新打开) on a clue.

        Done and refused-for-lack-of-rights transitions are audit records (web and CLI alike).
        """
        try:
            with self.ws.db.unit_of_work() as s:
                clue = _clue(s, clue_id)
                user = find_user(s, actor)
                source = clue.state
                self._apply(s, clue, action, user, reason, attachments or [], kw)
                out = clue_state(s, clue)
                # in the same transaction: the move and its audit record commit together or not at all
                audit(self.ws, "clue.transition", actor=actor, org_id=user.org_id, target=f"clue:{clue_id}",
                      reason=reason, detail={"action": action, "from": source, "to": out["state"]}, session=s)
        except PermissionDenied as exc:
            audit(self.ws, "clue.transition", actor=actor, target=f"clue:{clue_id}", outcome="拒绝", reason=reason,
                  detail={"action": action, "problem": exc.message})
            raise
        return out

    def bulk(self, clue_ids: Iterable[int], action: str, actor: str, *, atomic: bool = True,
             reason: str | None = None, **kw) -> dict:
        """The same action on many clues.  ``atomic``: all or nothing; else apply what is allowed."""
        done: list[int] = []
        refused: list[dict] = []
        ids = list(clue_ids)
        if not atomic:
            for cid in ids:           # one transaction per clue: a refusal leaves the others done
                try:
                    self.transition(cid, action, actor, reason=reason, **kw)
                    done.append(cid)
                except (TransitionRefused, PermissionDenied, NotFound) as exc:
                    refused.append({"clue_id": cid, "message": exc.message})
            return {"action": action, "done": done, "refused": refused}
        moved: list[tuple[int, str, str]] = []
        with self.ws.db.unit_of_work() as s:
            user = find_user(s, actor)
            org_id = user.org_id
            for cid in ids:
                try:
                    clue = _clue(s, cid)
                    source = clue.state
                    self._apply(s, clue, action, user, reason, [], dict(kw))
                    done.append(cid)
                    moved.append((cid, source, clue.state))
                except (TransitionRefused, PermissionDenied, NotFound) as exc:
                    refused.append({"clue_id": cid, "message": exc.message})
            if refused:               # raising rolls the whole batch back
                lines = "\n".join(f"  - {r['message']}" for r in refused)
                raise TransitionRefused(f"批量“{action}”未执行：{len(refused)} 条线索不允许该操作\n{lines}",
                                        hint="去掉这些线索，或使用 --partial 只处理允许的线索",
                                        details={"refused": refused})
            for cid, source, target in moved:     # same transaction: no clue moves without its record
                audit(self.ws, "clue.transition", actor=actor, org_id=org_id, target=f"clue:{cid}", reason=reason,
                      detail={"action": action, "from": source, "to": target, "bulk": len(ids)}, session=s)
        return {"action": action, "done": done, "refused": refused}

    def comment(self, clue_id: int, actor: str, text: str, attachments: list[str] | None = None) -> dict:
        """Add a comment (评论) to a clue; it is an event without a state change, audited with it."""
        with self.ws.db.unit_of_work() as s:
            return self.comment_in(s, clue_id, actor, text, attachments or [])

    def comment_in(self, s: Session, clue_id: int, actor: str, text: str, attachments: list[str]) -> dict:
        """:meth:`comment` inside the caller's transaction (attachments: the files and their rows commit
        with the comment and its audit record)."""
        if not text.strip():
            raise InputError(f"线索 {clue_id} 的评论内容为空", hint="用 --text 写明意见")
        clue = _clue(s, clue_id)
        user = find_user(s, actor)
        ev = self._event(s, clue, user, "评论", None, None, text, attachments)
        audit(self.ws, "clue.comment", actor=actor, org_id=user.org_id, target=f"clue:{clue_id}", session=s,
              detail={"event_id": ev.id, "attachments": len(attachments)})
        return _event_dict(s, ev)

    def supervise(self, clue_id: int, actor: str, deadline: date, reason: str) -> dict:
        """督办: an upper org watches a clue held by a lower org, with its own deadline."""
        with self.ws.db.unit_of_work() as s:
            clue = _clue(s, clue_id)
            user = find_user(s, actor)
            if not set(user.roles) & {LEADER, DEPT_HEAD}:
                raise PermissionDenied(f"用户 {user.name} 无权督办{clue_label(clue)}：需要角色 院领导 或 部门负责人")
            if clue.org_id is None or clue.org_id == user.org_id or user.org_id not in ancestors(s, clue.org_id):
                raise PermissionDenied(f"{clue_label(clue)}不在 {_org_name(s, user.org_id)} 的下级院办理中，不能督办",
                                       hint="督办只能由承办院的上级院发起；先交办到下级院")
            if clue.state in FINAL_STATES:
                raise TransitionRefused(f"{clue_label(clue)}已{clue.state}，无需督办")
            clue.supervised, clue.supervisor_org_id, clue.supervise_deadline = True, user.org_id, deadline
            self._event(s, clue, user, "督办", None, None, reason, [], {"deadline": deadline.isoformat()})
            audit(self.ws, "clue.transition", actor=actor, org_id=user.org_id, target=f"clue:{clue_id}", reason=reason,
                  detail={"action": "督办", "deadline": deadline.isoformat()}, session=s)
            return clue_state(s, clue)

    # -- measures ---------------------------------------------------------------------------------
    def add_measure(self, clue_id: int, actor: str, kind: str, *, doc_number: str | None = None,
                    issued_on: date | None = None, recipient: str | None = None,
                    reply_deadline: date | None = None, reason: str | None = None) -> dict:
        """Record a 监督措施; from 成案 this is the 监督措施 transition."""
        with self.ws.db.unit_of_work() as s:
            clue = _clue(s, clue_id)
            user = find_user(s, actor)
            spec = {"kind": kind, "doc_number": doc_number, "issued_on": issued_on, "recipient": recipient,
                    "reply_deadline": reply_deadline}
            source = clue.state
            if clue.state == ClueState.CASE:
                self._apply(s, clue, ClueAction.MEASURE, user, reason, [], {"measure": spec})
            else:
                if clue.state not in ("监督措施", "跟踪"):
                    raise TransitionRefused(f"{clue_label(clue)}当前状态为“{clue.state}”，不能发出监督措施",
                                            hint="先核查并成案（录入案号），再发出监督措施")
                self._check_role(s, clue, user, _row(ClueState.CASE, ClueAction.MEASURE))
                self._measure(s, clue, user, spec)
            m = s.query(SupervisionMeasure).filter_by(clue_id=clue.id).order_by(SupervisionMeasure.id.desc()).first()
            audit(self.ws, "clue.transition", actor=actor, org_id=user.org_id, target=f"clue:{clue_id}", reason=reason,
                  detail={"action": "监督措施", "from": source, "to": clue.state, "measure_id": m.id, "kind": m.kind},
                  session=s)
            return measure_dict(m)

    def record_reply(self, measure_id: int, actor: str, *, replied_on: date, reply: str = "",
                     adopted: bool | None = None, rectified: bool | None = None, money_recovered: float = 0.0,
                     people_affected: int = 0, governance: list[str] | None = None) -> dict:
        """Record the reply to a measure and its outcome; a clue in 监督措施 moves to 跟踪."""
        bad = [g for g in governance or [] if g not in GOVERNANCE_OUTCOMES]
        if bad:
            raise InputError(f"治理成果 {'、'.join(bad)} 无效", hint=f"可选：{'、'.join(GOVERNANCE_OUTCOMES)}")
        with self.ws.db.unit_of_work() as s:
            m = s.get(SupervisionMeasure, measure_id)
            if m is None or not clue_visible(s, s.get(Clue, m.clue_id), current_scope()):
                raise NotFound(f"监督措施 {measure_id} 不存在", hint="用 shujian clue show 查看线索的监督措施")
            clue, user = _clue(s, m.clue_id), find_user(s, actor)
            self._check_role(s, clue, user, _row(ClueState.MEASURE, ClueAction.TRACK))
            m.replied_on, m.reply, m.adopted, m.rectified = replied_on, reply, adopted, rectified
            m.money_recovered, m.people_affected = float(money_recovered or 0), int(people_affected or 0)
            m.governance = list(governance or [])
            if rectified and clue.escalation == "建议刚性" and m.intensity == "柔性":
                clue.escalation = None
            self._event(s, clue, user, "回复", None, None, reply or None, [], {"measure_id": m.id})
            if clue.state == "监督措施":
                self._apply(s, clue, "跟踪", user, "收到回复", [], {})
            out = measure_dict(m)
            audit(self.ws, "clue.transition", actor=actor, org_id=user.org_id, target=f"clue:{clue.id}",
                  detail={"action": "回复", "measure_id": measure_id, "adopted": adopted, "rectified": rectified},
                  session=s)
        return out

    def escalate(self, clue_id: int, actor: str, kind: str, *, reason: str, doc_number: str | None = None,
                 issued_on: date | None = None, recipient: str | None = None) -> dict:
        """刚性监督: after an overdue 柔性 measure, issue a formal or rigid one."""
        if MEASURES.get(kind) not in ("正式", "刚性"):
            raise InputError(f"“{kind}”不是正式或刚性监督措施",
                             hint=f"可选：{'、'.join(k for k, v in MEASURES.items() if v != '柔性')}")
        with self.ws.db.unit_of_work() as s:
            clue = _clue(s, clue_id)
            if clue.escalation != "建议刚性":
                raise TransitionRefused(f"{clue_label(clue)}没有逾期未整改的柔性措施或逾期未回复的检察建议，不需转为刚性监督",
                                        hint="先用 shujian clue due 查看逾期事项")
            user = find_user(s, actor)
            self._check_role(s, clue, user, _row(ClueState.CASE, ClueAction.MEASURE))
            self._measure(s, clue, user, {"kind": kind, "doc_number": doc_number, "issued_on": issued_on,
                                          "recipient": recipient, "reply_deadline": None})
            clue.escalation = "已刚性"
            self._event(s, clue, user, "刚性监督", None, None, reason, [], {"kind": kind})
            audit(self.ws, "clue.transition", actor=actor, org_id=user.org_id, target=f"clue:{clue_id}", reason=reason,
                  detail={"action": "刚性监督", "kind": kind}, session=s)
            return clue_state(s, clue)

    # -- deadlines --------------------------------------------------------------------------------
    def check_overdue(self) -> list[dict]:
        """Flag measures whose reply deadline passed without rectification; an overdue 柔性 measure, or a
    正式 one (检察建议 …) left unanswered, proposes 刚性监督."""
        today, flagged = self.today(), []
        with self.ws.db.unit_of_work() as s:
            q = s.query(SupervisionMeasure, Clue).join(Clue, Clue.id == SupervisionMeasure.clue_id).filter(
                SupervisionMeasure.reply_deadline < today, SupervisionMeasure.overdue.is_(False),
                Clue.state.notin_(FINAL_STATES))
            for m, clue in q:
                if m.rectified or (m.replied_on and m.replied_on <= m.reply_deadline and m.intensity != "柔性"):
                    continue
                m.overdue = True
                unanswered_formal = m.intensity == "正式" and m.replied_on is None
                if (m.intensity == "柔性" or unanswered_formal) and clue.escalation is None:
                    clue.escalation = "建议刚性"          # 柔性 ignored, or a 检察建议 left unanswered
                self._event(s, clue, None, "逾期", None, None,
                            f"{m.kind}（{m.doc_number or '无文号'}）回复期限 {m.reply_deadline} 已过，未整改",
                            [], {"measure_id": m.id, "escalation": clue.escalation})
                flagged.append({**measure_dict(m), "escalation": clue.escalation})
        return flagged

    def due(self, *, within_days: int = 7, org: str | int | None = None) -> list[dict]:
        """Overdue and soon-due items: 交办期限, 督办期限, 回复期限, and 建议刚性 proposals."""
        self.check_overdue()
        today = self.today()
        out: list[dict] = []
        with self.ws.db.unit_of_work() as s:
            scope = descendants(s, find_org(s, org).id) if org is not None else None
            # only clues _clue_due can report (an indexed few, not every open clue of the store)
            maybe_due = or_(and_(Clue.deadline.is_not(None), Clue.state.in_(("交办", "核查")),
                                 Clue.deadline <= today + timedelta(days=within_days)),
                            Clue.supervised.is_(True), Clue.escalation == "建议刚性")
            seen = current_scope()
            for c in s.query(Clue).filter(Clue.state.notin_(FINAL_STATES), maybe_due):
                if (scope is not None and c.org_id not in scope) or not clue_visible(s, c, seen):
                    continue
                out += _clue_due(s, c, today, within_days)
            late = s.query(SupervisionMeasure, Clue).join(Clue, Clue.id == SupervisionMeasure.clue_id).filter(
                SupervisionMeasure.replied_on.is_(None), SupervisionMeasure.reply_deadline.isnot(None),
                SupervisionMeasure.reply_deadline <= today + timedelta(days=within_days))
            for m, c in late:
                if (scope is None or c.org_id in scope) and clue_visible(s, c, seen) \
                        and (m.reply_deadline - today).days <= within_days:
                    out.append(_due_row(s, c, "回复期限", m.reply_deadline, today,
                                        f"{m.kind} {m.doc_number or ''}".strip()))
        return sorted(out, key=lambda r: (r["deadline"] or "9999", r["clue_id"]))

    # -- reading ----------------------------------------------------------------------------------
    def history(self, clue_id: int) -> list[dict]:
        with self.ws.db.unit_of_work() as s:
            _clue(s, clue_id)
            evs = s.query(ClueEvent).filter_by(clue_id=clue_id).order_by(ClueEvent.id)
            return [_event_dict(s, e) for e in evs]

    def measures(self, clue_id: int) -> list[dict]:
        with self.ws.db.unit_of_work() as s:
            _clue(s, clue_id)
            q = s.query(SupervisionMeasure).filter_by(clue_id=clue_id).order_by(SupervisionMeasure.id)
            return [measure_dict(m) for m in q]

    def state(self, clue_id: int) -> dict:
        with self.ws.db.unit_of_work() as s:
            return clue_state(s, _clue(s, clue_id))

    # -- internals --------------------------------------------------------------------------------
    def _apply(self, s: Session, clue: Clue, action: str, user: User, reason: str | None,
               attachments: list[str], kw: dict) -> None:
        self._check_org(s, clue, user)           # sight first: another org's clue is as if missing
        t = check_transition(clue.state, action, user.roles or (), what=clue_label(clue), who=_who(user))
        if "reason" in t.needs and not (reason or "").strip():
            raise TransitionRefused(f"{clue_label(clue)}“{action}”必须写明理由", hint="用 --reason 说明原因")
        data = _EFFECTS[t.action](self, s, clue, user, kw)
        source = clue.state
        clue.state, clue.state_changed_at = t.target.value, self.clock()
        self._event(s, clue, user, t.action.value, source, t.target.value, reason, attachments, data)

    def _check_role(self, s: Session, clue: Clue, user: User, t: Transition) -> None:
        """Sight first (the org rule), then the roles of table row ``t`` (a measure or reply outside a state
        change)."""
        self._check_org(s, clue, user)
        check_transition(t.source, t.action, user.roles or (), what=clue_label(clue), who=_who(user))

    def _check_org(self, s: Session, clue: Clue, user: User) -> None:
        """The acting user's sight (access layer), before any role question: a clue held by another org, or
        another org's pool, is "不存在" — the refusal names neither the clue's title nor the org holding it."""
        if not clue_visible(s, clue, scope_for(s, user.username, user.org_id, user.roles)):
            raise NotFound(f"线索 {clue.id} 不存在", hint="用 shujian clue list 查看线索")

    def _event(self, s: Session, clue: Clue, user: User | None, action: str, source: str | None,
               target: str | None, reason: str | None, attachments: list[str], data: dict | None = None
               ) -> ClueEvent:
        ev = ClueEvent(clue_id=clue.id, at=self.clock(), actor_id=user.id if user else None, action=action,
                       from_state=source, to_state=target, reason=reason, attachments=list(attachments),
                       data=data or {})
        s.add(ev)
        s.flush()
        return ev

    def _measure(self, s: Session, clue: Clue, user: User, spec: dict) -> SupervisionMeasure:
        kind = spec.get("kind")
        if kind not in MEASURES:
            raise TransitionRefused(f"{clue_label(clue)}的监督措施“{kind}”无效", hint=f"可选：{'、'.join(MEASURES)}")
        issued = spec.get("issued_on") or self.today()
        deadline = spec.get("reply_deadline")
        if deadline is None and MEASURES[kind] != "刚性":
            deadline = add_months(issued, REPLY_MONTHS)
        m = SupervisionMeasure(clue_id=clue.id, kind=kind, intensity=MEASURES[kind], recipient=spec.get("recipient"),
                               doc_number=spec.get("doc_number"), issued_on=issued, reply_deadline=deadline,
                               created_by=user.id, created_at=self.clock(), money_recovered=0.0, people_affected=0,
                               governance=[], overdue=False)
        s.add(m)
        s.flush()
        return m

    # effects of each action: check what it needs, change the clue, return event data
    def _assign(self, s: Session, clue: Clue, user: User, kw: dict) -> dict:
        if kw.get("org") is None or kw.get("deadline") is None:
            raise TransitionRefused(f"{clue_label(clue)}交办时必须指定承办院和办理期限",
                                    hint="例如 --org 331002 --deadline 2026-03-31 [--department 刑事执行检察部 --assignee 用户名]")
        org = find_org(s, kw["org"])
        if user.org_id not in ancestors(s, org.id):
            raise PermissionDenied(f"{_org_name(s, user.org_id)}不能把{clue_label(clue)}交办给 {org.name}",
                                   hint="只能交办给本院或下级院")
        dept = _dept(s, org, kw.get("department"))
        assignee = find_user(s, kw["assignee"]) if kw.get("assignee") else None
        if assignee is not None and assignee.org_id != org.id:
            raise TransitionRefused(f"承办检察官 {assignee.name} 不属于 {org.name}", hint="选择该院的检察官")
        deadline = kw["deadline"]
        if deadline < self.today():
            raise TransitionRefused(f"{clue_label(clue)}的办理期限 {deadline} 早于今天 {self.today()}",
                                    hint="期限应是将来的日期")
        clue.org_id, clue.deadline = org.id, deadline
        clue.department_id = dept.id if dept else None
        clue.assignee_id = assignee.id if assignee else None
        return {"org": org.name, "department": dept.name if dept else None,
                "assignee": assignee.username if assignee else None, "deadline": deadline.isoformat()}

    def _exclude(self, s: Session, clue: Clue, user: User, kw: dict) -> dict:
        kind = kw.get("exclusion_type")
        if kind not in EXCLUSION_TYPES:
            got = f"“{kind}”无效" if kind else "未填写"
            raise TransitionRefused(f"{clue_label(clue)}排除时必须选择误报类型（{got}）",
                                    hint=f"可选：{'、'.join(EXCLUSION_TYPES)}")
        clue.exclusion_type, clue.suppressed = kind, True
        return {"exclusion_type": kind}

    def _case(self, s: Session, clue: Clue, user: User, kw: dict) -> dict:
        number = (kw.get("case_number") or "").strip()
        if not number:
            raise TransitionRefused(f"{clue_label(clue)}成案时必须录入业务应用系统的案号",
                                    hint="例如 --case-number 台椒检刑执监〔2026〕1号")
        clue.case_number = number
        return {"case_number": number}

    def _issue(self, s: Session, clue: Clue, user: User, kw: dict) -> dict:
        spec = kw.get("measure")
        if not spec:
            raise TransitionRefused(f"{clue_label(clue)}进入“监督措施”时必须录入措施（种类、文号、日期）",
                                    hint="用 shujian clue measure 录入")
        m = self._measure(s, clue, user, spec)
        return {"measure_id": m.id, "kind": m.kind}

    def _close(self, s: Session, clue: Clue, user: User, kw: dict) -> dict:
        pending = s.query(SupervisionMeasure).filter_by(clue_id=clue.id, replied_on=None).all()
        if pending:
            names = "、".join(f"{m.kind}（{m.doc_number or '无文号'}）" for m in pending)
            raise TransitionRefused(f"{clue_label(clue)}还有监督措施未回复：{names}，不能办结",
                                    hint="用 shujian clue reply 录入回复后再办结")
        return {}

    def _reopen(self, s: Session, clue: Clue, user: User, kw: dict) -> dict:
        if clue.state == "排除":
            clue.suppressed, clue.exclusion_type = False, None
        return {}

    def _none(self, s: Session, clue: Clue, user: User, kw: dict) -> dict:
        return {}


_EFFECTS: dict[ClueAction, Callable] = {
    ClueAction.JUDGE: WorkflowService._none, ClueAction.ASSIGN: WorkflowService._assign,
    ClueAction.CHECK: WorkflowService._none, ClueAction.EXCLUDE: WorkflowService._exclude,
    ClueAction.FILE_CASE: WorkflowService._case, ClueAction.MEASURE: WorkflowService._issue,
    ClueAction.TRACK: WorkflowService._none, ClueAction.CLOSE: WorkflowService._close,
    ClueAction.RETURN: WorkflowService._none, ClueAction.REOPEN: WorkflowService._reopen,
}


# ---------------------------------------------------------------------------------- helpers
def _row(state: ClueState, action: ClueAction) -> Transition:
    from .rules import TABLE

    return TABLE[(state, action)]


def _who(user: User) -> str:
    return f"用户 {user.name}（{user.username}，角色：{'、'.join(user.roles or []) or '无'}）"


def _clue(s: Session, clue_id: int) -> Clue:
    return load_visible(s, current_scope(), Clue, clue_id)      # another org's clue: as if missing


def _dept(s: Session, org: Org, name: str | None) -> Department | None:
    if not name:
        return None
    d = s.query(Department).filter_by(org_id=org.id, name=name).first()
    if d is None:
        names = [n for (n,) in s.query(Department.name).filter_by(org_id=org.id)]
        raise TransitionRefused(f"{org.name}没有部门“{name}”", hint=f"可选：{'、'.join(names) or '（无部门）'}")
    return d


def _org_name(s: Session, org_id: int | None) -> str:
    names = s.info.get("org_names")
    if names is None:                  # every org's name in one query, kept for this session
        names = s.info["org_names"] = dict(s.query(Org.id, Org.name))
    if org_id and org_id not in names:
        org = s.get(Org, org_id)       # created in this session after the names were read
        names[org_id] = org.name if org else None
    return (names.get(org_id) if org_id else None) or "（未分配）"


def _clue_due(s: Session, c: Clue, today: date, within: int) -> list[dict]:
    out = []
    if c.deadline and c.state in ("交办", "核查") and (c.deadline - today).days <= within:
        out.append(_due_row(s, c, "交办期限", c.deadline, today, ""))
    if c.supervised:
        out.append(_due_row(s, c, "督办", c.supervise_deadline, today, _org_name(s, c.supervisor_org_id)))
    if c.escalation == "建议刚性":
        out.append(_due_row(s, c, "建议刚性监督", None, today, "柔性措施逾期未整改"))
    return out


def _due_row(s: Session, c: Clue, kind: str, deadline: date | None, today: date, note: str) -> dict:
    return {"kind": kind, "clue_id": c.id, "title": c.title, "state": c.state, "org": _org_name(s, c.org_id),
            "deadline": deadline.isoformat() if deadline else None,
            "days_left": (deadline - today).days if deadline else None,
            "overdue": bool(deadline and deadline < today) or kind == "建议刚性监督", "note": note}


def clue_state(s: Session, c: Clue) -> dict:
    assignee = s.get(User, c.assignee_id) if c.assignee_id else None
    dept = s.get(Department, c.department_id) if c.department_id else None
    return {"clue_id": c.id, "state": c.state, "suppressed": c.suppressed, "org": _org_name(s, c.org_id)
            if c.org_id else None, "org_id": c.org_id, "department": dept.name if dept else None,
            "assignee": assignee.username if assignee else None,
            "deadline": c.deadline.isoformat() if c.deadline else None, "supervised": c.supervised,
            "supervise_deadline": c.supervise_deadline.isoformat() if c.supervise_deadline else None,
            "exclusion_type": c.exclusion_type, "case_number": c.case_number, "escalation": c.escalation}


def measure_dict(m: SupervisionMeasure) -> dict:
    def iso(d):
        return d.isoformat() if d else None
    return {"measure_id": m.id, "clue_id": m.clue_id, "kind": m.kind, "intensity": m.intensity,
            "recipient": m.recipient, "doc_number": m.doc_number, "issued_on": iso(m.issued_on),
            "reply_deadline": iso(m.reply_deadline), "replied_on": iso(m.replied_on), "reply": m.reply,
            "replied_on_time": bool(m.replied_on and m.reply_deadline and m.replied_on <= m.reply_deadline)
            if m.replied_on else None, "adopted": m.adopted, "rectified": m.rectified,
            "money_recovered": m.money_recovered, "people_affected": m.people_affected,
            "governance": list(m.governance or []), "overdue": m.overdue}


def _event_dict(s: Session, e: ClueEvent) -> dict:
    user = s.get(User, e.actor_id) if e.actor_id else None
    return {"event_id": e.id, "clue_id": e.clue_id, "at": e.at.isoformat(), "actor": user.username if user else "系统",
            "action": e.action, "from": e.from_state, "to": e.to_state, "reason": e.reason,
            "attachments": list(e.attachments or []), "data": e.data or {}}
