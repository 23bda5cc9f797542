"""What a binding says (pure): each input role → a dataset, each of its fields → a column.

A model's inputs are *roles* (``custody``, ``pension`` …) with *fields* (``person``, ``start`` …); the
model file's ``dataset:`` and ``fields:`` are its default binding.  A stored binding overrides them per
org with the same shape::

    {"custody": {"dataset": "在押人员名册", "fields": {"person": "公民身份号码", "start": "入监时间"}}}

A role left out keeps the model's own dataset; a field left out keeps the model's own column name
(or semantic type), looked up in the bound dataset.  Fields are named by their logical name
(``start``) or, as a convenience, by the model's own column name (``入所日期``).
"""

from __future__ import annotations

from rapidfuzz import process

from ..errors import Problem
from ..spec.model import FieldBinding, Input, Model

Inputs = dict[str, dict]     # {role: {"dataset": str | None, "fields": {field: column}}}


def field_default(binding: str | FieldBinding) -> str:
    """The model's own column for a field, in words: ``身份证号`` or ``语义:id_number``."""
    if isinstance(binding, str):
        return binding
    return binding.column if binding.column is not None else f"语义:{binding.semantic}"


def default_inputs(model: Model) -> Inputs:
    """The model file's own binding (``dataset:`` and ``fields:`` of every input role)."""
    return {role: {"dataset": inp.dataset, "fields": {f: field_default(b) for f, b in inp.fields.items()}}
            for role, inp in model.inputs.items()}


def apply_binding(model: Model, inputs: Inputs | None) -> Model:
    """``model`` with its inputs re-pointed at the bound datasets and columns (a rename pass: the
    steps, output and parameters are untouched, so the compiled logic is the model's own)."""
    if not inputs:
        return model
    bound: dict[str, Input] = {}
    for role, inp in model.inputs.items():
        given = inputs.get(role) or {}
        fields = {**inp.fields, **{f: c for f, c in (given.get("fields") or {}).items() if c}}
        bound[role] = Input(dataset=given.get("dataset") or inp.dataset, fields=fields, optional=inp.optional)
    return model.model_copy(update={"inputs": bound})


def normalise(model: Model, inputs: Inputs | None) -> tuple[Inputs, list[Problem]]:
    """Canonical inputs (logical field names, blanks dropped) and the roles/fields that do not exist."""
    out: Inputs = {}
    problems: list[Problem] = []
    for role, given in (inputs or {}).items():
        if role not in model.inputs:
            problems.append(Problem(f"binding.{role}", f"模型 {model.id} 没有输入角色 {role}"
                                    f"{_guess(role, list(model.inputs))}（输入角色：{'、'.join(model.inputs)}）"))
            continue
        entry: dict = {"fields": {}}
        if (given or {}).get("dataset"):
            entry["dataset"] = str(given["dataset"]).strip()
        for name, column in ((given or {}).get("fields") or {}).items():
            if column is None or not str(column).strip():
                continue
            field = field_name(model, role, name)
            if field is None:
                problems.append(Problem(f"binding.{role}.fields.{name}", _no_field(model, role, name)))
                continue
            entry["fields"][field] = str(column).strip()
        out[role] = entry
    return out, problems


def field_name(model: Model, role: str, name: str) -> str | None:
    """The logical field of ``role`` called ``name``, or whose model column is ``name``."""
    fields = model.inputs[role].fields
    if name in fields:
        return name
    hits = [f for f, b in fields.items() if field_default(b) == name]
    return hits[0] if len(hits) == 1 else None


def parse_options(model: Model, input_opts: list[str], map_opts: list[str]) -> tuple[Inputs, list[Problem]]:
    """``--input 角色=数据集`` and ``--map [角色.]字段=列`` into binding inputs.

    The role prefix of ``--map`` may be left out when only one role has that field (or model column).
    """
    raw: Inputs = {}
    problems: list[Problem] = []
    for item in input_opts:
        role, _, dataset = item.partition("=")
        if not _ or not role.strip() or not dataset.strip():
            problems.append(Problem("--input", f"“{item}”格式不对，应为 角色=数据集，例如 --input custody=在押人员名册"))
            continue
        raw.setdefault(role.strip(), {"fields": {}})["dataset"] = dataset.strip()
    for item in map_opts:
        left, _, column = item.partition("=")
        if not _ or not left.strip() or not column.strip():
            problems.append(Problem("--map", f"“{item}”格式不对，应为 角色.字段=列，例如 --map custody.start=入监时间"))
            continue
        role, field, problem = _map_target(model, left.strip())
        if problem:
            problems.append(problem)
            continue
        raw.setdefault(role, {"fields": {}})["fields"][field] = column.strip()
    inputs, more = normalise(model, raw)
    return inputs, problems + more


def _map_target(model: Model, left: str) -> tuple[str, str, Problem | None]:
    head, dot, tail = left.partition(".")
    if dot and head in model.inputs:
        return head, tail, None
    roles = [r for r in model.inputs if field_name(model, r, left) is not None]
    if len(roles) == 1:
        return roles[0], left, None
    if not roles:
        every = [f"{r}.{f}" for r, inp in model.inputs.items() for f in inp.fields]
        return "", "", Problem("--map", f"模型 {model.id} 的输入中没有字段“{left}”{_guess(left, every)}；"
                                        "写成 角色.字段=列，字段为模型的字段名或模型列名")
    return "", "", Problem("--map", f"字段“{left}”在多个输入角色中都有（{'、'.join(roles)}），"
                                    f"请写明角色，例如 --map {roles[0]}.{left}=列名")


def _no_field(model: Model, role: str, name: str) -> str:
    fields = model.inputs[role].fields
    listed = "、".join(f"{f}（{field_default(b)}）" for f, b in fields.items())
    return f"输入 {role} 没有字段“{name}”{_guess(name, list(fields))}（字段：{listed}）"


def _guess(name: str, choices: list[str]) -> str:
    best = process.extractOne(name, choices, score_cutoff=50) if choices else None
    return f"，是否指“{best[0]}”？" if best else ""
