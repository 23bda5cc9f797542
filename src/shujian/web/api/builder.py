"""可视化建模 API: open a model as a graph, validate a graph, preview any node, save."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query, Request
from pydantic import BaseModel, ConfigDict, Field

from ...catalog.service import CatalogService
from ...errors import InputError
from ...runs.service import RunService
from .. import builder, catalogue
from ..formatting import cn_semantic, cn_type
from ..security import require
from .common import ws_of

router = APIRouter(tags=["可视化建模"])
PREVIEW_LIMIT = 50


class NodeIn(BaseModel):
    """One canvas node; ``input``/``step``/``output`` hold model-language fragments."""

    model_config = ConfigDict(extra="allow")
    id: str = Field(min_length=1, max_length=100)
    kind: Literal["dataset", "filter", "keywords", "join", "anti", "interval", "entity_join", "aggregate", "derive",
                  "select", "window", "union", "distinct", "components", "text", "output"]
    label: str | None = Field(None, max_length=200, description="画布上显示的节点名（校验问题用它指明节点）")
    role: str | None = Field(None, max_length=100)
    input: dict[str, Any] | None = None
    step: dict[str, Any] | None = None
    output: dict[str, Any] | None = None
    x: float | None = None
    y: float | None = None


class EdgeIn(BaseModel):
    source: str = Field(min_length=1, max_length=100)
    target: str = Field(min_length=1, max_length=100)
    port: int = Field(1, ge=1, le=20, description="1 = 左侧/第一个输入，2 = 右侧 …")


class GraphIn(BaseModel):
    model: dict[str, Any] = Field(default_factory=dict, description="模型元数据：id、name、line、point …")
    nodes: list[NodeIn] = Field(default_factory=list, max_length=500)
    edges: list[EdgeIn] = Field(default_factory=list, max_length=2000)


class PreviewIn(GraphIn):
    node: str = Field(min_length=1, max_length=100, description="预览的节点 id")
    limit: int = Field(20, ge=1, le=PREVIEW_LIMIT)


@router.get("/builder/kinds", summary="画布上可用的算子")
def kinds(user=require("models.read")) -> dict:
    items = builder.kinds_meta()
    return {"items": items, "total": len(items)}


@router.get("/builder/graph/{model_id}", summary="打开模型：模型语言 → 画布图（数据集节点按本院的数据绑定）")
def graph(model_id: str, request: Request, user=require("models.read")) -> dict:
    return builder.model_to_graph(bound_model(ws_of(request), model_id))


def bound_model(ws, model_id: str):
    """The model as the acting org runs it: dataset nodes show the org's bound datasets and columns."""
    from ...bindings import BindingService, apply_binding

    model = catalogue.load(ws, model_id)
    return apply_binding(model, BindingService(ws).current(model)["inputs"])


@router.get("/builder/datasets", summary="画布数据集面板：数据集与列")
def datasets(request: Request, user=require("models.read"),
             q: Annotated[str | None, Query(max_length=100)] = None) -> dict:
    svc = CatalogService(ws_of(request))
    items = []
    for d in svc.list_datasets():
        if q and q not in d["name"]:
            continue
        cols = svc.describe(d["name"])["columns"]
        items.append({"name": d["name"], "rows": d["rows"], "sealed": d["sealed"],
                      "columns": [{"name": c["name"], "dtype": c["dtype"], "semantic": c["semantic"],
                                   "type": cn_semantic(c["semantic"]) or cn_type(c["dtype"])} for c in cols]})
    return {"items": items, "total": len(items)}


def with_model_id(ws, graph: dict) -> dict:
    """The graph with a model id: a new model (none given) gets one made from its name."""
    model = dict(graph.get("model") or {})
    if not str(model.get("id") or "").strip():
        model["id"] = builder.slug_for(str(model.get("name") or ""), lambda mid: _exists(ws, mid))
    return {**graph, "model": model}


def _exists(ws, model_id: str) -> bool:
    from ...errors import NotFound

    try:
        catalogue.load(ws, model_id)
    except NotFound:
        return False
    return True


@router.post("/builder/validate", summary="校验画布：结构与编译问题定位到节点；通过时返回模型文件与 SQL")
def validate(body: GraphIn, request: Request, user=require("models.build")) -> dict:
    ws = ws_of(request)
    run = RunService(ws)
    return builder.check(with_model_id(ws, body.model_dump(exclude_none=True)), lambda m: run.compile(m, binding=False))


@router.post("/builder/preview", summary="预览任一节点的前若干行（脱敏；密封数据不可预览）")
def preview(body: PreviewIn, request: Request, user=require("data.preview")) -> dict:
    from ...runs.preview import preview as preview_rows
    from ...runs.preview import preview_dataset

    ws = ws_of(request)
    graph = body.model_dump(exclude_none=True)
    node = next((n for n in graph["nodes"] if n.get("id") == body.node), None)
    if node is None:
        raise InputError(f"画布上没有节点 {body.node}", hint="刷新页面后重试")
    if node.get("kind") == "dataset":
        name = (node.get("input") or {}).get("dataset")
        if not name:
            raise InputError("数据集节点还没有选择数据集", hint="在右侧表单中选择数据集")
        return preview_dataset(ws, name, body.limit).to_dict()
    if node.get("kind") == "output":
        feeder = next((e["source"] for e in graph["edges"] if e.get("target") == body.node), None)
        if feeder is None:
            raise InputError("“输出线索”节点还没有连接上游步骤", hint="把最后一个步骤连到输出线索")
        body.node = feeder
        node = next(n for n in graph["nodes"] if n.get("id") == feeder)
    cut = builder.truncated(graph, body.node)
    checked = builder.check(cut, lambda m: RunService(ws).compile(m, binding=False))
    if not checked["ok"]:
        return {"ok": False, "problems": checked["problems"], "message": checked["message"]}
    model, _ = builder.graph_to_model(cut)
    return preview_rows(ws, model, builder.node_name(node), body.limit).to_dict()


@router.post("/builder/save", status_code=201, summary="保存画布为模型（模型语言，草稿版本）")
def save(body: GraphIn, request: Request, user=require("models.build")) -> dict:
    from ...governance.service import GovernanceService

    ws = ws_of(request)
    checked = builder.check(with_model_id(ws, body.model_dump(exclude_none=True)),
                            lambda m: RunService(ws).compile(m, binding=False))
    if not checked["ok"]:
        from ...errors import Problem, ValidationFailed

        exc = ValidationFailed([Problem(p["location"], p["message"]) for p in checked["problems"]],
                               title="模型未通过校验，未保存")
        exc.details["problems"] = checked["problems"]        # with the node each problem is on
        raise exc
    saved = GovernanceService(ws).save(checked["source"], user.username)
    return {"model_id": catalogue.load_source_id(checked["source"]), "revision": saved["number"],
            "name": (body.model or {}).get("name") or "",
            "source": checked["source"], "sql": checked["sql"]}


@router.post("/builder/bind", summary="把画布上数据集节点的数据集与列保存为本院的数据绑定（不改模型）")
def bind(body: GraphIn, request: Request, user=require("models.bind")) -> dict:
    from ...bindings import BindingService

    ws = ws_of(request)
    model_id = str((body.model or {}).get("id") or "")
    if not model_id:
        raise InputError("画布上的模型还没有编号", hint="先打开一个模型，或在右侧表单中填写模型编号并保存模型")
    inputs = builder.graph_inputs(body.model_dump(exclude_none=True))
    return BindingService(ws).bind(catalogue.load(ws, model_id), inputs, source="可视化建模")
