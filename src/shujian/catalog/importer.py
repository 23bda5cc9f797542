"""The import pipeline: source file → staging table → typed, normalised dataset version.

Atomicity: the new version becomes visible only when its metadata row commits, which happens last
(with whatever the caller's ``on_commit`` adds to that transaction — the import's audit record).
Anything that fails or is interrupted before that drops its DuckDB tables and marks the job
``failed`` or ``interrupted``; the previous version stays current.
"""

from __future__ import annotations

import contextlib
import dataclasses
import os
import re
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import date
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

import pyarrow as pa
from sqlalchemy.orm import Session

from ..config import CLASSIFICATION_LEVELS
from ..db.base import utcnow
from ..db.models import Dataset, DatasetColumn, DatasetVersion, Job
from ..engines.duckdb_arrow import register_arrow
from ..engines.interrupts import interrupted
from ..errors import ImportFailed, InputError
from ..workspace import Workspace
from . import readers
from .inputs import (  # noqa: F401 - re-exported: callers import them from here
    FORMATS,
    MAX_NAME,
    _memory_setting,
    check_import_path,
    check_path,
    check_upload_name,
    detect_format,
    validate_name,
)
from .schema import RAW_PREFIX, ROW_ID, ColumnSchema

if TYPE_CHECKING:
    from .typeinfer import Inferred

SAMPLE_ROWS = 10_000
APPROX_DISTINCT_ROWS = 1_000_000   # above: the quality report's distinct counts are 约 (but the key's)
FLAG_PREFIX = "_sj_flag_"   # per-row check bits of the CREATE, dropped after the quality report (_build)
FLAG_BITS = 62              # check bits in one BIGINT flag column


class ProgressSink(Protocol):
    def stage(self, description: str, total: float | None = None) -> None: ...
    def advance(self, amount: float) -> None: ...
    def update(self, completed: float) -> None: ...


class _NoProgress:
    def stage(self, description: str, total: float | None = None) -> None:
        pass

    def advance(self, amount: float) -> None:
        pass

    def update(self, completed: float) -> None:
        pass


@dataclass
class ImportRequest:
    name: str
    path: Path | None = None
    fmt: str | None = None
    sheet: str | None = None
    encoding: str | None = None
    agency: str | None = None
    request_no: str | None = None
    period_start: date | None = None
    period_end: date | None = None
    importer: str | None = None
    level: str | None = None
    description: str | None = None
    skip_bad_rows: bool = False
    semantics: dict[str, str] = field(default_factory=dict)   # column → semantic key, or "none"
    key_columns: list[str] | None = None
    note: str | None = None
    types: dict[str, str] = field(default_factory=dict)       # column → forced type word (--type 列=date)
    header_row: int = 1                                       # 1-based row (line) holding the column names
    skip_columns: list[str] = field(default_factory=list)     # columns of the file not imported (--skip-column)
    skip_hidden: bool = False                                 # nor the columns hidden in Excel (--skip-hidden-columns)
    personal: bool = False                                    # 个人数据区: visible to the importer only
    owner_org_id: int | None = None                           # set by CatalogService: the new dataset's 所属院 …
    owner_user_id: int | None = None                          # … and owner (personal imports)


@dataclass
class ImportResult:
    dataset: str
    version: int
    relation: str
    rows: int
    skipped_rows: int
    skipped: list[dict]
    columns: list[ColumnSchema]
    content_hash: str
    seconds: float
    notes: list[str]
    level: str | None = None
    sheet: str | None = None


@dataclass
class _Plan:
    """How one column of the version is made from the staging table."""

    name: str
    dtype: str
    expr: str                 # SQL over the staging column
    semantic: str | None
    source: str | None        # where the semantic type came from: detected / user
    forced: bool = False      # the user named the type (--type): values that do not parse are an error
    typed_source: bool = False
    parse: Inferred | None = None   # expr = parse_sql(parse, src): the parse and the text it reads
    src: str | None = None
    sparse_raw: bool = False  # normalised, and every sample value already in normal form (_sparse_raw)


@dataclass
class _Built:
    req: ImportRequest
    job_id: int
    relation: str
    rows: int
    columns: list[ColumnSchema]
    info: dict
    quality: dict
    notes: list[str]
    raw_columns: dict[str, str]
    sources: dict[str, str | None]


class Importer:
    def __init__(self, ws: Workspace, progress: ProgressSink | None = None,
                 on_commit: Callable[[Session, list[ImportResult]], None] | None = None, prefetch=None):
        """``on_commit(session, results)`` runs inside the transaction that makes the new versions
        visible (the catalog service writes the audit records there: a version and its record commit
        together or not at all).  ``prefetch``: a ``prefetch.CsvPrefetch`` the command started before
        it checked anything — the file of a one-file import already being read; the importer takes
        its table (or, when it cannot, closes it and reads the file itself)."""
        self.ws = ws
        self.progress = progress or _NoProgress()
        self.on_commit = on_commit
        self.prefetch = prefetch

    # -- entry points ---------------------------------------------------------------------------
    def import_file(self, req: ImportRequest) -> ImportResult:
        return self.import_files([req])[0]

    def import_files(self, reqs: list[ImportRequest]) -> list[ImportResult]:
        """Import several datasets from files (e.g. the sheets of one workbook) all or nothing:
        the versions become visible together, or none does."""
        from .staging import Stager

        items = []
        pre, self.prefetch = self.prefetch, None
        for req in reqs:
            req.name = validate_name(req.name)
            path = check_path(req.path) if req.path is not None else None
            if path is None:
                raise InputError("缺少要导入的文件路径")
            fmt = detect_format(path, req.fmt)
            req.path = path.resolve()
            stage_fn = partial(_stage_file, Stager(self.ws, self.progress), path=path, fmt=fmt, req=req)
            if pre is not None and len(reqs) == 1 and pre.matches(path, fmt, req.encoding, req.header_row):
                self.prefetch, stage_fn = pre, partial(_adopt, pre, stage_fn, req=req)
            items.append((req, stage_fn))
        if pre is not None and self.prefetch is None:   # not this import's file: not used
            pre.close()
        names = [r.name for r in reqs]
        dup = sorted({n for n in names if names.count(n) > 1})
        if dup:
            raise InputError(f"一次导入中数据集名称重复：{'、'.join(dup)}", hint="每个工作表须导入为不同名称的数据集")
        return self._run(items)

    def import_arrow(self, req: ImportRequest, data: pa.Table | Iterator[pa.RecordBatch],
                     schema: pa.Schema | None = None) -> ImportResult:
        """Import in-memory Arrow data (parsed judgments, the demo city, the law tables)."""
        req.name = validate_name(req.name)

        def stage_fn(con, stage, job):
            reader = (pa.RecordBatchReader.from_batches(data.schema, data.to_batches())
                      if isinstance(data, pa.Table) else pa.RecordBatchReader.from_batches(schema, data))
            register_arrow(con, "_arrow_src", reader)
            con.execute(f'CREATE TEMP TABLE "{stage}" AS SELECT * FROM _arrow_src')
            con.unregister("_arrow_src")
            return {"format": "arrow", "encoding": None, "hash": _table_hash(con, stage), "skipped": [], "typed": True}

        return self._run([(req, stage_fn)])[0]

    def import_staged(self, req: ImportRequest, stage_fn, combine=None) -> ImportResult | None:
        """Import what ``stage_fn(con, stage, job)`` puts into the staging table (database connectors).

        ``combine(con, relation, req)`` may then merge the new rows with the previous version (an
        incremental pull) and return the raw columns it added ({column: raw column}); it returns False
        when there is nothing new (no version is made: None).
        """
        req.name = validate_name(req.name)
        return self._run([(req, stage_fn)], combine)[0]

    # -- the pipeline ---------------------------------------------------------------------------
    def _run(self, items: list, combine=None) -> list:
        for req, _ in items:
            if req.level is not None and req.level not in CLASSIFICATION_LEVELS:
                raise InputError(f"分级“{req.level}”无效", hint=f"可选：{'/'.join(CLASSIFICATION_LEVELS)}")
        started = time.monotonic()
        job_ids = [self._start_job(req.name) for req, _ in items]
        tmp_files: list[Path] = []
        try:
            with self._warehouse() as con:
                con.execute(f"SET memory_limit = '{_memory_setting(self.ws.settings.import_memory_limit)}'")
                try:
                    built = [self._build(con, req, stage_fn, job_id, tmp_files, combine)
                             for (req, stage_fn), job_id in zip(items, job_ids, strict=True)]
                    results = self._commit([b for b in built if b is not None], started)
                except BaseException:
                    for job_id in job_ids:
                        con.execute(f'DROP TABLE IF EXISTS "ds_{job_id:06d}"')
                    raise
        except BaseException as exc:
            if interrupted(exc):    # Ctrl-C, in whichever form DuckDB gave it
                for job_id in job_ids:
                    self._finish_job(job_id, "interrupted", "导入被中断（Ctrl-C）；之前的版本保持不变，可重新导入")
                if isinstance(exc, KeyboardInterrupt):
                    raise
                raise KeyboardInterrupt from exc
            for job_id in job_ids:
                self._finish_job(job_id, "failed", str(exc))
            raise
        finally:
            for f in tmp_files:
                f.unlink(missing_ok=True)
        by_job = {r.relation: r for r in results}
        out: list[ImportResult | None] = []
        for (req, _), job_id in zip(items, job_ids, strict=True):
            r = by_job.get(f"ds_{job_id:06d}")
            detail = {"dataset": req.name, "version": r.version} if r else {"dataset": req.name, "unchanged": True}
            self._finish_job(job_id, "succeeded", None, detail)
            out.append(r)
        return out

    @contextlib.contextmanager
    def _warehouse(self):
        """The warehouse connection: the prefetch's, with the warehouse attached, when its read
        succeeded (``prefetch.CsvPrefetch``); else the workspace's own."""
        pre = self.prefetch
        try:
            if pre is not None and pre.wait(self.progress):
                yield pre.attach(self.ws.settings.duckdb_path)
                return
            if pre is not None:   # the read failed or was not for it: the file is staged again
                pre.close()
                self.prefetch = None
            with self.ws.warehouse() as con:
                yield con
        finally:
            if pre is not None:
                pre.close()

    def _build(self, con, req: ImportRequest, stage_fn, job_id: int, tmp_files: list[Path], combine) -> _Built | None:
        from .staging import drop_stage

        stage, relation = f"_stage_{job_id}", f"ds_{job_id:06d}"
        try:
            info = stage_fn(con, stage, (job_id, tmp_files))
            columns, notes, markers = self._build_version(con, stage, relation, req, info)
            notes = [*info.pop("notes", []), *notes]
        finally:
            drop_stage(con, stage)
        hints = self._marker_hints
        if combine is not None:   # the previous version's rows have no check bits
            _drop_columns(con, relation, self._flag_columns)
            hints, self._flag_columns = {}, []
            extra_raw = combine(con, relation, req)
            if extra_raw is False:
                con.execute(f'DROP TABLE IF EXISTS "{relation}"')
                return None
            self._raw_columns = {**extra_raw, **self._raw_columns}
        rows = con.execute(f'SELECT count(*) FROM "{relation}"').fetchone()[0]
        from .quality import advice  # the quality module loads with the first import, not at start-up

        quality = self._quality(con, relation, columns, req, info.get("lines"), hints)
        _drop_columns(con, relation, self._flag_columns)
        notes += advice(quality)              # Excel-mangled 身份证号 …: said at import too
        if callable(info.get("hash")):   # a digest computed meanwhile (readers.hash_meanwhile)
            info["hash"] = info["hash"]()
        for name, n in markers.items():
            if name in quality["columns"]:
                quality["columns"][name]["null_markers"] = n
        return _Built(req, job_id, relation, rows, columns, info, quality, notes,
                      self._raw_columns, self._sources)

    # -- typing, semantics, normalisation -------------------------------------------------------
    def _build_version(self, con, stage: str, relation: str, req: ImportRequest,
                       info: dict) -> tuple[list[ColumnSchema], list[str], dict[str, int]]:
        from . import semantic

        self.progress.stage("推断类型与数据要素")
        semantic.register_udfs(con)
        everything = con.execute(f'DESCRIBE "{stage}"').fetchall()   # (binding a CSV view sniffs the file)
        described = [r for r in everything if r[0] != readers.SOURCE_LINE]
        names = [r[0] for r in described]
        _check_named_columns(names, req)
        left_out = _left_out(names, req, info.pop("hidden", []))
        described = [r for r in described if r[0] not in left_out]
        has_line = len(described) < len(everything)
        typed = bool(info.get("typed"))
        samples = _samples(con, stage, [n for n, t, *_ in described if t == "VARCHAR"])
        plans = [self._plan(name, dtype, samples.get(name, []), req, typed, semantic) for name, dtype, *_ in described]
        notes: list[str] = ([f"按要求未导入 {len(left_out)} 列：{'、'.join(f'“{n}”' for n in left_out)}"]
                            if left_out else [])
        retyped: set[str] = set()
        finish = info.pop("finish", None)
        materialise = info.pop("materialise", None)
        # a CSV: read once, by every thread, into a TEMP table — worth its cost (≈ 10 % more CPU) only
        # when DuckDB has more than one thread; with one, the view is numbered as it is read
        if materialise is not None and int(con.execute("SELECT current_setting('threads')").fetchone()[0]) > 1:
            materialise(con, stage)
            info["view"], info["tracked"] = False, True
        while True:   # at most twice: a value the sample did not show may fail to parse
            columns, raw_cols, bits = self._create_relation(con, stage, relation, plans, semantic, info)
            if finish is not None:   # a CSV read by this CREATE: its rejected lines, no data rows
                info["skipped"], finish = finish(con, relation, info), None
            sparse = {RAW_PREFIX + p.name for p in plans if p.sparse_raw}
            failed, differs, nulled, timed = self._check_relation(con, relation, plans, raw_cols, bits, sparse)
            forced = [p for p in plans if p.forced and p.name in failed]
            if forced:
                raise _forced_type_error(con, stage, relation, forced[0], failed[forced[0].name], req, has_line)
            if not failed:
                break
            for name, bad in failed.items():
                notes.append(f"列“{name}”有 {bad} 个值无法按推断的类型解析，已按文本保存")
                retyped.add(name)
            plans = [_Plan(p.name, "VARCHAR", _q(p.name), p.semantic, p.source) if p.name in retyped else p
                     for p in plans]
        notes += _midnight_dates(con, relation, plans, columns, timed)
        for _name, raw in raw_cols:
            if not differs[raw]:
                con.execute(f'ALTER TABLE "{relation}" DROP COLUMN {_q(raw)}')
        self._raw_columns = {name: raw for name, raw in raw_cols if differs[raw]}
        self._sources = {p.name: p.source for p in plans}
        self._flag_columns = sorted({c for c, _bit in bits.values()})
        self._marker_hints = _marker_hints(plans, bits)
        return columns, notes, {n: k for n, k in nulled.items() if n not in retyped}

    @staticmethod
    def _plan(name: str, dtype: str, sample: list, req: ImportRequest, typed: bool, semantic) -> _Plan:
        from . import typeinfer

        col = _q(name)
        expr, out_type, forced = col, _norm_dtype(dtype), name in req.types
        parse, src = None, None
        if forced:
            inferred = typeinfer.forced_type(req.types[name], name)
            if dtype == "VARCHAR":
                if inferred.dtype != "VARCHAR":
                    parse, src = inferred, col
            elif inferred.dtype != out_type:
                parse, src = inferred, f"CAST({col} AS VARCHAR)"
            out_type = inferred.dtype
        elif dtype == "VARCHAR" and not typed:
            inferred = typeinfer.infer_column(sample, name=name)
            if inferred.dtype != "VARCHAR":
                parse, src, out_type = inferred, col, inferred.dtype
        if parse is not None:
            expr = typeinfer.parse_sql(parse, src)
        sem, source = Importer._semantic_for(name, _detect_sample(sample), req, semantic)
        sparse = out_type == "VARCHAR" and _all_clean(sem, sample)
        return _Plan(name, out_type, expr, sem, source, forced, typed and dtype != "VARCHAR", parse, src, sparse)

    def _create_relation(self, con, stage: str, relation: str, plans: list[_Plan], semantic,
                         info: dict) -> tuple[list, list, dict[str, tuple[str, int]]]:
        """CREATE the version table in one scan of the staging relation (typed, normalised, raw kept).

        A staging table's rows are numbered by its rowid (a CSV's staging view is made a table first,
        ``staging.materialise_csv``); a staging view (``info["view"]``) by ``row_number() OVER ()`` —
        DuckDB's streaming window, which keeps the order but runs the whole statement on one thread.

        Each column's cleaned text (``text_sql``) and its null-marker test are computed once per value
        in two inner projections; the parses and normalisations read them (written inline, DuckDB
        would evaluate the cleaning again in every CASE branch that mentions it — five to ten times).

        The per-row checks ``_check_relation`` counts are bits of one BIGINT column per 62 checks (a
        column that is nearly always 0, stored as a constant), not a BOOLEAN column each: returns
        {check: (column, bit)} with the columns and raw columns."""
        from .typeinfer import fast_parse_sql, null_of_text_sql, parse_sql_over, text_sql

        fasts, texts, cleaned, normed, select, flags = [], [], [], [], [_q(ROW_ID)], [_q(ROW_ID)]
        checks: list[tuple[str, str]] = []   # (bad<i> / nul<i>, the condition) for _check_relation
        h = _helper_prefix([p.name for p in plans])   # of the helper columns: no column of the file starts with it
        columns: list[ColumnSchema] = []
        raw_cols: list[tuple[str, str]] = []
        for i, p in enumerate(plans):
            t, v, name, f = _q(f"{h}t{i}"), _q(f"{h}v{i}"), _q(p.name), _q(f"{h}f{i}")
            normalised = bool(p.semantic and p.semantic != "text" and p.dtype == "VARCHAR")
            # a type with a fast path (CLEAN_FORMS) cleans inline: only its few values not already in
            # normal form get there; every other parse or normalisation reads the precomputed columns
            inline = normalised and p.semantic in CLEAN_FORMS
            # a parse with a fast path (plain 2023-01-05, 1234.50) cleans only the values it leaves NULL
            fast = (fast_parse_sql(p.parse, p.src) if p.parse is not None and not p.typed_source
                    and p.src == _q(p.name) else None)
            if fast is not None:
                fasts.append(f"{fast} AS {f}")
            if inline:
                # whether the value is already in normal form, once; only the other values are cleaned
                # and normalised, each step once in its own projection (written inside the CASE, the
                # steps' text repeats and DuckDB calls each copy once per vector: ≈ 0.1 µs a row)
                c, n = _q(f"{h}c{i}"), _q(f"{h}n{i}")
                fasts.append(f"{_clean_test(p.semantic, p.expr)} AS {c}")
                texts.append(f"(CASE WHEN NOT {c} THEN {text_sql(p.expr)} END) AS {t}")
                cleaned.append(f"{null_of_text_sql(t)} AS {v}")
                normed.append(f"{semantic.normalize_sql(p.semantic, v) or v} AS {n}")
            elif p.parse is not None or normalised:
                text = text_sql(p.src if p.parse is not None else p.expr)
                texts.append(f"{text if fast is None else f'(CASE WHEN {f} IS NULL THEN {text} END)'} AS {t}")
                cleaned.append(f"{null_of_text_sql(t)} AS {v}")
            if normalised:
                # null markers (无, 暂无, -, …) become NULL before normalising; the delivered value stays raw
                if inline:
                    value = f"(CASE WHEN {c} THEN {p.expr} ELSE {_unclean_norm(p.semantic, n)} END)"
                else:
                    value = semantic.normalize_sql(p.semantic, v) or v
                select.append(f"{value} AS {name}")
                raw = _q(RAW_PREFIX + p.name)
                select.append(f"{p.expr} AS {raw}")
                raw_cols.append((p.name, RAW_PREFIX + p.name))
                # a raw copy likely dropped (the sample is clean) is written only where it differs
                # (NULLs elsewhere, stored as a constant); _check_relation fills it in if it is kept
                flags += [name, f"(CASE WHEN {name} IS DISTINCT FROM {raw} THEN {raw} END) AS {raw}"
                          if p.sparse_raw else raw]
                checks.append((f"dif:{RAW_PREFIX + p.name}", f"{name} IS DISTINCT FROM {raw}"))
            elif p.parse is not None:
                # the raw value, and what must be non-NULL for a NULL result to be a failed parse
                parsed = parse_sql_over(p.parse, v, t)
                if fast is not None:
                    parsed = f"(CASE WHEN {f} IS NOT NULL THEN {f} ELSE {parsed} END)"
                select += [f"{parsed} AS {name}", f"{name} AS {_q(f'{h}r{i}')}",
                           f"{name if p.typed_source else v} AS {v}"]
                # what _check_relation counts: a value that did not parse, a value that became NULL
                flags.append(name)
                checks.append((f"bad{i}", f"{name} IS NULL AND {v} IS NOT NULL"))
                if _may_be_dates(p):   # a time of day other than midnight (_midnight_dates)
                    checks.append((f"tod{i}", f"CAST({name} AS TIME) <> TIME '00:00:00'"))
            else:
                select.append(f"{p.expr} AS {name}")
                flags.append(name)
            if p.parse is not None or normalised:
                raw = _q(RAW_PREFIX + p.name) if normalised else _q(f"{h}r{i}")
                checks.append((f"nul{i}", f"{name} IS NULL AND {raw} IS NOT NULL"))
            columns.append(ColumnSchema(name=p.name, dtype=p.dtype, semantic=p.semantic))
        bits: dict[str, tuple[str, int]] = {}
        for g in range(0, len(checks), FLAG_BITS):
            col = h + FLAG_PREFIX[len("_sj_"):] + str(g // FLAG_BITS)
            group = checks[g:g + FLAG_BITS]
            bits.update({key: (col, 1 << b) for b, (key, _cond) in enumerate(group)})
            flags.append(f"({' + '.join(f'(CASE WHEN {c} THEN {1 << b} ELSE 0 END)' for b, (_k, c) in enumerate(group))})"
                         f" AS {_q(col)}")
        row_id = "row_number() OVER ()" if info.get("view") else "rowid + 1"
        inner = f'SELECT {row_id} AS {_q(ROW_ID)}, *{"".join(", " + x for x in fasts)} FROM "{stage}"'
        if texts:
            inner = f'SELECT *, {", ".join(texts)} FROM ({inner})'
        if cleaned:
            inner = f'SELECT *, {", ".join(cleaned)} FROM ({inner})'
        if normed:
            inner = f'SELECT *, {", ".join(normed)} FROM ({inner})'
        con.execute(f'DROP TABLE IF EXISTS "{relation}"')
        body = f'SELECT {", ".join(flags)} FROM (SELECT {", ".join(select)} FROM ({inner}))'
        plain = {RAW_PREFIX + p.name for p in plans if p.semantic in PLAIN_RAW and not p.sparse_raw}
        plain &= {raw for _n, raw in raw_cols}
        sql = _create_sql(con, relation, body, plain)
        if info.get("view") or info.get("tracked"):
            from .staging import run_tracked

            self.progress.stage("读取数据并写入数据集版本" if info.get("view") else "写入数据集版本", total=100)
            run_tracked(con, sql, self.progress, info.get("path"))
        else:
            self.progress.stage("写入数据集版本")
            con.execute(sql)
        return columns, raw_cols, bits

    @staticmethod
    def _check_relation(con, relation: str, plans: list[_Plan], raw_cols: list,
                        bits: dict[str, tuple[str, int]], sparse: set[str] = frozenset()) -> tuple[dict, dict, dict]:
        """One scan of the new table: values that did not parse (typed column NULL, cleaned text not
        null), values that became NULL as null markers (raw value not null), and whether each
        normalised column differs from its raw column.  The first two are bits of the flag columns the
        CREATE wrote (``bits``: {check: (column, bit)}, ``_create_relation``); they stay for the
        quality report (``_marker_hints``) and are dropped after it.

        A raw column in ``sparse`` was written only where it differs from its normalised column: if it
        is kept (it differs somewhere), the other rows get their raw value — the normalised one."""
        typed = [(i, p) for i, p in enumerate(plans) if p.parse is not None]
        nulled = [(i, p.name) for i, p in enumerate(plans) if p.parse is not None or (p.name, RAW_PREFIX + p.name) in raw_cols]

        def hits(check: str) -> str:
            col, bit = bits[check]
            return f"count(*) FILTER (WHERE ({_q(col)} & {bit}) <> 0)"
        timed = [p.name for i, p in typed if f"tod{i}" in bits]
        parts = [hits(f"bad{i}") for i, _p in typed]
        parts += [hits(f"nul{i}") for i, _n in nulled]
        parts += [hits(f"dif:{raw}") for _n, raw in raw_cols]
        parts += [hits(f"tod{i}") + f", count({_q(p.name)})" for i, p in typed if f"tod{i}" in bits]
        row = con.execute(f'SELECT {", ".join(parts)} FROM "{relation}"').fetchone() if parts else ()
        k = len(typed) + len(nulled)
        times, row = row[k + len(raw_cols):], row[:k + len(raw_cols)]
        for (n, raw), d in zip(raw_cols, row[k:], strict=True):
            if d and raw in sparse:
                col, bit = bits[f"dif:{raw}"]
                con.execute(f'UPDATE "{relation}" SET {_q(raw)} = {_q(n)} WHERE ({_q(col)} & {bit}) = 0')
        if not parts:
            return {}, {}, {}, {}
        failed = {p.name: bad for (_i, p), bad in zip(typed, row[:len(typed)], strict=True) if bad}
        gone = {n: c - failed.get(n, 0) for (_i, n), c in zip(nulled, row[len(typed):k], strict=True)}
        differs = {raw: bool(d) for (_n, raw), d in zip(raw_cols, row[k:], strict=True)}
        # {TIMESTAMP column: (values with a time of day other than midnight, values)}
        return failed, differs, gone, {n: (times[2 * j], times[2 * j + 1]) for j, n in enumerate(timed)}

    @staticmethod
    def _semantic_for(name: str, sample: list, req: ImportRequest, semantic) -> tuple[str | None, str | None]:
        if name in req.semantics:
            key = req.semantics[name]
            if key in ("none", "", None):
                return None, "user"
            if key not in semantic.SEMANTIC_TYPES:
                raise InputError(f"数据要素类型“{key}”不存在（列“{name}”）",
                                 hint=f"可选：{'、'.join(semantic.SEMANTIC_TYPES)}")
            return key, "user"
        key = semantic.detect_semantic(name, sample)
        return key, ("detected" if key else None)

    def _quality(self, con, relation: str, columns: list[ColumnSchema], req: ImportRequest,
                 lines: list | None = None, hints: dict[str, str] | None = None) -> dict:
        from . import quality

        self.progress.stage("数据质量核查")
        keys = [k for k in req.key_columns or [] if any(c.name == k for c in columns)] or None
        return quality.quality_report(con, relation, columns, key_columns=keys, normalised=True,
                                      approx_distinct_above=APPROX_DISTINCT_ROWS, lines=lines,
                                      marker_hints=hints)

    # -- metadata -------------------------------------------------------------------------------
    def _commit(self, built: list[_Built], started: float) -> list[ImportResult]:
        """All new versions in one transaction: they become visible together."""
        results = []
        with self.ws.db.unit_of_work() as s:
            for b in built:
                results.append(self._commit_one(s, b, started))
            if self.on_commit is not None and results:
                s.flush()
                self.on_commit(s, results)
        return results

    def _commit_one(self, s, b: _Built, started: float) -> ImportResult:
        req, info = b.req, b.info
        ds = s.query(Dataset).filter_by(name=req.name).one_or_none()
        if ds is None:
            ds = Dataset(name=req.name, level=req.level or self.ws.settings.default_level,
                         description=req.description, org_id=req.owner_org_id, owner_user_id=req.owner_user_id)
            s.add(ds)
            s.flush()
        elif req.description:
            ds.description = req.description
        level = req.level or ds.level     # a re-import keeps the dataset's level unless a new one is given
        number = (s.query(DatasetVersion.version).filter_by(dataset_id=ds.id)
                  .order_by(DatasetVersion.version.desc()).limit(1).scalar() or 0) + 1
        skipped = info.get("skipped") or []
        version = DatasetVersion(
            dataset_id=ds.id, version=number, relation=b.relation,
            source_path=info.get("source") or (str(req.path) if req.path else None),
            source_format=info.get("format"), source_encoding=info.get("encoding"), source_sheet=info.get("sheet"),
            agency=req.agency, request_no=req.request_no, period_start=req.period_start,
            period_end=req.period_end, importer=req.importer or _whoami(), row_count=b.rows,
            content_hash=info.get("hash"), level=level, skipped_rows=len(skipped),
            skipped=skipped[:1000], quality=b.quality,
            note="\n".join(b.notes + ([req.note] if req.note else [])) or None)
        for pos, c in enumerate(b.columns):
            version.columns.append(DatasetColumn(
                position=pos, name=c.name, dtype=c.dtype, semantic=c.semantic,
                semantic_source=b.sources.get(c.name), raw_column=b.raw_columns.get(c.name)))
        s.add(version)
        ds.current_version = number
        ds.level = level
        return ImportResult(dataset=req.name, version=number, relation=b.relation, rows=b.rows,
                            skipped_rows=len(skipped), skipped=skipped, columns=b.columns,
                            content_hash=info.get("hash") or "", seconds=round(time.monotonic() - started, 3),
                            notes=b.notes, level=level, sheet=info.get("sheet"))

    def _start_job(self, target: str) -> int:
        with self.ws.db.unit_of_work() as s:
            job = Job(kind="import", target=target, status="running", pid=os.getpid())
            s.add(job)
            s.flush()
            return job.id

    def _finish_job(self, job_id: int, status: str, error: str | None, detail: dict | None = None) -> None:
        with self.ws.db.unit_of_work() as s:
            job = s.get(Job, job_id)
            job.status, job.error, job.finished_at, job.detail = status, error, utcnow(), detail


def _stage_file(stager, con, stage: str, job, *, path: Path, fmt: str, req: ImportRequest) -> dict:
    return stager.stage_file(con, stage, job, path, fmt, req)


def _adopt(pre, stage_fn, con, stage: str, job, *, req: ImportRequest) -> dict:
    """The staging of a file the command's prefetch read (``Importer._warehouse`` gave its connection),
    or ``stage_fn`` when the import runs on the workspace's own connection."""
    if pre.con is not None and con is pre.con:
        return pre.adopt(con, stage, job, req)
    return stage_fn(con, stage, job)


def _check_named_columns(names: list[str], req: ImportRequest) -> None:
    """--semantic, --key, --type and --skip-column must name columns of the file."""
    for option, given in (("--semantic", req.semantics), ("--key", req.key_columns or []), ("--type", req.types),
                          ("--skip-column", req.skip_columns)):
        unknown = [k for k in given if k not in names]
        if unknown:
            where = f"工作表“{req.sheet}”" if req.sheet else "文件"
            raise InputError(f"{option} 指定的列 {'、'.join(unknown)} 不在{where}中",
                             hint=f"{where}中的列：{'、'.join(names)}")


def _left_out(names: list[str], req: ImportRequest, hidden: list[str]) -> list[str]:
    """The columns not imported: those named by --skip-column (_check_named_columns found them in the
    file), and with --skip-hidden-columns those hidden in Excel (data a request did not ask for stays out
    of the warehouse: 最小必要).  A skipped column may not be one --key, --semantic or --type names, and
    at least one column must be left."""
    where = f"工作表“{req.sheet}”" if req.sheet else "文件"
    skip = set(req.skip_columns) | (set(hidden) if req.skip_hidden else set())
    left_out = [n for n in names if n in skip]
    for option, given in (("--key", req.key_columns or []), ("--semantic", req.semantics), ("--type", req.types)):
        both = [c for c in given if c in skip]
        if both:
            raise InputError(f"列 {'、'.join(both)} 既由 {option} 指定，又被设为不导入",
                             hint=f"去掉 {option} 中的这些列，或不再排除它们（--skip-column / --skip-hidden-columns）")
    if left_out and len(left_out) == len(names):
        raise InputError(f"{where}的列全部被设为不导入，没有可导入的数据",
                         hint="至少保留一列：减少 --skip-column 指定的列，或不用 --skip-hidden-columns",
                         details={"problems": [{"location": "skip_columns", "message": "至少保留一列"}]})
    return left_out


def _failed_cond(p: _Plan) -> str:
    from .typeinfer import null_sql

    present = f"s.{_q(p.name)} IS NOT NULL" if p.typed_source else f"{null_sql('s.' + _q(p.name))} IS NOT NULL"
    return f"r.{_q(p.name)} IS NULL AND {present}"


def _forced_type_error(con, stage: str, relation: str, p: _Plan, bad: int, req: ImportRequest,
                       has_line: bool) -> ImportFailed:
    """A located message for values that do not fit a type the user forced with --type."""
    from .typeinfer import TYPE_LABELS

    # XLSX rows carry their Excel row number; for CSV the data record number is exact (a quoted value
    # may span lines, so a line number would not be)
    line, unit = (f"s.{readers.SOURCE_LINE}", "行") if has_line else (f"r.{ROW_ID}", "条记录")
    rows = con.execute(f'SELECT {line}, CAST(s.{_q(p.name)} AS VARCHAR) FROM "{stage}" s POSITIONAL JOIN '
                       f'"{relation}" r WHERE {_failed_cond(p)} ORDER BY 1 LIMIT 5').fetchall()
    label = TYPE_LABELS.get(p.dtype, p.dtype)
    listed = "；".join(f"第 {n} {unit}“{str(v)[:40]}”" for n, v in rows)
    where = f"{Path(str(req.path)).name if req.path else req.name}" + (f" 工作表“{req.sheet}”" if req.sheet else "")
    return ImportFailed(f"{where} 列“{p.name}”有 {bad} 个值不是{label}（--type 指定）：{listed}；未导入任何数据",
                        hint=f"修正这些值后重新导入，或改用 --type {p.name}=text 按文本导入")


def _marker_hints(plans: list[_Plan], bits: dict[str, tuple[str, int]]) -> dict[str, str]:
    """For the quality report's null-marker test (``quality.quality_report``, ``marker_hints``): of
    each clean-form column (``CLEAN_FORMS``, normalised inline by ``_create_relation``), the rows
    where its value may be a null marker — those whose normalised value differs from the delivered
    one (the CREATE's ``dif`` bit).  Where it does not differ, a non-NULL value is no marker: it was
    either in normal form (no marker is) or cleaned and normalised to itself, and a value whose
    trimmed form is a marker is cleaned (``text_sql``) to that marker and so became NULL."""
    hints = {}
    for p in plans:
        key = f"dif:{RAW_PREFIX + p.name}"
        if p.dtype == "VARCHAR" and p.semantic in CLEAN_FORMS and key in bits:
            col, bit = bits[key]
            hints[p.name] = f"(({_q(col)} & {bit}) <> 0)"
    return hints


def _may_be_dates(p: _Plan) -> bool:
    """A TIMESTAMP column inferred from text (not named by --type, not typed in the source): dates
    when every time of day in it is midnight (``_midnight_dates``)."""
    return p.dtype == "TIMESTAMP" and not p.forced and not p.typed_source


def _midnight_dates(con, relation: str, plans: list[_Plan], columns: list[ColumnSchema],
                    timed: dict[str, tuple[int, int]]) -> list[str]:
    """Make DATE the TIMESTAMP columns inferred from text whose every value is at midnight
    (``2024-01-05 00:00:00`` beside ``2024-01-05``: a date exported with a time part, as Oracle and
    Excel do); returns the import's notes on them.  ``timed``: {column: (values with another time
    of day, values)} from the CREATE's check bits (``_check_relation``)."""
    notes = []
    for name, (other, present) in timed.items():
        if other or not present:
            continue
        con.execute(f'ALTER TABLE "{relation}" ALTER COLUMN {_q(name)} TYPE DATE')
        for p in plans:
            if p.name == name:
                p.dtype = "DATE"
        columns[:] = [dataclasses.replace(c, dtype="DATE") if c.name == name else c for c in columns]
        notes.append(f"列“{name}”的值都是日期（时间部分全为 00:00:00），按日期保存")
    return notes


def _drop_columns(con, relation: str, names: list[str]) -> None:
    for name in names:
        con.execute(f'ALTER TABLE "{relation}" DROP COLUMN {_q(name)}')


def _all_clean(sem: str | None, sample: list) -> bool:
    """Whether every non-NULL sample value of a column of semantic type ``sem`` is already in normal
    form (``CLEAN_FORMS``, not a null marker): its raw copy is then likely the same and dropped.  Only
    a guess of how to write the copy — the table is the same either way (``_check_relation``)."""
    from .typeinfer import NULL_MARKERS

    pattern = CLEAN_FORMS.get(sem or "")
    if pattern is None:
        return False
    form = re.compile(pattern)
    return all(v is None or (isinstance(v, str) and form.fullmatch(v) is not None and v not in NULL_MARKERS)
               for v in sample)


def _detect_sample(values: list, size: int = 300) -> list:
    """Up to ``size`` distinct non-empty values: enough to recognise a semantic type, and cheap."""
    seen: dict = {}
    for v in values:
        if v is not None and str(v).strip():
            seen.setdefault(v, None)
            if len(seen) >= size:
                break
    return list(seen)


def _samples(con, stage: str, names: list[str]) -> dict[str, list]:
    if not names:
        return {}
    cols = ", ".join(_q(n) for n in names)
    rows = con.execute(f'SELECT {cols} FROM "{stage}" LIMIT {SAMPLE_ROWS}').fetchall()
    return {n: [r[i] for r in rows] for i, n in enumerate(names)}


def _table_hash(con, relation: str) -> str:
    # Order-sensitive (the row number is hashed with the row) yet streaming: no list of all rows.
    value = con.execute(f'SELECT bit_xor(hash(t)) FROM (SELECT rowid AS _r, * FROM "{relation}") t').fetchone()[0]
    return f"{int(value):016x}" if value is not None else ""


def _helper_prefix(names: list[str]) -> str:
    """``_sj_``, or with more leading underscores until no name in ``names`` starts with it (DuckDB
    binds names case-insensitively): the CREATE's helper columns then never take a column's name."""
    pre = "_sj_"
    while any(n.lower().startswith(pre) for n in names):
        pre = "_" + pre
    return pre


def _norm_dtype(dtype: str) -> str:
    d = dtype.upper()
    if d in ("INTEGER", "SMALLINT", "TINYINT", "HUGEINT", "UBIGINT", "UINTEGER", "USMALLINT", "UTINYINT"):
        return "BIGINT"
    if d in ("FLOAT", "REAL"):
        return "DOUBLE"
    if d.startswith("TIMESTAMP"):
        return "TIMESTAMP"
    return d


# Values already in normal form: normalising them is the identity, so the (costly) normaliser is
# skipped for them.  Most delivered values are clean; tests check the identity for each pattern.
CLEAN_FORMS = {"id_number": "[0-9]{17}[0-9X]", "person_name": "[\u4e00-\u9fff]{1,10}",
               "phone": "1[3-9][0-9]{9}", "uscc": "[0-9A-HJ-NPQRTUWXY]{18}"}


# The delivered copies (``_raw_<列名>``) of these identifier columns are stored uncompressed: their
# values are unique, so DuckDB's dictionary finds nothing to share, and training FSST on every
# segment (≈ 0.25 µs a value) cost more than writing the column itself; the raw copy is read only to
# show what was delivered.  Per 2M 18-character values: ≈ 18 → 45 MB on disk.
PLAIN_RAW = frozenset({"id_number", "uscc", "bank_card"})


def _create_sql(con, relation: str, body: str, plain: set[str]) -> str:
    """The statement that creates ``relation`` from the query ``body``: ``CREATE TABLE … AS`` unless
    some column in ``plain`` is to be stored uncompressed (``PLAIN_RAW``) — then the table is created
    here with the query's column types, and the returned statement inserts the rows."""
    if not plain:
        return f'CREATE TABLE "{relation}" AS {body}'
    described = con.execute(f"DESCRIBE {body}").fetchall()
    cols = ", ".join(f"{_q(name)} {dtype}" + (" USING COMPRESSION uncompressed" if name in plain else "")
                     for name, dtype, *_ in described)
    con.execute(f'CREATE TABLE "{relation}" ({cols})')
    return f'INSERT INTO "{relation}" {body}'


def _clean_test(sem: str, expr: str) -> str:
    """Whether ``expr`` is already in the normal form of ``sem`` (a ``CLEAN_FORMS`` type): normalising
    it would change nothing (NULL for NULL)."""
    pattern = CLEAN_FORMS[sem]
    if sem == "person_name":   # 无, 空, 暂无, 不详 look like names: they are null markers
        from .typeinfer import NULL_MARKERS

        cjk = ", ".join(f"'{m}'" for m in NULL_MARKERS if m and "\u4e00" <= m[0] <= "\u9fff")
        return f"(regexp_full_match({expr}, '{pattern}') AND {expr} NOT IN ({cjk}))"
    return f"regexp_full_match({expr}, '{pattern}')"


def _unclean_norm(sem: str, norm: str) -> str:
    """The normal form of a value that ``_clean_test`` refused, given its SQL normalisation ``norm``."""
    if sem == "id_number":
        # The UDF also turns 15-digit IDs into 18 (GB 11643); it runs on the few unclean values only.
        # It gets the SQL-normalised text: on its own it leaves full-width digits as they are.  A value
        # that SQL normalising made clean (lower-case x, full-width digits) skips it: the UDF returns
        # such a value unchanged, and a Python call per vector costs more than the rows it gets.
        return (f"(CASE WHEN regexp_full_match({norm}, '{CLEAN_FORMS[sem]}') THEN {norm} "
                f"ELSE sj_norm_id_number({norm}) END)")
    return norm


def _q(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _whoami() -> str:
    try:
        import getpass

        return getpass.getuser()
    except Exception:  # no user database in some containers
        return "unknown"
