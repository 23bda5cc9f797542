"""A workspace: SHUJIAN_HOME with the metadata store and the DuckDB warehouse.

Every command opens the workspace through :func:`open_workspace`, which creates the folder and the
metadata store on first use, so no separate ``shujian init`` step is needed.  An existing store is never
migrated by itself: when this program ships newer migrations than the store has, every command except
``shujian db upgrade``/``db current``/``backup`` stops and says what will be migrated (docs/operations.md).
"""

from __future__ import annotations

import ast
import os
import re
from collections.abc import Iterator
from contextlib import contextmanager
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING

from .config import Settings, load_settings
from .errors import ConfigError, SchemaOutdated, WarehouseBusy

if TYPE_CHECKING:  # pragma: no cover
    import duckdb

    from .db.session import SchemaStatus

#: ``db.session.MIGRATIONS``, named here so that :func:`shipped_head` needs no SQLAlchemy (the light
#: ``clue list`` path compares it with the store's revision through the driver; a test checks the two agree)
MIGRATIONS = Path(__file__).parent / "db" / "migrations"

_CHECKED: set[str] = set()    # metadata URLs found current in this process (the check costs a query)


class Workspace:
    def __init__(self, settings: Settings):
        self.settings = settings
        self.home: Path = settings.home_path
        from .db.session import Database  # SQLAlchemy: only once a workspace is opened

        self.db = Database(settings.metadata_url)

    # -- set-up -------------------------------------------------------------------------------
    def ensure(self, *, check: bool = True, create: bool = True) -> Workspace:
        """Create the folders; create an empty metadata store (``create``); refuse an outdated one (``check``).

        ``check=False`` is for the commands that must work on an older store (``db upgrade``, ``backup``);
        ``create=False`` for read-only commands that must not write to an empty store (``db current``).
        """
        try:
            self.home.mkdir(parents=True, exist_ok=True)
            self.settings.tmp_path.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise ConfigError(f"无法创建工作区目录 {self.home}：{exc.strerror}",
                              hint="设置 SHUJIAN_HOME 为一个可写目录") from exc
        url = self.settings.metadata_url
        if not check or url in _CHECKED:
            return self
        from .db.session import current_revision, schema_status

        head = shipped_head()
        if head is not None and current_revision(self.db.engine) == head:     # the common case: one query
            _CHECKED.add(url)
            return self._audit_key()
        status = schema_status(self.db.engine)      # empty, outdated or unknown: Alembic's full comparison
        if status.empty:
            if not create:
                return self
            self.db.upgrade()
            _CHECKED.add(url)
            return self._audit_key(new=True)
        elif not status.up_to_date:
            raise outdated(status, self.db.where)
        _CHECKED.add(url)
        return self._audit_key()

    def _audit_key(self, *, new: bool = False) -> Workspace:
        """Create the audit key (``audit.key``, 0600) on first use and sign the audit chain head of a new
        store, before any service opens a transaction that appends to the chain."""
        from .security.audit import ensure_key

        ensure_key(self, sign_unsigned=new)
        return self

    def upgrade(self) -> SchemaStatus:
        """Apply every pending migration (``shujian db upgrade``); returns the status before."""
        from .db.session import schema_status

        before = schema_status(self.db.engine)
        if not before.known:
            raise outdated(before, self.db.where)
        self.db.upgrade()
        _CHECKED.add(self.settings.metadata_url)
        # a store migrated to 0011 now gets its head signed (never a head that was already there)
        self._audit_key(new=before.empty or any(rev == "0011_audit_head" for rev, _ in before.pending))
        return before

    # -- analytical store -----------------------------------------------------------------------
    @contextmanager
    def warehouse(self, *, read_only: bool = False) -> Iterator[duckdb.DuckDBPyConnection]:
        """A DuckDB connection to the warehouse, with a memory limit and a spill directory."""
        con = connect_duckdb(self.settings.duckdb_path, self.settings, read_only=read_only)
        try:
            yield con
        finally:
            con.close()

    def close(self) -> None:
        self.db.dispose()


def connect_duckdb(path: Path | str, settings: Settings, *, read_only: bool = False) -> duckdb.DuckDBPyConnection:
    import duckdb  # here, not at the top: commands that never open the warehouse do not load DuckDB

    config = {
        "memory_limit": settings.duckdb_memory_limit,
        "temp_directory": str(settings.tmp_path / "duckdb-spill"),
        "preserve_insertion_order": "true",
    }
    if settings.duckdb_threads:
        config["threads"] = str(settings.duckdb_threads)
    try:
        con = duckdb.connect(str(path), read_only=read_only, config=config)
    except duckdb.IOException as exc:
        busy = "lock" in str(exc).lower()
        raise (WarehouseBusy if busy else ConfigError)(
            f"无法打开分析库 {path}：{exc}", hint="可能有另一个 shujian 进程正在写入；等待其结束后重试") from exc
    # DuckDB's own terminal progress bar would print over the CLI's rich bars and into JSON output;
    # query_progress() still works for our bars.
    con.execute("SET enable_progress_bar = true")
    con.execute("SET enable_progress_bar_print = false")
    return con


def outdated(status: SchemaStatus, where: str) -> SchemaOutdated:
    """The refusal for a store that is not at this program's schema: what will be migrated, and how."""
    from . import __version__

    if not status.known:
        return SchemaOutdated(f"元数据库（{where}）的结构版本 {status.current} 不为本程序（shujian {__version__}）所知："
                              "它由更新版本的 shujian 写入",
                              hint="请使用写入它的（或更新的）shujian 版本，或从与本版本相符的备份恢复（shujian restore）")
    steps = "\n".join(f"  - {rev}：{doc}" for rev, doc in status.pending)
    return SchemaOutdated(f"元数据库（{where}）的结构版本为 {status.current}，本程序（shujian {__version__}）需要 "
                          f"{status.head}；升级将执行 {len(status.pending)} 个迁移：\n{steps}",
                          hint="先备份：shujian backup <备份目录>；再升级：shujian db upgrade。"
                               "除 db upgrade、db current、backup 外，任何命令都不会自行迁移。")


_ASSIGN = re.compile(r"^(down_revision|revision)\s*(?::[^=]*)?=\s*(.+?)\s*$", re.M)


@cache
def shipped_head() -> str | None:
    """The newest migration this program ships, read from the version files' ``revision`` and
    ``down_revision`` lines without importing Alembic (its import costs more than the rest of a light
    command).  None when the files do not give exactly one head: the caller then asks Alembic."""
    revisions, parents = set(), set()
    for path in (MIGRATIONS / "versions").glob("*.py"):
        found = dict(m.group(1, 2) for m in _ASSIGN.finditer(path.read_text(encoding="utf-8")))
        try:
            revision, down = ast.literal_eval(found["revision"]), ast.literal_eval(found.get("down_revision", "None"))
        except (KeyError, ValueError, SyntaxError):
            return None
        revisions.add(revision)
        parents |= set(down) if isinstance(down, (tuple, list)) else {down}
    heads = revisions - parents
    return heads.pop() if len(heads) == 1 else None


def open_workspace(*, check: bool = True, create: bool = True, **overrides: object) -> Workspace:
    """Open the workspace named by the settings (creating an empty one; refusing an outdated one)."""
    return Workspace(load_settings(**overrides)).ensure(check=check, create=create)


def pid_alive(pid: int | None) -> bool:
    if not pid:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True
