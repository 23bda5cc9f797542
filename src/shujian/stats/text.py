"""一本账 for 关键词订阅: per subscription — messages screened, matches, 确认/排除, precision, clues.

Counting rules: a screening counts in the period of its time; a match by the time it was found;
确认/排除 by the time of the decision; a pushed match's later 排除 in the clue workflow counts as
排除 (see ``shujian.text.subscriptions``).  Org scope: the subscriptions the acting user may see.
"""

from __future__ import annotations

from datetime import datetime

from ..db.models import Clue
from ..security.access import restrict
from ..text.tables import TextMatch, TextScreening, TextSubscription
from ..workspace import Workspace
from .service import Period

COLUMNS: tuple[tuple[str, str], ...] = (
    ("name", "订阅"), ("dataset", "数据集"), ("owner", "订阅人"), ("screenings", "筛查次数"),
    ("messages", "筛查工单"), ("matched", "命中"), ("pending", "待确认"), ("confirmed", "确认为线索"),
    ("excluded", "排除"), ("pushed", "已推送线索"), ("precision", "精确率"),
)


def _in(period: Period, moment: datetime | None) -> bool:
    return moment is not None and moment in period


def subscription_ledger(ws: Workspace, period: Period) -> list[dict]:
    """One row per visible subscription for ``period`` (see the module docstring)."""
    with ws.db.unit_of_work() as s:
        subs = restrict(s.query(TextSubscription), TextSubscription).order_by(TextSubscription.id).all()
        out = []
        for sub in subs:
            # columns only, the clue state joined: no ORM object and no IN list per match
            screenings = [x for x in s.query(TextScreening.created_at, TextScreening.messages)
                          .filter(TextScreening.subscription_id == sub.id) if _in(period, x.created_at)]
            matches = s.query(TextMatch.status, TextMatch.created_at, TextMatch.decided_at, Clue.state) \
                .outerjoin(Clue, Clue.id == TextMatch.clue_id).filter(TextMatch.subscription_id == sub.id).all()
            row = {"subscription_id": sub.id, "name": sub.name, "dataset": sub.dataset, "owner": sub.owner or "本机",
                   "screenings": len(screenings), "messages": sum(x.messages for x in screenings),
                   "matched": sum(1 for m in matches if _in(period, m.created_at)),
                   "pending": sum(1 for m in matches if m.status == "pending" and _in(period, m.created_at)),
                   "confirmed": sum(1 for m in matches if m.status == "confirmed" and _in(period, m.decided_at)),
                   "excluded": sum(1 for m in matches if m.status == "excluded" and _in(period, m.decided_at)),
                   "pushed": sum(1 for m in matches if m.status == "pushed" and _in(period, m.created_at))}
            pushed_states = [m.state for m in matches if m.status == "pushed" and _in(period, m.created_at)]
            row["excluded"] += sum(1 for st in pushed_states if st == "排除")
            row["confirmed"] += sum(1 for st in pushed_states if st not in (None, "生成", "研判", "排除"))
            judged = row["confirmed"] + row["excluded"]
            row["precision"] = round(row["confirmed"] / judged, 4) if judged else None
            out.append(row)
        return out


def totals(rows: list[dict]) -> dict:
    """The 合计 row."""
    keys = ("screenings", "messages", "matched", "pending", "confirmed", "excluded", "pushed")
    out = {"name": "合计", **{k: sum(r[k] for r in rows) for k in keys}}
    judged = out["confirmed"] + out["excluded"]
    out["precision"] = round(out["confirmed"] / judged, 4) if judged else None
    return out


__all__ = ["COLUMNS", "subscription_ledger", "totals"]
