"""Database connectors (数据库汇聚): pull a table or a query from any SQLAlchemy URL into a dataset version.

Rows are streamed from the source (server-side cursor, ``yield_per``) in Arrow batches into the staging
table, then go through the same importer as files: types (declared ones kept, text columns inferred),
semantic types, quality report, provenance, one atomic version.  A failed pull leaves the previous
version current.

Incremental pulls (增量汇聚): ``check_column`` (an id that only grows, or an updated-at time) pulls only
rows with a larger value than the current version holds; ``merge_key`` replaces the old rows having the
keys of pulled rows (updates), the rest are kept; without ``merge_key`` pulled rows are appended.  A pull
that brings nothing new (or, for a full pull, the same content) makes no new version.

Passwords: ``safe_url`` strips the password from every URL that is stored or shown; a saved source
names an environment variable (``password_env``) read at pull time.  Drivers: psycopg (PostgreSQL,
openGauss/KingbaseES in PostgreSQL mode), PyMySQL (MySQL/MariaDB), and any installed dialect
(达梦 ``dm+dmPython://``, KingbaseES ``kingbase+…``) — see docs/data-import.md.
"""

from __future__ import annotations

import datetime as dt
import json
import os
from collections.abc import Iterator
from dataclasses import dataclass, field
from decimal import Decimal

import pyarrow as pa

from ..engines.duckdb_arrow import register_arrow
from ..errors import ImportFailed, InputError
from .importer import Importer, ImportRequest, ImportResult, _table_hash
from .schema import RAW_PREFIX, ROW_ID

BATCH_ROWS = 50_000
TYPE_WORDS = {"VARCHAR": "text", "BIGINT": "int", "DOUBLE": "double", "DATE": "date", "TIMESTAMP": "timestamp",
              "BOOLEAN": "bool"}


@dataclass
class DbPull:
    url: str
    table: str | None = None
    query: str | None = None
    password_env: str | None = None
    check_column: str | None = None
    merge_key: list[str] = field(default_factory=list)
    batch_rows: int = BATCH_ROWS


def safe_url(url: str) -> str:
    """The URL without its password (for the metadata store, provenance, messages).

    >>> safe_url("postgresql+psycopg://rs:secret@10.0.0.5/rs")
    'postgresql+psycopg://rs@10.0.0.5/rs'
    """
    return _parse(url)._replace(password=None).render_as_string(hide_password=False)   # set(password=None) keeps it


def _parse(url: str):
    from sqlalchemy.engine import make_url
    from sqlalchemy.exc import ArgumentError

    try:
        return make_url(url)
    except (ArgumentError, ValueError) as exc:
        raise InputError(f"数据库连接串“{url[:60]}”格式不正确",
                         hint="应为 方言+驱动://用户@主机:端口/库名，如 postgresql+psycopg://rs@10.0.0.5:5432/rs") from exc


def connect_url(pull: DbPull):
    """The URL to connect with: the password comes from ``password_env`` when one is named."""
    url = _parse(pull.url)
    if pull.password_env:
        secret = os.environ.get(pull.password_env)
        if secret is None:
            raise InputError(f"环境变量 {pull.password_env} 未设置（数据源的密码从它读取）",
                             hint=f"先执行 export {pull.password_env}=密码，再导入或启动 shujian worker")
        url = url.set(password=secret)
    return url


def _engine(pull: DbPull):
    from sqlalchemy import create_engine
    from sqlalchemy.exc import NoSuchModuleError

    url = connect_url(pull)
    try:
        return create_engine(url)
    except (NoSuchModuleError, ModuleNotFoundError, ImportError) as exc:
        raise InputError(f"没有安装连接 {url.drivername} 数据库的驱动：{exc}",
                         hint="PostgreSQL 用 postgresql+psycopg://，MySQL/MariaDB 用 mysql+pymysql://（pip install pymysql）；"
                              "达梦、人大金仓等请安装厂商的 SQLAlchemy 方言") from exc


_SQLGLOT = {"postgresql": "postgres", "mysql": "mysql", "mariadb": "mysql", "sqlite": "sqlite", "oracle": "oracle",
            "mssql": "tsql", "dm": "oracle", "kingbase": "postgres", "opengauss": "postgres"}


def check_query(query: str, dialect: str) -> None:
    """Refuse anything but one read-only SELECT (the pull runs with the source's credentials)."""
    import sqlglot
    from sqlglot import exp

    try:
        statements = [s for s in sqlglot.parse(query, read=_SQLGLOT.get(dialect)) if s is not None]
    except sqlglot.errors.ParseError as exc:
        raise InputError(f"--query 不是可解析的 SQL：{str(exc).splitlines()[0]}", hint="只写一条 SELECT 查询") from exc
    if len(statements) != 1 or not isinstance(statements[0], exp.Query):
        raise InputError("--query 只能是一条 SELECT 查询", hint="不能包含 INSERT/UPDATE/DELETE/DDL 或多条语句")
    bad = (exp.Insert, exp.Update, exp.Delete, exp.Create, exp.Drop, exp.Alter, exp.Merge, exp.Command, exp.Into)
    found = next(statements[0].find_all(*bad), None)
    if found is not None:
        raise InputError(f"--query 含有写操作（{found.key.upper()}），只允许只读查询", hint="只写一条 SELECT 查询")


def source_sql(engine, pull: DbPull, last) -> tuple[str, dict]:
    """SELECT text and parameters of a pull (a table or a query), only new rows when ``last`` is given."""
    prep = engine.dialect.identifier_preparer
    if pull.query:
        check_query(pull.query, engine.dialect.name)
        base = f"SELECT * FROM ({pull.query.strip().rstrip(';')}) _shujian_src"
    else:
        parts = (pull.table or "").split(".")
        if not pull.table or len(parts) > 2 or not all(parts):
            raise InputError("请用 --table 表名（可写 模式.表名）或 --query 指定要导入的数据", hint="例如 --table public.社保缴费")
        base = "SELECT * FROM " + ".".join(prep.quote(p) for p in parts)
    if last is None or not pull.check_column:
        return base, {}
    return f"{base} WHERE {prep.quote(pull.check_column)} > :last", {"last": last}


# -- rows → Arrow ----------------------------------------------------------------------------------

def _arrow_type(values: list, scale: int | None) -> tuple[pa.DataType, bool]:
    """The Arrow type for a column from its first values; the flag says "convert to text"."""
    sample = next((v for v in values if v is not None), None)
    if isinstance(sample, bool):
        return pa.bool_(), False
    if isinstance(sample, int):
        return pa.int64(), False
    if isinstance(sample, float):
        return pa.float64(), False
    if isinstance(sample, Decimal):
        return (pa.decimal128(38, scale), False) if scale is not None and 0 <= scale <= 18 else (pa.string(), True)
    if isinstance(sample, dt.datetime):
        return pa.timestamp("us"), False
    if isinstance(sample, dt.date):
        return pa.date32(), False
    return pa.string(), True


def _text(v) -> str | None:
    if v is None or isinstance(v, str):
        return v
    if isinstance(v, bytes | bytearray | memoryview):
        return bytes(v).hex()
    if isinstance(v, dict | list):
        return json.dumps(v, ensure_ascii=False, default=str)
    return str(v)


def _value(v, t: pa.DataType):
    if isinstance(v, dt.datetime) and v.tzinfo is not None:
        return v.astimezone(dt.UTC).replace(tzinfo=None)      # stored as UTC without a zone
    return v


def batches(result, names: list[str], scales: list[int | None], size: int,
            progress) -> tuple[pa.Schema, Iterator[pa.RecordBatch]]:
    parts = result.partitions(size)
    first = next(parts, [])
    cols = list(zip(*first, strict=True)) if first else [() for _ in names]
    kinds = [_arrow_type(list(c), s) for c, s in zip(cols, scales, strict=True)]
    schema = pa.schema([pa.field(n, t) for n, (t, _) in zip(names, kinds, strict=True)])

    def convert(rows) -> pa.RecordBatch:
        columns = list(zip(*rows, strict=True))
        arrays = [pa.array([_text(v) for v in c] if as_text else [_value(v, t) for v in c], type=t)
                  for c, (t, as_text) in zip(columns, kinds, strict=True)]
        progress.advance(len(rows))
        return pa.RecordBatch.from_arrays(arrays, schema=schema)

    def gen() -> Iterator[pa.RecordBatch]:
        if first:
            yield convert(first)
        for rows in parts:
            yield convert(rows)

    return schema, gen()


# -- the pull --------------------------------------------------------------------------------------

def pull_to_dataset(ws, req: ImportRequest, pull: DbPull, progress=None, on_commit=None) -> ImportResult | None:
    """Pull ``pull`` into a new version of dataset ``req.name``; None when there was nothing new.
    ``on_commit``: see :class:`~shujian.catalog.importer.Importer` (the audit record's transaction)."""
    importer = Importer(ws, progress, on_commit)
    prev = _previous(ws, req.name)
    last = _last_value(ws, prev, pull.check_column) if prev else None
    source = f"{safe_url(pull.url)} " + (f"表 {pull.table}" if pull.table else "查询")

    def stage_fn(con, stage, job):
        from sqlalchemy import text

        engine = _engine(pull)
        importer.progress.stage(f"读取数据库 {source}")
        try:
            with engine.connect() as conn:
                sql, params = source_sql(engine, pull, last)
                result = conn.execution_options(stream_results=True, yield_per=pull.batch_rows).execute(
                    text(sql), params)
                names = list(result.keys())
                scales = [d[5] if len(d) > 5 else None for d in (result.cursor.description or [])] or [None] * len(names)
                schema, gen = batches(result, names, scales, pull.batch_rows, importer.progress)
                register_arrow(con, "_db_src", pa.RecordBatchReader.from_batches(schema, gen))
                con.execute(f'CREATE TABLE "{stage}" AS SELECT * FROM _db_src')
                con.unregister("_db_src")
                conn.rollback()                   # read only: nothing to keep on the source
        except InputError:
            raise
        except Exception as exc:   # driver errors differ per database: one located message
            first = str(getattr(exc, "orig", exc) or exc).strip().splitlines()
            raise ImportFailed(f"从 {source} 读取失败：{first[0] if first else type(exc).__name__}",
                               hint="检查连接串、账号权限、表名/查询和网络；之前的版本保持为当前版本") from exc
        finally:
            engine.dispose()
        _keep_previous_types(con, stage, req, prev)
        rows = con.execute(f'SELECT count(*) FROM "{stage}"').fetchone()[0]
        if rows == 0 and prev is None:
            raise ImportFailed(f"{source} 没有返回任何行", hint="检查表名或查询条件")
        return {"format": "database", "encoding": None, "hash": _table_hash(con, stage), "skipped": [],
                "source": source, "rows_pulled": rows}

    def combine(con, relation, r):
        return _combine(con, relation, prev, pull, importer)

    return importer.import_staged(req, stage_fn, combine)


def _previous(ws, name: str) -> dict | None:
    from ..db.models import Dataset

    with ws.db.unit_of_work() as s:
        ds = s.query(Dataset).filter_by(name=name).one_or_none()
        v = next((x for x in ds.versions if x.version == ds.current_version), None) if ds else None
        if v is None:
            return None
        return {"relation": v.relation, "hash": v.content_hash,
                "columns": {c.name: (c.dtype, c.semantic, c.raw_column) for c in v.columns}}


def _last_value(ws, prev: dict, column: str | None):
    if not column:
        return None
    if column not in prev["columns"]:
        raise InputError(f"增量字段“{column}”不在当前版本中", hint=f"现有列：{'、'.join(prev['columns'])}")
    with ws.warehouse() as con:
        return con.execute(f'SELECT max("{column}") FROM "{prev["relation"]}"').fetchone()[0]


def _keep_previous_types(con, stage: str, req: ImportRequest, prev: dict | None) -> None:
    """New rows of an existing dataset get the types and semantic types of its current version."""
    if prev is None:
        return
    present = {r[0]: r[1] for r in con.execute(f'DESCRIBE "{stage}"').fetchall()}
    for name, (dtype, semantic, _raw) in prev["columns"].items():
        if name not in present:
            continue
        word = "decimal" if dtype.startswith("DECIMAL") else TYPE_WORDS.get(dtype)
        if word and name not in req.types and present[name] == "VARCHAR":    # declared types are kept as they are
            req.types[name] = word
        if name not in req.semantics:
            req.semantics[name] = semantic or "none"


def _combine(con, relation: str, prev: dict | None, pull: DbPull, importer: Importer):
    """Merge the pulled rows (``relation``) with the current version: False when nothing is new."""
    n_new = con.execute(f'SELECT count(*) FROM "{relation}"').fetchone()[0]
    incremental = bool(pull.check_column or pull.merge_key)
    if prev is None:
        return {}
    if n_new == 0:
        if not incremental:
            raise ImportFailed("数据源返回 0 行；之前的版本保持为当前版本",
                               hint="确认源表是否被清空；如确需导入空表，请先核实数据来源")
        return False
    if not incremental:
        new_hash = _table_hash(con, relation)
        return False if new_hash == _table_hash(con, prev["relation"]) else {}
    new_cols = [r[0] for r in con.execute(f'DESCRIBE "{relation}"').fetchall() if r[0] != ROW_ID]
    old_cols = {r[0] for r in con.execute(f'DESCRIBE "{prev["relation"]}"').fetchall()}
    raws = {c for c in (set(new_cols) | old_cols) if c.startswith(RAW_PREFIX)}
    wanted = [c for c in new_cols if not c.startswith(RAW_PREFIX)] + sorted(raws)

    def side(alias: str, cols: set[str]) -> str:
        out = []
        for c in wanted:
            base = c[len(RAW_PREFIX):] if c.startswith(RAW_PREFIX) else None
            if c in cols:
                out.append(f'{alias}."{c}"')
            elif base and base in cols:
                out.append(f'{alias}."{base}" AS "{c}"')     # raw = value where this side kept none
            else:
                out.append(f'NULL AS "{c}"')
        return ", ".join(out)

    keys = [k for k in pull.merge_key if k in new_cols and k in old_cols]
    if pull.merge_key and len(keys) != len(pull.merge_key):
        raise ImportFailed(f"合并键 {'、'.join(pull.merge_key)} 不在拉取的数据或当前版本中",
                           hint=f"拉取的列：{'、'.join(new_cols)}")
    anti = (f" WHERE NOT EXISTS (SELECT 1 FROM \"{relation}\" n WHERE "
            + " AND ".join(f'n."{k}" IS NOT DISTINCT FROM p."{k}"' for k in keys) + ")") if keys else ""
    importer.progress.stage("合并增量数据")
    con.execute(f'CREATE TABLE "{relation}_m" AS SELECT row_number() OVER (ORDER BY _part, _r) AS "{ROW_ID}", '
                f'* EXCLUDE (_part, _r) FROM (SELECT 0 AS _part, p."{ROW_ID}" AS _r, {side("p", old_cols)} '
                f'FROM "{prev["relation"]}" p{anti} UNION ALL SELECT 1, n."{ROW_ID}", {side("n", set(new_cols))} '
                f'FROM "{relation}" n)')
    con.execute(f'DROP TABLE "{relation}"')
    con.execute(f'ALTER TABLE "{relation}_m" RENAME TO "{relation}"')
    return {c[len(RAW_PREFIX):]: c for c in raws}
