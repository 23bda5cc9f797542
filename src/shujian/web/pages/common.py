"""Helpers for page routers: render with the user and CSRF token, form errors beside fields."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from fastapi import Request

from ...errors import ShujianError
from ..security import csrf_token

#: (href, label, key, the action a user needs for the page to be of use: shown only to those granted it)
NAV = (("/", "工作台", "home", "dashboard.read"), ("/data", "数据", "data", "data.read"),
       ("/documents", "文书", "documents", "documents.parse"), ("/models", "模型库", "models", "models.read"),
       ("/builder", "可视化建模", "builder", "models.build"), ("/runs", "运行", "runs", "runs.start"),
       ("/sandbox", "沙箱", "sandbox", "runs.sandbox"),
       ("/clues", "线索", "clues", "clues.read"), ("/text", "文本筛查", "text", "text.read"),
       ("/entity", "主体识别", "entity", "data.read"), ("/delegation", "委托研判", "delegation", "delegation.read"),
       ("/admin/users", "用户与机构", "admin", "orgs.admin"), ("/audit", "审计", "audit", "audit.read"))


def render(request: Request, template: str, context: dict[str, Any] | None = None, *, status: int = 200):
    """Render ``template`` with the current user, the CSRF token and the navigation."""
    user = getattr(request.state, "user", None)
    templates = request.app.state.templates
    # the demo account switcher (base.html) shows only in demo mode to a demo user or before login;
    # elsewhere — every page of a production server — the accounts are not listed at all
    shown = templates.env.globals.get("demo_mode") and (user is None or getattr(user, "demo", False))
    ctx = {"user": user, "csrf_token": csrf_token(request), "nav": nav_for(user), "can": _can(user),
           "demo_users": _demo_users(request) if shown else [],
           "qs": lambda **kw: query_with(request, **kw), "path": request.url.path, **(context or {})}
    return templates.TemplateResponse(request, template, ctx, status_code=status)


def _can(user):
    """``can(action)`` for templates: whether the page's user is granted ``action`` (links and forms
    the user could not use are not shown; the route checks again)."""
    from ...security.permissions import granted

    return lambda action: user is not None and granted(user.roles, action)


def nav_for(user) -> list[tuple[str, str, str]]:
    """The navigation entries ``user`` can use (none before login)."""
    can = _can(user)
    return [(href, label, key) for href, label, key, action in NAV if can(action)]


def _demo_users(request: Request) -> list[dict]:
    from ...orgs.service import OrgService

    try:
        return OrgService(request.app.state.ws).users()       # every account (the demo city has ~140)
    except ShujianError:
        return []


def field_errors(exc: ShujianError, fields: list[str]) -> tuple[dict[str, str], str | None]:
    """Map an error's located problems onto form fields; what does not fit becomes the page message."""
    found: dict[str, str] = {}
    for p in (exc.details or {}).get("problems", []):
        loc = str(p.get("location", ""))
        name = next((f for f in fields if loc == f or loc.startswith(f + ".") or loc.endswith("." + f)), None)
        if name and name not in found:
            found[name] = p.get("message", "")
    general = None if found else exc.message + (f"（{exc.hint}）" if exc.hint else "")
    return found, general


def query_with(request: Request, **changes: Any) -> str:
    """The current query string with ``changes`` applied (for sort and page links)."""
    params = dict(request.query_params)
    for k, v in changes.items():
        if v is None:
            params.pop(k, None)
        else:
            params[k] = str(v)
    return "?" + urlencode(params)
