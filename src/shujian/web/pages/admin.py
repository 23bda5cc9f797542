"""用户与机构 (read-only until the security layer adds administration) and 委托研判."""

from __future__ import annotations

from datetime import date
from typing import Annotated

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import RedirectResponse

from ...errors import ShujianError
from ...orgs.roles import ROLES
from ...orgs.service import OrgService
from ..security import CSRF, require
from .common import render

router = APIRouter()


@router.get("/admin/users")
def users(request: Request, user=require("orgs.read"), org: Annotated[str | None, Query(max_length=100)] = None):
    svc = OrgService(request.app.state.ws)
    try:
        children = svc.children(org) if org else svc.children(None)
        current = svc.get(org) if org else None
        departments = svc.departments(org) if org else []
    except ShujianError as exc:
        children, current, departments = [], None, []
        request.state.error = exc.message
    return render(request, "admin_users.html", {
        "users": svc.users(org) if current else svc.users(), "children": children, "current": current,
        "departments": departments, "roles": ROLES, "error": getattr(request.state, "error", None),
        "active": "admin"})


@router.get("/delegation")
def delegation(request: Request, user=require("delegation.read")):
    from ...delegation.service import DelegationService

    items = DelegationService(request.app.state.ws).list()
    return render(request, "delegation.html", {"items": items, "form": {}, "message": request.query_params.get("msg"),
                                               "active": "delegation"})


@router.post("/delegation", dependencies=[CSRF])
def delegation_submit(request: Request, user=require("delegation.read"),
                      question: Annotated[str, Form(max_length=2000)] = "",
                      rule_text: Annotated[str, Form(max_length=4000)] = "",
                      data_needed: Annotated[str, Form(max_length=2000)] = "",
                      deadline: Annotated[str, Form(max_length=20)] = ""):
    from ...delegation.service import DelegationService

    form = {"question": question, "rule_text": rule_text, "data_needed": data_needed, "deadline": deadline}
    svc = DelegationService(request.app.state.ws)
    try:
        try:
            due = date.fromisoformat(deadline)
        except ValueError:
            return render(request, "delegation.html", {"items": svc.list(), "form": form, "active": "delegation",
                                                       "errors": {"deadline": "请填写期限，格式 YYYY-MM-DD"}}, status=422)
        svc.submit(user.username, question, deadline=due, rule_text=rule_text, data_needed=data_needed)
    except ShujianError as exc:
        return render(request, "delegation.html", {"items": svc.list(), "form": form, "active": "delegation",
                                                   "message": exc.message}, status=422)
    return RedirectResponse("/delegation?msg=已提交委托研判", status_code=303)
