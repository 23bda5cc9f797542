"""一本账 dashboard data: the stats service's ledgers arranged for the charts.

Funnel 线索 → 研判 → 成案 → 监督措施 → 采纳, monthly trends, by model, by org (rolled up), money
recovered, overdue items, and the 关键词订阅 (per subscription: screened, matched, confirmed, excluded,
precision; left out when a 业务条线 is chosen — subscriptions belong to no line).  Counting rules and the
filters (业务条线, 院, the reader's own orgs) live in :mod:`shujian.stats.service` — the same functions
the ledger API, the Excel export and the drill-down lists call; this module only picks and orders rows.
"""

from __future__ import annotations

from datetime import date

from ..errors import NotFound
from ..stats.service import StatsService, models_of_line, org_filter, overdue, parse_period, within_reader
from ..stats.text import subscription_ledger
from ..workspace import Workspace

FUNNEL = (("generated", "线索"), ("judged", "研判"), ("cases", "成案"), ("measures", "监督措施"), ("adopted", "采纳"))
TREND_MONTHS = 12
TREND = ("generated", "cases", "measures")        # the clue counts the trend draws (with 追回金额)


def _sum(rows: list[dict], key: str) -> float:
    return sum(r.get(key) or 0 for r in rows)


def months_back(today: date, n: int) -> list[str]:
    """The last ``n`` months as ``YYYY-MM``, oldest first.

    >>> months_back(date(2026, 2, 10), 3)
    ['2025-12', '2026-01', '2026-02']
    """
    y, m, out = today.year, today.month, []
    for _ in range(n):
        out.append(f"{y:04d}-{m:02d}")
        y, m = (y - 1, 12) if m == 1 else (y, m - 1)
    return out[::-1]


def trend_months(period: str | None, today: date) -> list[str]:
    """The trend's months: those of the period (at most the last 24 of it), else the last 12 months.

    >>> trend_months("2026-02..2026-04", date(2026, 12, 6))
    ['2026-02', '2026-03', '2026-04']
    """
    if not period:
        return months_back(today, TREND_MONTHS)
    p = parse_period(period)
    end = min(p.end, today) if p.start <= today else p.end
    n = (end.year - p.start.year) * 12 + end.month - p.start.month + 1
    return months_back(end, max(1, min(n, 24)))


def dashboard(ws: Workspace, *, period: str | None = None, line: str | None = None, org: str | None = None,
              today: date | None = None) -> dict:
    """Everything the 一本账 page draws, for one period and optionally one 业务条线 and/or org.

    Every chart honours every filter: the org filter narrows the reader's scope to that org and the
    orgs below it (never wider than the reader's own scope) while the ledgers are counted, and the
    line filter keeps that line's models.
    """
    today = today or date.today()
    months = trend_months(period, today)
    with org_filter(ws, org):
        stats = StatsService(ws)
        counts = stats.counts([period, *months], metrics=[None, *(TREND for _ in months)])
        by_line = stats.ledger_of(counts, "line")
        lines = [r for r in by_line if not line or line in (r["name"], r["key"])]
        by_model = stats.ledger_of(counts, "model")
        keep = models_of_line(ws, line) if line else None
        if keep is not None:
            by_model = [r for r in by_model if r["key"] in keep]
        by_org = stats.ledger_of(counts, "org", models=keep)
        by_org = _top_orgs(within_reader(ws, _children_view(by_org, _org_rows(by_org, org)) if org else by_org))
        trend = _trend(stats, counts, months, line)
        by_subscription = subscription_ledger(ws, parse_period(period)) if not line else []
    totals = {k: _sum(lines, k) for k, _ in FUNNEL} | {"money_recovered": round(_sum(lines, "money_recovered"), 2),
                                                      "excluded": _sum(lines, "excluded")}
    return {"period": period or "全部", "line": line, "org": org,
            "funnel": [{"key": k, "name": n, "value": int(totals[k])} for k, n in FUNNEL],
            "totals": totals, "by_line": by_line, "by_model": by_model,
            "by_org": by_org,
            "trend": trend, "overdue": _overdue(ws, org), "by_subscription": by_subscription}


def _org_rows(rows: list[dict], org: str | None) -> list[dict]:
    """The ledger row of ``org`` (by division code or name); empty when the org has no clues."""
    if not org:
        return []
    return [r for r in rows if org in (r["key"], r["name"])]


def _children_view(rows: list[dict], picked: list[dict]) -> list[dict]:
    """The picked org and the orgs below it (their codes extend the picked code)."""
    if not picked:
        return []
    code = str(picked[0]["key"])
    if code == "000000":                  # 最高人民检察院: every org is below it
        return rows
    return [r for r in rows if str(r["key"]).startswith(code)]


def _top_orgs(rows: list[dict], n: int = 15) -> list[dict]:
    return sorted(rows, key=lambda r: -(r.get("generated") or 0))[:n]


def _trend(stats: StatsService, counts, months: list[str], line: str | None) -> dict:
    series: dict[str, list] = {"generated": [], "cases": [], "measures": [], "money_recovered": []}
    for i, _month in enumerate(months, 1):
        rows = [r for r in stats.ledger_of(counts, "line", i) if not line or line in (r["key"], r["name"])]
        for key in series:
            series[key].append(round(_sum(rows, key), 2))
    return {"months": months, **series}


def _overdue(ws: Workspace, org: str | None = None) -> list[dict]:
    try:
        return overdue(ws, org=org or None, limit=50)      # sorted and limited in SQL
    except NotFound:
        return []
