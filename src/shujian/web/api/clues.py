"""线索: inbox with filters, detail (facts, masked evidence, other grounds, timeline), actions, export."""

from __future__ import annotations

import tempfile
from datetime import date
from pathlib import Path
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, File, Form, Query, Request, UploadFile
from fastapi.responses import FileResponse
from pydantic import BaseModel, Field
from starlette.background import BackgroundTask

from ...clues.attachments import AttachmentService
from ...clues.service import SORTABLE, ClueFilter, ClueService
from ...workflow.rules import (
    EXCLUSION_TYPES,
    GOVERNANCE_OUTCOMES,
    MEASURES,
    STATES,
    permits,
    transitions_from,
)
from ...workflow.service import WorkflowService
from ..masking import jsonable
from ..pagination import Paging
from ..security import CurrentUser, require
from .common import Id, ws_of

router = APIRouter(tags=["线索"])


def clue_filter(request: Request, model_id: Annotated[str | None, Query(max_length=100, description="模型")] = None,
                state: Annotated[str | None, Query(max_length=100, description="状态，可逗号分隔")] = None,
                subject: Annotated[str | None, Query(max_length=100, description="对象编号")] = None,
                org: Annotated[str | None, Query(max_length=100, description="承办院（含下级院）")] = None,
                since: Annotated[date | None, Query(description="首次发现不早于")] = None,
                until: Annotated[date | None, Query(description="首次发现不晚于")] = None,
                overdue: Annotated[bool | None, Query(description="只看逾期")] = None,
                assignee: Annotated[str | None, Query(max_length=100, description="承办人用户名")] = None,
                metric: Annotated[Literal["generated", "judged", "assigned", "cases", "excluded", "measures",
                                          "adopted"] | None,
                                  Query(description="一本账指标：列出该指标在统计期间计入的线索（与工作台数字一致）")] = None,
                period: Annotated[str | None, Query(max_length=40, description="统计期间（与 metric 同用）")] = None,
                line: Annotated[str | None, Query(max_length=50, description="业务条线")] = None,
                ) -> ClueFilter:
    return ClueFilter(model_id=model_id or None, state=state or None, subject=subject or None, org=org or None,
                      since=since, until=until, overdue=overdue, assignee=assignee or None, metric=metric or None,
                      period=period or None, models=line_models(ws_of(request), line) if line else None)


def line_models(ws, line: str) -> tuple[str, ...]:
    """The model ids of one 业务条线, for the drill-down's line filter (the 一本账's own rule)."""
    from ...stats.service import models_of_line

    return tuple(sorted(models_of_line(ws, line)))


def masked_clue(c: dict) -> dict:
    """A clue from the clue service (subject, title and facts already masked by the access layer),
    JSON-ready."""
    return {**c, "facts": {k: jsonable(v) for k, v in (c.get("facts") or {}).items()}}


def list_page(ws, f: ClueFilter, paging) -> dict:
    """One page of clues for ``f``, sorted and paged in the query; envelope with total."""
    svc = ClueService(ws)
    total = svc.total(f)
    kw = {k: getattr(f, k) for k in ("model_id", "state", "subject")}
    extra = {k: getattr(f, k) for k in ("org", "since", "until", "overdue", "assignee") if getattr(f, k) is not None}
    sort = paging.sort if (paging.sort or "").lstrip("-") in SORTABLE else None
    rows = svc.list(**kw, limit=paging.page_size, offset=paging.offset, sort=sort, **extra)
    return {"items": [masked_clue(r) for r in rows], "total": total, "page": paging.page,
            "page_size": paging.page_size, "pages": max(1, -(-total // paging.page_size))}


@router.get("/clues", summary="线索列表（筛选、分页、排序）")
def clues(request: Request, paging: Paging, f: Annotated[ClueFilter, Depends(clue_filter)],
          user=require("clues.read")) -> dict:
    return list_page(ws_of(request), f, paging)


@router.get("/clues/export.xlsx", summary="按筛选条件导出线索（Excel，脱敏）")
def export(request: Request, f: Annotated[ClueFilter, Depends(clue_filter)],
           user=require("clues.export")) -> FileResponse:
    from ...workflow.export import export_xlsx

    tmp = Path(tempfile.mkstemp(suffix=".xlsx")[1])
    export_xlsx(ws_of(request), tmp, f)
    return FileResponse(tmp, filename="线索清单.xlsx", background=BackgroundTask(tmp.unlink, missing_ok=True),
                        media_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")


@router.get("/clues/meta", summary="线索状态、可选误报类型、监督措施种类")
def meta(user=require("clues.read")) -> dict:
    return {"states": list(STATES), "exclusion_types": list(EXCLUSION_TYPES), "measures": MEASURES,
            "governance_outcomes": list(GOVERNANCE_OUTCOMES)}


@router.get("/clues/{clue_id}", summary="线索详情：事实、证据行（脱敏）、同一对象的其他线索、时间线、可执行操作")
def clue(clue_id: Id, request: Request, user=require("clues.read")) -> dict:
    return clue_detail(ws_of(request), clue_id, user)


def clue_detail(ws, clue_id: Id, user: CurrentUser) -> dict:
    """The clue page's and API's detail: the access layer's view of the clue (scoped, masked, audited)
    plus timeline, measures and the actions the user may take."""
    from ...security.access import clue_view

    c = clue_view(ws, clue_id, via="web")
    wf = WorkflowService(ws)
    out = masked_clue(c)
    out["timeline"] = [{k: jsonable(v) for k, v in e.items()} for e in wf.history(clue_id)]
    out["measures"] = wf.measures(clue_id)
    out["workflow"] = wf.state(clue_id)
    out["actions"] = allowed_actions(c["state"], user)
    out["attachments"] = [public_attachment(a) for a in AttachmentService(ws).list(clue_id)]
    return out


def public_attachment(a: dict) -> dict:
    """An attachment record without the stored file name (an internal detail)."""
    return {k: v for k, v in a.items() if k != "stored_name"}


def allowed_actions(state: str, user: CurrentUser) -> list[dict]:
    """Transitions from ``state`` the user's roles allow (the lifecycle table's ``permits``; the service
    re-checks, with org scope)."""
    return [{"action": t.action.value, "target": t.target.value, "needs": list(t.needs), "note": t.note}
            for t in transitions_from(state) if not user.roles or permits(state, t.action, user.roles)]


class ActionIn(BaseModel):
    action: str = Field(min_length=1, max_length=20, description="研判/交办/核查/排除/成案/监督措施/跟踪/办结/退回/重新打开")
    reason: str | None = Field(None, max_length=4000)
    org: str | None = Field(None, max_length=100, description="交办：承办院代码或名称")
    department: str | None = Field(None, max_length=100)
    assignee: str | None = Field(None, max_length=100)
    deadline: date | None = None
    exclusion_type: str | None = Field(None, max_length=20)
    case_number: str | None = Field(None, max_length=100)
    measure: dict[str, Any] | None = Field(None, description="监督措施：{kind, doc_number, recipient, issued_on}")


def action_kwargs(body: ActionIn) -> dict:
    kw = body.model_dump(exclude={"action", "reason"}, exclude_none=True)
    if body.measure:
        m = dict(body.measure)
        if isinstance(m.get("issued_on"), str) and m["issued_on"]:
            m["issued_on"] = date.fromisoformat(m["issued_on"])
        kw["measure"] = m
    return kw


@router.post("/clues/{clue_id}/actions", summary="对线索执行流转操作")
def act(clue_id: Id, body: ActionIn, request: Request, user=require("clues.act")) -> dict:
    return WorkflowService(ws_of(request)).transition(clue_id, body.action, user.username, reason=body.reason,
                                                       **action_kwargs(body))


class BulkIn(ActionIn):
    clue_ids: list[Annotated[int, Field(ge=1, le=2**62)]] = Field(min_length=1, max_length=5000)
    partial: bool = Field(False, description="只处理允许的线索（否则全部成功或全部不做）")


@router.post("/clues/bulk", summary="批量操作（默认全部成功或全部不做）")
def bulk(body: BulkIn, request: Request, user=require("clues.act")) -> dict:
    kw = action_kwargs(body)
    kw.pop("clue_ids", None)
    kw.pop("partial", None)
    return WorkflowService(ws_of(request)).bulk(body.clue_ids, body.action, user.username, atomic=not body.partial,
                                                 reason=body.reason, **kw)


class CommentIn(BaseModel):
    text: str = Field(min_length=1, max_length=4000)


@router.post("/clues/{clue_id}/comments", status_code=201, summary="评论")
def comment(clue_id: Id, body: CommentIn, request: Request, user=require("clues.comment")) -> dict:
    return {k: jsonable(v) for k, v in WorkflowService(ws_of(request)).comment(clue_id, user.username,
                                                                               body.text).items()}


@router.get("/clues/{clue_id}/attachments", summary="线索附件列表")
def attachments(clue_id: Id, request: Request, user=require("clues.read")) -> dict:
    items = [public_attachment(a) for a in AttachmentService(ws_of(request)).list(clue_id)]
    return {"items": items, "total": len(items)}


@router.post("/clues/{clue_id}/attachments", status_code=201,
             summary="上传附件并评论（每个文件不超过 20 MB；文件名只用于显示；留痕）")
def upload(clue_id: Id, request: Request, files: Annotated[list[UploadFile], File(description="附件，可多个")],
           text: Annotated[str, Form(max_length=4000, description="评论内容（可空）")] = "",
           user=require("clues.comment")) -> dict:
    out = AttachmentService(ws_of(request)).comment(clue_id, user.username, text,
                                                    [(f.filename or "", f.file) for f in files])
    return {**{k: jsonable(v) for k, v in out.items() if k != "attachments"},
            "attachments": [public_attachment(a) for a in out["attachments"]]}


@router.get("/clues/{clue_id}/attachments/{attachment_id}", summary="下载附件（本院及下级院；留痕）")
def download(clue_id: Id, attachment_id: Id, request: Request, user=require("clues.read")) -> FileResponse:
    path, info = AttachmentService(ws_of(request)).open(clue_id, attachment_id)
    # always a download, never rendered by the browser: an uploaded HTML or SVG file cannot run script here
    return FileResponse(path, filename=info["filename"], media_type="application/octet-stream",
                        content_disposition_type="attachment")


class ReplyIn(BaseModel):
    replied_on: date
    reply: str = Field("", max_length=4000)
    adopted: bool | None = None
    rectified: bool | None = None
    money_recovered: float = Field(0.0, ge=0)
    people_affected: int = Field(0, ge=0)
    governance: list[str] = Field(default_factory=list)


@router.post("/measures/{measure_id}/reply", summary="录入监督措施的回复与成效")
def reply(measure_id: Id, body: ReplyIn, request: Request, user=require("clues.act")) -> dict:
    return WorkflowService(ws_of(request)).record_reply(measure_id, user.username, **body.model_dump())


@router.get("/clues/{clue_id}/draft.docx", summary="检察建议书草稿（Word）")
def draft(clue_id: Id, request: Request, user=require("clues.export")) -> FileResponse:
    from ...docgen.suggestion import SuggestionDraft

    tmp = Path(tempfile.mkstemp(suffix=".docx")[1])
    SuggestionDraft(ws_of(request)).write(clue_id, tmp)
    return FileResponse(tmp, filename=f"检察建议书草稿-线索{clue_id}.docx",
                        background=BackgroundTask(tmp.unlink, missing_ok=True),
                        media_type="application/vnd.openxmlformats-officedocument.wordprocessingml.document")
