"""数据绑定 API: the acting org's binding of a model's input roles to its own datasets and columns."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from pydantic import BaseModel, Field

from ...bindings import BindingService
from ...bindings.check import issue_dict
from .. import catalogue
from ..security import require
from .common import ws_of

router = APIRouter(tags=["数据绑定"])
INPUTS_DOC = "{角色: {dataset: 数据集, fields: {字段: 列}}}；字段可写模型字段名或模型列名，未写的沿用模型默认"


class BindingIn(BaseModel):
    inputs: dict[str, dict[str, Any]] = Field(default_factory=dict, description=INPUTS_DOC)
    note: str | None = Field(None, max_length=500, description="说明（记入绑定版本）")
    org: str | None = Field(None, max_length=100, description="为哪个院绑定（默认本人所属院）")


class ProposeIn(BaseModel):
    inputs: dict[str, dict[str, Any]] = Field(default_factory=dict, description="已确定的部分：" + INPUTS_DOC)
    org: str | None = Field(None, max_length=100)


def _svc(request: Request) -> BindingService:
    return BindingService(ws_of(request))


@router.get("/models/{model_id}/binding", summary="当前适用的数据绑定（本院、平台或模型默认）与版本历史")
def current(model_id: str, request: Request, user=require("models.read")) -> dict:
    svc, model = _svc(request), catalogue.load(ws_of(request), model_id)
    out = svc.current(model)
    out["history"] = svc.history(model.id)
    return out


@router.post("/models/{model_id}/binding/check", summary="校验一个绑定（不保存）：定位到角色与字段的问题及建议")
def check(model_id: str, body: ProposeIn, request: Request, user=require("models.bind")) -> dict:
    res = _svc(request).check(catalogue.load(ws_of(request), model_id), body.inputs, org=body.org)
    return {"ok": res.ok, "effective": res.inputs, "issues": [issue_dict(i) for i in res.issues],
            "warnings": res.warnings}


@router.post("/models/{model_id}/binding/propose", summary="自动建议：按数据要素类型、列名与类型补全绑定，供确认")
def propose(model_id: str, body: ProposeIn, request: Request, user=require("models.bind")) -> dict:
    inputs, rows, res = _svc(request).propose(catalogue.load(ws_of(request), model_id), body.inputs, org=body.org)
    return {"inputs": inputs, "rows": [r.to_dict() for r in rows], "ok": res.ok,
            "issues": [issue_dict(i) for i in res.issues], "warnings": res.warnings}


@router.put("/models/{model_id}/binding", summary="保存数据绑定（新版本，留痕）")
def save(model_id: str, body: BindingIn, request: Request, user=require("models.bind")) -> dict:
    return _svc(request).bind(catalogue.load(ws_of(request), model_id), body.inputs, org=body.org,
                              source="接口", note=body.note)


@router.delete("/models/{model_id}/binding", summary="解除本院的数据绑定（记为新版本）")
def remove(model_id: str, request: Request, user=require("models.bind")) -> dict:
    return _svc(request).unbind(catalogue.load(ws_of(request), model_id).id, source="接口")
