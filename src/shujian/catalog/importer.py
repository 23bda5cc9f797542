"""The import pipeline: source file → staging table → typed, normalised dataset version.

Atomicity: the new version becomes visible only when its metadata row commits, which happens last.
Anything that fails or is interrupted before that drops its DuckDB tables and marks the job
``failed`` or ``interrupted``; the previous version stays current.
"""

from __future__ import annotations

import os
import re
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Protocol

import duckdb
import pyarrow as pa

from ..config import CLASSIFICATION_LEVELS
from ..db.base import utcnow
from ..db.models import Dataset, DatasetColumn, DatasetVersion, Job
from ..errors import ImportFailed, InputError
from ..workspace import Workspace
from . import readers
from .schema import RAW_PREFIX, ROW_ID, ColumnSchema

FORMATS = {".csv": "csv", ".tsv": "csv", ".txt": "csv", ".xlsx": "xlsx", ".xlsm": "xlsx",
           ".parquet": "parquet", ".pq": "parquet", ".jsonl": "jsonl", ".ndjson": "jsonl"}
MAX_NAME = 64
SAMPLE_ROWS = 10_000
MAX_LISTED_BAD = 20


_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


def check_upload_name(name: str | None) -> str:
    """The bare file name of an uploaded file; refuses names that try to climb out of the upload folder.

    A browser sends only a file name.  A name with a ``..`` component, control characters or NUL is
    an attempt at path traversal and is refused (not silently cut down), so the attempt is visible.
    Folder parts of an otherwise harmless name (``C:\\报表\\a.xlsx`` from old browsers) are dropped.
    """
    raw = (name or "").strip()
    parts = [p for p in re.split(r"[\\/]", raw) if p]
    if not parts or _CONTROL.search(raw) or any(p in ("..", ".") for p in parts):
        raise InputError(f"上传的文件名“{_CONTROL.sub('?', raw)[:100]}”不合法：含有“..”或控制字符（路径穿越）",
                         hint="只上传普通文件，文件名中不要包含“..”或路径；重命名后再上传")
    return parts[-1]


def check_import_path(path: Path | str, settings) -> Path:
    """The real location of a file to import, checked (导入路径检查); raises :class:`InputError`.

    Rules: the file must exist and be a regular file (not a folder, device or pipe); it may not be one
    of the workspace's own files (metadata store, warehouse, configuration: the files directly in the
    workspace folder); and when ``SHUJIAN_IMPORT_ROOTS`` is set it must lie, after following symbolic
    links, inside one of those folders or inside the workspace (web uploads, the demo city).  Without
    import roots a local operator may import any file their account can read.
    """
    given = Path(path).expanduser()
    try:
        real = given.resolve(strict=True)
    except (FileNotFoundError, RuntimeError, OSError):
        raise InputError(f"导入文件 {given} 不存在或无法访问", hint="检查路径和文件权限") from None
    if not real.is_file():
        raise InputError(f"导入路径 {given} 不是普通文件（目录、设备或管道不能导入）", hint="给出一个数据文件的路径")
    home = settings.home_path
    if real.parent == home:
        raise InputError(f"导入文件 {given} 是工作区 {home} 自身的文件（元数据库、数据仓库或配置），不能作为数据导入",
                         hint="把数据文件放到工作区之外（或其子目录）再导入")
    roots = settings.import_root_paths
    if roots and not real.is_relative_to(home) and not any(real.is_relative_to(r) for r in roots):
        shown = f"{given}（实际位置 {real}）" if real != given.absolute() else str(given)
        raise InputError(f"导入文件 {shown} 不在允许的导入目录之内：{'、'.join(map(str, roots))}",
                         hint="把文件复制到导入目录下再导入，或请系统管理员调整 SHUJIAN_IMPORT_ROOTS")
    return real


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


def validate_name(name: str | None) -> str:
    """Dataset names are shown everywhere and used in models: short, printable, no path characters."""
    name = (name or "").strip()
    if not name:
        raise InputError("数据集名称不能为空", hint="用 --name 指定，例如 --name 养老金发放")
    if len(name) > MAX_NAME:
        raise InputError(f"数据集名称“{name[:20]}…”过长（{len(name)} 个字符，最多 {MAX_NAME} 个）",
                         hint="请使用简短的名称，例如“养老金发放”")
    if re.search(r"[\x00-\x1f\x7f/\\\"`]", name) or name.startswith(("_", ".")):
        raise InputError(f"数据集名称“{name}”含有不允许的字符（控制字符、斜杠、引号，或以 _ . 开头）",
                         hint="名称只用中文、字母、数字、短横线和下划线")
    return name


def detect_format(path: Path, fmt: str | None) -> str:
    if fmt:
        fmt = fmt.lower().lstrip(".")
        fmt = {"tsv": "csv", "xls": "xlsx", "ndjson": "jsonl", "json": "jsonl"}.get(fmt, fmt)
        if fmt not in set(FORMATS.values()):
            raise InputError(f"不支持的格式“{fmt}”", hint="支持 csv、tsv、xlsx、parquet、jsonl")
        return fmt
    if path.suffix.lower() == ".xls":
        raise InputError(f"文件 {path.name} 是旧版 .xls 格式，暂不支持", hint="请用 Excel 或 WPS 另存为 .xlsx 后再导入")
    try:
        return FORMATS[path.suffix.lower()]
    except KeyError:
        raise InputError(f"无法从扩展名判断文件 {path.name} 的格式",
                         hint="支持 .csv .tsv .xlsx .parquet .jsonl；或用 --format 指定") from None


def check_path(path: Path | str) -> Path:
    p = Path(path).expanduser()
    if not p.exists():
        raise InputError(f"文件 {p} 不存在", hint="检查路径是否正确（相对路径以当前目录为准）")
    if p.is_dir():
        raise InputError(f"{p} 是一个目录，不是文件", hint="请指定目录中的某个数据文件")
    if p.stat().st_size == 0:
        raise ImportFailed(f"文件 {p.name} 是空文件（0 字节）", hint="确认导出是否成功，重新获取数据后再导入")
    return p


class Importer:
    def __init__(self, ws: Workspace, progress: ProgressSink | None = None):
        self.ws = ws
        self.progress = progress or _NoProgress()

    # -- entry points ---------------------------------------------------------------------------
    def import_file(self, req: ImportRequest) -> ImportResult:
        req.name = validate_name(req.name)
        path = check_path(req.path) if req.path is not None else None
        if path is None:
            raise InputError("缺少要导入的文件路径")
        fmt = detect_format(path, req.fmt)
        req.path = path.resolve()
        return self._run(req, lambda con, stage, job: self._stage_file(con, stage, job, path, fmt, req))

    def import_arrow(self, req: ImportRequest, data: pa.Table | Iterator[pa.RecordBatch],
                     schema: pa.Schema | None = None) -> ImportResult:
        """Import in-memory Arrow data (parsed judgments, the demo city, the law tables)."""
        req.name = validate_name(req.name)

        def stage_fn(con, stage, job):
            reader = (pa.RecordBatchReader.from_batches(data.schema, data.to_batches())
                      if isinstance(data, pa.Table) else pa.RecordBatchReader.from_batches(schema, data))
            con.register("_arrow_src", reader)
            con.execute(f'CREATE TABLE "{stage}" AS SELECT * FROM _arrow_src')
            con.unregister("_arrow_src")
            return {"format": "arrow", "encoding": None, "hash": _table_hash(con, stage), "skipped": []}

        return self._run(req, stage_fn)

    # -- the pipeline ---------------------------------------------------------------------------
    def _run(self, req: ImportRequest, stage_fn) -> ImportResult:
        level = req.level or self.ws.settings.default_level
        if level not in CLASSIFICATION_LEVELS:
            raise InputError(f"分级“{level}”无效", hint=f"可选：{'/'.join(CLASSIFICATION_LEVELS)}")
        started = time.monotonic()
        job_id = self._start_job(req.name)
        stage, relation = f"_stage_{job_id}", f"ds_{job_id:06d}"
        tmp_files: list[Path] = []
        try:
            with self.ws.warehouse() as con:
                con.execute(f"SET memory_limit = '{_memory_setting(self.ws.settings.import_memory_limit)}'")
                try:
                    info = stage_fn(con, stage, (job_id, tmp_files))
                    # Parquet and Arrow carry declared types: keep them (a 是/否 text column stays text).
                    self._typed_source = info.get("format") in ("parquet", "arrow")
                    columns, notes = self._build_version(con, stage, relation, req)
                    rows = con.execute(f'SELECT count(*) FROM "{relation}"').fetchone()[0]
                    quality = self._quality(con, relation, columns, req)
                    result = self._commit(req, level, relation, rows, columns, info, quality, notes, started)
                except BaseException:
                    con.execute(f'DROP TABLE IF EXISTS "{relation}"')
                    raise
                finally:
                    con.execute(f'DROP TABLE IF EXISTS "{stage}"')
        except (KeyboardInterrupt, duckdb.InterruptException) as exc:
            # Ctrl-C while DuckDB runs a statement surfaces as its InterruptException
            self._finish_job(job_id, "interrupted", "导入被中断（Ctrl-C）；之前的版本保持不变，可重新导入")
            if isinstance(exc, KeyboardInterrupt):
                raise
            raise KeyboardInterrupt from exc
        except BaseException as exc:
            self._finish_job(job_id, "failed", str(exc))
            raise
        finally:
            for f in tmp_files:
                f.unlink(missing_ok=True)
        self._finish_job(job_id, "succeeded", None, {"dataset": req.name, "version": result.version})
        return result

    def _stage_file(self, con, stage: str, job, path: Path, fmt: str, req: ImportRequest) -> dict:
        job_id, tmp_files = job
        if fmt == "csv":
            return self._stage_csv(con, stage, job_id, tmp_files, path, req)
        if fmt == "parquet":
            self.progress.stage("读取 Parquet")
            try:
                con.execute(f'CREATE TABLE "{stage}" AS SELECT * FROM read_parquet(?)', [str(path)])
            except duckdb.Error as exc:
                raise ImportFailed(f"无法读取 Parquet 文件 {path.name}：{exc}", hint="确认文件完整且为 Parquet 格式") from exc
            self._check_not_empty(con, stage, path)
            return {"format": fmt, "encoding": None, "hash": readers.hash_file(path), "skipped": []}
        if fmt == "xlsx":
            self.progress.stage("读取 Excel")
            header, batches = readers.xlsx_batches(path, req.sheet)
            self._stage_batches(con, stage, header, batches)
            self._check_not_empty(con, stage, path)
            return {"format": fmt, "encoding": None, "hash": readers.hash_file(path), "skipped": [],
                    "sheet": req.sheet}
        # jsonl
        self.progress.stage("读取 JSON Lines")
        bad: list[readers.BadLine] = []
        try:
            header, batches = readers.jsonl_batches(path, bad)
        except UnicodeDecodeError as exc:
            raise ImportFailed(f"文件 {path.name} 不是 UTF-8 编码", hint="JSON Lines 文件须为 UTF-8") from exc
        if not header:
            raise ImportFailed(f"文件 {path.name} 中没有任何 JSON 对象行", hint="每行应是一个 JSON 对象")
        self._stage_batches(con, stage, header, batches)
        skipped = [{"line": b.line, "error": b.message} for b in bad]
        self._check_bad_rows(skipped, path, req)
        self._check_not_empty(con, stage, path)
        return {"format": fmt, "encoding": "utf-8", "hash": readers.hash_file(path), "skipped": skipped}

    def _stage_batches(self, con, stage: str, header: list[str], batches: Iterator[pa.RecordBatch]) -> None:
        schema = pa.schema([pa.field(h, pa.string()) for h in header])
        reader = pa.RecordBatchReader.from_batches(schema, batches)
        con.register("_batches_src", reader)
        con.execute(f'CREATE TABLE "{stage}" AS SELECT * FROM _batches_src')
        con.unregister("_batches_src")

    def _stage_csv(self, con, stage: str, job_id: int, tmp_files: list[Path], path: Path,
                   req: ImportRequest) -> dict:
        size = path.stat().st_size
        encoding = req.encoding or readers.detect_encoding(path)
        encoding = {"gbk": "gb18030", "gb2312": "gb18030", "utf8": "utf-8"}.get(encoding.lower(), encoding.lower())
        source = path
        if encoding in ("utf-8", "utf-8-sig"):
            self.progress.stage("校验文件", total=size)
            digest = readers.hash_file(path, self.progress.advance)
        else:
            self.progress.stage(f"转换编码 {encoding.upper()} → UTF-8", total=size)
            source = self.ws.settings.tmp_path / f"import_{job_id}.csv"
            tmp_files.append(source)
            digest = readers.transcode_to_utf8(path, source, encoding, self.progress.advance)
        header = readers.first_line(source, "utf-8-sig")
        if not header.strip():
            raise ImportFailed(f"文件 {path.name} 没有表头（第 1 行为空）", hint="第 1 行应为列名")
        delim = readers.sniff_delimiter(header, path.suffix.lower())
        self.progress.stage("读取数据", total=100)
        self._read_csv(con, stage, source, delim, path)
        skipped = self._csv_rejects(con)
        self._check_bad_rows(skipped, path, req)
        self._check_not_empty(con, stage, path)
        return {"format": "csv", "encoding": encoding, "hash": digest, "skipped": skipped}

    def _read_csv(self, con, stage: str, source: Path, delim: str, path: Path) -> None:
        sql = (f'CREATE TABLE "{stage}" AS SELECT * FROM read_csv(?, header=true, all_varchar=true, '
               f"delim=?, quote='\"', escape='\"', strict_mode=true, ignore_errors=true, "
               f"store_rejects=true, rejects_table='_rejects', rejects_scan='_rejects_scan', "
               f"max_line_size=16777216, null_padding=false)")
        done = threading.Event()
        error: list[BaseException] = []

        def work() -> None:
            try:
                con.execute(sql, [str(source), delim])
            except BaseException as exc:  # re-raised in the caller's thread
                error.append(exc)
            finally:
                done.set()

        thread = threading.Thread(target=work, daemon=True)
        thread.start()
        try:
            while not done.wait(0.2):
                pct = con.query_progress()
                if pct and pct > 0:
                    self.progress.update(pct)
        except KeyboardInterrupt:
            con.interrupt()
            thread.join()
            raise
        thread.join()
        if error:
            exc = error[0]
            if isinstance(exc, duckdb.Error):
                msg = str(exc)
                if "unicode" in msg.lower() or "utf" in msg.lower():
                    raise ImportFailed(f"文件 {path.name} 含有无效的 UTF-8 字节（可能混用了 GBK 与 UTF-8）",
                                       hint="请统一另存为 UTF-8 或 GBK 后再导入") from exc
                raise ImportFailed(f"无法读取 CSV 文件 {path.name}：{msg.splitlines()[0]}",
                                   hint="确认文件是逗号或制表符分隔的文本文件") from exc
            raise exc
        self.progress.update(100)

    @staticmethod
    def _csv_rejects(con) -> list[dict]:
        rows = con.execute("SELECT line, min(error_type), min(error_message), min(csv_line) "
                           "FROM _rejects GROUP BY line ORDER BY line").fetchall()
        con.execute("DROP TABLE IF EXISTS _rejects")
        con.execute("DROP TABLE IF EXISTS _rejects_scan")
        out = []
        for line, etype, emsg, text in rows:
            m = re.search(r"Expected Number of Columns: (\d+) Found: (\d+)", emsg or "")
            if m:
                message = f"字段数为 {m.group(2)}，应为 {m.group(1)}"
            elif etype == "UNQUOTED VALUE" or "quote" in (emsg or "").lower():
                message = "引号不匹配"
            elif etype == "INVALID UNICODE" or "unicode" in (emsg or "").lower():
                message = "含有不是 UTF-8 的字节（可能是 GBK 编码的行混入了 UTF-8 文件），请统一编码后重新导入"
            else:
                message = (emsg or etype or "无法解析").splitlines()[0]
            out.append({"line": int(line), "error": message, "text": (text or "")[:200]})
        return out

    @staticmethod
    def _check_bad_rows(skipped: list[dict], path: Path, req: ImportRequest) -> None:
        if not skipped or req.skip_bad_rows:
            return
        listed = "、".join(str(s["line"]) for s in skipped[:MAX_LISTED_BAD])
        more = f" 等 {len(skipped)} 行" if len(skipped) > MAX_LISTED_BAD else ""
        first = skipped[0]
        raise ImportFailed(
            f"文件 {path.name} 第 {listed} 行{more}格式有误（例如第 {first['line']} 行：{first['error']}）；未导入任何数据",
            hint="修正这些行后重新导入，或加 --skip-bad-rows 跳过它们（跳过的行会列在导入结果中）",
            details={"bad_rows": skipped[:1000]})

    @staticmethod
    def _check_not_empty(con, stage: str, path: Path) -> None:
        n = con.execute(f'SELECT count(*) FROM "{stage}"').fetchone()[0]
        if n == 0:
            raise ImportFailed(f"文件 {path.name} 只有表头，没有数据行", hint="确认导出时选择了数据范围")

    # -- typing, semantics, normalisation -------------------------------------------------------
    def _build_version(self, con, stage: str, relation: str, req: ImportRequest) -> tuple[list[ColumnSchema], list[str]]:
        from . import semantic, typeinfer

        self.progress.stage("推断类型与数据要素")
        semantic.register_udfs(con)
        described = con.execute(f'DESCRIBE "{stage}"').fetchall()
        names = [r[0] for r in described]
        unknown = sorted(set(req.semantics) - set(names))
        if unknown:
            raise InputError(f"--semantic 指定的列 {'、'.join(unknown)} 不在文件中",
                             hint=f"文件中的列：{'、'.join(names)}")
        missing = [k for k in (req.key_columns or []) if k not in names]
        if missing:
            raise InputError(f"--key 指定的列 {'、'.join(missing)} 不在文件中",
                             hint=f"文件中的列：{'、'.join(names)}")
        samples = _samples(con, stage, [n for n, t, *_ in described if t == "VARCHAR"])
        plans: list[tuple[str, str, str, str | None, str | None]] = []   # name, dtype, expr, semantic, source
        notes: list[str] = []
        for name, dtype, *_ in described:
            col = _q(name)
            expr, out_type = col, _norm_dtype(dtype)
            if dtype == "VARCHAR" and not getattr(self, "_typed_source", False):
                inferred = typeinfer.infer_column(samples.get(name, []))
                if inferred.dtype != "VARCHAR":
                    expr, out_type = typeinfer.parse_sql(inferred, col), inferred.dtype
            sem, source = self._semantic_for(name, _detect_sample(samples.get(name, [])), req, semantic)
            plans.append((name, out_type, expr, sem, source))
        retyped: set[str] = set()
        while True:   # at most twice: a value the sample did not show may fail to parse
            columns, raw_cols = self._create_relation(con, stage, relation, plans, semantic)
            failed, differs = self._check_relation(con, stage, relation, plans, raw_cols)
            if not failed:
                break
            for name, bad in failed.items():
                notes.append(f"列“{name}”有 {bad} 个值无法按推断的类型解析，已按文本保存")
                retyped.add(name)
            plans = [(n, "VARCHAR", _q(n), sem, src) if n in retyped else (n, t, e, sem, src)
                     for n, t, e, sem, src in plans]
        for _name, raw in raw_cols:
            if not differs[raw]:
                con.execute(f'ALTER TABLE "{relation}" DROP COLUMN {_q(raw)}')
        self._raw_columns = {name: raw for name, raw in raw_cols if differs[raw]}
        self._sources = {p[0]: p[4] for p in plans}
        return columns, notes

    def _create_relation(self, con, stage: str, relation: str, plans: list, semantic) -> tuple[list, list]:
        """CREATE the version table in one scan of the staging table (typed, normalised, raw kept)."""
        select = [f"rowid + 1 AS {_q(ROW_ID)}"]
        columns: list[ColumnSchema] = []
        raw_cols: list[tuple[str, str]] = []
        for name, out_type, expr, sem, _src in plans:
            norm = semantic.normalize_sql(sem, expr) if sem and out_type == "VARCHAR" else None
            if norm:
                select.append(f"{_fast_path(sem, expr, norm)} AS {_q(name)}")
                select.append(f"{expr} AS {_q(RAW_PREFIX + name)}")
                raw_cols.append((name, RAW_PREFIX + name))
            else:
                select.append(f"{expr} AS {_q(name)}")
            columns.append(ColumnSchema(name=name, dtype=out_type, semantic=sem))
        self.progress.stage("写入数据集版本")
        con.execute(f'DROP TABLE IF EXISTS "{relation}"')
        con.execute(f'CREATE TABLE "{relation}" AS SELECT {", ".join(select)} FROM "{stage}"')
        return columns, raw_cols

    @staticmethod
    def _check_relation(con, stage: str, relation: str, plans: list, raw_cols: list) -> tuple[dict, dict]:
        """One scan: values that did not parse (typed column NULL, raw text not null) and whether
        each normalised column differs from its raw column anywhere."""
        from .typeinfer import null_sql

        typed = [p[0] for p in plans if p[1] != "VARCHAR" and p[2] != _q(p[0])]
        parts = [f"count(*) FILTER (WHERE r.{_q(n)} IS NULL AND {null_sql('s.' + _q(n))} IS NOT NULL)"
                 for n in typed]
        parts += [f"count(*) FILTER (WHERE r.{_q(raw)} IS DISTINCT FROM r.{_q(n)})" for n, raw in raw_cols]
        if not parts:
            return {}, {}
        row = con.execute(f'SELECT {", ".join(parts)} FROM "{stage}" s POSITIONAL JOIN "{relation}" r').fetchone()
        failed = {n: bad for n, bad in zip(typed, row[:len(typed)], strict=True) if bad}
        differs = {raw: bool(d) for (_n, raw), d in zip(raw_cols, row[len(typed):], strict=True)}
        return failed, differs

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

    def _quality(self, con, relation: str, columns: list[ColumnSchema], req: ImportRequest) -> dict:
        from . import quality

        self.progress.stage("数据质量核查")
        return quality.quality_report(con, relation, columns, key_columns=req.key_columns)

    # -- metadata -------------------------------------------------------------------------------
    def _commit(self, req, level, relation, rows, columns, info, quality, notes, started) -> ImportResult:
        with self.ws.db.unit_of_work() as s:
            ds = s.query(Dataset).filter_by(name=req.name).one_or_none()
            if ds is None:
                ds = Dataset(name=req.name, level=level, description=req.description)
                s.add(ds)
                s.flush()
            elif req.description:
                ds.description = req.description
            number = (s.query(DatasetVersion.version).filter_by(dataset_id=ds.id)
                      .order_by(DatasetVersion.version.desc()).limit(1).scalar() or 0) + 1
            version = DatasetVersion(
                dataset_id=ds.id, version=number, relation=relation,
                source_path=str(req.path) if req.path else None, source_format=info.get("format"),
                source_encoding=info.get("encoding"), source_sheet=info.get("sheet"),
                agency=req.agency, request_no=req.request_no, period_start=req.period_start,
                period_end=req.period_end, importer=req.importer or _whoami(), row_count=rows,
                content_hash=info.get("hash"), level=level, skipped_rows=len(info.get("skipped") or []),
                skipped=(info.get("skipped") or [])[:1000], quality=quality,
                note="\n".join(notes + ([req.note] if req.note else [])) or None)
            for pos, c in enumerate(columns):
                version.columns.append(DatasetColumn(
                    position=pos, name=c.name, dtype=c.dtype, semantic=c.semantic,
                    semantic_source=self._sources.get(c.name), raw_column=self._raw_columns.get(c.name)))
            s.add(version)
            ds.current_version = number
            ds.level = level
        return ImportResult(dataset=req.name, version=number, relation=relation, rows=rows,
                            skipped_rows=len(info.get("skipped") or []), skipped=info.get("skipped") or [],
                            columns=columns, content_hash=info.get("hash") or "",
                            seconds=round(time.monotonic() - started, 3), notes=notes)

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


def _fast_path(sem: str, expr: str, norm: str) -> str:
    pattern = CLEAN_FORMS.get(sem)
    if pattern is None:
        return norm
    if sem == "id_number":
        # The UDF also turns 15-digit IDs into 18 (GB 11643); it runs on the few unclean values only.
        # It gets the SQL-normalised text: on its own it leaves full-width digits as they are.
        norm = f"sj_norm_id_number({norm})"
    return f"(CASE WHEN regexp_full_match({expr}, '{pattern}') THEN {expr} ELSE {norm} END)"


def _memory_setting(value: str) -> str:
    if not re.fullmatch(r"\s*\d+(\.\d+)?\s*[KMGT]?i?B\s*", value, re.IGNORECASE):
        raise InputError(f"SHUJIAN_IMPORT_MEMORY_LIMIT 的值“{value}”无效", hint="应为类似 1GB、512MB 的大小")
    return value.strip()


def _q(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _whoami() -> str:
    try:
        import getpass

        return getpass.getuser()
    except Exception:  # no user database in some containers
        return "unknown"
