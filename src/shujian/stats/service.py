"""一本账 statistics: clues → 研判 → 交办 → 成案/排除 → 监督措施 → 回复/采纳 → 追回金额, by model, org, line.

Counting rules (also in docs/workflow.md):

* 生成线索: clues first seen in the period.  研判/交办/成案: distinct clues with that event in the period.
* 排除: clues whose latest 排除 event is in the period and which are still excluded, split by 误报类型.
* 成案率 = 成案 ÷ 生成线索; 准确率 = 成案 ÷ (成案 + 排除) (the 试运行 metric, verified ÷ checked).
* 监督措施 and their outcomes count the measures issued in the period; 按期回复 = replied by the deadline.
* By org, a clue counts for its 承办院 and every org above it (roll-up); unassigned clues show as 未分配.
"""

from __future__ import annotations

import json
import re
from collections import defaultdict
from collections.abc import Collection
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy.orm import Session

from ..db.models import Clue, ClueEvent, GovModel, ModelVersion, Org, SupervisionMeasure
from ..errors import InputError
from ..orgs.service import ancestors
from ..security.scope import filter_org
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

    def ledger(self, by: str = "model", period: str | Period | None = None,
               models: Collection[str] | None = None) -> list[dict]:
        """One row per model, org (with roll-up) or 业务条线, with every 一本账 metric.

        ``models`` keeps only the clues (and their measures) of those model ids — e.g. the models of
        one 业务条线, so the by-org view can be filtered by line.
        """
        if by not in BY:
            raise InputError(f"统计维度“{by}”无效", hint="可选：model（模型）、org（院）、line（业务条线）")
        p = period if isinstance(period, Period) else parse_period(period)
        with self.ws.db.unit_of_work() as s:
            keys, names = _grouping(s, by)
            acc: dict[str, dict] = defaultdict(_empty)
            keep = None if models is None else set(models)
            _count_clues(s, p, keys, acc, keep)
            _count_measures(s, p, keys, acc, keep)
            rows = [_finish(k, names.get(k, k), v) for k, v in acc.items()]
        order = {k: i for i, k in enumerate(names)}
        return sorted(rows, key=lambda r: (order.get(r["key"], len(order)), r["key"]))


def _empty() -> dict:
    return defaultdict(float)


def _grouping(s: Session, by: str):
    """(clue → list of group keys, key → display name in display order)."""
    if by == "model":
        names = {mid: name for mid, name in _model_meta(s, "name").items()}
        names.update({gm.model_id: gm.name for gm in s.query(GovModel).order_by(GovModel.number)})
        return (lambda c: [c.model_id]), names
    if by == "line":
        lines = _model_lines(s)
        return (lambda c: [lines.get(c.model_id) or "（未知条线）"]), {}
    orgs = {o.id: o for o in s.query(Org)}
    cache: dict[int | None, list[str]] = {}

    def keys(c: Clue) -> list[str]:
        if c.org_id not in cache:
            cache[c.org_id] = [orgs[o].code for o in ancestors(s, c.org_id)] if c.org_id else [UNASSIGNED]
        return cache[c.org_id]
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


def _count_clues(s: Session, p: Period, keys, acc: dict, models: set[str] | None = None) -> None:
    clues = {c.id: c for c in filter_org(s.query(Clue), Clue.org_id)     # org scope of the reader
             if models is None or c.model_id in models}
    events: dict[str, set[int]] = defaultdict(set)
    excluded: dict[int, ClueEvent] = {}
    for e in s.query(ClueEvent).filter(ClueEvent.action.in_(("研判", "交办", "成案", "排除"))).order_by(ClueEvent.id):
        if e.action == "排除":
            excluded[e.clue_id] = e
        elif e.at in p:
            events[e.action].add(e.clue_id)
    for c in clues.values():
        for k in keys(c):
            row = acc[k]
            row["generated"] += c.first_seen in p
            row["judged"] += c.id in events["研判"]
            row["assigned"] += c.id in events["交办"]
            row["cases"] += c.id in events["成案"]
            ev = excluded.get(c.id)
            if ev is not None and c.state == "排除" and ev.at in p:
                row["excluded"] += 1
                row[f"excluded_{(ev.data or {}).get('exclusion_type') or c.exclusion_type or '其他'}"] += 1


def _count_measures(s: Session, p: Period, keys, acc: dict, models: set[str] | None = None) -> None:
    for m, c in filter_org(s.query(SupervisionMeasure, Clue).join(Clue, Clue.id == SupervisionMeasure.clue_id),
                           Clue.org_id):
        if m.issued_on not in p or (models is not None and c.model_id not in models):
            continue
        on_time = bool(m.replied_on and m.reply_deadline and m.replied_on <= m.reply_deadline)
        for k in keys(c):
            row = acc[k]
            row["measures"] += 1
            row["suggestions"] += m.kind in ("检察建议", "社会治理检察建议")
            row["replied_on_time"] += on_time
            row["adopted"] += bool(m.adopted)
            row["money_recovered"] += float(m.money_recovered or 0)
            row["people_affected"] += int(m.people_affected or 0)
            row["governance"] += len(m.governance or [])


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
