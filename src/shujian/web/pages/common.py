"""Helpers for page routers: render with the user and CSRF token, form errors beside fields."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from fastapi import Request

from ...errors import ShujianError
from ..security import csrf_token

NAV = (("/", "工作台", "home"), ("/data", "数据", "data"), ("/documents", "文书", "documents"),
       ("/models", "模型库", "models"), ("/builder", "可视化建模", "builder"), ("/runs", "运行", "runs"),
       ("/clues", "线索", "clues"), ("/text", "文本筛查", "text"), ("/entity", "主体识别", "entity"), ("/delegation", "委托研判", "delegation"), ("/admin/users", "用户与机构", "admin"),
       ("/audit", "审计", "audit"))


def render(request: Request, template: str, context: dict[str, Any] | None = None, *, status: int = 200):
    """Render ``template`` with the current user, the CSRF token and the navigation."""
    ctx = {"user": getattr(request.state, "user", None), "csrf_token": csrf_token(request), "nav": NAV,
           "demo_users": _demo_users(request),
           "qs": lambda **kw: query_with(request, **kw), "path": request.url.path, **(context or {})}
    return request.app.state.templates.TemplateResponse(request, template, ctx, status_code=status)


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
