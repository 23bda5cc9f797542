"""一本账 dashboard data: the stats service's ledgers arranged for the charts.

Funnel 线索 → 研判 → 成案 → 监督措施 → 采纳, monthly trends, by model, by org (rolled up), money
recovered, overdue items.  Counting rules live in :mod:`shujian.stats.service`; this module only picks
and orders its rows.
"""

from __future__ import annotations

from datetime import date

from ..errors import NotFound
from ..stats.service import StatsService
from ..workflow.service import WorkflowService
from ..workspace import Workspace

FUNNEL = (("generated", "线索"), ("judged", "研判"), ("cases", "成案"), ("measures", "监督措施"), ("adopted", "采纳"))
TREND_MONTHS = 12


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


def dashboard(ws: Workspace, *, period: str | None = None, line: str | None = None, org: str | None = None,
              today: date | None = None) -> dict:
    """Everything the 一本账 page draws, for one period and optionally one 业务条线 or org."""
    stats = StatsService(ws)
    today = today or date.today()
    by_line = stats.ledger("line", period)
    lines = [r for r in by_line if not line or r["name"] == line or r["key"] == line]
    by_model = stats.ledger("model", period)
    if line:
        keep = _models_of_line(ws, line)
        by_model = [r for r in by_model if r["key"] in keep]
    by_org = stats.ledger("org", period)
    picked = _org_rows(by_org, org)
    # an org filter reads that org's rolled-up row (it includes its subordinates); the line filter the line rows
    source = picked if org else lines
    totals = {k: _sum(source, k) for k, _ in FUNNEL} | {"money_recovered": round(_sum(source, "money_recovered"), 2),
                                                       "excluded": _sum(source, "excluded")}
    return {"period": period or "全部", "line": line, "org": org,
            "funnel": [{"key": k, "name": n, "value": int(totals[k])} for k, n in FUNNEL],
            "totals": totals, "by_line": by_line, "by_model": by_model,
            "by_org": _top_orgs(_children_view(by_org, picked) if org else by_org),
            "trend": _trend(stats, today, line, org), "overdue": _overdue(ws, org)}


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


def _models_of_line(ws: Workspace, line: str) -> set[str]:
    from .catalogue import cards

    return {c["model_id"] for c in cards(ws) if c["line"] == line}


def _top_orgs(rows: list[dict], n: int = 15) -> list[dict]:
    return sorted(rows, key=lambda r: -(r.get("generated") or 0))[:n]


def _trend(stats: StatsService, today: date, line: str | None, org: str | None = None) -> dict:
    months = months_back(today, TREND_MONTHS)
    series: dict[str, list] = {"generated": [], "cases": [], "measures": [], "money_recovered": []}
    for month in months:
        if org:
            rows = _org_rows(stats.ledger("org", month), org)
        else:
            rows = [r for r in stats.ledger("line", month) if not line or line in (r["key"], r["name"])]
        for key in series:
            series[key].append(round(_sum(rows, key), 2))
    return {"months": months, **series}


def _overdue(ws: Workspace, org: str | None = None) -> list[dict]:
    try:
        rows = WorkflowService(ws).due(within_days=0, org=org or None)
    except NotFound:
        rows = []
    return [r for r in rows if r["overdue"]][:50]
