"""Adoption (复制推广): map an org's own datasets and columns onto a model's inputs."""

from __future__ import annotations

from ..catalog.schema import CatalogSchema
from ..spec import Model
from ..spec.model import FieldBinding


def check_mapping(model: Model, catalog: CatalogSchema, mapping: dict) -> tuple[dict, list[dict]]:
    """Resolve ``mapping`` (``{role: {dataset, fields: {field: column}}}``) against the catalog.

    Unmapped roles and fields default to the model's own bindings.  Returns the resolved mapping and
    the missing required fields, each naming the input, the field, the dataset and what it needs.
    """
    resolved: dict = {}
    missing: list[dict] = []
    for role, inp in model.inputs.items():
        given = mapping.get(role) or {}
        name = given.get("dataset") or inp.dataset
        ds = catalog.get(name)
        fields: dict[str, str | None] = {}
        for field, binding in inp.fields.items():
            column, semantic, needs = _want(binding, (given.get("fields") or {}).get(field))
            found = _find(ds, column, semantic) if ds is not None else None
            fields[field] = found
            if found is None:
                why = f"数据集“{name}”不在目录中（需要{needs}）" if ds is None else f"数据集“{name}”中没有{needs}"
                missing.append({"input": role, "field": field, "dataset": name, "needs": needs,
                                "message": f"输入 {role} 的字段 {field}：{why}"})
        resolved[role] = {"dataset": name, "fields": fields}
    return resolved, missing


def _want(binding, override: str | None) -> tuple[str | None, str | None, str]:
    """(column, semantic type, what is needed in words) for one model field."""
    if override:
        return override, None, f"列“{override}”"
    if isinstance(binding, FieldBinding):
        if binding.semantic:
            return None, binding.semantic, f"语义类型为 {binding.semantic} 的列"
        return binding.column, None, f"列“{binding.column}”"
    return str(binding), None, f"列“{binding}”"


def _find(ds, column: str | None, semantic: str | None) -> str | None:
    if column is not None:
        return column if ds.column(column) is not None else None
    return next((c.name for c in ds.columns if c.semantic == semantic), None)
