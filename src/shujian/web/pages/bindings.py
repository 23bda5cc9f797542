"""数据绑定 page: map a model's input roles onto the org's own datasets and columns (form, proposal, history)."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse

from ...bindings import BindingService
from ...bindings.check import issue_dict
from ...catalog.service import CatalogService
from ...errors import ShujianError
from ...spec import Model
from .. import catalogue
from ..security import CSRF, require
from .common import render

router = APIRouter()


@router.get("/models/{model_id}/binding")
def binding_page(model_id: str, request: Request, user=require("models.read")):
    ws = request.app.state.ws
    model = catalogue.load(ws, model_id)
    svc = BindingService(ws)
    cur = svc.current(model)
    # no binding of the org's yet: the fields stay empty (the model's own names are their placeholders),
    # so 自动建议 after picking another dataset is not held to the model's column names as if typed
    shown = cur["effective"] if cur["binding_id"] else {}
    return _page(request, model, shown, cur=cur, message=request.query_params.get("msg"))


@router.post("/models/{model_id}/binding", dependencies=[CSRF])
async def binding_post(model_id: str, request: Request, user=require("models.bind")):
    """保存 / 自动建议 / 解除; problems come back beside the fields they are about."""
    ws = request.app.state.ws
    model = catalogue.load(ws, model_id)
    form = await request.form()
    action, inputs = str(form.get("action", "save")), form_inputs(form)
    svc = BindingService(ws)
    try:
        if action == "remove":
            svc.unbind(model.id, source="网页")
            return RedirectResponse(f"/models/{model.id}/binding?msg=已解除本院的数据绑定", status_code=303)
        if action == "propose":
            proposed, rows, res = svc.propose(model, inputs)
            return _page(request, model, proposed, rows={(r.role, r.field): r.why for r in rows},
                         issues=[issue_dict(i) for i in res.issues],
                         message="自动建议如下，请逐项核对后点“保存绑定”" if res.ok else "自动建议不完整，请补全标出的字段")
        saved = svc.bind(model, inputs, source="网页", note=str(form.get("note") or "") or None)
    except ShujianError as exc:
        issues = (exc.details or {}).get("issues") or (exc.details or {}).get("problems") or []
        return _page(request, model, inputs, issues=issues, message=exc.message.splitlines()[0], status=422)
    msg = f"已保存数据绑定（{saved['org']} 第 {saved['version']} 版）"
    return RedirectResponse(f"/models/{model.id}/binding?msg={msg}", status_code=303)


def form_inputs(form) -> dict:
    """``ds:<role>`` and ``col:<role>:<field>`` form fields → binding inputs (blanks left out)."""
    inputs: dict = {}
    for key, value in form.items():
        text, parts = str(value).strip(), str(key).split(":")
        if not text or parts[0] not in ("ds", "col"):
            continue
        entry = inputs.setdefault(parts[1], {"fields": {}})
        if parts[0] == "ds" and len(parts) == 2:
            entry["dataset"] = text
        elif parts[0] == "col" and len(parts) == 3:
            entry["fields"][parts[2]] = text
    return inputs


def _page(request: Request, model: Model, shown: dict, *, cur: dict | None = None, rows: dict | None = None,
          issues: list | None = None, message: str | None = None, status: int = 200):
    ws = request.app.state.ws
    svc = BindingService(ws)
    catalog = CatalogService(ws)
    names = [d["name"] for d in catalog.list_datasets()]
    columns = {}
    for role in model.inputs:
        ds = (shown.get(role) or {}).get("dataset") or model.inputs[role].dataset
        columns[role] = [c["name"] for c in catalog.describe(ds)["columns"]] if ds in names else []
    by_place = {}
    for i in issues or []:
        by_place.setdefault((i.get("input") or "", i.get("field")), []).append(i.get("message"))
    return render(request, "binding.html", {
        "m": model, "shown": shown, "columns": columns, "datasets": names, "cur": cur or svc.current(model),
        "history": svc.history(model.id), "why": rows or {}, "issues": by_place,
        "other_issues": [i.get("message") for i in issues or [] if not i.get("input")],
        "message": message, "active": "models"}, status=status)
