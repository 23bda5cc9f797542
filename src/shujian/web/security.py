"""Who is asking and may they (身份与权限) — the one place the security layer plugs in.

Every route declares ``Depends(require("<action>"))``.  Today identity comes from
:class:`DemoIdentity`: a configurable local demo account (``SHUJIAN_WEB_USER``, default ``demo``),
switchable in development through the ``shujian_demo_user`` cookie, and :class:`AllowAll`
permits every registered action.  The security issue replaces ``app.state.identity`` (sessions,
API tokens) and ``app.state.authorizer`` (roles, org scope) without touching any route.
"""

from __future__ import annotations

import os
import secrets
from dataclasses import dataclass, field
from typing import Annotated, Protocol

from fastapi import Depends, Request

from ..errors import NotFound, ShujianError

#: Every action a route may require: key → 中文说明.  A test fails when a route's action is missing.
ACTIONS: dict[str, str] = {
    "me.read": "查看本人信息",
    "dashboard.read": "查看一本账",
    "data.read": "查看数据目录与质量报告",
    "data.preview": "预览数据（脱敏）",
    "data.import": "导入数据",
    "data.govern": "修改数据要素类型与分级",
    "documents.parse": "解析文书",
    "models.read": "查看模型库",
    "models.build": "可视化建模与保存模型",
    "models.certify": "模型认证、上架与下架",
    "models.adopt": "采用模型",
    "runs.read": "查看运行记录",
    "runs.start": "运行模型",
    "runs.cancel": "取消运行",
    "clues.read": "查看线索",
    "clues.act": "处理线索（研判、交办、核查、成案…）",
    "clues.comment": "评论线索",
    "clues.export": "导出线索",
    "jobs.read": "查看后台任务",
    "orgs.read": "查看机构与用户",
    "orgs.admin": "管理机构与用户",
    "delegation.read": "查看委托研判",
    "delegation.request": "提交、办结委托研判",
    "delegation.handle": "受理、关联、反馈、退回委托研判（数字办）",
    "audit.read": "查看审计日志",
}

DEMO_USERNAME_ENV = "SHUJIAN_WEB_USER"
DEMO_COOKIE = "shujian_demo_user"
CSRF_COOKIE = "shujian_csrf"
CSRF_FIELD = "csrf_token"


class PermissionDenied(ShujianError):
    """Refused by the authorizer (403)."""

    code = "forbidden"
    exit_code = 3


@dataclass(frozen=True)
class CurrentUser:
    """The person behind a request, as pages and services need it."""

    username: str
    name: str
    roles: tuple[str, ...] = ()
    org: str | None = None
    org_id: int | None = None
    department: str | None = None
    demo: bool = True
    extra: dict = field(default_factory=dict, compare=False, hash=False)

    @property
    def roles_text(self) -> str:
        return "、".join(self.roles) or "（无角色）"


class Identity(Protocol):
    def identify(self, request: Request) -> CurrentUser: ...


class Authorizer(Protocol):
    def check(self, user: CurrentUser, action: str, request: Request) -> None: ...


class DemoIdentity:
    """Local demo identity: the configured account, or the one picked in the demo user switcher."""

    def __init__(self, username: str | None = None):
        self.username = username or os.environ.get(DEMO_USERNAME_ENV) or "demo"

    def identify(self, request: Request) -> CurrentUser:
        wanted = request.cookies.get(DEMO_COOKIE) or self.username
        ws = request.app.state.ws
        from ..orgs.service import OrgService

        try:
            u = OrgService(ws).get_user(wanted)
        except NotFound:
            if wanted == self.username:
                return CurrentUser(username=wanted, name="本地演示用户", roles=(), demo=True)
            u = OrgService(ws).get_user(self.username)
        return CurrentUser(username=u["username"], name=u["name"], roles=tuple(u["roles"]), org=u["org"],
                           org_id=u["org_id"], department=u["department"], demo=True)


class AllowAll:
    """Development authorizer: every registered action is allowed (the security issue replaces it)."""

    def check(self, user: CurrentUser, action: str, request: Request) -> None:
        return None


def current_user(request: Request) -> CurrentUser:
    """The user of this request (cached on ``request.state``)."""
    cached = getattr(request.state, "user", None)
    if cached is None:
        cached = request.app.state.identity.identify(request)
        request.state.user = cached
    return cached


User = Annotated[CurrentUser, Depends(current_user)]


def require(action: str):
    """Dependency factory: the route needs ``action`` (a key of :data:`ACTIONS`)."""
    if action not in ACTIONS:
        raise KeyError(f"未登记的权限动作 {action}；先在 shujian.web.security.ACTIONS 中登记")

    def dependency(request: Request, user: User) -> CurrentUser:
        request.state.action = action
        request.app.state.authorizer.check(user, action, request)
        return user

    dependency.action = action  # type: ignore[attr-defined]  # read by the route-audit test
    return Depends(dependency)


# ---------------------------------------------------------------- CSRF (double-submit cookie)
def csrf_token(request: Request) -> str:
    """The form token for this browser (set as a cookie by the middleware in app.py)."""
    token = request.cookies.get(CSRF_COOKIE) or getattr(request.state, "new_csrf", None)
    if token is None:
        token = secrets.token_urlsafe(24)
        request.state.new_csrf = token
    return token


async def check_csrf(request: Request) -> None:
    """Form posts must echo the cookie token (field ``csrf_token`` or header ``X-CSRF-Token``)."""
    cookie = request.cookies.get(CSRF_COOKIE)
    sent = request.headers.get("x-csrf-token")
    if sent is None:
        form = await request.form()
        sent = form.get(CSRF_FIELD)
    if not cookie or not sent or not secrets.compare_digest(str(cookie), str(sent)):
        raise PermissionDenied("表单校验码（CSRF）缺失或不匹配，请求已拒绝",
                               hint="刷新页面后重新提交表单")


CSRF = Depends(check_csrf)
