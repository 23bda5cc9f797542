"""Checking a binding against an org's catalog (pure): located zh-CN problems with suggestions.

Every field of every required role must land on a column of the bound dataset.  What a field needs is
taken from the model: its own column name, its semantic type (身份证号 …, from the field's
``{semantic: …}``, the model's default dataset as catalogued, or the column name) and its type (from
the default dataset as catalogued, or implied by the semantic type).  Suggestions rank the dataset's
columns by semantic type (a strong hint), name similarity (rapidfuzz) and type.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from functools import lru_cache

from rapidfuzz import fuzz

from ..catalog.schema import CatalogSchema, ColumnSchema, DatasetSchema
from ..catalog.semantic import SEMANTIC_TYPES, detect_semantic
from ..compiler.types import ANY, family, norm, zh
from ..errors import Problem, ShujianError, ValidationFailed
from ..spec.model import FieldBinding, Input, Model
from .content import Inputs, apply_binding, field_default

#: the type a semantic type implies when the default dataset is not catalogued here
SEMANTIC_DTYPE = {"id_number": "VARCHAR", "uscc": "VARCHAR", "case_number": "VARCHAR", "plate_number": "VARCHAR",
                  "bank_card": "VARCHAR", "phone": "VARCHAR", "person_name": "VARCHAR", "date": "DATE",
                  "amount": "DOUBLE", "text": "VARCHAR"}
ACCEPT = 30.0        # lowest score a suggested column needs
DATASET_ACCEPT = 30.0  # lowest score a suggested dataset needs


@dataclass(frozen=True)
class Expect:
    """What one model field needs: its own column name, semantic type and type (None: unknown)."""

    column: str | None
    semantic: str | None
    dtype: str | None
    dtype_known: bool = False          # the type comes from the default dataset as catalogued

    def words(self) -> str:
        parts = [f"模型列“{self.column}”" if self.column else None,
                 f"数据要素 {SEMANTIC_TYPES[self.semantic].label}" if self.semantic in SEMANTIC_TYPES else None,
                 ZH_FAMILY.get(family(self.dtype)) if self.dtype else None]
        return "，".join(p for p in parts if p)


ZH_FAMILY = {"num": "数值", "time": "日期", "VARCHAR": "文本", "BOOLEAN": "是/否"}


@dataclass
class Issue:
    """One binding problem, located on a role's dataset or one of its fields."""

    role: str
    field: str | None
    kind: str                       # dataset | column | type | compile | role
    message: str
    suggestions: list[str] = field(default_factory=list)
    at: str | None = None           # a compiler location (compile problems), instead of the binding's

    @property
    def location(self) -> str:
        if self.at is not None:
            return self.at
        return f"binding.{self.role}" + (f".fields.{self.field}" if self.field else ".dataset")

    def problem(self) -> Problem:
        return Problem(self.location, self.message)


@dataclass
class Resolution:
    """The effective binding (every field → its real column) and what is wrong with it."""

    inputs: Inputs
    issues: list[Issue] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.issues

    def failure(self, title: str) -> ValidationFailed:
        exc = ValidationFailed([i.problem() for i in self.issues], title=title)
        exc.details["issues"] = [issue_dict(i) for i in self.issues]
        exc.hint = "逐项改正绑定（shujian model bind 模型 --input 角色=数据集 --map 角色.字段=列），或加 --auto 自动建议"
        return exc


def issue_dict(i: Issue) -> dict:
    return {"input": i.role, "field": i.field, "kind": i.kind, "location": i.location, "message": i.message,
            "suggestions": i.suggestions}


# ---------------------------------------------------------------- what the model needs
@lru_cache(maxsize=4096)
def name_semantic(name: str) -> str | None:
    """The semantic type a column name alone suggests (身份证号 → id_number), else None."""
    return detect_semantic(name, [])


def expectations(model: Model, defaults: CatalogSchema) -> dict[tuple[str, str], Expect]:
    """(role, field) → what the field needs; ``defaults`` holds the model's own datasets where catalogued."""
    out = {}
    for role, inp in model.inputs.items():
        ds = defaults.get(inp.dataset)
        for f, b in inp.fields.items():
            out[(role, f)] = _expect(b, ds)
    return out


def _expect(binding: str | FieldBinding, ds: DatasetSchema | None) -> Expect:
    if isinstance(binding, FieldBinding) and binding.semantic:
        hits = [c for c in ds.columns if c.semantic == binding.semantic] if ds else []
        dtype = norm(hits[0].dtype) if len(hits) == 1 else SEMANTIC_DTYPE.get(binding.semantic)
        return Expect(None, binding.semantic, dtype, len(hits) == 1)
    name = binding if isinstance(binding, str) else binding.column
    col = ds.column(name) if ds else None
    semantic = (col.semantic if col and col.semantic else None) or name_semantic(name)
    if col is not None and norm(col.dtype) != ANY:
        return Expect(name, semantic, norm(col.dtype), True)
    return Expect(name, semantic, SEMANTIC_DTYPE.get(semantic) if semantic else None)


# ---------------------------------------------------------------- ranking columns
def score_column(col: ColumnSchema, e: Expect) -> tuple[float, str]:
    """How well ``col`` fits a field: 100 for the same name, else semantic type + name + type."""
    if e.column and col.name == e.column:
        return 100.0, "同名"
    score, why = 0.0, []
    have = col.semantic or name_semantic(col.name)
    if e.semantic and have == e.semantic:
        score += 50 if col.semantic else 35
        why.append(f"数据要素 {SEMANTIC_TYPES[e.semantic].label}")
    elif e.semantic and col.semantic:
        score -= 20
    if e.column:
        ratio = fuzz.ratio(e.column, col.name)
        score += 0.4 * ratio
        if _within(e.column, col.name) or _within(col.name, e.column):
            score += 10            # 案由 ~ 案件事由, 区域 ~ 所属区域: every character kept, in order
        elif _shared_head(e.column, col.name):
            score += 10            # 羁押性质 ~ 羁押类别, 编号 ~ 编码: the same word first
        if ratio >= 50:
            why.append(f"名称相似 {ratio:.0f}")
    if e.dtype and norm(col.dtype) != ANY:
        if family(norm(col.dtype)) == family(e.dtype):
            score += 10
        else:
            score -= 40
            why.append(f"类型不符（{zh(norm(col.dtype))}）")
    return score, "、".join(why) or "—"


def _shared_head(a: str, b: str) -> bool:
    """Whether ``a`` and ``b`` begin alike for at least half of the shorter one (and two long)."""
    n = 0
    while n < min(len(a), len(b)) and a[n] == b[n]:
        n += 1
    return min(len(a), len(b)) >= 2 and n >= 1 and 2 * n >= min(len(a), len(b))


def _within(short: str, long: str) -> bool:
    """Whether ``short`` is a subsequence of ``long`` (all its characters, in order)."""
    it = iter(long)
    return len(short) >= 2 and all(ch in it for ch in short)


def ranked(ds: DatasetSchema, e: Expect, skip: frozenset[str] = frozenset()) -> list[tuple[str, float, str]]:
    """The columns of ``ds`` that could be the field, best first: (column, score, why)."""
    rows = [(c.name, *score_column(c, e)) for c in ds.columns if c.name not in skip]
    return sorted((r for r in rows if r[1] >= ACCEPT), key=lambda r: (-r[1], r[0]))


def _say(cols: list[tuple[str, float, str]], ds: DatasetSchema) -> str:
    if not cols:
        return f"（现有列：{'、'.join(ds.column_names[:20])}{' …' if len(ds.column_names) > 20 else ''}）"
    return "；可能是：" + "、".join(f"“{c}”（{why}）" for c, _, why in cols[:3])


# ---------------------------------------------------------------- checking
def check(model: Model, inputs: Inputs, catalog: CatalogSchema,
          expect: dict[tuple[str, str], Expect]) -> Resolution:
    """Every role's dataset and every field's column, resolved against ``catalog``; no compilation."""
    res = Resolution({})
    for role, inp in model.inputs.items():
        given = inputs.get(role) or {}
        name = given.get("dataset") or inp.dataset
        ds = catalog.get(name)
        if ds is None:
            if not inp.optional or given.get("dataset"):
                guesses = likely_datasets(role, inp, catalog, expect)
                res.issues.append(_missing_dataset(model, role, name, bool(given.get("dataset")), guesses))
            continue
        res.inputs[role] = {"dataset": ds.name, "fields": {}}
        for f, b in inp.fields.items():
            column = (given.get("fields") or {}).get(f)
            found, issue = _column(role, f, b, column, ds, lambda key=(role, f): expect[key])
            if issue is not None:
                res.issues.append(issue)
            res.inputs[role]["fields"][f] = found
    return res


def dataset_score(role: str, inp: Input, ds: DatasetSchema, expect: Mapping[tuple[str, str], Expect]) -> float:
    """How well ``ds`` could serve a role: share of its fields with a fitting column, and name likeness."""
    fits = [max((s for _, s, _ in ranked(ds, expect[(role, f)])[:1]), default=0.0) for f in inp.fields]
    coverage = sum(min(s, 100.0) for s in fits) / (100.0 * len(fits)) if fits else 0.0
    return 70 * coverage + 0.3 * fuzz.ratio(inp.dataset, ds.name)


def likely_datasets(role: str, inp: Input, catalog: CatalogSchema, expect: Mapping[tuple[str, str], Expect],
                    limit: int = 3) -> list[str]:
    """The catalog's datasets most likely to be the role's, best first (score ≥ DATASET_ACCEPT)."""
    scored = sorted(((dataset_score(role, inp, ds, expect), ds.name) for ds in catalog.datasets.values()),
                    key=lambda x: (-x[0], x[1]))
    return [n for score, n in scored if score >= DATASET_ACCEPT][:limit]


def _missing_dataset(model: Model, role: str, name: str, bound: bool, guesses: list[str]) -> Issue:
    said = f"；可能是：{'、'.join(f'“{g}”' for g in guesses)}" if guesses else ""
    if bound:
        msg = f"输入 {role} 绑定的数据集“{name}”不在本院数据目录中{said}"
    else:
        msg = (f"输入 {role} 需要数据集“{name}”（模型 {model.id} 的默认数据集），本院数据目录中没有{said}；"
               f"请把本院的数据集绑定到该输入（--input {role}=数据集）")
    return Issue(role, None, "dataset", msg, guesses)


def _column(role: str, f: str, binding, column: str | None, ds: DatasetSchema,
            e: Callable[[], Expect]) -> tuple[str | None, Issue | None]:
    """The column a field reads (None when missing) and the issue; ``e`` is asked only on a problem."""
    fix = f"请映射到“{ds.name}”中的一列（--map {role}.{f}=列名）"
    if column is not None:
        if ds.column(column) is not None:
            return column, None
        own = e()
        near = ranked(ds, Expect(column, own.semantic, own.dtype, own.dtype_known))     # near what was typed
        best = {c: (score, why) for c, score, why in ranked(ds, own)}
        for c, score, why in near:
            if score > best.get(c, (-1.0, ""))[0]:
                best[c] = (score, why)
        cols = sorted(((c, sc, why) for c, (sc, why) in best.items()), key=lambda r: (-r[1], r[0]))
        return None, Issue(role, f, "column", f"输入 {role} 的字段 {f} 映射到的列“{column}”不在数据集“{ds.name}”中"
                                              f"{_say(cols, ds)}", [c for c, _, _ in cols[:3]])
    if isinstance(binding, FieldBinding) and binding.semantic:
        hits = [c.name for c in ds.columns if c.semantic == binding.semantic]
        if len(hits) == 1:
            return hits[0], None
        label = SEMANTIC_TYPES[binding.semantic].label if binding.semantic in SEMANTIC_TYPES else binding.semantic
        found = f"有多列（{'、'.join(hits)}）" if hits else "没有"
        cols = [(c, 100.0, "数据要素相同") for c in hits] or ranked(ds, e())
        return None, Issue(role, f, "column", f"输入 {role} 的字段 {f} 没有映射：数据集“{ds.name}”中{found}数据要素类型为"
                                              f" {label} 的列{_say(cols, ds) if not hits else ''}；{fix}",
                           [c for c, _, _ in cols[:3]])
    own = field_default(binding)
    if ds.column(own) is not None:
        return own, None
    cols = ranked(ds, e())
    return None, Issue(role, f, "column", f"输入 {role} 的字段 {f} 没有映射：数据集“{ds.name}”中没有与模型列“{own}”"
                                          f"同名的列{_say(cols, ds)}；{fix}", [c for c, _, _ in cols[:3]])


def type_warnings(res: Resolution, catalog: CatalogSchema, expect: dict[tuple[str, str], Expect]
                  ) -> list[Issue]:
    """Fields bound to a column whose type differs from what the model uses (as issues of kind type)."""
    out = []
    for role, entry in res.inputs.items():
        ds = catalog.get(entry["dataset"])
        for f, column in entry["fields"].items():
            e = expect.get((role, f))
            col = ds.column(column) if ds and column else None
            if e is None or e.dtype is None or col is None or norm(col.dtype) == ANY:
                continue
            if family(norm(col.dtype)) != family(e.dtype):
                where = "模型默认数据集中该列" if e.dtype_known else "按数据要素，模型需要"
                out.append(Issue(role, f, "type", f"输入 {role} 的字段 {f} 映射到列“{column}”，类型为{zh(norm(col.dtype))}；"
                                                  f"{where}为{zh(e.dtype)}；请在数据目录中改该列的类型，或映射到"
                                                  f"“{ds.name}”中{ZH_FAMILY.get(family(e.dtype), zh(e.dtype))}类型的列",
                                 [c for c, _, _ in ranked(ds, e) if c != column][:3]))
    return out


def validate(model: Model, inputs: Inputs, catalog: CatalogSchema, expect: dict[tuple[str, str], Expect], *,
             dialect: str = "duckdb") -> Resolution:
    """:func:`check`, then compile the bound model: type conflicts found by the compiler are located on
    the binding (and the compiler's own problems follow).  Type differences that compile are warnings."""
    from ..compiler import compile_model

    res = check(model, inputs, catalog, expect)
    if res.issues or model.sql is not None:
        return res
    types = type_warnings(res, catalog, expect)
    try:
        compile_model(apply_binding(model, res.inputs), catalog, dialect)
    except ValidationFailed as exc:
        res.issues.extend(types)
        res.issues.extend(Issue("", None, "compile", f"按此绑定编译模型：{p.message}", at=p.location)
                          for p in exc.problems)
        return res
    except ShujianError as exc:
        res.issues.append(Issue("", None, "compile", f"按此绑定编译模型：{exc.message}", at=""))
        return res
    res.warnings = [i.message for i in types]
    return res
