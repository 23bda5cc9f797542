"""模型库: cards, detail, model file, generated SQL, validation, versions, certification, adoption."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query, Request
from pydantic import BaseModel, Field

from ...clues.service import ClueService
from ...errors import ShujianError
from ...governance.versions import parse_source
from ...runs.service import RunService
from .. import catalogue
from ..pagination import Paging, filter_rows, page_of
from ..security import require
from .common import ws_of

router = APIRouter(tags=["模型"])
Dialect = Literal["duckdb", "spark", "postgres"]


@router.get("/models", summary="模型库（分页、按业务条线/状态筛选）")
def models(request: Request, paging: Paging, user=require("models.read"),
           line: Annotated[str | None, Query(max_length=50, description="业务条线")] = None,
           state: Annotated[str | None, Query(max_length=20, description="认证/上架状态")] = None,
           q: Annotated[str | None, Query(max_length=100, description="名称或监督点包含")] = None) -> dict:
    rows = filter_rows(catalogue.cards(ws_of(request)), line=line, state=state)
    if q:
        rows = [r for r in rows if q in r["name"] or q in r["point"] or q in r["model_id"]]
    return page_of(rows, paging, allowed_sort=("model_id", "name", "line", "clues", "state"))


@router.get("/models/{model_id}", summary="模型详情：规则、模型文件、认证、版本")
def model(model_id: str, request: Request, user=require("models.read")) -> dict:
    ws = ws_of(request)
    m = catalogue.load(ws, model_id)
    gov = catalogue.governed_row(ws, model_id)
    out = catalogue.card(m, gov, 0, gov is None)
    out["clues"] = ClueService(ws).count(model_id)
    out["spec"] = m.model_dump(mode="json", by_alias=True, exclude_none=True)
    out["source"] = catalogue.source(ws, model_id)
    out["params"] = {k: p.model_dump(mode="json") for k, p in m.params.items()}
    out["governance"] = governance_of(ws, model_id)
    return out


def governance_of(ws, model_id: str) -> dict | None:
    from ...governance.service import GovernanceService

    svc = GovernanceService(ws)
    try:
        info = svc.get(model_id)
    except ShujianError:
        return None
    info["revisions"] = svc.revisions(model_id)
    return info


@router.get("/models/{model_id}/sql", summary="生成的 SQL（按方言）")
def model_sql(model_id: str, request: Request, user=require("models.read"), dialect: Dialect = "duckdb") -> dict:
    ws = ws_of(request)
    compiled = RunService(ws).compile(catalogue.load(ws, model_id), dialect)
    return {"model_id": model_id, "dialect": dialect, "sql": compiled.sql, "parameters": compiled.parameters,
            "datasets": compiled.datasets}


class SourceIn(BaseModel):
    source: str = Field(min_length=1, max_length=200_000, description="模型文件（YAML 或 JSON）")


@router.post("/models/validate", summary="校验模型文件（结构 + 编译），返回定位到的问题")
def validate(body: SourceIn, request: Request, user=require("models.read")) -> dict:
    ws = ws_of(request)
    try:
        m = parse_source(body.source)
        compiled = RunService(ws).compile(m)
    except ShujianError as exc:
        return {"ok": False, "message": exc.message, "problems": exc.details.get("problems", [])}
    return {"ok": True, "model_id": m.id, "problems": [], "sql": compiled.sql}


@router.post("/models", status_code=201, summary="保存模型为草稿版本（模型治理）")
def save(body: SourceIn, request: Request, user=require("models.build")) -> dict:
    from ...governance.service import GovernanceService

    return GovernanceService(ws_of(request)).save(body.source, user.username)


class CertifyIn(BaseModel):
    kind: Literal["业务认证", "数字认证"]
    evaluations: dict[str, dict[str, Any]] = Field(description="建模必要性/技术可行性/线索准确性 → {passed, comment}")
    comment: str = Field("", max_length=2000)


class AdvanceIn(BaseModel):
    action: Literal["提交", "试运行", "上架", "推广", "下架", "退回"]
    scope: Literal["市", "省", "全国"] | None = None
    reason: str | None = Field(None, max_length=2000)


class AdoptIn(BaseModel):
    org: str = Field(min_length=1, max_length=100, description="院的代码或名称")
    mapping: dict[str, Any] = Field(default_factory=dict, description="{角色: {dataset, fields: {字段: 列}}}")


@router.post("/models/{model_id}/certify", summary="业务认证 / 数字认证（三轮评估）")
def certify(model_id: str, body: CertifyIn, request: Request, user=require("models.certify")) -> dict:
    from ...governance.service import GovernanceService

    return GovernanceService(ws_of(request)).certify(model_id, body.kind, user.username, body.evaluations,
                                                     body.comment)


@router.post("/models/{model_id}/advance", summary="提交、试运行、上架、推广、下架、退回")
def advance(model_id: str, body: AdvanceIn, request: Request, user=require("models.certify")) -> dict:
    from ...governance.service import GovernanceService

    svc = GovernanceService(ws_of(request))
    if body.action == "提交":
        return svc.submit(model_id, user.username)
    return svc.advance(model_id, body.action, user.username, scope=body.scope, reason=body.reason)


@router.post("/models/{model_id}/adopt", summary="采用模型（输入映射，报告缺失字段）")
def adopt(model_id: str, body: AdoptIn, request: Request, user=require("models.adopt")) -> dict:
    from ...governance.service import GovernanceService

    return GovernanceService(ws_of(request)).adopt(model_id, body.org, user.username, body.mapping)


@router.get("/ledger", summary="模型台账")
def ledger(request: Request, paging: Paging, user=require("models.read")) -> dict:
    from ...governance.service import GovernanceService

    return page_of(GovernanceService(ws_of(request)).ledger(), paging,
                   allowed_sort=("number", "model_id", "clues", "state"))
