"""一本账 statistics: clues → 研判 → 交办 → 成案/排除 → 监督措施 → 回复/采纳 → 追回金额, by model, org, line.

Counting rules (also in docs/workflow.md):

* 生成线索: clues first seen in the period.  研判/交办/成案: distinct clues with that event in the period.
* 排除: clues whose latest 排除 event is in the period and which are still excluded, split by 误报类型.
* 成案率 = 成案 ÷ 生成线索; 准确率 = 成案 ÷ (成案 + 排除) (the 试运行 metric, verified ÷ checked).
* 监督措施 and 采纳 count clues with a measure (an adopted measure) issued in the period, so the funnel
  never shows more 监督措施 than 成案 when one clue gets two measures; 检察建议, 按期回复, 追回金额 and
  the other outcomes count the measures themselves; 按期回复 = replied by the deadline.
* :func:`metric_clues` is the same rule as a condition on the clue: the dashboard's drill-down lists
  exactly the clues a card counted.
* By org, a clue counts for its 承办院 and every org above it (roll-up); unassigned clues show as 未分配.
"""

from __future__ import annotations

import json
import re
from collections import defaultdict
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from sqlalchemy import and_, case, distinct, func
from sqlalchemy.orm import Session

from ..db.models import Clue, ClueEvent, GovModel, ModelVersion, Org, SupervisionMeasure
from ..errors import InputError
from ..security.access import restrict
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
               models: Collection[str] | None = None) -> list[dict]:
        """One row per model, org (with roll-up) or 业务条线, with every 一本账 metric.

        ``models`` keeps only the clues (and their measures) of those model ids — e.g. the models of
        one 业务条线, so the by-org view can be filtered by line.
        """
        _check_by(by)
        return self.ledger_of(self.counts([period], models), by)

    def counts(self, periods: Sequence[str | Period | None], models: Collection[str] | None = None) -> Counts:
        """The 一本账 counts of each period per (model, 承办院), counted in SQL in one pass over the
        clues (the dashboard's period and its 12-month trend read the same pass)."""
        ps = [p if isinstance(p, Period) else parse_period(p) for p in periods]
        keep = None if models is None else set(models)
        with self.ws.db.unit_of_work() as s:
            groups: list[dict] = [defaultdict(_empty) for _ in ps]
            _count_clues(s, ps, groups, keep)
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


def _hits(column, p: Period):
    """1 when ``column`` is in ``p``, else 0 (for one conditional sum per period)."""
    return case((_within(column, p), 1), else_=0)


def _scoped(q, models: set[str] | None):
    q = restrict(q, Clue)                                  # org scope of the reader (access layer)
    return q if models is None else q.filter(Clue.model_id.in_(sorted(models)))


def _count_clues(s: Session, ps: list[Period], groups: list[dict], models: set[str] | None = None) -> None:
    """生成 per period from one grouped scan of the clues; 研判/交办/成案 and 排除 from the events."""
    group = (Clue.model_id, Clue.org_id)
    q = _scoped(s.query(*group, *(func.sum(_hits(Clue.first_seen, p)) for p in ps)), models)
    for model_id, org_id, *ns in q.group_by(*group):
        for i, n in enumerate(ns):       # every group with clues gets a row, zero or not
            groups[i][(model_id, org_id)]["generated"] += n or 0
    metric = {"研判": "judged", "交办": "assigned", "成案": "cases"}
    for i, p in enumerate(ps):
        q = _scoped(s.query(*group, ClueEvent.action, func.count(distinct(ClueEvent.clue_id)))
                    .select_from(ClueEvent).join(Clue, Clue.id == ClueEvent.clue_id), models)
        q = q.filter(ClueEvent.action.in_(tuple(metric)), _within(ClueEvent.at, p))
        for model_id, org_id, action, n in q.group_by(*group, ClueEvent.action):
            groups[i][(model_id, org_id)][metric[action]] += n
    # 排除: the clue's latest 排除 event is in the period and the clue is still excluded
    latest = (s.query(func.max(ClueEvent.id).label("id")).filter(ClueEvent.action == "排除")
              .group_by(ClueEvent.clue_id).subquery())
    kind = func.coalesce(func.nullif(ClueEvent.data["exclusion_type"].as_string(), ""),
                         func.nullif(Clue.exclusion_type, ""), "其他")
    q = _scoped(s.query(*group, kind, *(func.sum(_hits(ClueEvent.at, p)) for p in ps)).select_from(ClueEvent)
                .join(latest, latest.c.id == ClueEvent.id).join(Clue, Clue.id == ClueEvent.clue_id), models)
    for model_id, org_id, exclusion_type, *ns in q.filter(Clue.state == "排除").group_by(*group, kind):
        for i, n in enumerate(ns):
            if n:
                row = groups[i][(model_id, org_id)]
                row["excluded"] += n
                row[f"excluded_{exclusion_type}"] += n


def _count_measures(s: Session, ps: list[Period], groups: list[dict], models: set[str] | None = None) -> None:
    m = SupervisionMeasure
    q = _scoped(s.query(Clue.id, Clue.model_id, Clue.org_id, m.issued_on, m.kind, m.replied_on, m.reply_deadline, m.adopted,
                        m.money_recovered, m.people_affected, m.governance)
                .select_from(m).join(Clue, Clue.id == m.clue_id), models).filter(m.issued_on.is_not(None))
    first, last = min(p.start for p in ps), max(p.end for p in ps)
    q = q.filter(m.issued_on >= first, m.issued_on <= last)
    seen: set[tuple] = set()            # (period, clue, metric): 监督措施 and 采纳 count clues
    for clue_id, model_id, org_id, issued_on, kind, replied_on, deadline, adopted, money, people, governance in q:
        on_time = bool(replied_on and deadline and replied_on <= deadline)
        for i, p in enumerate(ps):
            if issued_on not in p:
                continue
            row = groups[i][(model_id, org_id)]
            for metric, hit in (("measures", True), ("adopted", bool(adopted))):
                if hit and (i, clue_id, metric) not in seen:
                    seen.add((i, clue_id, metric))
                    row[metric] += 1
            row["suggestions"] += kind in ("检察建议", "社会治理检察建议")
            row["replied_on_time"] += on_time
            row["money_recovered"] += float(money or 0)
            row["people_affected"] += int(people or 0)
            row["governance"] += len(governance or [])


#: the clue-level metrics a dashboard card shows and its drill-down lists
CLUE_METRICS = {"generated": "生成线索", "judged": "研判", "assigned": "交办", "cases": "成案", "excluded": "排除",
                "measures": "监督措施", "adopted": "采纳"}


def metric_clues(metric: str, period: str | Period | None):
    """SQL condition on :class:`Clue`: the clue counts for ``metric`` in ``period`` — the rule of the
    ledger's count, for listing the very clues a card or a ledger cell counted."""
    from sqlalchemy import exists, select

    p = period if isinstance(period, Period) else parse_period(period)
    event = {"judged": "研判", "assigned": "交办", "cases": "成案"}
    if metric == "generated":
        return _within(Clue.first_seen, p)
    if metric in event:
        return exists().where(ClueEvent.clue_id == Clue.id, ClueEvent.action == event[metric],
                              _within(ClueEvent.at, p))
    if metric == "excluded":
        latest = (select(func.max(ClueEvent.id)).where(ClueEvent.clue_id == Clue.id, ClueEvent.action == "排除")
                  .correlate(Clue).scalar_subquery())
        return and_(Clue.state == "排除", exists().where(ClueEvent.id == latest, _within(ClueEvent.at, p)))
    if metric in ("measures", "adopted"):
        m = SupervisionMeasure
        terms = [m.clue_id == Clue.id, m.issued_on.is_not(None)]
        terms += [m.issued_on >= p.start, m.issued_on <= p.end]
        if metric == "adopted":
            terms.append(m.adopted.is_(True))
        return exists().where(*terms)
    raise InputError(f"统计指标“{metric}”无效", hint=f"可选：{'、'.join(CLUE_METRICS)}")


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
