"""``shujian backup`` / ``shujian restore``: a consistent copy of a running workspace, and its restoration.

A backup is a folder::

    manifest.json            what is inside, with the sha256 and size of every file below
    metadata/<table>.jsonl.gz   the metadata store (logical dump, see backup.metadata)
    warehouse.duckdb         the committed warehouse tables (see backup.warehouse)
    files/…                  everything else under SHUJIAN_HOME: attachments, key files, shujian.toml

Order of work, so that nothing in the backup is partial: (1) attach the warehouse read-only, which waits
for a running import or model run to let go of it and keeps writers out while we copy; (2) take the
metadata snapshot; (3) copy exactly the warehouse tables that snapshot has committed; (4) copy the files.
Runs and jobs the snapshot shows as still running are marked interrupted on restore, so they can be
retried there.  The folder is written as ``OUT.partial`` and renamed when complete.
"""

from __future__ import annotations

import hashlib
import json
import re
import shutil
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import duckdb
from sqlalchemy import text

from .. import __version__
from ..db.base import utcnow
from ..db.session import current_revision, schema_status, upgrade
from ..errors import ConfigError, InputError
from ..workspace import Workspace
from . import metadata, warehouse

FORMAT = 1
MANIFEST = "manifest.json"
DATASET_TABLE = re.compile(r"^ds_\d+$")
#: what is not copied from SHUJIAN_HOME: the stores (copied their own way), scratch space, derived caches
EXCLUDED_TOP = frozenset({"tmp", "parquet", "demo-city", "metadata.sqlite", "metadata.sqlite-wal",
                          "metadata.sqlite-shm", "metadata.sqlite-journal", "warehouse.duckdb",
                          "warehouse.duckdb.wal"})

Progress = Callable[[str], None]


@dataclass
class BackupReport:
    path: Path
    revision: str | None
    tables: dict[str, int] = field(default_factory=dict)
    warehouse_tables: list[str] = field(default_factory=list)
    files: int = 0
    bytes: int = 0


def _sha256(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def _say(progress: Progress | None, message: str) -> None:
    if progress:
        progress(message)


def backup(ws: Workspace, out: Path, *, wait_seconds: float = 600, progress: Progress | None = None) -> BackupReport:
    """Write a consistent backup of ``ws`` to the new folder ``out``."""
    out = out.expanduser().resolve()
    if out.exists():
        raise InputError(f"备份目录 {out} 已存在", hint="换一个新的目录名（备份不会覆盖已有文件）")
    if out.is_relative_to(ws.home) and not out.is_relative_to(ws.settings.tmp_path):
        raise InputError(f"备份目录 {out} 位于工作区 {ws.home} 之内", hint="请把备份写到工作区之外（另一块磁盘更好）")
    partial = out.with_name(out.name + ".partial")
    shutil.rmtree(partial, ignore_errors=True)
    partial.mkdir(parents=True)
    try:
        report = _write(ws, partial, wait_seconds, progress)
        partial.rename(out)
    except BaseException:
        shutil.rmtree(partial, ignore_errors=True)
        raise
    report.path = out
    return report


def _write(ws: Workspace, folder: Path, wait_seconds: float, progress: Progress | None) -> BackupReport:
    settings = ws.settings
    target = folder / "warehouse.duckdb"
    con = duckdb.connect(str(target), config={"memory_limit": settings.duckdb_memory_limit,
                                              "temp_directory": str(settings.tmp_path / "duckdb-spill")})
    try:
        has_wh = settings.duckdb_path.exists()
        if has_wh:
            _say(progress, "等待分析库空闲（正在进行的导入或运行结束后开始）…")
            warehouse.attach_when_free(con, settings.duckdb_path, "live", wait_seconds=wait_seconds)
        _say(progress, "导出元数据库（一致快照）…")
        with metadata.snapshot(ws.db.engine) as snap:
            revision = snap.execute(text("SELECT version_num FROM alembic_version")).scalar() \
                if _has_version_table(snap) else None
            tables = metadata.dump(snap, folder / "metadata")
            committed = {r[0] for r in snap.execute(text("SELECT relation FROM dataset_versions"))} \
                if "dataset_versions" in tables else set()
        copied: list[str] = []
        if has_wh:
            chosen = warehouse.keep(warehouse.live_tables(con, "live"), committed, DATASET_TABLE.match)
            for i, (schema, name) in enumerate(chosen, 1):
                _say(progress, f"复制分析库表 {i}/{len(chosen)}：{name}")
                con.execute(f'CREATE SCHEMA IF NOT EXISTS "{schema}"')
                con.execute(f'CREATE TABLE "{schema}"."{name}" AS SELECT * FROM live."{schema}"."{name}"')
                copied.append(f"{schema}.{name}")
            con.execute("DETACH live")
        con.execute("CHECKPOINT")
    finally:
        con.close()
    _say(progress, "复制附件、密钥与配置文件…")
    n_files = _copy_files(ws.home, folder / "files")
    report = BackupReport(folder, revision, tables, copied, n_files)
    _write_manifest(folder, ws, report)
    return report


def _has_version_table(conn) -> bool:
    from sqlalchemy import inspect

    return inspect(conn).has_table("alembic_version")


def _copy_files(home: Path, dest: Path) -> int:
    n = 0
    for path in sorted(home.rglob("*")):
        rel = path.relative_to(home)
        if rel.parts[0] in EXCLUDED_TOP or rel.parts[0].endswith(".partial") or not path.is_file():
            continue
        target = dest / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(path, target)
        n += 1
    return n


def _write_manifest(folder: Path, ws: Workspace, report: BackupReport) -> None:
    files = {}
    for path in sorted(folder.rglob("*")):
        if path.is_file():
            files[path.relative_to(folder).as_posix()] = {"sha256": _sha256(path), "size": path.stat().st_size}
    report.bytes = sum(f["size"] for f in files.values())
    manifest = {
        "format": FORMAT, "shujian_version": __version__, "created_at": datetime.now(UTC).isoformat(),
        "source": {"home": str(ws.home), "metadata_backend": ws.db.engine.dialect.name},
        "metadata_revision": report.revision, "tables": report.tables,
        "warehouse_tables": report.warehouse_tables, "files": files,
    }
    (folder / MANIFEST).write_text(json.dumps(manifest, ensure_ascii=False, indent=1), encoding="utf-8")


def read_manifest(folder: Path) -> dict:
    """The manifest of a backup, after checking every file's size and sha256 against it."""
    path = folder / MANIFEST
    if not path.exists():
        raise InputError(f"{folder} 不是 shujian 备份：缺少 {MANIFEST}", hint="指定 shujian backup 生成的目录")
    manifest = json.loads(path.read_text(encoding="utf-8"))
    if manifest.get("format") != FORMAT:
        raise InputError(f"备份格式 {manifest.get('format')} 不受本版本支持", hint="用生成该备份的 shujian 版本恢复")
    bad = []
    for rel, info in manifest["files"].items():
        f = folder / rel
        if not f.is_file():
            bad.append(f"{rel}（缺失）")
        elif f.stat().st_size != info["size"] or _sha256(f) != info["sha256"]:
            bad.append(f"{rel}（校验和不符）")
    if bad:
        raise InputError(f"备份 {folder} 不完整或已被改动：{'、'.join(bad[:10])}" + ("…" if len(bad) > 10 else ""),
                         hint="换一份完好的备份；不要手工修改备份目录")
    return manifest


def _ensure_empty(ws: Workspace) -> None:
    problems = []
    if current_revision(ws.db.engine) is not None:
        problems.append(f"元数据库 {ws.db.where} 已有数据")
    if ws.settings.duckdb_path.exists():
        problems.append(f"分析库 {ws.settings.duckdb_path} 已存在")
    if (ws.home / "attachments").exists() and any((ws.home / "attachments").iterdir()):
        problems.append("附件目录不为空")
    if problems:
        raise InputError("只能恢复到空的工作区：" + "；".join(problems),
                         hint="设置新的 SHUJIAN_HOME（和新的 SHUJIAN_DATABASE_URL）后再运行 shujian restore")


def restore(ws: Workspace, folder: Path, *, progress: Progress | None = None) -> dict:
    """Restore the backup in ``folder`` into the empty workspace ``ws``, then bring it to this version."""
    folder = folder.expanduser().resolve()
    _say(progress, "校验备份文件…")
    manifest = read_manifest(folder)
    _ensure_empty(ws)
    revision = manifest["metadata_revision"]
    status = schema_status(ws.db.engine)
    if revision and not _known(ws, revision):
        raise InputError(f"备份的元数据库版本 {revision} 比本程序新（本程序最新为 {status.head}）",
                         hint=f"用 shujian {manifest['shujian_version']} 或更新的版本恢复")
    _say(progress, f"恢复元数据库（版本 {revision}）…")
    try:
        upgrade(ws.db.engine, revision or "head")
        with ws.db.engine.begin() as conn:
            _clear_migration_rows(conn)
            counts = metadata.load(conn, folder / "metadata")
            interrupted = _interrupt_unfinished(conn)
    except BaseException:
        _drop_all(ws)
        raise
    if (folder / "warehouse.duckdb").exists():
        _say(progress, "恢复分析库…")
        ws.settings.duckdb_path.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(folder / "warehouse.duckdb", ws.settings.duckdb_path)
    files = folder / "files"
    if files.exists():
        _say(progress, "恢复附件、密钥与配置文件…")
        shutil.copytree(files, ws.home, dirs_exist_ok=True)
    before = schema_status(ws.db.engine)
    if before.pending:
        _say(progress, f"升级元数据库：{before.current} → {before.head}…")
        ws.upgrade()
    return {"tables": counts, "revision": revision, "upgraded_to": schema_status(ws.db.engine).current,
            "warehouse_tables": len(manifest["warehouse_tables"]), "files": len(manifest["files"]),
            "interrupted": interrupted}


def _clear_migration_rows(conn) -> None:
    """Rows a migration writes into a new store (the audit chain head of 0010) give way to the backup's."""
    from sqlalchemy import inspect, text

    if inspect(conn).has_table("audit_head"):
        conn.execute(text("DELETE FROM audit_head"))


def _known(ws: Workspace, revision: str) -> bool:
    from alembic.script import ScriptDirectory
    from alembic.util import CommandError

    from ..db.session import alembic_config

    try:
        return ScriptDirectory.from_config(alembic_config(ws.db.url)).get_revision(revision) is not None
    except CommandError:
        return False


def _interrupt_unfinished(conn) -> dict[str, int]:
    """Jobs and runs still running when the backup was taken cannot resume here: mark them interrupted."""
    now = utcnow()
    jobs = conn.execute(text("UPDATE jobs SET status = 'interrupted', error = :e, finished_at = :t "
                             "WHERE status IN ('running', 'queued')"),
                        {"e": "备份时仍在进行，恢复后标记为中断；之前的版本保持不变，可重新执行", "t": now}).rowcount
    runs = conn.execute(text("UPDATE runs SET status = 'failed', error = :e, finished_at = :t "
                             "WHERE status IN ('running', 'queued')"),
                        {"e": "备份时仍在运行（中断）；未写入线索，可用 shujian model retry 重新运行", "t": now}).rowcount
    return {"jobs": jobs, "runs": runs}


def _drop_all(ws: Workspace) -> None:
    """A failed restore leaves the target empty again (nothing half-restored)."""
    from sqlalchemy import MetaData

    meta = MetaData()
    with ws.db.engine.begin() as conn:
        meta.reflect(conn)
        meta.drop_all(conn)
    if ws.settings.duckdb_path.exists():
        raise ConfigError("恢复失败后分析库文件残留", hint=f"删除 {ws.settings.duckdb_path} 后重试")
