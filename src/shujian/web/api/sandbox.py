"""沙箱运行 (人人都是建模者): start a sandbox run (background job), list, results, 发布, 提请认证."""

from __future__ import annotations

from fastapi import APIRouter, Request
from pydantic import BaseModel, Field

from ...compiler import check_params
from ...governance.service import GovernanceService
from ...runs.sandbox import SandboxService
from .. import catalogue
from ..security import require
from .common import Id, ws_of

router = APIRouter(tags=["沙箱运行"])


class SandboxRunIn(BaseModel):
    model_id: str = Field(min_length=1, max_length=100)
    params: dict[str, str] = Field(default_factory=dict, description="参数名 → 文本值（同命令行 --param）")


@router.post("/sandbox/runs", status_code=202, summary="沙箱运行模型（后台任务；结果仅本人可见，不生成线索）")
def start(body: SandboxRunIn, request: Request, user=require("runs.sandbox")) -> dict:
    return start_sandbox_run(request, body.model_id, body.params).to_dict()


def start_sandbox_run(request: Request, model_id: str, params: dict[str, str]):
    """Check the model and parameters now (errors beside the form), then run in the sandbox in a job."""
    ws = ws_of(request)
    model = catalogue.trial(ws, model_id)
    GovernanceService(ws).check_runnable(model.id)
    clean = {k: v for k, v in params.items() if v not in (None, "")}
    check_params(model, clean)

    def work(job) -> dict:
        def progress(pct: float) -> None:
            job.percent, job.stage = min(99.0, float(pct)), "执行查询"

        job.stage = "编译模型"
        return SandboxService(ws).run(model, params=clean, progress=progress, cancel=job.cancel).to_dict()

    return request.app.state.jobs.start("run", model_id, request.state.user.username, work, personal=True)


@router.get("/sandbox/runs", summary="沙箱运行（本人的；数字办、院领导另见本院及下级院的）")
def runs(request: Request, user=require("runs.sandbox")) -> dict:
    items = SandboxService(ws_of(request)).list()
    return {"items": items, "total": len(items)}


@router.get("/sandbox/runs/{run_id}", summary="一次沙箱运行及其结果（脱敏）")
def run(run_id: Id, request: Request, user=require("runs.sandbox")) -> dict:
    return SandboxService(ws_of(request)).get(run_id)


@router.post("/sandbox/runs/{run_id}/publish", summary="发布沙箱运行：结果作为线索进入线索池（数字办、院领导）")
def publish(run_id: Id, request: Request, user=require("runs.publish")) -> dict:
    return SandboxService(ws_of(request)).publish(run_id)


@router.post("/sandbox/models/{model_id}/propose", summary="提请认证：作者把本人建的模型提交认证")
def propose(model_id: str, request: Request, user=require("models.propose")) -> dict:
    return SandboxService(ws_of(request)).propose(model_id)


class ShareIn(BaseModel):
    to: str = Field(description="共享范围：本部门 或 本院")


@router.put("/datasets/{name}/share", summary="把个人数据区的数据集共享给本部门或本院（数字办）")
def share(name: str, body: ShareIn, request: Request, user=require("data.share")) -> dict:
    from ...catalog.service import CatalogService

    return CatalogService(ws_of(request)).share(name, body.to)
