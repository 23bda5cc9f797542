"""当前用户与后台任务."""

from __future__ import annotations

from fastapi import APIRouter, Request

from ..pagination import Paging, page_of
from ..security import ACTIONS, require
from .common import Id

router = APIRouter(tags=["系统"])


@router.get("/me", summary="当前用户（院、角色）")
def me(user=require("me.read")) -> dict:
    return {"username": user.username, "name": user.name, "roles": list(user.roles), "org": user.org,
            "org_id": user.org_id, "department": user.department, "demo": user.demo}


@router.get("/actions", summary="权限动作登记表")
def actions(user=require("me.read")) -> dict:
    return {"items": [{"action": k, "label": v} for k, v in ACTIONS.items()], "total": len(ACTIONS)}


@router.get("/jobs", summary="本服务进程的后台任务（导入、运行）")
def jobs(request: Request, paging: Paging, user=require("jobs.read")) -> dict:
    return page_of(request.app.state.jobs.list(), paging, allowed_sort=("job_id", "status", "kind"))


@router.get("/jobs/{job_id}", summary="后台任务进度")
def job(job_id: Id, request: Request, user=require("jobs.read")) -> dict:
    return request.app.state.jobs.get(job_id).to_dict()


@router.post("/jobs/{job_id}/cancel", summary="取消后台任务")
def cancel(job_id: Id, request: Request, user=require("runs.cancel")) -> dict:
    job = request.app.state.jobs.get(job_id)
    job.cancel.set()
    return job.to_dict()
