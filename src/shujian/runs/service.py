"""Runs: compile a model against the catalog, execute it on an engine, store its clues atomically.

A run row is written first (status ``running``); clues and the final status are written together
in one transaction, so a crashed or cancelled run leaves no clues and shows as failed/cancelled.
"""

from __future__ import annotations

import logging
import os
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from ..bindings.service import Applied, bound_for, check_applied, explain_failure
from ..catalog.service import CatalogService
from ..clues.render import render_title
from ..clues.store import MAX_EVIDENCE_PER_ROLE, ClueCandidate, ClueWriter, is_empty_key, keyless_key
from ..db.base import utcnow
from ..db.models import DatasetVersion, Run
from ..errors import Cancelled, InputError, RunFailed, ShujianError, UnsafeSQL, ValidationFailed
from ..security.access import load_visible, restrict
from ..security.audit import record as audit
from ..security.masking import check_sealed_run
from ..security.scope import current_scope
from ..spec import Model
from ..workspace import Workspace, pid_alive
from .models import record_version, resolve_model

ENGINES = ("duckdb", "spark")
_log = logging.getLogger(__name__)
STORE_BATCH = 50_000        # output rows turned into clues and stored per batch (one transaction for all)


class _Shared:
    """What every output row of one run shares: computed once, not per row."""

    def __init__(self, model: Model, compiled):
        self.rule_column = getattr(compiled, "rule_column", None)
        self.evidence_columns = _evidence_columns(compiled)
        self.legal_basis = [lb.model_dump() for lb in model.legal_basis]


def stable_order(table, first: tuple[str | None, ...] = ()):
    """The run's output rows in one order whatever the engine's threads did: by ``first`` (subject key,
    rule), then by every other column that can be sorted (lists of evidence row ids cannot).

    Clue ids are given in this order, and where two rows make the same clue the last one's facts are
    kept, so two runs of the same model on the same data number and fill their clues alike (the demo's
    workflow, seeded per clue id, then works the same clues the same way)."""
    import pyarrow as pa

    if table.num_rows < 2:
        return table
    names = table.column_names
    nested = (pa.types.is_nested, pa.types.is_binary, pa.types.is_large_binary, pa.types.is_null)
    sortable = [n for n in names if not any(test(table.schema.field(n).type) for test in nested)]
    keys = [n for n in first if n in sortable] + [n for n in sortable if n not in first]
    if not keys:
        return table
    return table.sort_by([(n, "ascending") for n in keys])


@dataclass
class RunResult:
    run_id: int
    model_id: str
    status: str
    clues_new: int
    clues_seen: int
    rows_scanned: int
    rows_out: int
    seconds: float
    peak_memory_mb: float | None
    error: str | None = None
    keyless_rows: int = 0
    binding: dict | None = None
    sandbox: bool = False          # 沙箱运行: rows_out results kept for the starter, no clues written

    def to_dict(self) -> dict:
        return {"run_id": self.run_id, "model_id": self.model_id, "status": self.status,
                "clues_new": self.clues_new, "clues_seen": self.clues_seen, "rows_scanned": self.rows_scanned,
                "rows_out": self.rows_out, "seconds": self.seconds, "peak_memory_mb": self.peak_memory_mb,
                "error": self.error, "keyless_rows": self.keyless_rows, "binding": self.binding,
                "sandbox": self.sandbox}


class RunService:
    def __init__(self, ws: Workspace, clock: Callable[[], datetime] = utcnow):
        self.ws = ws
        self.catalog = CatalogService(ws)
        self.clock = clock

    # -- public -----------------------------------------------------------------------------------
    def compile(self, ref: str | Model, dialect: str = "duckdb", params: dict[str, str] | None = None,
                dataset_versions: dict[str, int] | None = None, *, binding: bool | dict = True):
        """SQL of ``ref`` for the acting org; ``binding``: True = the org's 数据绑定, False = the model's
        own dataset and column names (the builder's canvas), a dict = these binding inputs."""
        model, _ = self._model(ref)
        return self._compile(self._applied(model, binding), dialect, params or {}, dataset_versions or {})[0]

    def run(self, ref: str | Model, *, params: dict[str, str] | None = None,
            dataset_versions: dict[str, int] | None = None, engine: str | None = None,
            progress: Callable[[float], None] | None = None, cancel: threading.Event | None = None,
            schedule_id: int | None = None, retry_of: int | None = None,
            binding: bool | dict = True, sandbox: bool = False) -> RunResult:
        """Compile and execute ``ref`` through the binding of the org it runs for (see :meth:`compile`);
        validation errors are raised before any run is recorded.  ``sandbox``: 沙箱运行 — the output is kept
        as results of the run (runs.sandbox), seen by the starter, and becomes clues only when published."""
        self.recover_interrupted()
        engine = engine or self.ws.settings.engine  # None: the workspace default (SHUJIAN_ENGINE)
        if engine not in ENGINES:
            raise InputError(f"引擎“{engine}”不存在", hint=f"可选：{'、'.join(ENGINES)}")
        source, builtin = self._model(ref)
        _check_not_delisted(self.ws, source.id)
        applied = self._applied(source, binding)
        compiled, catalog, typed = self._compile(applied, "spark" if engine == "spark" else "duckdb",
                                                 params or {}, dataset_versions or {})
        model = applied.model
        check_sealed_run(self.ws, model.id, builtin, read_datasets(model, compiled))
        inputs = self._input_versions(model, catalog, compiled)
        run_id = self._start(source, builtin, compiled.sql, typed, inputs, engine, schedule_id, retry_of,
                             applied.record, sandbox)
        try:
            execution = self._execute(engine, compiled, catalog, progress, cancel)
            return self._finish(run_id, model, compiled, execution, inputs, applied.record, sandbox)
        except Cancelled as exc:
            self._fail(run_id, "cancelled", exc.message)
            raise
        except KeyboardInterrupt:
            self._fail(run_id, "cancelled", "运行被中断（Ctrl-C）")
            raise Cancelled("运行已取消（Ctrl-C）；未写入任何线索，可重新运行") from None
        except RunFailed as exc:
            failed = RunFailed(f"模型 {model.id}：{exc.message}", sql=exc.sql, hint=exc.hint)
            self._fail(run_id, "failed", str(failed))
            raise failed from None
        except ShujianError as exc:
            self._fail(run_id, "failed", str(exc))
            raise
        except Exception as exc:
            # an unexpected error's text may carry row values (a driver error lists its parameters):
            # the record and the caller get its kind only; the server log keeps the traceback
            _log.exception("模型 %s 的运行 %s 失败", model.id, run_id)
            failed = RunFailed(f"模型 {model.id}：写入运行结果时出错（{type(exc).__name__}）；出错行的值不予显示",
                               hint="详细原因见服务器日志；可重试")
            self._fail(run_id, "failed", str(failed))
            raise failed from None
        except BaseException as exc:
            self._fail(run_id, "failed", f"运行中断（{type(exc).__name__}）")
            raise

    def retry(self, run_id: int, **kw) -> RunResult:
        with self.ws.db.unit_of_work() as s:
            run = load_visible(s, current_scope(), Run, run_id)
            if run.status in ("running", "succeeded"):
                raise InputError(f"运行 {run_id} 的状态是 {run.status}，只能重试失败、取消或中断的运行")
            model_id, params, engine = run.model_id, run.params, run.engine
            versions = {role: v["version"] for role, v in (run.dataset_versions or {}).items()}
            used = (run.binding or {}).get("inputs")
            kw.setdefault("sandbox", bool(run.sandbox))       # a sandbox run is retried in the sandbox
        kw.setdefault("binding", used if used else True)     # the same datasets and columns as the failed run
        return self.run(model_id, params={k: _param_text(v) for k, v in params.items()},
                        dataset_versions=versions, engine=engine, retry_of=run_id, **kw)

    def recover_interrupted(self) -> list[int]:
        """Runs whose process died are marked failed (interrupted) so they can be retried; each with its
        ``model.run`` record (actor 系统: found by whoever ran next) in the same transaction."""
        with self.ws.db.unit_of_work() as s:
            dead = [r for r in s.query(Run).filter_by(status="running") if not pid_alive(r.pid)]
            for r in dead:
                r.status, r.error, r.finished_at = "failed", "运行进程意外退出（中断）；未写入线索，可重试", utcnow()
                audit(self.ws, "model.run", actor="系统", org_id=r.org_id, target=f"run:{r.id}", outcome="中断",
                      detail={"model_id": r.model_id, "status": "failed", "error": r.error}, session=s)
            return [r.id for r in dead]

    def list_runs(self, model_id: str | None = None, limit: int = 50) -> list[dict]:
        """Run history, newest first, within the acting user's org scope (本院及下级院, plus platform runs)."""
        with self.ws.db.unit_of_work() as s:
            q = restrict(s.query(Run), Run).order_by(Run.id.desc())
            if model_id:
                q = q.filter_by(model_id=model_id)
            return [_run_dict(r) for r in q.limit(limit)]

    def get_run(self, run_id: int) -> dict:
        with self.ws.db.unit_of_work() as s:
            r = load_visible(s, current_scope(), Run, run_id)      # a sibling org's run: as if missing
            return {**_run_dict(r), "sql": r.sql, "dataset_versions": r.dataset_versions, "binding": r.binding}

    # -- steps ------------------------------------------------------------------------------------
    def _model(self, ref: str | Model) -> tuple[Model, bool]:
        if isinstance(ref, Model):
            return ref, False
        with self.ws.db.unit_of_work() as s:
            return resolve_model(ref, s)

    def _applied(self, model: Model, binding: bool | dict) -> Applied:
        """The binding of the org the run is for (see :func:`run_org`), or none / the given inputs."""
        with self.ws.db.unit_of_work() as s:
            org_id = run_org(s, model.id)
            if binding is False:
                return Applied(model, model, None, {"kind": "模型默认", "org_id": org_id})
            return bound_for(s, model, org_id, binding if isinstance(binding, dict) else None)

    def _compile(self, applied: Applied, dialect: str, raw_params: dict[str, str], versions: dict[str, int]):
        from ..compiler import check_params, compile_model

        model = applied.model
        unknown_roles = sorted(set(versions) - set(model.inputs))
        if unknown_roles:
            raise InputError(f"--dataset-version 指定的角色 {'、'.join(unknown_roles)} 不是模型的输入",
                             hint=f"模型输入角色：{'、'.join(model.inputs) or '（无）'}")
        by_dataset = {model.inputs[role].dataset: v for role, v in versions.items()}
        catalog = self.catalog.schema(versions=by_dataset)
        typed = check_params(model, raw_params)
        check_applied(self.ws, applied, catalog)
        try:
            compiled = compile_model(model, catalog, dialect, params=typed)
        except UnsafeSQL:
            raise
        except ValidationFailed as exc:
            raise explain_failure(self.ws, applied, catalog, exc) from None
        return compiled, catalog, typed

    @staticmethod
    def _input_versions(model: Model, catalog, compiled) -> dict[str, dict]:
        """Role → dataset version actually read (raw SQL models: keyed by dataset name)."""
        roles = {role: inp.dataset for role, inp in model.inputs.items()}
        if model.sql:
            roles.update({name: name for name in getattr(compiled, "datasets", []) if name not in roles.values()})
        out = {}
        for role, name in roles.items():
            ds = catalog.get(name)
            if ds is not None:
                out[role] = {"dataset": ds.name, "version": ds.version, "version_id": ds.version_id}
        return out

    def _start(self, model, builtin, sql, typed, inputs, engine, schedule_id, retry_of, binding: dict,
               sandbox: bool = False) -> int:
        from .sandbox import starter

        with self.ws.db.unit_of_work() as s:
            mv = record_version(s, model, builtin)
            run = Run(model_id=model.id, model_version_id=mv.id, model_hash=mv.hash,
                      params={k: _json_param(v) for k, v in typed.items()}, dataset_versions=inputs,
                      engine=engine, sql=sql, status="running", pid=os.getpid(), started_at=self.clock(),
                      schedule_id=schedule_id, retry_of=retry_of, org_id=run_org(s, model.id), binding=binding,
                      sandbox=sandbox, started_by=starter(s))
            s.add(run)
            s.flush()
            return run.id

    def _execute(self, engine: str, compiled, catalog, progress, cancel):
        if engine == "spark":
            from ..engines import spark_engine  # optional extra: shujian[spark]

            return spark_engine.execute_compiled(self.ws, compiled, catalog, progress=progress, cancel=cancel)
        from ..engines.duckdb_engine import DuckDBEngine

        words = _text_words(self.ws, compiled)
        if compiled.sql is not None and "sql" in (getattr(compiled, "capabilities", None) or ()):
            # expert SQL: on a connection that holds only the datasets it was checked to read
            from ..engines.isolated import isolated_connection, relations_for

            with isolated_connection(self.ws, relations_for(compiled, catalog)) as con:
                return DuckDBEngine(con, text_words=words, locked=True).execute(
                    compiled.sql, compiled.parameters, progress=progress, cancel=cancel)
        with self.ws.warehouse() as con:
            _require_registry(con, compiled)
            return DuckDBEngine(con, text_words=words).execute(compiled.sql, compiled.parameters,
                                                               plan=getattr(compiled, "staged", None),
                                                               progress=progress, cancel=cancel)

    def _finish(self, run_id: int, model: Model, compiled, execution, inputs: dict, binding: dict,
                sandbox: bool = False) -> RunResult:
        from .sandbox import ResultWriter

        table = stable_order(execution.table, (model.output.subject.key, getattr(compiled, "rule_column", None)))
        keyless = 0
        with self.ws.db.unit_of_work() as s:
            scanned = self._rows_scanned(s, inputs)
            writer = ResultWriter(s, run_id) if sandbox else ClueWriter(s, run_id)
            shared = _Shared(model, compiled)
            for batch in table.to_batches(max_chunksize=STORE_BATCH):   # bounded memory for large outputs
                candidates = [self._candidate(model, compiled, row, inputs, shared) for row in batch.to_pylist()]
                keyless += sum(c.keyless for c in candidates)
                writer.add(candidates)
            stored = writer.result
            run = s.get(Run, run_id)
            run.status, run.finished_at = "succeeded", self.clock()
            run.seconds, run.rows_scanned, run.rows_out = execution.seconds, scanned, table.num_rows
            run.clues_new, run.clues_seen = stored.new, stored.seen + stored.suppressed + stored.reopened
            run.peak_memory_mb, run.keyless_rows = execution.peak_memory_mb, keyless
            if sandbox:                  # no clue yet: counted when published
                run.clues_new = run.clues_seen = None
            # with the stored clues: a run's clues and its audit record commit together
            audit(self.ws, "model.run", target=f"run:{run_id}", session=s,
                  detail={"model_id": model.id, "status": "succeeded", "clues_new": stored.new,
                          "rows_out": table.num_rows, "datasets": sorted({v["dataset"] for v in inputs.values()}),
                          "binding": _binding_brief(binding), **({"sandbox": True} if sandbox else {})})
            seen = run.clues_seen or 0
        return RunResult(run_id, model.id, "succeeded", stored.new, seen, scanned, table.num_rows,
                         execution.seconds, execution.peak_memory_mb, keyless_rows=keyless,
                         binding=_binding_brief(binding), sandbox=sandbox)

    def _candidate(self, model: Model, compiled, row: dict, inputs: dict, shared: _Shared | None = None) -> ClueCandidate:
        shared = shared or _Shared(model, compiled)
        out = model.output
        rule_col = shared.rule_column
        if rule_col and rule_col in row:
            rule = str(row.get(rule_col) or "")
        else:
            rule = out.rule if isinstance(out.rule, str) else str(row.get(out.rule.column) or "")
        key = row.get(out.subject.key)
        facts = {f: row.get(f) for f in out.facts}
        evidence, sources = [], []
        ev_columns = shared.evidence_columns
        for role, column, is_list in ev_columns:
            value = row.get(column)
            ids = value if is_list else [value]
            info = inputs.get(role)
            if not info or ids is None:
                continue
            ids = [int(i) for i in ids if i is not None]
            sources += [(info["version_id"], i) for i in ids]
            evidence += [(role, info["dataset"], info["version_id"], i) for i in ids[:MAX_EVIDENCE_PER_ROLE]]
        keyless = is_empty_key(key)
        if keyless:          # never merged with another row: its own identity from its source rows
            hidden = {c for _, c, _ in ev_columns}
            key = keyless_key(sources, {k: v for k, v in row.items() if k not in hidden})
        return ClueCandidate(
            model_id=model.id, rule=rule, subject_type=out.subject.type, subject_key=str(key),
            subject_name=str(row.get(out.subject.name)) if out.subject.name and row.get(out.subject.name) else None,
            title=render_title(out.title, row), facts=facts, measure=out.measure or model.measure,
            legal_basis=shared.legal_basis, evidence=evidence, keyless=keyless)

    @staticmethod
    def _rows_scanned(s, inputs: dict) -> int:
        ids = [v["version_id"] for v in inputs.values()]
        if not ids:
            return 0
        return sum(r for (r,) in s.query(DatasetVersion.row_count).filter(DatasetVersion.id.in_(ids)))

    def _fail(self, run_id: int, status: str, error: str) -> None:
        """The run's final state (failed/cancelled) and its audit record, in one transaction."""
        with self.ws.db.unit_of_work() as s:
            run = s.get(Run, run_id)
            run.status, run.error, run.finished_at = status, error[:4000], self.clock()
            audit(self.ws, "model.run", target=f"run:{run_id}", outcome="取消" if status == "cancelled" else "失败",
                  detail={"model_id": run.model_id, "status": status, "error": error[:500]}, session=s)


def read_datasets(model: Model, compiled) -> list[str]:
    """Every dataset a run reads: the declared inputs and, for expert SQL, the datasets its SQL names
    (resolved by the compiler after CTE scoping) — the sealed-data rule applies to all of them."""
    names = [i.dataset for i in model.inputs.values()]
    return sorted({*names, *(getattr(compiled, "datasets", None) or [])})


def _check_not_delisted(ws: Workspace, model_id: str) -> None:
    """A 下架 model does not run (governance refuses with the reason it was taken down)."""
    from ..governance.service import GovernanceService

    GovernanceService(ws).check_runnable(model_id)


def run_org(s, model_id: str) -> int | None:
    """The org a new run belongs to (发起院): the acting user's org; for a local operator without
    ``--as``, the model's only adopting org, else its author's org, else None (platform-wide)."""
    from ..db.models import GovModel, ModelAdoption

    scope = current_scope()
    if scope is not None and scope.username:
        return scope.org_id
    gov = s.query(GovModel).filter_by(model_id=model_id).one_or_none()
    if gov is None:
        return None
    adopters = {o for (o,) in s.query(ModelAdoption.org_id).filter_by(gov_model_id=gov.id)}
    return adopters.pop() if len(adopters) == 1 else gov.author_org_id


def _text_words(ws: Workspace, compiled) -> tuple[str, ...]:
    """The workspace's user dictionary, for models with a text step (capability text.rules)."""
    if "text.rules" not in (getattr(compiled, "capabilities", None) or ()):
        return ()
    from ..text.dictionary import user_words

    return user_words(ws)


def _binding_brief(binding: dict | None) -> dict | None:
    """Which binding a run used, without its column lists (for lists and audit records)."""
    if not binding:
        return None
    brief = {k: binding[k] for k in ("kind", "binding_id", "org", "version") if binding.get(k) is not None}
    brief["datasets"] = {role: v.get("dataset") for role, v in (binding.get("inputs") or {}).items()}
    return brief


def _evidence_columns(compiled) -> list[tuple[str, str, bool]]:
    return [(ev.role, ev.column, bool(ev.is_list)) for ev in getattr(compiled, "evidence", None) or []]


def _json_param(v):
    from ..clues.render import json_value

    return json_value(v)


def _param_text(v) -> str:
    if isinstance(v, list):
        return ",".join(str(x) for x in v)
    if isinstance(v, bool):
        return "true" if v else "false"
    return str(v)


def _run_dict(r: Run) -> dict:
    return {"run_id": r.id, "model_id": r.model_id, "status": r.status, "engine": r.engine,
            "params": r.params, "started_at": r.started_at.isoformat() if r.started_at else None,
            "finished_at": r.finished_at.isoformat() if r.finished_at else None, "seconds": r.seconds,
            "rows_scanned": r.rows_scanned, "rows_out": r.rows_out, "clues_new": r.clues_new,
            "clues_seen": r.clues_seen, "peak_memory_mb": r.peak_memory_mb, "error": r.error,
            "model_hash": r.model_hash, "retry_of": r.retry_of, "org_id": r.org_id,
            "keyless_rows": r.keyless_rows, "binding_kind": (r.binding or {}).get("kind"),
            "binding_version": (r.binding or {}).get("version"), "sandbox": bool(r.sandbox),
            "published_at": r.published_at.isoformat() if r.published_at else None}


__all__ = ["RunResult", "RunService", "ShujianError", "RunFailed"]


def _require_registry(con, compiled) -> None:
    """A model joining on resolved subjects needs the subject registry (主体库) to exist first."""
    if "entity.join" not in getattr(compiled, "capabilities", ()):
        return
    from ..entity.registry import exists

    if not exists(con):
        raise InputError("模型使用了“按主体关联”（entity_join），但本工作区尚未建立主体库",
                         hint="先对参与关联的数据集运行 shujian entity link <数据集> …（单位用 link-companies），再运行模型")
