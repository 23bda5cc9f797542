"""文本筛查 pages: keyword subscriptions (关键词订阅), their inbox with bulk 确认/排除, rule test box."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import RedirectResponse

from ...catalog.service import CatalogService
from ...errors import InputError, ShujianError
from ...text.library import get_rule, rule_names
from ...text.subscriptions import SubscriptionService
from ..api.common import Id
from ..security import CSRF, require
from .common import render

router = APIRouter()
STATUS = {"pending": "待确认", "confirmed": "已确认为线索", "excluded": "已排除", "pushed": "已推送为线索"}


def _page(request: Request, *, message: str | None = None, form: dict | None = None, status: int = 200):
    ws = request.app.state.ws
    return render(request, "text.html", {
        "subs": SubscriptionService(ws).list(), "rules": [(n, get_rule(n).name) for n in rule_names()],
        "datasets": [d["name"] for d in CatalogService(ws).list_datasets() if not d["sealed"]],
        "form": form or {}, "message": message, "active": "text"}, status=status)


@router.get("/text")
def text_home(request: Request, user=require("text.read")):
    return _page(request)


@router.post("/text/subscriptions", dependencies=[CSRF])
async def create(request: Request, user=require("text.subscribe")):
    form = {k: str(v).strip() for k, v in (await request.form()).items()}
    fields = [f.strip() for f in form.get("fields", "").replace("，", ",").split(",") if f.strip()]
    try:
        sub = SubscriptionService(request.app.state.ws).create(
            name=form.get("name", ""), dataset=form.get("dataset", ""), text_fields=fields,
            rule_name=form.get("rule") or None, key_field=form.get("key") or None, date_field=form.get("date") or None,
            mode=form.get("mode", "confirm"))
    except ShujianError as exc:
        return _page(request, message=exc.message + (f"（{exc.hint}）" if exc.hint else ""), form=form, status=422)
    return RedirectResponse(f"/text/subscriptions/{sub['id']}", status_code=303)


@router.get("/text/subscriptions/{sub_id}")
def subscription(sub_id: Id, request: Request, user=require("text.read"),
                 status: Annotated[str | None, Query(max_length=16)] = "pending"):
    svc = SubscriptionService(request.app.state.ws)
    info = svc.get(sub_id)
    return render(request, "text_subscription.html", {
        "s": info, "matches": svc.matches(sub_id, status or None, limit=500), "status": status or "",
        "labels": STATUS, "active": "text"})


@router.post("/text/subscriptions/{sub_id}/decide", dependencies=[CSRF])
async def decide(sub_id: Id, request: Request, user=require("text.subscribe")):
    form = await request.form()
    ids = [int(v) for v in form.getlist("match") if str(v).isdigit()]
    action = str(form.get("action", ""))
    svc = SubscriptionService(request.app.state.ws)
    try:
        if not ids:
            raise InputError("请先勾选命中")
        svc.decide(sub_id, ids, action, str(form.get("reason", "")) or None)
    except ShujianError as exc:
        return render(request, "text_subscription.html", {
            "s": svc.get(sub_id), "matches": svc.matches(sub_id, "pending", limit=500), "status": "pending",
            "labels": STATUS, "message": exc.message, "active": "text"}, status=422)
    return RedirectResponse(f"/text/subscriptions/{sub_id}", status_code=303)


@router.post("/text/subscriptions/{sub_id}/screen", dependencies=[CSRF])
def screen(sub_id: Id, request: Request, user=require("text.subscribe")):
    SubscriptionService(request.app.state.ws).screen(sub_id)
    return RedirectResponse(f"/text/subscriptions/{sub_id}", status_code=303)
