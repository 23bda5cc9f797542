"""文书设置: an org's 机关代字, 文号 format and first number, default 主送机关 (for the 检察建议书 draft)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import RedirectResponse

from ...errors import ShujianError, ValidationFailed
from ...orgs.settings import DEFAULT_FORMAT, PLACES, OrgSettingsService
from ..security import CSRF, require
from .common import render

router = APIRouter()
TEXT = Annotated[str, Form(max_length=300)]


@router.get("/settings/documents")
def settings_page(request: Request, user=require("orgs.settings"),
                  org: Annotated[str | None, Query(max_length=100)] = None):
    svc = OrgSettingsService(request.app.state.ws)
    current = svc.get(org or user.org_id)
    return _page(request, current.to_dict(), {}, message=request.query_params.get("msg"))


@router.post("/settings/documents", dependencies=[CSRF])
def settings_save(request: Request, user=require("orgs.settings"), org: TEXT = "", abbreviation: TEXT = "",
                  number_format: TEXT = "", first_number: TEXT = "", recipient: TEXT = ""):
    svc = OrgSettingsService(request.app.state.ws)
    target = org or user.org_id
    form = {"abbreviation": abbreviation, "number_format": number_format, "first_number": first_number,
            "recipient": recipient}
    try:
        saved = svc.save(target, user.username, **form)
    except ValidationFailed as exc:
        errors = {p.location: p.message for p in exc.problems}
        shown = {**svc.get(target).to_dict(), **form}
        return _page(request, shown, errors, message=exc.message.splitlines()[0], status=422)
    except ShujianError as exc:
        return _page(request, {**svc.get(target).to_dict(), **form}, {}, message=exc.message, status=403)
    return RedirectResponse(f"/settings/documents?org={saved.org}&msg=已保存{saved.org_name}的文书设置",
                            status_code=303)


def _page(request: Request, form: dict, errors: dict, *, message: str | None = None, status: int = 200):
    return render(request, "org_settings.html", {
        "form": {k: ("" if v is None else v) for k, v in form.items()}, "errors": errors, "message": message,
        "default_format": DEFAULT_FORMAT, "places": PLACES, "active": "admin"}, status=status)
