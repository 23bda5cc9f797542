"""机构与用户: the org tree, users (scoped to 本院及下级院) and user administration (user.manage)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi import Path as PathParam
from pydantic import BaseModel, Field

from ...orgs.roles import ROLES
from ...orgs.service import OrgService
from ...security.accounts import AccountService
from ..pagination import Paging, filter_rows, page_of
from ..security import require
from .common import ws_of

router = APIRouter(tags=["机构与用户"])


@router.get("/orgs", summary="下级院（parent 为空时为最高检一级）")
def orgs(request: Request, paging: Paging, user=require("orgs.read"),
         parent: Annotated[str | None, Query(max_length=50, description="上级院代码或名称")] = None) -> dict:
    return page_of(OrgService(ws_of(request)).children(parent), paging, allowed_sort=("code", "name"))


@router.get("/orgs/{ref}", summary="院的详情与部门")
def org(ref: str, request: Request, user=require("orgs.read")) -> dict:
    svc = OrgService(ws_of(request))
    return {**svc.get(ref), "departments": svc.departments(ref)}


@router.get("/users", summary="用户列表")
def users(request: Request, paging: Paging, user=require("orgs.read"),
          org: Annotated[str | None, Query(max_length=50)] = None,
          role: Annotated[str | None, Query(max_length=20)] = None) -> dict:
    rows = scoped_users(ws_of(request), org)
    if role:
        rows = [r for r in rows if role in r["roles"]]
    return page_of(filter_rows(rows), paging, allowed_sort=("username", "name", "org"))


def scoped_users(ws, org: str | None = None) -> list[dict]:
    """Users of ``org`` (or all) that the acting user's org scope covers (本院及下级院)."""
    return AccountService(ws).users(org)


USERNAME = r"^[A-Za-z][A-Za-z0-9_.-]{1,63}$"


class UserIn(BaseModel):
    username: str = Field(pattern=USERNAME, description="用户名：字母开头，字母、数字、_ . -，2–64 位")
    name: str = Field(min_length=1, max_length=64, description="姓名")
    org: str = Field(min_length=1, max_length=100, description="院：代码或名称")
    roles: list[str] = Field(min_length=1, max_length=5, description="角色")
    department: str | None = Field(None, max_length=100, description="部门（可空）")
    password: str = Field(min_length=1, max_length=256, description="初始口令：不少于 10 位，含三类字符，不含用户名")


class PasswordIn(BaseModel):
    password: str = Field(min_length=1, max_length=256, description="新口令")


class LockIn(BaseModel):
    locked: bool = Field(description="true 停用账号；false 启用（同时解除连续输错口令的锁定）")


@router.post("/users", status_code=201, summary="新建用户（初始口令须符合口令规则；留痕）")
def create_user(body: UserIn, request: Request, user=require("user.manage")) -> dict:
    return AccountService(ws_of(request)).create_user(body.username, body.name, body.org, body.roles, body.password,
                                                      department=body.department or None, actor=user.username)


@router.post("/users/{username}/password", summary="重置用户口令（留痕）")
def reset_password(username: Annotated[str, PathParam(max_length=64)], body: PasswordIn, request: Request,
                   user=require("user.manage")) -> dict:
    return AccountService(ws_of(request)).reset_password(username, body.password, actor=user.username)


@router.post("/users/{username}/lock", summary="停用或启用用户（启用同时解除锁定；留痕）")
def lock_user(username: Annotated[str, PathParam(max_length=64)], body: LockIn, request: Request,
              user=require("user.manage")) -> dict:
    return AccountService(ws_of(request)).set_locked(username, body.locked, actor=user.username)


@router.get("/roles", summary="角色")
def roles(user=require("orgs.read")) -> dict:
    return {"items": [{"role": k, "duty": v} for k, v in ROLES.items()], "total": len(ROLES)}
