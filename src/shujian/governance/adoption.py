"""Adoption (复制推广): the adopting org's datasets and columns become its 数据绑定 for the model.

The mapping an org gives when it adopts a listed model is checked exactly like ``shujian model bind``
(against the adopting org's own catalog, with suggestions) and, when every required field resolves,
stored as the org's binding (source 采用) — the binding its runs then use.  When something is
missing, nothing is bound and every missing field is listed with what it needs and what could fit.
"""

from __future__ import annotations

from sqlalchemy.orm import Session

from ..bindings import BindingService, Issue
from ..spec import Model
from ..workspace import Workspace


def adopt_binding(ws: Workspace, model: Model, org_id: int, mapping: dict | None,
                  actor: str, session: Session | None = None) -> tuple[dict, list[dict], dict | None]:
    """(resolved mapping, missing fields, stored binding or None) for ``org_id`` adopting ``model``;
    ``session``: the binding is stored in the adoption's transaction (with its audit record)."""
    svc = BindingService(ws)
    res = svc.check(model, mapping or {}, org=org_id)
    if not res.ok:
        return res.inputs, [missing_dict(model, mapping or {}, i) for i in res.issues], None
    saved = svc.bind(model, res.inputs, org=org_id, source="采用", by=actor, note="采用已上架模型", session=session)
    return res.inputs, [], saved


def missing_dict(model: Model, mapping: dict, issue: Issue) -> dict:
    """One missing item: the input, the field, the dataset it was looked up in and the located message."""
    inp = model.inputs.get(issue.role)
    dataset = ((mapping.get(issue.role) or {}).get("dataset") or (inp.dataset if inp else None))
    return {"input": issue.role, "field": issue.field, "dataset": dataset, "kind": issue.kind,
            "location": issue.location, "message": issue.message, "suggestions": issue.suggestions}
