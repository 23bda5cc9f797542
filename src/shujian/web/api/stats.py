"""一本账 statistics for the dashboard and the ledger tables."""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Annotated, Literal

from fastapi import APIRouter, Query, Request
from fastapi.responses import FileResponse
from starlette.background import BackgroundTask

from ...stats.service import METRICS, StatsService, parse_period
from ..dashboard import dashboard
from ..pagination import Paging, page_of
from ..security import require
from .common import ws_of

router = APIRouter(tags=["一本账"])
Period = Annotated[str | None, Query(max_length=40, description="统计期间：2026、2026-03 或 2026-01..2026-12")]


@router.get("/stats/dashboard", summary="工作台：漏斗、趋势、按模型/院/条线、追回金额、逾期")
def stats_dashboard(request: Request, user=require("dashboard.read"), period: Period = None,
                    line: Annotated[str | None, Query(max_length=50, description="业务条线")] = None,
                    org: Annotated[str | None, Query(max_length=100, description="院")] = None) -> dict:
    return dashboard(ws_of(request), period=period or None, line=line or None, org=org or None)


@router.get("/stats/ledger", summary="一本账（按模型、院或业务条线）")
def stats_ledger(request: Request, paging: Paging, user=require("dashboard.read"),
                 by: Literal["model", "org", "line"] = "model", period: Period = None) -> dict:
    rows = StatsService(ws_of(request)).ledger(by, period or None, own_orgs=True)
    out = page_of(rows, paging, allowed_sort=[k for k, _ in METRICS] + ["key", "name"])
    out["metrics"] = [{"key": k, "label": v} for k, v in METRICS]
    return out


@router.get("/stats/subscriptions", summary="一本账（关键词订阅：筛查、命中、确认、排除、精确率）")
def stats_subscriptions(request: Request, user=require("dashboard.read"), period: Period = None) -> dict:
    from ...stats.text import COLUMNS, subscription_ledger, totals

    p = parse_period(period or None)
    rows = subscription_ledger(ws_of(request), p)
    return {"period": p.label(), "rows": rows, "total": totals(rows),
            "columns": [{"key": k, "label": v} for k, v in COLUMNS]}


@router.get("/stats/export.xlsx", summary="一本账导出（Excel：按模型、院、业务条线三张表）")
def stats_export(request: Request, user=require("dashboard.read"), period: Period = None,
                 line: Annotated[str | None, Query(max_length=50, description="业务条线")] = None,
                 org: Annotated[str | None, Query(max_length=100, description="院（含下级院）")] = None) -> FileResponse:
    """The same numbers as the 工作台 with the same filters (期间, 业务条线, 院)."""
    from ...stats.export import export_xlsx

    ws = ws_of(request)
    tmp = Path(tempfile.mkstemp(suffix=".xlsx")[1])
    export_xlsx(StatsService(ws), tmp, parse_period(period or None), line=line or None, org=org or None)
    return FileResponse(tmp, filename="一本账.xlsx", background=BackgroundTask(tmp.unlink, missing_ok=True),
                        media_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
