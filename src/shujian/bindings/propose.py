"""An automatic binding proposal (自动建议), for the user to confirm (pure).

For each role without a dataset, the org's dataset that covers the role's fields best (semantic types,
column names, types) and whose name is closest to the model's own dataset; for each field without a
column, the best-ranked column (see :func:`shujian.bindings.check.ranked`), each column used once.
What was given explicitly is kept as given.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

from ..catalog.schema import CatalogSchema, DatasetSchema
from ..spec.model import Input, Model
from .check import DATASET_ACCEPT, Expect, dataset_score, ranked
from .content import Inputs, field_default


@dataclass
class ProposalRow:
    """One line of a proposal: where a field would be read from, and why."""

    role: str
    field: str
    model_column: str
    dataset: str | None
    column: str | None
    why: str
    score: float

    def to_dict(self) -> dict:
        return asdict(self)


def propose(model: Model, given: Inputs, catalog: CatalogSchema,
            expect: dict[tuple[str, str], Expect]) -> tuple[Inputs, list[ProposalRow]]:
    """The proposed inputs (given ∪ guessed) and one row per field for the user to review."""
    inputs: Inputs = {}
    rows: list[ProposalRow] = []
    chosen: dict[str, str] = {}            # dataset → the default dataset of the role that took it
    for role, inp in model.inputs.items():
        g = given.get(role) or {}
        name, why = (g["dataset"], "指定") if g.get("dataset") else _pick(role, inp, catalog, expect, chosen)
        ds = catalog.get(name) if name else None
        if ds is None:
            rows += [ProposalRow(role, f, field_default(b), name, None, "未找到数据集", 0.0)
                     for f, b in inp.fields.items()]
            continue
        chosen.setdefault(ds.name, inp.dataset)
        fields = _fields(role, inp, ds, dict(g.get("fields") or {}), expect)
        inputs[role] = {"dataset": ds.name, "fields": {f: c for f, (c, _, _) in fields.items() if c}}
        rows.append(ProposalRow(role, "（数据集）", inp.dataset, ds.name, None, why, 0.0))
        rows += [ProposalRow(role, f, field_default(b), ds.name, *fields[f]) for f, b in inp.fields.items()]
    return inputs, rows


def _fields(role: str, inp: Input, ds: DatasetSchema, given: dict[str, str],
            expect: dict[tuple[str, str], Expect]) -> dict[str, tuple[str | None, str, float]]:
    out: dict[str, tuple[str | None, str, float]] = {f: (c, "指定", 100.0) for f, c in given.items()}
    taken = set(given.values())
    options = sorted(((score, f, col, why) for f in inp.fields if f not in given
                      for col, score, why in ranked(ds, expect[(role, f)])), key=lambda o: (-o[0], o[1], o[2]))
    for score, f, col, why in options:
        if f not in out and col not in taken:
            out[f] = (col, why, round(score, 1))
            taken.add(col)
    for f in inp.fields:
        out.setdefault(f, (None, "没有合适的列", 0.0))
    return out


def _pick(role: str, inp: Input, catalog: CatalogSchema, expect: dict[tuple[str, str], Expect],
          chosen: dict[str, str]) -> tuple[str | None, str]:
    if inp.dataset in catalog.datasets:
        return inp.dataset, "同名"
    best: tuple[float, str] | None = None
    for ds in catalog.datasets.values():
        score = dataset_score(role, inp, ds, expect)
        if chosen.get(ds.name, inp.dataset) != inp.dataset:
            score -= 20               # already read by a role with another default dataset
        if best is None or score > best[0] or (score == best[0] and ds.name < best[1]):
            best = (score, ds.name)
    if best is None or best[0] < DATASET_ACCEPT:
        return None, "未找到数据集"
    return best[1], f"列覆盖与名称最接近（{best[0]:.0f} 分）"


