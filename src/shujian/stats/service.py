"""一本账 statistics: clues → 研判 → 交办 → 成案/排除 → 监督措施 → 回复/采纳 → 追回金额, by model, org, line.

Counting rules (also in docs/workflow.md):

* 生成线索: clues first seen in the period.  研判/交办/成案: distinct clues with that event in the period.
* 排除: clues whose latest 排除 event is in the period and which are still excluded, split by 误报类型.
* 成案率 = 成案 ÷ 生成线索; 准确率 = 成案 ÷ (成案 + 排除) (the 试运行 metric, verified ÷ checked).
* 监督措施 and 采纳 count clues with a measure (an adopted measure) issued in the period, so the funnel
  never shows more 监督措施 than 成案 when one clue gets two measures; 检察建议, 按期回复, 追回金额 and
  the other outcomes count the measures themselves; 按期回复 = replied by the deadline.
* :func:`metric_clues` is the one rule of every clue-level metric (生成, 研判, 交办, 成案, 排除, 监督措施,
  采纳): the counts of the cards, the 一本账 page, the ledger API and the Excel export are sums of it, and
  the drill-down lists are filtered by it — they cannot disagree.
* :meth:`StatsService.ledger` applies the filters (期间, 业务条线 via :func:`models_of_line`, 院 via
  :func:`org_filter`) the same way for the 工作台, the ledger API and the export, and the by-org rows stop
  at the reader's own org (:func:`within_reader`).
* By org, a clue counts for its 承办院 and every org above it (roll-up); unassigned clues show as 未分配.
"""

from __future__ import annotations

import json
import re
from collections import defaultdict
from collections.abc import Collection, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from sqlalchemy import and_, case, exists, func, or_, select
from sqlalchemy.orm import Session, aliased

from ..db.models import Clue, ClueCount, ClueEvent, GovModel, ModelVersion, Org, SupervisionMeasure
from ..errors import InputError
from ..security.access import restrict
from ..security.scope import current_scope, use_scope
from ..workflow.rules import EXCLUSION_TYPES
from ..workspace import Workspace

BY = ("model", "org", "line")
METRICS: tuple[tuple[str, str], ...] = (
    ("generated", "生成线索"), ("judged", "研判"), ("assigned", "交办"), ("excluded", "排除"),
    *((f"excluded_{t}", f"排除-{t}") for t in EXCLUSION_TYPES),
    ("cases", "成案"), ("conversion", "成案率"), ("accuracy", "准确率"), ("measures", "监督措施"),
    ("suggestions", "检察建议"), ("replied_on_time", "按期回复"), ("adopted", "采纳"),
    ("money_recovered", "追回金额（元）"), ("people_affected", "涉及人数"), ("governance", "治理成果"),
)
UNASSIGNED = "未分配"


@dataclass(frozen=True)
class Period:
    start: date
    end: date

    def __contains__(self, d: date | datetime | None) -> bool:
        if d is None:
            return False
        day = d.date() if isinstance(d, datetime) else d
        return self.start <= day <= self.end

    def label(self) -> str:
        return f"{self.start.isoformat()}..{self.end.isoformat()}"


def parse_period(text: str | None) -> Period:
    """``2026`` / ``2026-03`` / ``2026-01..2026-12`` / ``2026-01-15..2026-02-14`` → a closed date range.

    >>> parse_period("2026-01..2026-12").label()
    '2026-01-01..2026-12-31'
    """
    if not text:
        return Period(date(1900, 1, 1), date(9999, 12, 31))
    parts = text.split("..")
    if len(parts) > 2:
        raise InputError(f"统计期间“{text}”格式有误", hint="例如 2026、2026-03 或 2026-01..2026-12")
    first, last = _bounds(parts[0], text), _bounds(parts[-1], text)
    if first[0] > last[1]:
        raise InputError(f"统计期间“{text}”起点晚于终点")
    return Period(first[0], last[1])


def _bounds(part: str, whole: str) -> tuple[date, date]:
    m = re.fullmatch(r"(\d{4})(?:-(\d{1,2}))?(?:-(\d{1,2}))?", part.strip())
    if not m:
        raise InputError(f"统计期间“{whole}”中的“{part}”不是日期", hint="例如 2026、2026-03 或 2026-01..2026-12")
    y, mo, d = int(m.group(1)), m.group(2), m.group(3)
    try:
        if d:
            day = date(y, int(mo), int(d))
            return day, day
        if mo:
            start = date(y, int(mo), 1)
            nxt = date(y + 1, 1, 1) if int(mo) == 12 else date(y, int(mo) + 1, 1)
            return start, date.fromordinal(nxt.toordinal() - 1)
    except ValueError as exc:
        raise InputError(f"统计期间“{whole}”中的“{part}”不是有效日期") from exc
    return date(y, 1, 1), date(y, 12, 31)


class StatsService:
    def __init__(self, ws: Workspace):
        self.ws = ws
        self._groupings: dict[str, tuple] = {}

    def ledger(self, by: str = "model", period: str | Period | None = None,
               models: Collection[str] | None = None, *, line: str | None = None,
               org: str | None = None, own_orgs: bool = False) -> list[dict]:
        """One row per model, org (with roll-up) or 业务条线, with every 一本账 metric.

        ``models`` keeps only the clues (and their measures) of those model ids; ``line`` keeps the
        models of one 业务条线 (:func:`models_of_line`); ``org`` counts only the clues held by that org
        and the orgs below it (:func:`org_filter`) — the filters of the 工作台 and its drill-downs.
        With ``own_orgs`` (the pages, the ledger API and the Excel export) the by-org rows are only the
        reader's own org and the orgs below it (:func:`within_reader`): no roll-up rows of the orgs
        above, whose totals would be only the reader's share.
        """
        _check_by(by)
        if line:
            keep = models_of_line(self.ws, line)
            models = keep if models is None else set(models) & keep
        with org_filter(self.ws, org):
            rows = self.ledger_of(self.counts([period], models), by)
            return within_reader(self.ws, rows) if by == "org" and (own_orgs or org) else rows

    def counts(self, periods: Sequence[str | Period | None], models: Collection[str] | None = None,
               metrics: Sequence[Collection[str] | None] | None = None) -> Counts:
        """The 一本账 counts of each period per (model, 承办院), counted in SQL.

        ``metrics[i]`` limits the clue-level metrics of period ``i`` (e.g. a trend month needs only
        生成, 成案, 监督措施; None: all); the measure outcomes are always counted."""
        ps = [p if isinstance(p, Period) else parse_period(p) for p in periods]
        keep = None if models is None else set(models)
        wanted = [tuple((metrics[i] if metrics and i < len(metrics) else None) or CLUE_METRICS)
                  for i in range(len(ps))]
        with self.ws.db.unit_of_work() as s:
            groups: list[dict] = [defaultdict(_empty) for _ in ps]
            _count_clues(s, ps, groups, keep, wanted)
            _count_measures(s, ps, groups, keep)
        return Counts(ps, groups)

    def ledger_of(self, counts: Counts, by: str, index: int = 0,
                  models: Collection[str] | None = None) -> list[dict]:
        """The ledger by ``by`` of period ``index`` of ``counts`` (optionally only ``models``)."""
        _check_by(by)
        if by not in self._groupings:
            with self.ws.db.unit_of_work() as s:
                self._groupings[by] = _grouping(s, by)
        keys, names = self._groupings[by]
        keep = None if models is None else set(models)
        acc: dict[str, dict] = defaultdict(_empty)
        for (model_id, org_id), metrics in counts.groups[index].items():
            if keep is not None and model_id not in keep:
                continue
            for k in keys(model_id, org_id):
                row = acc[k]
                for metric, n in metrics.items():
                    row[metric] += n
        rows = [_finish(k, names.get(k, k), v) for k, v in acc.items()]
        order = {k: i for i, k in enumerate(names)}
        return sorted(rows, key=lambda r: (order.get(r["key"], len(order)), r["key"]))


@dataclass
class Counts:
    """Metric counts per (model id, org id), one dict per period (see :meth:`StatsService.counts`)."""

    periods: list[Period]
    groups: list[dict]


def _check_by(by: str) -> None:
    if by not in BY:
        raise InputError(f"统计维度“{by}”无效", hint="可选：model（模型）、org（院）、line（业务条线）")


def _empty() -> dict:
    return defaultdict(float)


def _grouping(s: Session, by: str):
    """((model id, org id) → list of group keys, key → display name in display order)."""
    if by == "model":
        names = {mid: name for mid, name in _model_meta(s, "name").items()}
        names.update({gm.model_id: gm.name for gm in s.query(GovModel).order_by(GovModel.number)})
        return (lambda model_id, org_id: [model_id]), names
    if by == "line":
        lines = _model_lines(s)
        return (lambda model_id, org_id: [lines.get(model_id) or "（未知条线）"]), {}
    orgs = {o.id: o for o in s.query(Org)}
    cache: dict[int | None, list[str]] = {}

    def keys(model_id: str, org_id: int | None) -> list[str]:
        """The org and every org above it (roll-up), walked in memory."""
        if org_id not in cache:
            chain, o = [], org_id
            while o is not None and o in orgs and orgs[o].code not in chain:
                chain.append(orgs[o].code)
                o = orgs[o].parent_id
            cache[org_id] = chain or [UNASSIGNED]
        return cache[org_id]
    names = {o.code: o.name for o in sorted(orgs.values(), key=lambda o: o.code)}
    return keys, names


def _model_meta(s: Session, field: str) -> dict[str, str]:
    """``field`` (name, line …) of each model's latest recorded version."""
    out: dict[str, str] = {}
    for mid, src in s.query(ModelVersion.model_id, ModelVersion.source).order_by(ModelVersion.id):
        try:
            out[mid] = json.loads(src).get(field) or out.get(mid)
        except ValueError:
            continue
    return out


def _model_lines(s: Session) -> dict[str, str]:
    lines = _model_meta(s, "line")
    for mid, line in s.query(GovModel.model_id, GovModel.line):
        if line:
            lines[mid] = line
    return lines


_OPEN_START, _OPEN_END = date(1900, 1, 1), date(9999, 12, 31)


def _within(column, p: Period):
    """SQL condition: the timestamp ``column`` falls on a day of ``p`` (days in UTC, as stored)."""
    terms = [column.is_not(None)]
    if p.start > _OPEN_START:
        terms.append(column >= datetime.combine(p.start, time.min, tzinfo=UTC))
    if p.end < _OPEN_END:
        terms.append(column < datetime.combine(p.end + timedelta(days=1), time.min, tzinfo=UTC))
    return and_(*terms)


def _scoped(q, models: set[str] | None):
    q = restrict(q, Clue)                                  # org scope of the reader (access layer)
    return q if models is None else q.filter(Clue.model_id.in_(sorted(models)))


def _month_end(d: date) -> bool:
    return d == date.max or (d + timedelta(days=1)).day == 1


def _month_after(d: date) -> date:
    """The first day of the month after ``d``'s (``date.max`` when there is none)."""
    if d.year == date.max.year and d.month == 12:
        return date.max
    return date(d.year + d.month // 12, d.month % 12 + 1, 1)


def _buckets(p: Period) -> tuple[tuple[date, date] | None, list[tuple[date, date]]]:
    """The counter buckets that make up ``p``: its whole months (first days, inclusive) and the days
    before and after them (ranges, inclusive).

    >>> _buckets(Period(date(2026, 1, 15), date(2026, 3, 31)))
    ((datetime.date(2026, 2, 1), datetime.date(2026, 3, 1)), [(datetime.date(2026, 1, 15), datetime.date(2026, 1, 31))])
    >>> _buckets(Period(date(2026, 1, 15), date(2026, 1, 20)))
    (None, [(datetime.date(2026, 1, 15), datetime.date(2026, 1, 20))])
    """
    first = p.start if p.start.day == 1 else _month_after(p.start)
    last = p.end.replace(day=1) if _month_end(p.end) else _month_before(p.end.replace(day=1))
    if first == date.max or last is None or first > last:
        return None, [(p.start, p.end)]
    days = []
    if p.start < first:
        days.append((p.start, first - timedelta(days=1)))
    if not _month_end(p.end):
        days.append((p.end.replace(day=1), p.end))
    return (first, last), days


def _month_before(first: date) -> date | None:
    if first.year == date.min.year and first.month == 1:
        return None
    return date(first.year - (first.month == 1), (first.month - 2) % 12 + 1, 1)


def _count_generated(s: Session, ps: list[Period], groups: list[dict], models: set[str] | None = None,
                     wanted_in: Sequence[bool] | None = None) -> None:
    """生成 per period from the maintained counters (:class:`ClueCount`): whole months from the month
    counters, the days around them from the day counters — a few thousand rows whatever the store's size."""
    cc = ClueCount
    plans = [_buckets(p) for p in ps]
    days = [r for _, ranges in plans for r in ranges]
    wanted = cc.grain == "m"
    if days:
        wanted = or_(wanted, and_(cc.grain == "d", or_(*(cc.day.between(a, b) for a, b in days))))
    q = restrict(s.query(cc.grain, cc.day, cc.model_id, cc.org_id, func.sum(cc.n)), ClueCount).filter(wanted)
    if models is not None:
        q = q.filter(cc.model_id.in_(sorted(models)))
    totals: dict[tuple, int] = defaultdict(int)
    hits: list[tuple] = []
    for grain, day, model_id, org_id, n in q.group_by(cc.grain, cc.day, cc.model_id, cc.org_id):
        key = (model_id, org_id or None)           # org 0: unassigned
        if grain == "m":
            totals[key] += n or 0
        if n:
            hits.append((grain, day, key, n))
    for key, n in totals.items():
        if n > 0:                                  # every group with clues gets a row, zero or not
            for i, g in enumerate(groups):
                if wanted_in is None or wanted_in[i]:
                    g[key]["generated"] += 0
    for i, (months, ranges) in enumerate(plans):
        if wanted_in is not None and not wanted_in[i]:
            continue
        for grain, day, key, n in hits:
            inside = (months is not None and months[0] <= day <= months[1]) if grain == "m" else \
                any(a <= day <= b for a, b in ranges)
            if inside:
                groups[i][key]["generated"] += n


_EVER = {"judged": "研判", "assigned": "交办", "cases": "成案"}


def _count_ever(s: Session, models: set[str] | None) -> dict[tuple, int]:
    """(action, (model, org)) → clues that ever had that event (研判/交办/成案), from the counters of
    migration 0017 (grain ``e``), through the access layer — metric_clues(metric, all time) counted."""
    cc = ClueCount
    q = restrict(s.query(cc.state, cc.model_id, cc.org_id, func.sum(cc.n)), ClueCount).filter(cc.grain == "e")
    if models is not None:
        q = q.filter(cc.model_id.in_(sorted(models)))
    return {(action, (model_id, org_id or None)): int(n or 0)
            for action, model_id, org_id, n in q.group_by(cc.state, cc.model_id, cc.org_id)}


def _count_clues(s: Session, ps: list[Period], groups: list[dict], models: set[str] | None,
                 metrics: list[Sequence[str]]) -> None:
    """The clue-level ``metrics[i]`` of each period ``i``: counts of the clues :func:`metric_clues`
    (the drill-down's condition) admits, per model and org; 排除 also by 误报类型.

    生成 comes from the maintained counters (:func:`_count_generated`, the same date rule on the clue's
    first-seen day); each other metric's condition is an ``IN`` over its events or measures, so each is
    a query driven by that small set."""
    group = (Clue.model_id, Clue.org_id)
    _count_generated(s, ps, groups, models, [("generated" in m) for m in metrics])
    ever = None                  # all time: 研判/交办/成案 from the counters of clues that ever had the event
    for i, p in enumerate(ps):
        for metric in metrics[i]:
            if metric in ("generated", "excluded"):       # 排除: summed from its split by 误报类型 below
                continue
            if metric in _EVER and p.start <= _OPEN_START and p.end >= _OPEN_END:
                ever = _count_ever(s, models) if ever is None else ever
                for (action, key), n in ever.items():
                    if action == _EVER[metric] and n > 0:
                        groups[i][key][metric] += n
                continue
            q = _scoped(s.query(*group, func.count(Clue.id)).filter(metric_clues(metric, p)), models)
            for model_id, org_id, n in q.group_by(*group):
                groups[i][(model_id, org_id)][metric] += n
    # 排除 by 误报类型: the type recorded on the clue's latest 排除 event (else on the clue, else 其他)
    event, later = aliased(ClueEvent), aliased(ClueEvent)
    latest = ~exists().where(later.clue_id == event.clue_id, later.action == "排除", later.id > event.id)
    kind = func.coalesce(func.nullif(event.data["exclusion_type"].as_string(), ""),
                         func.nullif(Clue.exclusion_type, ""), "其他")
    for i, p in enumerate(ps):
        if "excluded" not in metrics[i]:
            continue
        # metric_clues("excluded", p), driven by the period's 排除 events (index on action, at) rather than
        # by grouping every 排除 event: a 排除 event in p with no later 排除 of its clue, the clue still excluded
        q = (s.query(*group, kind, func.count(Clue.id)).select_from(event).join(Clue, Clue.id == event.clue_id)
             .filter(event.action == "排除", _within(event.at, p), latest, Clue.state == "排除"))
        for model_id, org_id, exclusion_type, n in _scoped(q, models).group_by(*group, kind):
            row = groups[i][(model_id, org_id)]
            row[f"excluded_{exclusion_type}"] += n
            row["excluded"] += n               # the same clues as metric_clues("excluded"), once each


def _count_measures(s: Session, ps: list[Period], groups: list[dict], models: set[str] | None = None) -> None:
    """The measure-level outcomes (检察建议, 按期回复, 追回金额, 涉及人数, 治理成果) of the measures issued in
    each period; 监督措施 and 采纳 count clues and come from :func:`metric_clues`."""
    m = SupervisionMeasure
    q = _scoped(s.query(Clue.id, Clue.model_id, Clue.org_id, m.issued_on, m.kind, m.replied_on, m.reply_deadline, m.adopted,
                        m.money_recovered, m.people_affected, m.governance)
                .select_from(m).join(Clue, Clue.id == m.clue_id), models).filter(m.issued_on.is_not(None))
    first, last = min(p.start for p in ps), max(p.end for p in ps)
    q = q.filter(m.issued_on >= first, m.issued_on <= last)
    for _clue_id, model_id, org_id, issued_on, kind, replied_on, deadline, _adopted, money, people, governance in q:
        on_time = bool(replied_on and deadline and replied_on <= deadline)
        for i, p in enumerate(ps):
            if issued_on not in p:
                continue
            row = groups[i][(model_id, org_id)]
            row["suggestions"] += kind in ("检察建议", "社会治理检察建议")
            row["replied_on_time"] += on_time
            row["money_recovered"] += float(money or 0)
            row["people_affected"] += int(people or 0)
            row["governance"] += len(governance or [])


#: the clue-level metrics a dashboard card shows and its drill-down lists
CLUE_METRICS = {"generated": "生成线索", "judged": "研判", "assigned": "交办", "cases": "成案", "excluded": "排除",
                "measures": "监督措施", "adopted": "采纳"}


def metric_clues(metric: str, period: str | Period | None):
    """SQL condition on :class:`Clue`: the clue counts for ``metric`` in ``period``.

    The one rule of the clue-level metrics: :meth:`StatsService.counts` sums it per model and org (the
    cards, the 一本账 page, the ledger API, the Excel export) and the clue lists filter by it (the
    drill-downs).  Each condition is a column test or an uncorrelated ``IN`` subquery, which the
    database evaluates once per query, not once per clue.
    """
    p = period if isinstance(period, Period) else parse_period(period)
    event = {"judged": "研判", "assigned": "交办", "cases": "成案"}
    if metric == "generated":
        return _within(Clue.first_seen, p)
    if metric in event:
        return Clue.id.in_(select(ClueEvent.clue_id).where(ClueEvent.action == event[metric], _within(ClueEvent.at, p)))
    if metric == "excluded":       # the latest 排除 is in the period and the clue is still excluded
        latest = select(func.max(ClueEvent.id)).where(ClueEvent.action == "排除").group_by(ClueEvent.clue_id)
        return and_(Clue.state == "排除", Clue.id.in_(select(ClueEvent.clue_id).where(
            ClueEvent.id.in_(latest), _within(ClueEvent.at, p))))
    if metric in ("measures", "adopted"):
        m = SupervisionMeasure
        terms = [m.issued_on.is_not(None), m.issued_on >= p.start, m.issued_on <= p.end]
        if metric == "adopted":
            terms.append(m.adopted.is_(True))
        return Clue.id.in_(select(m.clue_id).where(*terms))
    raise InputError(f"统计指标“{metric}”无效", hint=f"可选：{'、'.join(CLUE_METRICS)}")


def models_of_line(ws: Workspace, line: str) -> set[str]:
    """The ids of the models of one 业务条线 (as the by-line ledger groups them)."""
    with ws.db.unit_of_work() as s:
        return {mid for mid, model_line in _model_lines(s).items() if model_line == line}


@contextmanager
def org_filter(ws: Workspace, org: str | None) -> Iterator[None]:
    """Count only clues held by ``org`` (code or name) and the orgs below it, within the reader's scope.

    Unassigned clues (线索池) are left out: they belong to no org yet.  An unknown org is
    :class:`NotFound`.
    """
    if not org:
        yield
        return
    from ..orgs.service import descendants, find_org
    from ..security.access import narrowed

    with ws.db.unit_of_work() as s:
        below = frozenset(descendants(s, find_org(s, org).id))
    with use_scope(narrowed(below)):            # the reader's scope cut down to the org (access layer)
        yield


def within_reader(ws: Workspace, rows: list[dict]) -> list[dict]:
    """By-org rows the reader may see: their own org and the orgs below it (a 市院 user's roll-up keys
    include 省院 and 最高检, whose totals are only this city's share — never listed)."""
    from ..security.access import restrict

    scope = current_scope()
    if scope is None:
        return rows
    with ws.db.unit_of_work() as s:
        codes = {c for (c,) in restrict(s.query(Org.code), Org)}      # the orgs the reader acts for
    return [r for r in rows if r["key"] in codes or (r["key"] == UNASSIGNED and scope.pool)]


def _finish(key: str, name: str, v: dict) -> dict:
    row = {"key": key, "name": name}
    for metric, _ in METRICS:
        if metric in ("conversion", "accuracy"):
            continue
        row[metric] = round(v[metric], 2) if metric == "money_recovered" else int(v[metric])
    checked = row["cases"] + row["excluded"]
    row["conversion"] = round(row["cases"] / row["generated"], 4) if row["generated"] else None
    row["accuracy"] = round(row["cases"] / checked, 4) if checked else None
    return row


def overdue(ws: Workspace, *, org: str | int | None = None, limit: int = 50, today: date | None = None,
            clock=None) -> list[dict]:
    """The first ``limit`` overdue items the reader may see — the rows of
    ``WorkflowService.due(within_days=0, org=org)`` that are overdue, in its order (deadline, clue id;
    建议刚性监督 last) — sorted and limited in SQL, so a store with many open clues costs one indexed read.
    Flags overdue measures first (:meth:`~shujian.workflow.service.WorkflowService.check_overdue`), as
    ``due`` does."""
    from sqlalchemy import literal, null, select

    from ..orgs.service import descendants, find_org
    from ..workflow.rules import FINAL_STATES
    from ..workflow.service import WorkflowService, _due_row, _org_name

    wf = WorkflowService(ws, clock) if clock is not None else WorkflowService(ws)
    wf.check_overdue()
    today = today or wf.today()
    c, m = Clue, SupervisionMeasure
    with ws.db.unit_of_work() as s:
        below = descendants(s, find_org(s, org).id) if org is not None else None

        def scoped(q):
            q = restrict(q, Clue)                           # the reader's org scope (access layer)
            return q if below is None else q.where(c.org_id.in_(below))

        open_ = c.state.notin_(FINAL_STATES)
        # (deadline, clue id, rank within a clue, measure id): due()'s order, made explicit.  Each kind is
        # sorted and limited on its own (the 交办 deadlines walk ix_clues_deadline in order and stop after
        # ``limit``), then merged: the first ``limit`` of them all without sorting every overdue row.  ``id + 0``
        # keeps SQLite from walking the whole table in id order instead of the few 督办/escalated clues' index.
        kinds = [
            (select(c.deadline, c.id, literal(0), literal(0))
             .where(open_, c.deadline.is_not(None), c.state.in_(("交办", "核查")), c.deadline < today),
             (c.deadline, c.id)),
            (select(c.supervise_deadline, c.id, literal(1), literal(0))
             .where(open_, c.supervised.is_(True), c.supervise_deadline.is_not(None), c.supervise_deadline < today),
             (c.supervise_deadline, c.id + 0)),
            (select(null(), c.id, literal(2), literal(0)).where(open_, c.escalation == "建议刚性"), (c.id + 0,)),
            (select(m.reply_deadline, c.id, literal(3), m.id).select_from(m).join(c, c.id == m.clue_id)
             .where(m.replied_on.is_(None), m.reply_deadline.is_not(None), m.reply_deadline < today),
             (m.reply_deadline, c.id, m.id)),
        ]
        picked = []
        for q, order in kinds:
            picked += s.execute(scoped(q).order_by(*order).limit(limit)).all()
        picked = sorted(picked, key=lambda r: (r[0] is None, r[0] or date.min, r[1], r[2], r[3]))[:limit]
        clues = {x.id: x for x in s.query(Clue).filter(Clue.id.in_({cid for _, cid, _, _ in picked}))}
        measures = {x.id: x for x in s.query(m).filter(m.id.in_({mid for _, _, r, mid in picked if r == 3}))}
        out = []
        for _deadline, cid, rank, mid in picked:
            clue = clues[cid]
            if rank == 0:
                out.append(_due_row(s, clue, "交办期限", clue.deadline, today, ""))
            elif rank == 1:
                out.append(_due_row(s, clue, "督办", clue.supervise_deadline, today,
                                    _org_name(s, clue.supervisor_org_id)))
            elif rank == 2:
                out.append(_due_row(s, clue, "建议刚性监督", None, today, "柔性措施逾期未整改"))
            else:
                x = measures[mid]
                out.append(_due_row(s, clue, "回复期限", x.reply_deadline, today,
                                    f"{x.kind} {x.doc_number or ''}".strip()))
        return out


def _day_expressions(dialect: str):
    """(day, first day of the month) of :attr:`Clue.first_seen` in SQL, UTC days as the triggers count."""
    from sqlalchemy import Date, cast

    if dialect == "postgresql":
        utc = func.timezone("UTC", Clue.first_seen)
        return cast(utc, Date), cast(func.date_trunc("month", utc), Date)
    return func.date(Clue.first_seen), func.date(Clue.first_seen, "start of month")


def check_counters(ws: Workspace, *, repair: bool = False) -> list[dict]:
    """Counters that differ from a recount of the clues (empty: all agree) — for ``shujian db check``
    and the tests; the triggers of migration 0012 keep them.  ``repair``: replace the counters by the
    recount in the same transaction (the differences found are still returned)."""
    from sqlalchemy import literal

    with ws.db.unit_of_work() as s:
        day, month = _day_expressions(s.get_bind().dialect.name)
        org = func.coalesce(Clue.org_id, 0)
        run = case((Clue.org_id.is_(None), Clue.first_run_id), else_=0)
        counted: dict[tuple, int] = {}
        for grain, bucket in (("d", day), ("m", month)):
            q = s.query(literal(grain), bucket, Clue.model_id, org, run, Clue.state, func.count())
            for *key, n in q.group_by(bucket, Clue.model_id, org, run, Clue.state):
                k = (key[0], key[1] if isinstance(key[1], date) else date.fromisoformat(str(key[1])), *key[2:])
                counted[k] = n
        ev = (select(ClueEvent.clue_id, ClueEvent.action).where(ClueEvent.action.in_(tuple(_EVER.values())),
                                                                  ClueEvent.at.is_not(None)).distinct().subquery())
        q = s.query(Clue.model_id, org, run, ev.c.action, func.count()).select_from(ev).join(Clue, Clue.id == ev.c.clue_id)
        for model_id, org_id, run_id, action, n in q.group_by(Clue.model_id, org, run, ev.c.action):
            counted[("e", date(1900, 1, 1), model_id, org_id, run_id, action)] = n
        cc = ClueCount
        stored = {tuple(r[:-1]): r[-1] for r in s.query(cc.grain, cc.day, cc.model_id, cc.org_id, cc.run_id, cc.state,
                                                          cc.n).filter(cc.n != 0)}
        if repair and stored != counted:
            s.query(cc).delete()
            names = ("grain", "day", "model_id", "org_id", "run_id", "state")
            s.execute(cc.__table__.insert(), [{**dict(zip(names, k, strict=True)), "n": n} for k, n in counted.items()])
    keys = sorted(set(counted) | set(stored), key=str)
    names = ("grain", "day", "model_id", "org_id", "run_id", "state")
    return [{**dict(zip(names, k, strict=True)), "stored": stored.get(k, 0), "counted": counted.get(k, 0)}
            for k in keys if stored.get(k, 0) != counted.get(k, 0)]


def count_clues(s: Session, *, model_id: str | None = None, state: str | None = None,
                models: Collection[str] | None = None, orgs: Collection[int] | None = None) -> int:
    """How many clues the reader may see with these filters, from the month counters (the clue list's
    total): ``state`` may list states separated by commas; ``orgs`` keeps clues held by those orgs."""
    cc = ClueCount
    q = restrict(s.query(func.coalesce(func.sum(cc.n), 0)), ClueCount).filter(cc.grain == "m")
    if models is not None:
        q = q.filter(cc.model_id.in_(sorted(models)))
    if model_id:
        q = q.filter(cc.model_id == model_id)
    if state:
        q = q.filter(cc.state.in_(state.split(",")))
    if orgs is not None:
        q = q.filter(cc.org_id.in_(sorted(orgs) or [-1]))
    return int(q.scalar() or 0)
