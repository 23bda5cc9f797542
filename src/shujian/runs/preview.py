"""Preview (预览): the first rows of a model's step or input, masked, never from sealed data.

The visual builder shows the rows any node produces; the web layer calls :func:`preview` here
instead of reaching the engine itself.  A step preview is the model cut after that step with a
probe output, compiled like a run (same catalog, same parameters) and executed with a LIMIT on the
DuckDB warehouse.  Nothing is stored: no run row, no clues.  Sealed datasets are refused (数据可用不
可见: models may compute over them, no one may look at their rows) and personal columns are masked
by their semantic type.

Masking follows column lineage (:mod:`shujian.compiler.lineage`), not column names: an output column
made from a masked column (``concat(person, '')``, ``substr(name, 1, 10)``, ``phone || ''``,
``upper(card)``) is masked like it, whatever it is called and whatever its type.  When the lineage
cannot be worked out every column is masked down to its first character (fail closed).  Identifiers
inside other text (a 备注 with a phone number) are masked too.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from ..catalog.masking import MASKERS, mask_derived, mask_rows
from ..catalog.schema import RAW_PREFIX
from ..catalog.service import CatalogService
from ..errors import InputError, ShujianError
from ..security.masking import refuse_adhoc_on_sealed, refuse_sealed
from ..spec import Model, load_model
from ..workspace import Workspace

PREVIEW_STEP = "preview__"
PREVIEW_KEY = "preview_key__"
MAX_LIMIT = 200


@dataclass
class Preview:
    """Rows of one preview; ``ok`` False carries the engine's message instead of rows."""

    columns: list[str] = field(default_factory=list)
    rows: list[list] = field(default_factory=list)
    ok: bool = True
    message: str | None = None

    def to_dict(self) -> dict:
        out: dict[str, Any] = {"ok": self.ok, "columns": self.columns, "rows": self.rows}
        if self.message:
            out["message"] = self.message
        return out


def hidden_column(name: str) -> bool:
    """Helper columns of the compiled SQL (probe key, rule, evidence row ids) not shown in previews."""
    return name in (PREVIEW_KEY, "_rule") or name.startswith("_ev_")


def preview(ws: Workspace, model: Model, node: str | None = None, limit: int = 20,
            params: dict[str, str] | None = None) -> Preview:
    """The first ``limit`` rows of ``node`` of ``model``, masked.

    ``node`` is a step id, an input role (the bound dataset's rows) or None (the step feeding the
    output).  Raises :class:`~shujian.security.masking.SealedData` for sealed inputs and
    :class:`InputError` for an unknown node; an engine failure comes back as ``ok`` False.
    """
    if not 1 <= limit <= MAX_LIMIT:
        raise InputError(f"预览行数 {limit} 超出范围", hint=f"取 1–{MAX_LIMIT} 行")
    if node is not None and node in model.inputs:
        return preview_dataset(ws, model.inputs[node].dataset, limit)
    refuse_adhoc_on_sealed(ws, [i.dataset for i in model.inputs.values()])
    probe = probe_model(model, node)
    return _execute(ws, probe, limit, params or {})


def preview_dataset(ws: Workspace, name: str, limit: int = 20) -> Preview:
    """The first rows of the newest version of dataset ``name``, masked; sealed data refused."""
    svc = CatalogService(ws)
    info = svc.describe(name)
    refuse_sealed(name, info["sealed"])
    cols, rows = svc.preview(name, limit=limit)
    sem = {c["name"]: c["semantic"] for c in info["columns"]}
    return Preview(cols, mask_rows(cols, sem, rows))


def probe_model(model: Model, node: str | None) -> Model:
    """``model`` cut after step ``node`` (None: the last step), ending in a probe output.

    Later steps are dropped; the probe derives a constant key so any row shape is a valid output.
    """
    data = model.model_dump(mode="json", by_alias=True, exclude_none=True)
    steps = data.get("steps") or []
    if model.sql is not None:
        raise InputError(f"模型 {model.id} 是专家 SQL 模型，不能按步骤预览", hint="在模型详情页运行试算")
    ids = [s["id"] for s in steps]
    if node is None:
        node = ids[-1] if ids else next(iter(model.inputs), None)
    if node in ids:
        steps = steps[:ids.index(node) + 1]
    elif node not in model.inputs:
        raise InputError(f"模型 {model.id} 没有步骤或输入“{node}”",
                         hint=f"可预览：{'、'.join([*model.inputs, *ids]) or '（无）'}")
    else:
        steps = []
    steps.append({"id": PREVIEW_STEP, "from": node, "derive": {"columns": {PREVIEW_KEY: "1"}}})
    data.update(steps=steps, output={"subject": {"type": "person", "key": PREVIEW_KEY}, "title": "预览"})
    data.setdefault("id", "preview")
    return load_model(data)


def _execute(ws: Workspace, model: Model, limit: int, params: dict[str, str]) -> Preview:
    from ..engines.duckdb_engine import DuckDBEngine
    from .service import RunService, _text_words

    # the canvas's datasets and columns as drawn (a stored 数据绑定 of the same model id is not applied)
    compiled = RunService(ws).compile(model, params=params, binding=False)
    sql = f"SELECT * FROM (\n{compiled.sql}\n) AS preview LIMIT {int(limit)}"
    try:
        with ws.warehouse() as con:
            table = DuckDBEngine(con, text_words=_text_words(ws, compiled)).execute(sql, compiled.parameters).table
    except ShujianError as exc:
        return Preview(ok=False, message=exc.message)
    cols = [c for c in table.column_names if not hidden_column(c)]
    data = table.select(cols).to_pylist()
    return Preview(cols, mask_by_lineage(ws, model, compiled, cols, [[r[c] for c in cols] for r in data]))


def mask_by_lineage(ws: Workspace, model: Model, compiled, cols: list[str], rows: list[list]) -> list[list]:
    """``rows`` masked by where each column comes from: a column made from masked columns (a copy or any
    computation) by :func:`~shujian.catalog.masking.mask_derived`, anything else scanned for embedded
    identifiers.  A column whose lineage is unknown is masked down to its first character (fail closed)."""
    from ..compiler.lineage import origins

    catalog = CatalogService(ws).schema([i.dataset for i in model.inputs.values()])
    found = origins(compiled.tree, catalog, compiled.dialect) if compiled.tree is not None else None
    semantic = column_semantics(catalog, model)
    plain: dict[str, str | None] = {}
    derived: dict[int, set[str]] = {}
    for i, col in enumerate(cols):
        origin = (found or {}).get(col)
        keys = ({semantic.get(src) for src in origin.sources} & set(MASKERS) if origin is not None
                else {"person_name", "id_number"})       # unknown: masked down to the first character
        if keys:
            derived[i] = keys
        else:
            plain[col] = None                            # nothing masked in it: scanned as free text
    masked = mask_rows(cols, plain, rows)
    for row, original in zip(masked, rows, strict=True):
        for i, keys in derived.items():
            row[i] = mask_derived(keys, original[i])
    return masked


def column_semantics(catalog, model: Model) -> dict[tuple[str, str], str | None]:
    """Semantic type of each catalog column ``(relation, column)`` the model reads: the catalog's, else
    the one its input binding declares; a column's ``_raw_`` twin (the value as delivered) has its type."""
    out = {(ds.relation, c.name): c.semantic for ds in catalog.datasets.values() for c in ds.columns}
    for inp in model.inputs.values():
        ds = catalog.get(inp.dataset)
        for binding in inp.fields.values():
            if ds is not None and not isinstance(binding, str) and binding.column and binding.semantic:
                out[(ds.relation, binding.column)] = out.get((ds.relation, binding.column)) or binding.semantic
    out |= {(rel, RAW_PREFIX + name): sem for (rel, name), sem in out.items()}
    return out
