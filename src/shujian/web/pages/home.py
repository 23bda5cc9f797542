"""工作台 / 一本账 dashboard, and the demo-user switcher."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import RedirectResponse

from ...errors import NotFound, ShujianError
from ..dashboard import dashboard
from ..security import CSRF, DEMO_COOKIE, require
from .common import render

router = APIRouter()


@router.get("/")
def home(request: Request, user=require("dashboard.read"),
         period: Annotated[str | None, Query(max_length=40)] = None,
         line: Annotated[str | None, Query(max_length=50)] = None,
         org: Annotated[str | None, Query(max_length=100)] = None):
    error = None
    try:
        data = dashboard(request.app.state.ws, period=period or None, line=line or None, org=org or None)
    except NotFound as exc:                     # an unknown 院: the message goes beside the org field
        error = {"org": exc.message + (f"（{exc.hint}）" if exc.hint else "")}
        data = _fallback(request, period, line)
    except ShujianError as exc:
        error = {"period": exc.message}
        data = dashboard(request.app.state.ws, line=line or None, org=org or None)
    from .. import catalogue

    lines = sorted({c["line"] for c in catalogue.cards(request.app.state.ws)})
    return render(request, "home.html", {"d": data, "lines": lines, "errors": error or {},
                                         "f": {"period": period or "", "line": line or "", "org": org or ""},
                                         "active": "home"})


def _fallback(request: Request, period: str | None, line: str | None) -> dict:
    try:
        return dashboard(request.app.state.ws, period=period or None, line=line or None)
    except ShujianError:
        return dashboard(request.app.state.ws, line=line or None)


@router.post("/demo-user", dependencies=[CSRF])
def switch_user(request: Request, username: Annotated[str, Form(max_length=100)],
                user=require("me.read")):
    """Development only: act as another demo account (the security layer replaces this with login)."""
    back = request.headers.get("referer") or "/"
    resp = RedirectResponse(back, status_code=303)
    resp.set_cookie(DEMO_COOKIE, username, samesite="strict")
    return resp


@router.get("/audit")
def audit(request: Request, user=require("audit.read"),
          actor: Annotated[str | None, Query(max_length=64)] = None,
          action: Annotated[str | None, Query(max_length=64)] = None,
          target: Annotated[str | None, Query(max_length=200)] = None,
          page: Annotated[int, Query(ge=1, le=100_000)] = 1):
    """审计日志: newest first, filtered, with the hash-chain check."""
    from ...security.audit import AuditLog

    log, size = AuditLog(request.app.state.ws), 50
    rows = log.search(actor=actor or None, action=action or None, target=target or None,
                      limit=size + 1, offset=(page - 1) * size)
    return render(request, "audit.html", {
        "records": rows[:size], "more": len(rows) > size, "page": page, "check": log.verify(),
        "f": {"actor": actor or "", "action": action or "", "target": target or ""}, "active": "audit"})
