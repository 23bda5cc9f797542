"""沙箱 (人人都是建模者): a 检察官's personal data area, their models, sandbox runs and results; 发布 for the
org's 数字办/院领导; 提请认证 for the author; sharing a personal dataset for the 数字办."""

from __future__ import annotations

from typing import Annotated
from urllib.parse import quote

from fastapi import APIRouter, File, Form, Request, UploadFile
from fastapi.responses import RedirectResponse

from ...catalog.service import CatalogService
from ...config import CLASSIFICATION_LEVELS
from ...errors import InputError
from ...runs.sandbox import SandboxService
from .. import catalogue
from ..api.common import Id
from ..api.sandbox import start_sandbox_run
from ..security import CSRF, require
from .common import render
from .data import submit_import

router = APIRouter()


@router.get("/sandbox")
def sandbox(request: Request, user=require("runs.sandbox")):
    ws = request.app.state.ws
    svc = SandboxService(ws)
    mine = svc.my_models()
    own_ids = {m["model_id"] for m in mine}
    others = [c for c in catalogue.cards(ws) if c["model_id"] not in own_ids]
    personal = [d for d in CatalogService(ws).list_datasets() if d["area"] != "本院"]
    return render(request, "sandbox.html", {"models": mine, "others": others, "datasets": personal,
                                            "runs": svc.list(), "message": request.query_params.get("msg"),
                                            "active": "sandbox"})


@router.get("/sandbox/import")
def import_form(request: Request, user=require("data.import.personal")):
    return render(request, "data_import.html", {"form": {}, "errors": {}, "levels": CLASSIFICATION_LEVELS,
                                                "personal": True, "active": "sandbox"})


@router.post("/sandbox/import", dependencies=[CSRF])
async def import_submit(request: Request, user=require("data.import.personal"),
                        file: Annotated[UploadFile | None, File()] = None,
                        name: Annotated[str, Form(max_length=100)] = "",
                        agency: Annotated[str, Form(max_length=100)] = "",
                        request_no: Annotated[str, Form(max_length=100)] = "",
                        level: Annotated[str, Form(max_length=10)] = "",
                        sheet: Annotated[str, Form(max_length=100)] = "",
                        header_row: Annotated[str, Form(max_length=6)] = "",
                        period_start: Annotated[str, Form(max_length=20)] = "",
                        period_end: Annotated[str, Form(max_length=20)] = "",
                        skip_bad_rows: Annotated[bool, Form()] = False,
                        all_sheets: Annotated[bool, Form()] = False,
                        skip_columns: Annotated[str, Form(max_length=2000)] = "",
                        skip_hidden: Annotated[bool, Form()] = False):
    """导入到个人数据区: the same form and checks as 数据 › 导入, the dataset owned by the importer."""
    form = {"name": name, "agency": agency, "request_no": request_no, "level": level, "sheet": sheet,
            "header_row": header_row, "period_start": period_start, "period_end": period_end,
            "skip_bad_rows": skip_bad_rows, "all_sheets": all_sheets, "skip_columns": skip_columns,
            "skip_hidden": skip_hidden}
    return await submit_import(request, user.username, file, form, personal=True)


@router.post("/sandbox/runs", dependencies=[CSRF])
async def start(request: Request, user=require("runs.sandbox")):
    form = {k: str(v) for k, v in (await request.form()).items()}
    params = {k.removeprefix("param_"): v for k, v in form.items() if k.startswith("param_")}
    try:
        job = start_sandbox_run(request, form.get("model_id", ""), params)
    except InputError as exc:
        return _back("/sandbox", f"未开始沙箱运行：{exc.message}" + (f"（{exc.hint}）" if exc.hint else ""))
    return RedirectResponse(f"/jobs/{job.id}", status_code=303)


@router.get("/sandbox/runs/{run_id}")
def run(run_id: Id, request: Request, user=require("runs.sandbox")):
    ws = request.app.state.ws
    r = SandboxService(ws).get(run_id)
    mine = {m["model_id"]: m for m in SandboxService(ws).my_models()}
    return render(request, "sandbox_run.html", {"r": r, "own_model": mine.get(r["model_id"]),
                                                "message": request.query_params.get("msg"), "active": "sandbox"})


@router.post("/sandbox/runs/{run_id}/publish", dependencies=[CSRF])
def publish(run_id: Id, request: Request, user=require("runs.publish")):
    try:
        out = SandboxService(request.app.state.ws).publish(run_id)
    except InputError as exc:
        return _back(f"/sandbox/runs/{run_id}", f"未发布：{exc.message}" + (f"（{exc.hint}）" if exc.hint else ""))
    return _back(f"/sandbox/runs/{run_id}", f"已发布：新线索 {out['clues_new']} 条，再次发现 {out['clues_seen']} 条，已进入线索池")


@router.post("/sandbox/models/{model_id}/propose", dependencies=[CSRF])
def propose(model_id: str, request: Request, user=require("models.propose"),
            back: Annotated[str, Form(max_length=200)] = "/sandbox"):
    target = back if back.startswith("/sandbox") else "/sandbox"
    try:
        SandboxService(request.app.state.ws).propose(model_id)
    except InputError as exc:
        return _back(target, f"未提请认证：{exc.message}" + (f"（{exc.hint}）" if exc.hint else ""))
    return _back(target, "已提请认证：模型进入“提交”状态，等待部门负责人、院领导业务认证")


@router.post("/data/{name}/share", dependencies=[CSRF])
def share(name: str, request: Request, to: Annotated[str, Form(max_length=10)], user=require("data.share")):
    try:
        CatalogService(request.app.state.ws).share(name, to)
    except InputError as exc:
        return _back(f"/data/{quote(name)}", f"未共享：{exc.message}" + (f"（{exc.hint}）" if exc.hint else ""))
    return _back(f"/data/{quote(name)}", f"已共享给{to}")


def _back(path: str, message: str) -> RedirectResponse:
    return RedirectResponse(f"{path}?msg={quote(message)}", status_code=303)
