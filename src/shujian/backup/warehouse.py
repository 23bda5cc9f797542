"""The DuckDB warehouse in a backup: the committed tables copied into one DuckDB file.

DuckDB lets one process write a database file while no other process has it open, so the copy attaches
the live warehouse READ_ONLY, waiting while an import or a run holds it.  Only tables that the metadata
snapshot knows are copied: a table an import is still building (``_stage_*``, or a version not yet
committed) is left out, so a restore never shows half an import.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from pathlib import Path

import duckdb

from ..errors import ConfigError

STAGING_PREFIX = "_stage_"


def _lock_error(exc: Exception) -> bool:
    return "lock" in str(exc).lower()


def attach_when_free(con: duckdb.DuckDBPyConnection, path: Path, alias: str, *, wait_seconds: float,
                     on_wait: Callable[[], None] | None = None) -> None:
    """ATTACH ``path`` read-only, retrying while another process writes to it (up to ``wait_seconds``)."""
    deadline = time.monotonic() + wait_seconds
    while True:
        try:
            con.execute(f"ATTACH '{_quote(path)}' AS {alias} (READ_ONLY)")
            return
        except duckdb.IOException as exc:
            if not _lock_error(exc) or time.monotonic() > deadline:
                raise ConfigError(f"分析库 {path} 被另一个进程占用超过 {wait_seconds:.0f} 秒，未能备份",
                                  hint="等待正在进行的导入或运行结束后重试，或用 --wait 延长等待") from exc
            if on_wait:
                on_wait()
            time.sleep(0.5)


def _quote(path: Path) -> str:
    return str(path).replace("'", "''")


def live_tables(con: duckdb.DuckDBPyConnection, alias: str) -> list[tuple[str, str]]:
    """(schema, table) of the base tables in the attached database ``alias``."""
    return [tuple(r) for r in con.execute(
        "SELECT schema_name, table_name FROM duckdb_tables() WHERE database_name = ? AND NOT temporary "
        "ORDER BY schema_name, table_name", [alias]).fetchall()]


def keep(tables: Iterable[tuple[str, str]], committed: set[str], dataset_table: Callable[[str], bool]) \
        -> list[tuple[str, str]]:
    """The tables to back up: every table except staging tables and dataset tables not committed."""
    out = []
    for schema, name in tables:
        if name.startswith(STAGING_PREFIX):
            continue
        if dataset_table(name) and name not in committed:
            continue
        out.append((schema, name))
    return out
