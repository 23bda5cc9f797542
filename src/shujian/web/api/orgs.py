"""机构与用户 (read side; administration arrives with the security layer)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request

from ...orgs.roles import ROLES
from ...orgs.service import OrgService
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
    rows = OrgService(ws_of(request)).users(org)
    if role:
        rows = [r for r in rows if role in r["roles"]]
    return page_of(filter_rows(rows), paging, allowed_sort=("username", "name", "org"))


@router.get("/roles", summary="角色")
def roles(user=require("orgs.read")) -> dict:
    return {"items": [{"role": k, "duty": v} for k, v in ROLES.items()], "total": len(ROLES)}
