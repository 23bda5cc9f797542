"""用户与机构 (org tree, scoped user list, user administration with user.manage) and 委托研判."""

from __future__ import annotations

from datetime import date
from typing import Annotated
from urllib.parse import quote

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import RedirectResponse

from ...errors import NotFound, ShujianError
from ...orgs.roles import ROLES
from ...orgs.service import OrgService
from ...security.accounts import AccountService
from ...security.passwords import MIN_LENGTH, check_rules
from ...security.permissions import granted
from ..api.common import Id
from ..api.orgs import USERNAME, scoped_users
from ..security import CSRF, require
from .common import render

router = APIRouter()
USERS_PER_PAGE = 50
NAME = Annotated[str, Form(max_length=64)]


@router.get("/admin/users")
def users(request: Request, user=require("orgs.read"), org: Annotated[str | None, Query(max_length=100)] = None,
          page: Annotated[int, Query(ge=1, le=100_000)] = 1):
    return _users_page(request, user, org=org or None, page=page, message=request.query_params.get("msg"))


def _users_page(request: Request, user, *, org: str | None = None, page: int = 1, form: dict | None = None,
                errors: dict | None = None, message: str | None = None, status: int = 200):
    ws = request.app.state.ws
    svc, error = OrgService(ws), None
    try:
        children = svc.children(org) if org else svc.children(None)
        current = svc.get(org) if org else None
        departments = svc.departments(org) if org else []
    except ShujianError as exc:
        children, current, departments, error = [], None, [], exc.message
    rows = scoped_users(ws, org if current else None)
    pages = max(1, -(-len(rows) // USERS_PER_PAGE))
    shown = rows[(page - 1) * USERS_PER_PAGE:page * USERS_PER_PAGE]
    accounts = AccountService(ws)
    return render(request, "admin_users.html", {
        "users": [accounts.account(u["username"]) for u in shown], "total": len(rows), "page": page,
        "pages": pages, "children": children, "current": current, "departments": departments, "roles": ROLES,
        "error": error, "message": message, "can_manage": granted(user.roles, "user.manage"),
        "form": form or {"org": (current or {}).get("code") or user.org or ""}, "errors": errors or {},
        "min_length": MIN_LENGTH, "active": "admin"}, status=status)


@router.post("/admin/users", dependencies=[CSRF])
async def create_user(request: Request, user=require("user.manage"), username: NAME = "", name: NAME = "",
                      org: Annotated[str, Form(max_length=100)] = "",
                      department: Annotated[str, Form(max_length=100)] = "",
                      password: Annotated[str, Form(max_length=256)] = ""):
    """新建用户: every problem is shown beside its field and the input is kept (except the password)."""
    roles = [str(r) for r in (await request.form()).getlist("roles")]
    form = {"username": username, "name": name, "org": org, "department": department, "roles": roles}
    errors = _user_form_errors(request, form, password)
    if not errors:
        try:
            AccountService(request.app.state.ws).create_user(username, name.strip(), org, roles, password,
                                                             department=department or None, actor=user.username)
        except ShujianError as exc:
            errors = {"username": exc.message + (f"（{exc.hint}）" if exc.hint else "")}
    if errors:
        return _users_page(request, user, form=form, errors=errors, status=422)
    return RedirectResponse(f"/admin/users?msg={quote(f'已新建用户 {username}')}", status_code=303)


def _user_form_errors(request: Request, form: dict, password: str) -> dict[str, str]:
    import re

    errors: dict[str, str] = {}
    if not re.match(USERNAME, form["username"]):
        errors["username"] = "用户名须字母开头，只含字母、数字、_ . -，2–64 位"
    if not form["name"].strip():
        errors["name"] = "请填写姓名"
    bad = [r for r in form["roles"] if r not in ROLES]
    if not form["roles"] or bad:
        errors["roles"] = "请至少选择一个角色" if not bad else f"角色 {'、'.join(bad)} 无效"
    errors |= _org_errors(request, form["org"], form["department"])
    try:
        check_rules(password, form["username"] or None)
    except ShujianError as exc:
        errors["password"] = exc.message
    return errors


def _org_errors(request: Request, org: str, department: str) -> dict[str, str]:
    svc = OrgService(request.app.state.ws)
    try:        # missing and out of reach alike (access layer)
        target = AccountService(request.app.state.ws).managed_org(org.strip()) if org.strip() else None
    except NotFound:
        target = None
    if target is None:
        return {"org": f"院“{org}”不存在或不在本院及下级院范围内（填写院代码，如 331002，或全称）"}
    names = [d["name"] for d in svc.departments(target["id"])]
    if department and department not in names:
        return {"department": f"{target['name']}没有部门“{department}”，可选：{'、'.join(names)}"}
    return {}


@router.post("/admin/users/{username}/password", dependencies=[CSRF])
def reset_password(username: str, request: Request, user=require("user.manage"),
                   password: Annotated[str, Form(max_length=256)] = ""):
    try:
        AccountService(request.app.state.ws).reset_password(username, password, actor=user.username)
    except ShujianError as exc:
        return _users_page(request, user, errors={f"pw:{username}": exc.message}, status=422)
    return RedirectResponse(f"/admin/users?msg={quote(f'已重置用户 {username} 的口令')}", status_code=303)


@router.post("/admin/users/{username}/lock", dependencies=[CSRF])
def lock_user(username: str, request: Request, user=require("user.manage"),
              locked: Annotated[str, Form(max_length=1)] = "1"):
    try:
        AccountService(request.app.state.ws).set_locked(username, locked == "1", actor=user.username)
    except ShujianError as exc:
        return _users_page(request, user, errors={f"lock:{username}": exc.message}, status=422)
    done = "停用" if locked == "1" else "启用"
    return RedirectResponse(f"/admin/users?msg={quote(f'已{done}用户 {username}')}", status_code=303)


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
