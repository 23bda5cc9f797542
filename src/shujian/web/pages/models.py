"""模型库 and 可视化建模 pages."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import RedirectResponse

from ...catalog.service import CatalogService
from ...clues.service import ClueService
from ...errors import ShujianError
from ...governance.rules import EVALUATIONS, SCOPES
from ...runs.service import RunService
from .. import builder, catalogue
from ..api.builder import bound_model
from ..api.models import governance_of
from ..security import CSRF, require
from .common import render

router = APIRouter()
DIALECTS = (("duckdb", "DuckDB（默认）"), ("spark", "Spark"), ("postgres", "PostgreSQL"))


@router.get("/models")
def models(request: Request, user=require("models.read"),
           line: Annotated[str | None, Query(max_length=50)] = None,
           q: Annotated[str | None, Query(max_length=100)] = None):
    cards = catalogue.cards(request.app.state.ws)
    lines = sorted({c["line"] for c in cards})
    shown = [c for c in cards if (not line or c["line"] == line) and (not q or q in c["name"] or q in c["point"])]
    return render(request, "models.html", {"cards": shown, "lines": lines, "f": {"line": line or "", "q": q or ""},
                                           "active": "models"})


@router.get("/models/{model_id}")
def model(model_id: str, request: Request, user=require("models.read"),
          dialect: Annotated[str, Query(pattern="^(duckdb|spark|postgres)$")] = "duckdb"):
    ws = request.app.state.ws
    m = catalogue.load(ws, model_id)
    gov = catalogue.governed_row(ws, model_id)
    card = catalogue.card(m, gov, ClueService(ws).count(model_id), gov is None)
    try:
        sql, sql_error = RunService(ws).compile(m, dialect).sql, None
    except ShujianError as exc:
        sql, sql_error = None, exc.message
    return render(request, "model.html", {
        "m": m, "card": card, "source": catalogue.source(ws, model_id), "sql": sql, "sql_error": sql_error,
        "dialect": dialect, "dialects": DIALECTS, "gov": governance_of(ws, model_id), "evaluations": EVALUATIONS,
        "actions": _allowed_actions(ws, model_id, user.username), "scopes": SCOPES,
        "adoptions": _adoptions(ws, model_id),
        "message": request.query_params.get("msg"), "active": "models",
        "datasets": [d["name"] for d in CatalogService(ws).list_datasets()]})


@router.post("/models/{model_id}/govern", dependencies=[CSRF])
async def govern(model_id: str, request: Request, user=require("models.certify")):
    """Certification and lifecycle actions from the detail page (errors come back as a message)."""
    from ...governance.service import GovernanceService

    form = await request.form()
    action = str(form.get("action", ""))
    svc = GovernanceService(request.app.state.ws)
    try:
        if action in ("业务认证", "数字认证"):
            evals = {e: {"passed": form.get(f"pass_{e}") == "1", "comment": str(form.get(f"note_{e}", ""))}
                     for e in EVALUATIONS}
            svc.certify(model_id, action, user.username, evals, _opinion(form))
        elif action == "提交":
            svc.submit(model_id, user.username)
        elif action == "adopt":
            mapping = adoption_mapping(form)
            res = svc.adopt(model_id, str(form.get("org", "")), user.username, mapping)
            msg = f"采用结果：{res['status']}" + (f"；缺少：{'；'.join(x['message'] for x in res['missing'])}"
                                                 if res["missing"] else "")
            return RedirectResponse(f"/models/{model_id}?msg={msg}", status_code=303)
        else:
            svc.advance(model_id, action, user.username, scope=str(form.get("scope") or "") or None,
                        reason=_opinion(form) or None)
        msg = f"已执行：{action}"
    except ShujianError as exc:
        label = "采用" if action == "adopt" else action
        msg = f"未执行“{label}”：{exc.message}" + (f"（{exc.hint}）" if exc.hint else "")
    return RedirectResponse(f"/models/{model_id}?msg={msg}", status_code=303)


@router.get("/builder")
def builder_page(request: Request, user=require("models.build"),
                 model: Annotated[str | None, Query(max_length=100)] = None):
    graph, error, opened = None, None, None
    if model:
        try:
            graph = builder.model_to_graph(bound_model(request.app.state.ws, model))
            opened = graph["model"].get("name") or model
        except ShujianError as exc:
            error = exc.message
    return render(request, "builder.html", {"graph": graph, "error": error, "kinds": builder.KINDS,
                                            "opened": opened, "lines": builder_lines(),
                                            "active": "builder"})


def builder_lines() -> list[str]:
    """业务条线 to pick from: those of the departments (刑事检察 … 控告申诉检察)."""
    from ...orgs.roles import DEPARTMENTS

    return [line for _, line in DEPARTMENTS if line]


def _opinion(form) -> str:
    """The 意见/理由 typed on the page (``reason``; ``comment`` from older forms and scripts)."""
    return str(form.get("reason") or form.get("comment") or "").strip()


def _allowed_actions(ws, model_id: str, username: str) -> list[str]:
    """What this user may do with the model now ([] for a model outside governance or an unknown user)."""
    from ...governance.service import GovernanceService

    try:
        return GovernanceService(ws).allowed_actions(model_id, username)
    except ShujianError:
        return []


def _adoptions(ws, model_id: str) -> list[dict]:
    """The model's adoptions ([] for a model outside governance)."""
    from ...governance.service import GovernanceService

    try:
        return GovernanceService(ws).adoptions(model_id)
    except ShujianError:
        return []


def adoption_mapping(form) -> dict:
    """``map:<role>:dataset`` and ``map:<role>:<field>`` form fields → ``{role: {dataset, fields}}``."""
    mapping: dict = {}
    for key, value in form.items():
        parts = str(key).split(":")
        if len(parts) != 3 or parts[0] != "map" or not str(value).strip():
            continue
        role, name = parts[1], parts[2]
        entry = mapping.setdefault(role, {"fields": {}})
        if name == "dataset":
            entry["dataset"] = str(value).strip()
        else:
            entry["fields"][name] = str(value).strip()
    return mapping
