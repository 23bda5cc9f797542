"""Binding service: store, check, propose and look up an org's data binding for a model.

Bindings are per (model, org), versioned and append-only: every ``bind`` or ``unbind`` adds a version
with who, when, from where (命令行 / 网页 / 采用 / 可视化建模) and an audit record.  A run uses the newest
binding of the org it runs for, else the platform binding (made by the local operator without an
org), else the model file's own ``dataset:``/``fields:``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy.orm import Session

from ..catalog.schema import CatalogSchema
from ..db.base import utcnow
from ..db.models import ModelBinding, Org
from ..errors import InputError, NotFound, ShujianError, ValidationFailed
from ..security.audit import record as audit
from ..security.scope import Scope, current_scope, use_scope
from ..spec import Model
from ..workspace import Workspace
from .check import Issue, Resolution, check, expectations, type_warnings, validate
from .content import Inputs, apply_binding, default_inputs, normalise
from .propose import ProposalRow, propose

PLATFORM = ("平台", "platform")


class BindingRefused(ShujianError):
    """The acting user may not bind for that org (403)."""

    code = "forbidden"
    exit_code = 3


@dataclass
class Applied:
    """The binding a run or compilation uses: the bound model and what to record about it."""

    model: Model                                # the model re-pointed at the bound datasets and columns
    source: Model                               # the model as written (its hash identifies the run's model)
    inputs: Inputs | None                       # stored/given inputs (None: the model's own)
    record: dict = field(default_factory=dict)  # which binding, for the run record

    def title(self) -> str:
        r = self.record
        if r.get("version"):
            return f"模型 {self.source.id} 的数据绑定（{r['kind']}，{r.get('org')}，第 {r['version']} 版）不可用"
        if self.inputs:
            return f"模型 {self.source.id} 的数据绑定（{r['kind']}）不可用"
        return f"模型 {self.source.id} 的输入数据在目录中不全"


def scope_key(org_id: int | None) -> str:
    return "platform" if org_id is None else f"org:{org_id}"


def applying_row(s: Session, model_id: str, org_id: int | None) -> ModelBinding | None:
    """The binding version that applies to ``org_id``: its own, else the platform's (a removal = none)."""
    for key in dict.fromkeys([scope_key(org_id), scope_key(None)]):
        row = (s.query(ModelBinding).filter_by(model_id=model_id, scope_key=key)
               .order_by(ModelBinding.version.desc()).first())
        if row is not None and not row.removed:
            return row
    return None


def binding_dict(s: Session, row: ModelBinding) -> dict:
    org = s.get(Org, row.org_id) if row.org_id is not None else None
    return {"binding_id": row.id, "model_id": row.model_id, "org_id": row.org_id,
            "org": org.name if org else "平台（所有未单独绑定的院）", "version": row.version,
            "source": row.source, "by": row.created_by, "at": row.created_at.isoformat() if row.created_at else None,
            "note": row.note, "removed": row.removed, "inputs": row.inputs, "model_hash": row.model_hash}


def bound_for(s: Session, model: Model, org_id: int | None, given: Inputs | None = None) -> Applied:
    """The model as the org's run sees it: ``given`` inputs (a retry), else the org's binding."""
    if model.sql is not None:
        return Applied(model, model, None, {"kind": "模型默认", "note": "专家 SQL 模型按 SQL 中的数据集名称读取"})
    if given is not None:
        return Applied(apply_binding(model, given), model, given, {"kind": "指定", "org_id": org_id})
    row = applying_row(s, model.id, org_id)
    if row is None:
        return Applied(model, model, None, {"kind": "模型默认", "org_id": org_id})
    info = binding_dict(s, row)
    kind = "平台绑定" if row.org_id is None else "本院绑定"
    return Applied(apply_binding(model, row.inputs), model, row.inputs,
                   {"kind": kind, **{k: info[k] for k in ("binding_id", "org_id", "org", "version", "source",
                                                           "by", "at")}})


class BindingService:
    def __init__(self, ws: Workspace, clock: Callable[[], datetime] = utcnow):
        self.ws = ws
        self.clock = clock

    # -- reading ----------------------------------------------------------------------------------
    def current(self, ref: str | Model, org: str | int | None = None) -> dict:
        """The binding that applies to the org (own, platform, or the model's own) and its content."""
        model = self.load(ref)
        with self.ws.db.unit_of_work() as s:
            org_id = self._org(s, org)
            row = applying_row(s, model.id, org_id)
            out = binding_dict(s, row) if row is not None else {
                "binding_id": None, "model_id": model.id, "org_id": org_id, "version": None,
                "source": "模型默认", "inputs": {}}
            out["for_org_id"] = org_id
        out["default"] = default_inputs(model)
        out["effective"] = default_inputs(apply_binding(model, out["inputs"]))
        return out

    def history(self, model_id: str, org: str | int | None = None) -> list[dict]:
        """Every version of the org's binding for the model (and the platform's), newest first."""
        with self.ws.db.unit_of_work() as s:
            org_id = self._org(s, org)
            keys = list(dict.fromkeys([scope_key(org_id), scope_key(None)]))
            q = (s.query(ModelBinding).filter(ModelBinding.model_id == model_id, ModelBinding.scope_key.in_(keys))
                 .order_by(ModelBinding.id.desc()))
            return [binding_dict(s, r) for r in q]

    def check(self, ref: str | Model, inputs: Inputs | None, org: str | int | None = None) -> Resolution:
        """Check ``inputs`` (over the model's own) against the org's catalog; never raises for a bad binding."""
        model = self.load(ref)
        clean, problems = normalise(model, inputs)
        if problems:
            return Resolution({}, [Issue("", None, "role", p.message, at=p.location) for p in problems])
        org_id = self._org_id(org)
        return validate(model, clean, self._catalog(org_id), self._expect(model))

    def propose(self, ref: str | Model, given: Inputs | None = None,
                org: str | int | None = None) -> tuple[Inputs, list[ProposalRow], Resolution]:
        """An automatic proposal (kept: what ``given`` says), its rows for review and its check."""
        model = self.load(ref)
        clean, problems = normalise(model, given)
        if problems:
            raise ValidationFailed(problems, title=f"模型 {model.id} 的绑定写法有误")
        org_id = self._org_id(org)
        catalog, expect = self._catalog(org_id), self._expect(model)
        inputs, rows = propose(model, clean, catalog, expect)
        return inputs, rows, validate(model, inputs, catalog, expect)

    # -- writing ----------------------------------------------------------------------------------
    def bind(self, ref: str | Model, inputs: Inputs, *, org: str | int | None = None, source: str = "命令行",
             note: str | None = None, by: str | None = None, session: Session | None = None) -> dict:
        """Check and store a new binding version; raises ValidationFailed (every located problem).
        ``session``: store it (and its audit record) in the caller's transaction (an adoption)."""
        model = self.load(ref)
        if model.sql is not None:
            raise InputError(f"模型 {model.id} 是专家 SQL 模型，按 SQL 中的数据集名称读取，不能绑定",
                             hint="把 SQL 中的数据集名称改为本院的数据集名称，另存为本院的模型")
        clean, problems = normalise(model, inputs)
        if problems:
            raise ValidationFailed(problems, title=f"模型 {model.id} 的绑定写法有误")
        if not clean:
            raise InputError(f"没有给出模型 {model.id} 的任何绑定",
                             hint="用 --input 角色=数据集 与 --map 角色.字段=列，或 --auto 自动建议")
        org_id = self._org_id(org)
        res = validate(model, clean, self._catalog(org_id), self._expect(model))
        if not res.ok:
            raise res.failure(f"模型 {model.id} 的数据绑定未通过校验，未保存")
        stored = self._store(model, org_id, clean, source, note, removed=False, by=by, session=session)
        return {**stored, "warnings": res.warnings, "effective": res.inputs}

    def unbind(self, model_id: str, *, org: str | int | None = None, note: str | None = None,
               source: str = "命令行") -> dict:
        """Record a removal: the org's runs go back to the platform binding or the model's own names."""
        model = self.load(model_id)
        org_id = self._org_id(org)
        with self.ws.db.unit_of_work() as s:
            row = applying_row(s, model.id, org_id)
            if row is None or row.scope_key != scope_key(org_id):
                raise NotFound(f"模型 {model.id} 没有{self._org_words(s, org_id)}的数据绑定",
                               hint="用 shujian model binding 模型 查看当前绑定")
        return self._store(model, org_id, {}, source, note, removed=True)

    # -- internals --------------------------------------------------------------------------------
    def _store(self, model: Model, org_id: int | None, inputs: Inputs, source: str, note: str | None,
               removed: bool, by: str | None = None, session: Session | None = None) -> dict:
        from contextlib import nullcontext

        from ..runs.models import model_hash
        from ..security.scope import acting

        who = by or acting()[0]
        with nullcontext(session) if session is not None else self.ws.db.unit_of_work() as s:
            key = scope_key(org_id)
            last = (s.query(ModelBinding.version).filter_by(model_id=model.id, scope_key=key)
                    .order_by(ModelBinding.version.desc()).first())
            row = ModelBinding(model_id=model.id, org_id=org_id, scope_key=key, version=(last[0] if last else 0) + 1,
                               inputs=inputs, model_hash=model_hash(model), source=source, created_by=who,
                               created_at=self.clock(), note=note, removed=removed)
            s.add(row)
            s.flush()
            out = binding_dict(s, row)
            if not removed:
                _mark_adopted(s, model.id, org_id, inputs)
            audit(self.ws, "model.bind", target=f"model:{model.id}", org_id=org_id, actor=by,
                  detail={"version": out["version"], "org": out["org"], "source": source, "removed": removed,
                          "inputs": inputs}, session=s)
        return out

    def load(self, ref: str | Model) -> Model:
        """A model by id, file or object (the built-in library, the workspace's own models)."""
        if isinstance(ref, Model):
            return ref
        from ..runs.models import resolve_model

        with self.ws.db.unit_of_work() as s:
            return resolve_model(ref, s)[0]

    def _org_id(self, org: str | int | None) -> int | None:
        with self.ws.db.unit_of_work() as s:
            return self._org(s, org)

    def _org(self, s: Session, org: str | int | None) -> int | None:
        """The org a binding is for: the one named (within the acting user's scope), else the acting
        user's org, else the platform (the local operator)."""
        from ..orgs.service import find_org

        scope = current_scope()
        acting_user = scope is not None and bool(scope.username)
        if org is None or (isinstance(org, str) and not org.strip()):
            return scope.org_id if acting_user else None
        if isinstance(org, str) and org.strip() in PLATFORM:
            if acting_user:
                raise BindingRefused(f"用户 {scope.username} 不能设定平台绑定", hint="平台绑定由服务器上的操作员设定")
            return None
        from ..security.access import sees

        target = find_org(s, org)
        if acting_user and not sees(s, target, scope):       # the access layer: 本院及下级院 only
            raise BindingRefused(f"用户 {scope.username} 不能替 {target.name} 绑定数据",
                                 hint="只能为本院及下级院绑定")
        return target.id

    @staticmethod
    def _org_words(s: Session, org_id: int | None) -> str:
        org = s.get(Org, org_id) if org_id is not None else None
        return org.name if org else "平台"

    def _catalog(self, org_id: int | None) -> CatalogSchema:
        """The catalog as ``org_id`` sees it (its own and lower orgs' datasets, and shared ones)."""
        from ..catalog.service import CatalogService
        from ..orgs.service import descendants

        if org_id is None:
            return CatalogService(self.ws).schema()
        with self.ws.db.unit_of_work() as s:
            orgs = frozenset(descendants(s, org_id))
        with use_scope(Scope(username="", org_id=org_id, orgs=orgs)):
            return CatalogService(self.ws).schema()

    def _expect(self, model: Model):
        return expect_for(self.ws, model)


def expect_for(ws: Workspace, model: Model):
    """What each field needs, from the model's own datasets as catalogued here (names and types only:
    the model file names them already, so this reads no data of another org)."""
    from ..catalog.service import CatalogService

    with use_scope(None):
        defaults = CatalogService(ws).schema(names=sorted({i.dataset for i in model.inputs.values()}))
    return expectations(model, defaults)


def check_applied(ws: Workspace, applied: Applied, catalog: CatalogSchema) -> None:
    """Before compiling a run: every role and field of the applied binding resolves in ``catalog``.

    Raises ValidationFailed located on the binding (with suggestions); records the effective binding
    (every field's real column) in ``applied.record["inputs"]``.
    """
    if applied.source.sql is not None:
        return
    res = check(applied.source, applied.inputs or {}, catalog, _LazyExpect(ws, applied.source))
    if res.issues:
        raise res.failure(applied.title())
    applied.record["inputs"] = res.inputs


def explain_failure(ws: Workspace, applied: Applied, catalog: CatalogSchema, exc: ValidationFailed) -> ValidationFailed:
    """A compile failure of a bound model, with the fields bound to a column of another type named first."""
    if not applied.inputs:
        return exc
    res = Resolution(applied.record.get("inputs") or {})
    types = type_warnings(res, catalog, expect_for(ws, applied.source))
    if not types:
        return exc
    problems = [i.problem() for i in types] + list(exc.problems)
    out = ValidationFailed(problems, title=f"模型 {applied.source.id} 按数据绑定编译未通过（绑定的列类型不符）")
    out.hint = "改正绑定（shujian model bind），或在数据目录中改列的类型"
    return out


class _LazyExpect(dict):
    """Expectations computed only when a problem needs suggestions (a run that resolves reads none)."""

    def __init__(self, ws: Workspace, model: Model):
        super().__init__()
        self._ws, self._model, self._done = ws, model, False

    def __missing__(self, key):
        if not self._done:
            self._done = True
            self.update(expect_for(self._ws, self._model))
            if key in self:
                return self[key]
        raise KeyError(key)


def _mark_adopted(s: Session, model_id: str, org_id: int | None, inputs: Inputs) -> None:
    """A valid binding completes an adoption that lacked fields (缺字段 → 已采用)."""
    from ..db.models import GovModel, ModelAdoption

    if org_id is None:
        return
    gm = s.query(GovModel).filter_by(model_id=model_id).one_or_none()
    ad = s.query(ModelAdoption).filter_by(gov_model_id=gm.id, org_id=org_id).one_or_none() if gm else None
    if ad is not None:
        ad.status, ad.missing, ad.mapping = "已采用", [], inputs
