"""主体识别: the subject registry's uncertain pairs side by side, 同一人 / 不同人 decisions (audited)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse

from ...entity.service import EntityService
from ...errors import ShujianError
from ..security import CSRF, require
from .common import render

router = APIRouter()


def _page(request: Request, message: str | None = None, status: int = 200):
    svc = EntityService(request.app.state.ws)
    return render(request, "entity.html", {"pairs": svc.review_queue(limit=50), "runs": svc.runs(limit=5),
                                           "decisions": svc.decisions()[-20:][::-1], "message": message,
                                           "active": "entity"}, status=status)


@router.get("/entity")
def review(request: Request, user=require("data.read")):
    return _page(request)


@router.post("/entity/decide", dependencies=[CSRF])
def decide(request: Request, user=require("data.govern"), fp_l: Annotated[str, Form()] = "",
           fp_r: Annotated[str, Form()] = "", decision: Annotated[str, Form()] = "",
           reason: Annotated[str, Form(max_length=500)] = ""):
    if decision not in ("same", "different"):
        return _page(request, "请选择“同一人”或“不同人”", status=422)
    try:
        EntityService(request.app.state.ws).decide(fp_l, fp_r, decision == "same", reason=reason or None)
    except ShujianError as exc:
        return _page(request, exc.message, status=422)
    return RedirectResponse("/entity?done=1", status_code=303)
