"""Reading clues: lists with filters, one clue with its evidence rows and the subject's other grounds."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from sqlalchemy import func, or_
from sqlalchemy.orm import selectinload

from ..db.base import utcnow
from ..db.models import (
    Clue,
    ClueEvent,
    ClueEvidence,
    ClueRun,
    Dataset,
    DatasetColumn,
    DatasetVersion,
    Subject,
    SupervisionMeasure,
)
from ..errors import InputError
from ..security.access import load_visible, present_clue, restrict
from ..security.audit import record as audit
from ..security.scope import current_scope
from ..workspace import Workspace
from .listing import clue_record
from .store import exclude


class ClueService:
    def __init__(self, ws: Workspace):
        self.ws = ws

    def list(self, *, model_id: str | None = None, state: str | None = None, subject: str | None = None,
             limit: int = 1000, offset: int = 0, sort: str | None = None, **filters) -> list[dict]:
        """Clues matching the filters (see :class:`ClueFilter` for ``org``, ``since``, ``overdue`` …).

        ``sort`` is one of :data:`SORTABLE` (``-`` in front: descending); sorting and paging happen in
        the query, so any page of any size of store is one indexed read.
        """
        f = ClueFilter(model_id=model_id, state=state, subject=subject, **filters)
        with self.ws.db.unit_of_work() as s:
            q = f.apply(s, _with_subject(s.query(Clue), f)).order_by(*sort_order(sort))
            page = q.options(selectinload(Clue.subject)).offset(offset).limit(limit).all()
            runs = _run_counts(s, [c.id for c in page])
            clear = current_scope() is None          # the local operator reads the files anyway: in clear
            return [_clue_dict(c, runs.get(c.id, 0), unmask=clear) for c in page]

    def ids(self, f: ClueFilter) -> list[int]:
        """Ids of the clues matching ``f`` (for bulk actions and exports)."""
        with self.ws.db.unit_of_work() as s:
            return [c.id for c in f.apply(s, s.query(Clue).join(Subject)).order_by(Clue.id)]

    def total(self, f: ClueFilter) -> int:
        """How many clues match ``f`` (pairs with :meth:`list` for paging): from the 一本账 counters when
        the filter is one they hold (model, state, org — the reader's scope applied), else one COUNT."""
        with self.ws.db.unit_of_work() as s:
            if f.counted():
                from ..stats.service import count_clues

                orgs = None
                if f.org is not None:
                    from ..orgs.service import descendants, find_org
                    orgs = descendants(s, find_org(s, f.org).id)
                return count_clues(s, model_id=f.model_id, state=f.state, models=f.models, orgs=orgs)
            return f.apply(s, _with_subject(s.query(func.count(Clue.id)).select_from(Clue), f)).scalar() or 0

    def count(self, model_id: str | None = None) -> int:
        with self.ws.db.unit_of_work() as s:
            q = restrict(s.query(func.count(Clue.id)).select_from(Clue), Clue)
            if model_id:
                q = q.filter(Clue.model_id == model_id)
            return q.scalar()

    def get(self, clue_id: int, *, evidence_rows: int = 20, unmask_facts: bool = False) -> dict:
        """One clue with its evidence rows (raw: callers mask them, see :func:`masked_evidence`) and
        the subject's other grounds.  Personal facts are masked unless ``unmask_facts`` (only the
        audited unmask path, :func:`shujian.security.masking.unmasked_evidence`, asks for that)."""
        with self.ws.db.unit_of_work() as s:
            clue = load_visible(s, current_scope(), Clue, clue_id)     # another org's clue: as if missing
            out = _clue_dict(clue, s.query(ClueRun).filter_by(clue_id=clue.id).count(), unmask=True)
            out["runs"] = [r for (r,) in s.query(ClueRun.run_id).filter_by(clue_id=clue.id).order_by(ClueRun.run_id)]
            out["other_grounds"] = [
                {"clue_id": o.id, "model_id": o.model_id, "rule": o.rule, "title": o.title, "state": o.state}
                for o in restrict(s.query(Clue), Clue).filter(Clue.subject_id == clue.subject_id,
                                                                        Clue.id != clue.id)]
            ev = (s.query(ClueEvidence).filter_by(clue_id=clue.id, run_id=clue.last_run_id)
                  .order_by(ClueEvidence.role, ClueEvidence.row_id).all())
            plan = self._evidence_plan(s, ev)
        out["evidence"] = self._evidence_rows(plan, evidence_rows)
        return out if unmask_facts else present_clue(out)

    def exclude(self, clue_id: int, reason: str, actor: str | None = None,
                exclusion_type: str = "其他") -> dict:
        """排除 a clue as a false positive, through the lifecycle table (:data:`shujian.workflow.rules.TRANSITIONS`).

        With ``actor`` it is the workflow's 排除 (role, org and state checked); without, only the local
        operator (no scope) may exclude, and only from a state the table allows 排除 from.
        """
        from ..workflow.rules import check_transition
        from ..workflow.service import WorkflowService

        if actor is not None:
            return WorkflowService(self.ws).transition(clue_id, "排除", actor, reason=reason,
                                                        exclusion_type=exclusion_type)
        if current_scope() is not None:
            raise InputError(f"排除线索 {clue_id} 需要指明操作人", hint="用 --as 用户名")
        with self.ws.db.unit_of_work() as s:
            clue = load_visible(s, None, Clue, clue_id)
            source = clue.state
            check_transition(source, "排除", None, what=f"线索 {clue_id} ")      # the table; no roles: the operator
            exclude(s, clue_id, reason)
            # recorded like a workflow 排除 (误报类型 其他) so the ledger counts it
            clue.exclusion_type = clue.exclusion_type or exclusion_type
            s.add(ClueEvent(clue_id=clue.id, action="排除", from_state=source, to_state="排除", reason=reason,
                            attachments=[], data={"exclusion_type": clue.exclusion_type}))
            out = {"clue_id": clue_id, "state": clue.state}
            audit(self.ws, "clue.transition", target=f"clue:{clue_id}", reason=reason,
                  detail={"action": "排除", "from": source, "to": out["state"]}, session=s)
        return out

    @staticmethod
    def _evidence_plan(s, ev: list[ClueEvidence]) -> list[dict]:
        groups: dict[tuple, list[int]] = {}
        for e in ev:
            groups.setdefault((e.role, e.dataset, e.dataset_version_id), []).append(e.row_id)
        plan = []
        for (role, dataset, vid), rows in groups.items():
            v = s.get(DatasetVersion, vid)
            sealed = bool(v and s.get(Dataset, v.dataset_id).sealed)
            cols = [c.name for c in s.query(DatasetColumn).filter_by(version_id=vid).order_by(DatasetColumn.position)]
            plan.append({"role": role, "dataset": dataset, "version": v.version if v else None,
                         "relation": v.relation if v and not sealed else None, "columns": cols, "row_ids": rows,
                         "sealed": sealed})
        return plan

    def _evidence_rows(self, plan: list[dict], limit: int) -> list[dict]:
        if not plan:
            return []
        out = []
        with self.ws.warehouse() as con:
            for p in plan:
                rows = []
                if p["relation"]:
                    cols = ", ".join('"' + c.replace('"', '""') + '"' for c in p["columns"])
                    ids = p["row_ids"][:limit]
                    rows = con.execute(f'SELECT _row_id, {cols} FROM "{p["relation"]}" WHERE _row_id = ANY($ids) '
                                       f"ORDER BY _row_id", {"ids": ids}).fetchall()
                out.append({"role": p["role"], "dataset": p["dataset"], "version": p["version"],
                            "columns": ["_row_id", *p["columns"]], "row_count": len(p["row_ids"]),
                            "rows": [list(r) for r in rows], "sealed": p.get("sealed", False)})
        return out


#: columns a clue list may be sorted by (线索列表可排序的列)
SORTABLE = ("clue_id", "model_id", "state", "first_seen", "last_seen", "deadline", "seen_count")


def _with_subject(q, f: ClueFilter):
    """Join the subjects only when the filter names one (a count of every clue needs no join)."""
    return q.join(Subject, Subject.id == Clue.subject_id) if f.subject else q


def _run_counts(s, ids: list[int]) -> dict[int, int]:
    """How many runs found each of ``ids`` (the clues of one page)."""
    if not ids:
        return {}
    return dict(s.query(ClueRun.clue_id, func.count()).filter(ClueRun.clue_id.in_(ids)).group_by(ClueRun.clue_id))


def sort_order(sort: str | None) -> list:
    """ORDER BY terms for ``sort`` (e.g. ``-deadline``): empty values last, then clue id as tie-break.

    >>> [str(t) for t in sort_order(None)]
    ['clues.id']
    """
    key, desc = (sort or "clue_id").lstrip("-"), (sort or "").startswith("-")
    if key not in SORTABLE:
        raise InputError(f"线索列表不能按“{key}”排序", hint=f"可排序的列：{'、'.join(SORTABLE)}")
    col = Clue.id if key == "clue_id" else getattr(Clue, key)
    terms = [col.is_(None)] if key == "deadline" else []       # 无期限的排在最后（升序、降序都是）
    terms.append(col.desc() if desc else col.asc())
    if key != "clue_id":
        terms.append(Clue.id.desc() if desc else Clue.id.asc())
    return terms


@dataclass
class ClueFilter:
    """Filters for clue lists, bulk actions and exports (模型、院、状态、对象、日期、逾期).

    ``org`` includes the org's subordinates; ``since``/``until`` bound the first-seen date;
    ``overdue`` keeps clues past their 交办 deadline or with an overdue measure reply.
    """

    model_id: str | None = None
    state: str | None = None
    subject: str | None = None
    org: str | int | None = None
    since: date | None = None
    until: date | None = None
    overdue: bool | None = None
    assignee: str | None = None
    today: date | None = None
    metric: str | None = None                 # 一本账 metric (研判, 成案 …) in ``period``: the clues a card counted
    period: str | None = None
    models: tuple[str, ...] | None = None      # e.g. the models of one 业务条线

    def counted(self) -> bool:
        """Whether the 一本账 counters can count this filter (no subject, dates, deadlines, assignee, metric)."""
        return not (self.subject or self.since or self.until or self.overdue is not None or self.assignee
                    or self.metric)

    def apply(self, s, q):
        q = restrict(q, Clue)          # org scope of the acting user (本院及下级院, own pool)
        if self.metric:
            from ..stats.service import metric_clues
            q = q.filter(metric_clues(self.metric, self.period))
        if self.models is not None:
            q = q.filter(Clue.model_id.in_(self.models))
        if self.model_id:
            q = q.filter(Clue.model_id == self.model_id)
        if self.state:
            q = q.filter(Clue.state.in_(self.state.split(",")))
        if self.subject:
            q = q.filter(Subject.key == self.subject)
        if self.since:
            q = q.filter(Clue.first_seen >= datetime.combine(self.since, time.min))
        if self.until:
            q = q.filter(Clue.first_seen < datetime.combine(self.until + timedelta(days=1), time.min))
        if self.org is not None:
            from ..orgs.service import descendants, find_org
            q = q.filter(Clue.org_id.in_(descendants(s, find_org(s, self.org).id)))
        if self.assignee:
            from ..orgs.service import find_user
            q = q.filter(Clue.assignee_id == find_user(s, self.assignee).id)
        if self.overdue is not None:
            q = q.filter(self._overdue() if self.overdue else ~self._overdue())
        return q

    def _overdue(self):
        today = self.today or utcnow().date()
        # IS NOT NULL guards keep the negation two-valued (NULL would drop rows from "not overdue")
        return or_(Clue.deadline.isnot(None) & (Clue.deadline < today) & Clue.state.in_(("交办", "核查")),
                   Clue.id.in_(_late_measures(today)),
                   Clue.escalation.isnot(None) & (Clue.escalation == "建议刚性"))


def _late_measures(today: date):
    from sqlalchemy import select
    return (select(SupervisionMeasure.clue_id)
            .where(SupervisionMeasure.reply_deadline < today, SupervisionMeasure.replied_on.is_(None)))


def masked_evidence(ws: Workspace, evidence: list[dict]) -> list[dict]:
    """Evidence rows with every personal value masked (脱敏, for display): the access layer's one rule."""
    from ..security.access import mask_evidence

    return mask_evidence(ws, evidence)


def _clue_dict(c: Clue, runs: int, *, unmask: bool = False) -> dict:
    """A clue as a dict (:func:`~shujian.clues.listing.clue_record`, the light list's too): subject, title
    and personal facts masked (access layer's :func:`present_clue`) unless ``unmask`` (the local operator's
    view, and the audited unmask path)."""
    raw = clue_record(c, runs)
    return raw if unmask else present_clue(raw)
