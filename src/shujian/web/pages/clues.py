"""线索: inbox with filters and bulk actions, detail with facts, evidence, timeline, actions, comments."""

from __future__ import annotations

from datetime import date
from typing import Annotated

from fastapi import APIRouter, Depends, File, Form, Query, Request, UploadFile
from fastapi.responses import RedirectResponse

from ...clues.attachments import ALLOWED_SUFFIXES, MAX_BYTES, AttachmentService
from ...clues.service import ClueFilter
from ...errors import InputError, ShujianError
from ...stats.service import CLUE_METRICS
from ...workflow.rules import EXCLUSION_TYPES, GOVERNANCE_OUTCOMES, MEASURES, STATES
from ...workflow.service import WorkflowService
from ..api.clues import clue_detail, clue_filter, list_page
from ..api.common import Id
from ..pagination import page_params
from ..security import CSRF, require
from .common import render

router = APIRouter()


@router.get("/clues")
def inbox(request: Request, f: Annotated[ClueFilter, Depends(clue_filter)], user=require("clues.read"),
          page: Annotated[int, Query(ge=1)] = 1, sort: Annotated[str | None, Query(max_length=30)] = None):
    listing = list_page(request.app.state.ws, f, page_params(page, 20, sort))
    return render(request, "clues.html", {
        "listing": listing, "states": STATES, "exclusion_types": EXCLUSION_TYPES, "f": f, "metric_labels": CLUE_METRICS,
        "message": request.query_params.get("msg"), "active": "clues"})


@router.post("/clues/bulk", dependencies=[CSRF])
async def bulk(request: Request, user=require("clues.act")):
    form = await request.form()
    ids = [int(x) for x in form.getlist("clue_id") if str(x).isdigit()]
    action = str(form.get("action", ""))
    back = str(form.get("back") or "/clues")
    if not ids:
        return RedirectResponse(_with_msg(back, "请先勾选线索"), status_code=303)
    kw = {}
    if form.get("exclusion_type"):
        kw["exclusion_type"] = str(form["exclusion_type"])
    try:
        res = WorkflowService(request.app.state.ws).bulk(ids, action, user.username, atomic=not form.get("partial"),
                                                          reason=str(form.get("reason") or "") or None, **kw)
        msg = f"批量“{action}”完成 {len(res['done'])} 条" + (f"，未处理 {len(res['refused'])} 条" if res["refused"] else "")
    except ShujianError as exc:
        msg = exc.message.splitlines()[0]
    return RedirectResponse(_with_msg(back, msg), status_code=303)


def _with_msg(url: str, msg: str) -> str:
    from urllib.parse import quote

    return f"{url}{'&' if '?' in url else '?'}msg={quote(msg)}"


@router.get("/clues/{clue_id}")
def clue(clue_id: Id, request: Request, user=require("clues.read")):
    WorkflowService(request.app.state.ws).check_overdue()        # overdue replies propose 刚性监督 now
    c = clue_detail(request.app.state.ws, clue_id, user)
    return render(request, "clue.html", {"c": c, "exclusion_types": EXCLUSION_TYPES, "measures": MEASURES,
                                         "can_supervise": bool({"院领导", "部门负责人"} & set(user.roles)),
                                         "rigid_measures": {k: v for k, v in MEASURES.items() if v != "柔性"},
                                         "outcomes": GOVERNANCE_OUTCOMES, "message": request.query_params.get("msg"),
                                         "error": request.query_params.get("err"),
                                         "comment_error": request.query_params.get("cerr"),
                                         "comment_text": request.query_params.get("ctext", ""),
                                         "max_mb": MAX_BYTES >> 20, "suffixes": ALLOWED_SUFFIXES,
                                         "active": "clues"})


@router.post("/clues/{clue_id}/comment", dependencies=[CSRF])
def comment(clue_id: Id, request: Request, user=require("clues.comment"),
            text: Annotated[str, Form(max_length=4000)] = "",
            files: Annotated[list[UploadFile] | None, File()] = None):
    """评论 with optional attachments; an error comes back beside the comment form."""
    uploads = [(f.filename, f.file) for f in files or [] if f.filename]     # no file chosen: an empty part
    try:
        if uploads:
            AttachmentService(request.app.state.ws).comment(clue_id, user.username, text, uploads)
        else:
            WorkflowService(request.app.state.ws).comment(clue_id, user.username, text)
    except ShujianError as exc:
        return RedirectResponse(f"/clues/{clue_id}?cerr={_q(exc.message)}&ctext={_q(text[:500])}#comment",
                                status_code=303)
    done = f"已发表评论（附件 {len(uploads)} 个）" if uploads else "已发表评论"
    return RedirectResponse(f"/clues/{clue_id}?msg={_q(done)}#comment", status_code=303)


@router.post("/clues/{clue_id}/act", dependencies=[CSRF])
async def act(clue_id: Id, request: Request, user=require("clues.act")):
    form = {k: str(v) for k, v in (await request.form()).items()}
    wf = WorkflowService(request.app.state.ws)
    action = form.get("action", "")
    try:
        if action == "评论":
            wf.comment(clue_id, user.username, form.get("text", ""))
        elif action == "督办":
            wf.supervise(clue_id, user.username, _date(form, "deadline"), form.get("reason", "").strip() or "督办")
        elif action == "刚性监督":
            wf.escalate(clue_id, user.username, form.get("measure_kind", ""), reason=form.get("reason", "").strip()
                        or "逾期未整改，依法转为刚性监督", doc_number=form.get("doc_number") or None,
                        recipient=form.get("recipient") or None,
                        issued_on=_date(form, "issued_on") if form.get("issued_on") else None)
        elif action == "回复":
            wf.record_reply(int(form.get("measure_id", "0")), user.username, replied_on=_date(form, "replied_on"),
                            reply=form.get("reply", ""), adopted=form.get("adopted") == "1",
                            rectified=form.get("rectified") == "1",
                            money_recovered=float(form.get("money_recovered") or 0))
        else:
            wf.transition(clue_id, action, user.username, reason=form.get("reason") or None, **_kwargs(form))
    except ShujianError as exc:
        return RedirectResponse(f"/clues/{clue_id}?err={_q(exc.message)}#actions", status_code=303)
    except ValueError as exc:
        return RedirectResponse(f"/clues/{clue_id}?err={_q('输入有误：' + str(exc))}#actions", status_code=303)
    return RedirectResponse(f"/clues/{clue_id}?msg={_q('已执行：' + action)}", status_code=303)


def _q(text: str) -> str:
    from urllib.parse import quote

    return quote(text)


def _date(form: dict, key: str) -> date:
    try:
        return date.fromisoformat(form.get(key, ""))
    except ValueError:
        label = {"deadline": "期限", "replied_on": "回复日期", "issued_on": "发出日期"}.get(key, key)
        raise InputError(f"“{label}”应为日期（年-月-日），收到“{form.get(key, '')}”", hint="请用日期选择框选择") from None


def _kwargs(form: dict) -> dict:
    kw: dict = {}
    for key in ("org", "department", "assignee", "exclusion_type", "case_number"):
        if form.get(key):
            kw[key] = form[key]
    if form.get("deadline"):
        kw["deadline"] = _date(form, "deadline")
    if form.get("measure_kind"):
        kw["measure"] = {"kind": form["measure_kind"], "doc_number": form.get("doc_number") or None,
                         "recipient": form.get("recipient") or None,
                         "issued_on": _date(form, "issued_on") if form.get("issued_on") else None}
    return kw
