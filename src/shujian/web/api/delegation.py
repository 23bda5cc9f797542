"""委托研判: a prosecutor's request, handled by the 数字办 (受理 → 关联 → 反馈 → 办结, or 退回)."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Literal

from fastapi import APIRouter, Query, Request
from pydantic import BaseModel, Field

from ...delegation.service import STATES, DelegationService
from ..pagination import Paging, page_of
from ..security import CurrentUser, require
from .common import Id, ws_of

router = APIRouter(tags=["委托研判"])
HANDLER_ACTIONS = ("受理", "关联", "反馈", "退回")


@router.get("/delegations", summary="委托研判列表（按状态、逾期筛选）")
def delegations(request: Request, paging: Paging, user=require("delegation.read"),
                state: Annotated[Literal[STATES] | None, Query(description="状态")] = None,  # type: ignore[valid-type]
                overdue: bool = False) -> dict:
    rows = DelegationService(ws_of(request)).list(state=state, overdue=overdue)
    return page_of(rows, paging, allowed_sort=("request_id", "state", "deadline"))


@router.get("/delegations/{request_id}", summary="一项委托研判")
def delegation(request_id: Id, request: Request, user=require("delegation.read")) -> dict:
    return DelegationService(ws_of(request)).get(request_id)


class DelegationIn(BaseModel):
    question: str = Field(min_length=1, max_length=2000, description="研判问题")
    rule_text: str = Field("", max_length=4000, description="业务规则（文字）")
    data_needed: str = Field("", max_length=2000, description="需要的数据")
    deadline: date


@router.post("/delegations", status_code=201, summary="提交委托研判")
def submit(body: DelegationIn, request: Request, user=require("delegation.request")) -> dict:
    return DelegationService(ws_of(request)).submit(user.username, body.question, deadline=body.deadline,
                                                     rule_text=body.rule_text, data_needed=body.data_needed)


class DelegationAction(BaseModel):
    action: Literal["受理", "关联", "反馈", "办结", "退回"]
    model_ids: list[str] = Field(default_factory=list, max_length=100)
    run_ids: list[Annotated[int, Field(ge=1, le=2**62)]] = Field(default_factory=list, max_length=100)
    clue_ids: list[Annotated[int, Field(ge=1, le=2**62)]] = Field(default_factory=list, max_length=5000)
    note: str = Field("", max_length=4000, description="说明；退回时为理由")


@router.post("/delegations/{request_id}/actions", summary="受理、关联模型与运行、反馈线索包、办结、退回")
def act(request_id: Id, body: DelegationAction, request: Request, user=require("delegation.read")) -> dict:
    return apply_action(request, request_id, body, user)


def apply_action(request: Request, request_id: int, body: DelegationAction, user: CurrentUser) -> dict:
    """Run one delegation action after checking the finer action (handle vs request)."""
    needed = "delegation.handle" if body.action in HANDLER_ACTIONS else "delegation.request"
    request.app.state.authorizer.check(user, needed, request)
    svc = DelegationService(ws_of(request))
    if body.action == "受理":
        return svc.accept(request_id, user.username)
    if body.action == "关联":
        return svc.link(request_id, user.username, model_ids=body.model_ids, run_ids=body.run_ids)
    if body.action == "反馈":
        return svc.deliver(request_id, user.username, clue_ids=body.clue_ids or None, note=body.note)
    if body.action == "办结":
        return svc.close(request_id, user.username, body.note)
    return svc.reject(request_id, user.username, body.note)
