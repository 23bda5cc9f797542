"""A workspace: SHUJIAN_HOME with the metadata store and the DuckDB warehouse.

Every command opens the workspace through :func:`open_workspace`, which creates the folder and
migrates the metadata store on first use, so no separate ``shujian init`` step is needed.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import duckdb

from .config import Settings, load_settings
from .db.session import Database
from .errors import ConfigError

_MIGRATED: set[str] = set()


class Workspace:
    def __init__(self, settings: Settings):
        self.settings = settings
        self.home: Path = settings.home_path
        self.db = Database(settings.metadata_url)

    # -- set-up -------------------------------------------------------------------------------
    def ensure(self) -> Workspace:
        try:
            self.home.mkdir(parents=True, exist_ok=True)
            self.settings.tmp_path.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise ConfigError(f"无法创建工作区目录 {self.home}：{exc.strerror}",
                              hint="设置 SHUJIAN_HOME 为一个可写目录") from exc
        if self.settings.metadata_url not in _MIGRATED:
            self.db.upgrade()
            _MIGRATED.add(self.settings.metadata_url)
        return self

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
        raise ConfigError(f"无法打开分析库 {path}：{exc}",
                          hint="可能有另一个 shujian 进程正在写入；等待其结束后重试") from exc
    # DuckDB's own terminal progress bar would print over the CLI's rich bars and into JSON output;
    # query_progress() still works for our bars.
    con.execute("SET enable_progress_bar = true")
    con.execute("SET enable_progress_bar_print = false")
    return con


def open_workspace(**overrides: object) -> Workspace:
    """Open (and if needed create and migrate) the workspace named by the settings."""
    return Workspace(load_settings(**overrides)).ensure()


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
