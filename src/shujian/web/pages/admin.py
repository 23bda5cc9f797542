"""用户与机构 (read-only until the security layer adds administration) and 委托研判."""

from __future__ import annotations

from datetime import date
from typing import Annotated

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import RedirectResponse

from ...errors import ShujianError
from ...orgs.roles import ROLES
from ...orgs.service import OrgService
from ..api.common import Id
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
def delegation(request: Request, user=require("delegation.read"),
               state: Annotated[str | None, Query(max_length=10)] = None):
    return _delegation_page(request, {}, {}, state=state or None, message=request.query_params.get("msg"))


def _delegation_page(request: Request, form: dict, errors: dict, *, state: str | None = None,
                     message: str | None = None, status: int = 200):
    from ...delegation.service import STATES, DelegationService
    from ...runs.service import RunService

    ws = request.app.state.ws
    return render(request, "delegation.html", {
        "items": DelegationService(ws).list(state=state), "states": STATES, "state": state or "", "form": form,
        "errors": errors, "message": message, "runs": RunService(ws).list_runs(limit=30), "active": "delegation"},
        status=status)


@router.post("/delegation", dependencies=[CSRF])
def delegation_submit(request: Request, user=require("delegation.request"),
                      question: Annotated[str, Form(max_length=2000)] = "",
                      rule_text: Annotated[str, Form(max_length=4000)] = "",
                      data_needed: Annotated[str, Form(max_length=2000)] = "",
                      deadline: Annotated[str, Form(max_length=20)] = ""):
    from ...delegation.service import DelegationService

    form = {"question": question, "rule_text": rule_text, "data_needed": data_needed, "deadline": deadline}
    errors = {}
    if not question.strip():
        errors["question"] = "请写明要研判的问题"
    try:
        due = date.fromisoformat(deadline)
    except ValueError:
        errors["deadline"] = "请填写期限，格式 YYYY-MM-DD"
    if errors:
        return _delegation_page(request, form, errors, status=422)
    try:
        DelegationService(request.app.state.ws).submit(user.username, question, deadline=due, rule_text=rule_text,
                                                       data_needed=data_needed)
    except ShujianError as exc:
        return _delegation_page(request, form, {"deadline": exc.message} if "期限" in exc.message else {},
                                message=exc.message, status=422)
    return RedirectResponse("/delegation?msg=已提交委托研判", status_code=303)


@router.post("/delegation/{request_id}/act", dependencies=[CSRF])
async def delegation_act(request_id: Id, request: Request, user=require("delegation.read")):
    from urllib.parse import quote

    from ..api.delegation import DelegationAction, apply_action

    form = await request.form()
    try:
        body = DelegationAction(action=str(form.get("action", "")), note=str(form.get("note", "")),
                                run_ids=[int(x) for x in form.getlist("run_id") if str(x).isdigit()])
        apply_action(request, request_id, body, user)
        msg = f"委托研判 {request_id}：已{body.action}"
    except ShujianError as exc:
        msg = exc.message
    except ValueError as exc:
        msg = f"输入有误：{exc}"
    return RedirectResponse(f"/delegation?msg={quote(msg)}", status_code=303)
