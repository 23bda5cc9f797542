"""运行: start a run with parameters (errors beside fields), live progress, cancel, history."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import RedirectResponse

from ...errors import ShujianError
from ...runs.service import RunService
from .. import catalogue
from ..api.common import Id
from ..api.runs import start_run
from ..security import CSRF, require
from .common import field_errors, render

router = APIRouter()


@router.get("/runs")
def runs(request: Request, user=require("runs.read"), model: Annotated[str | None, Query(max_length=100)] = None,
         page: Annotated[int, Query(ge=1)] = 1):
    ws = request.app.state.ws
    history = RunService(ws).list_runs(model or None, limit=1000)
    size = 20
    cards = catalogue.cards(ws)
    chosen = catalogue.load(ws, model) if model else None
    return render(request, "runs.html", {
        "history": history[(page - 1) * size: page * size], "total": len(history), "page": page,
        "pages": max(1, -(-len(history) // size)), "cards": cards, "model": chosen, "form": {}, "errors": {},
        "jobs": [j for j in request.app.state.jobs.list() if j["kind"] == "run"][:10], "active": "runs"})


@router.post("/runs", dependencies=[CSRF])
async def start(request: Request, user=require("runs.start")):
    form = {k: str(v) for k, v in (await request.form()).items()}
    model_id = form.pop("model_id", "")
    form.pop("csrf_token", None)
    params = {k.removeprefix("param_"): v for k, v in form.items() if k.startswith("param_")}
    try:
        job = start_run(request, model_id, params)
    except ShujianError as exc:
        ws = request.app.state.ws
        errors, general = field_errors(exc, list(params))
        chosen = None
        try:
            chosen = catalogue.load(ws, model_id)
        except ShujianError:
            pass
        return render(request, "runs.html", {
            "history": RunService(ws).list_runs(None, limit=20), "total": 0, "page": 1, "pages": 1,
            "cards": catalogue.cards(ws), "model": chosen, "form": params, "errors": errors, "message": general,
            "jobs": [], "active": "runs"}, status=422)
    return RedirectResponse(f"/jobs/{job.id}", status_code=303)


@router.get("/runs/{run_id}")
def run(run_id: Id, request: Request, user=require("runs.read")):
    return render(request, "run.html", {"r": RunService(request.app.state.ws).get_run(run_id), "active": "runs"})
