"""运行: start a model run in the background (progress, cancel), run history."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Query, Request
from pydantic import BaseModel, Field

from ...compiler import check_params
from ...governance.service import GovernanceService
from ...runs.service import RunService
from .. import catalogue
from ..pagination import Paging, filter_rows, page_of
from ..security import require
from .common import Id, ws_of

router = APIRouter(tags=["运行"])


class RunIn(BaseModel):
    model_id: str = Field(min_length=1, max_length=100)
    params: dict[str, str] = Field(default_factory=dict, description="参数名 → 文本值（同命令行 --param）")
    engine: Literal["duckdb", "spark"] = "duckdb"


@router.post("/runs", status_code=202, summary="在后台运行模型（返回任务号；轮询 /jobs/{id}）")
def start(body: RunIn, request: Request, user=require("runs.start")) -> dict:
    return start_run(request, body.model_id, body.params, body.engine).to_dict()


def start_run(request: Request, model_id: str, params: dict[str, str], engine: str = "duckdb"):
    """Check the parameters now (errors beside the fields), then run in a background job."""
    ws = ws_of(request)
    model = catalogue.runnable(ws, model_id)
    GovernanceService(ws).check_runnable(model.id)          # refused now, beside the form, not in the job
    check_params(model, {k: v for k, v in params.items() if v not in (None, "")})
    clean = {k: v for k, v in params.items() if v not in (None, "")}

    def work(job) -> dict:
        def progress(pct: float) -> None:
            job.percent, job.stage = min(99.0, float(pct)), "执行查询"

        job.stage = "编译模型"
        return RunService(ws).run(model, params=clean, engine=engine, progress=progress,
                                  cancel=job.cancel).to_dict()

    return request.app.state.jobs.start("run", model_id, request.state.user.username, work)


@router.get("/runs", summary="运行历史（分页、按模型/状态筛选）")
def runs(request: Request, paging: Paging, user=require("runs.read"),
         model_id: Annotated[str | None, Query(max_length=100)] = None,
         status: Annotated[str | None, Query(max_length=20)] = None) -> dict:
    rows = filter_rows(RunService(ws_of(request)).list_runs(model_id, limit=1000), status=status)
    return page_of(rows, paging, allowed_sort=("run_id", "model_id", "status", "seconds", "clues_new",
                                               "started_at"))


@router.get("/runs/{run_id}", summary="一次运行：参数、数据版本、SQL、结果")
def run(run_id: Id, request: Request, user=require("runs.read")) -> dict:
    return RunService(ws_of(request)).get_run(run_id)
