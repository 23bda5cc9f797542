"""Export warehouse relations to Parquet once, for engines that cannot read DuckDB files (Spark).

A catalog relation (``ds_000012``) holds one immutable dataset version, so its Parquet export
never goes stale: it is written once under the cache directory and reused by every later run.
Writes go to a temporary name and are renamed into place, so a crash never leaves a half file
that a later run would trust.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

import duckdb

from ..errors import InputError

_RELATION = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


def parquet_path(cache_dir: str | Path, relation: str) -> Path:
    """Where the export of ``relation`` lives (or will live)."""
    if not _RELATION.match(relation):
        raise InputError(f"关系名“{relation}”不是合法的表名，无法导出为 Parquet",
                         hint="目录中的物理表名只能含字母、数字和下划线")
    return Path(cache_dir) / f"{relation}.parquet"


def export_relation(con: duckdb.DuckDBPyConnection, relation: str, cache_dir: str | Path) -> Path:
    """Export ``relation`` from ``con`` to ``cache_dir/<relation>.parquet`` unless already there."""
    target = parquet_path(cache_dir, relation)
    if target.is_file():
        return target
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.with_name(f".{relation}.{os.getpid()}.tmp.parquet")
    path = str(tmp).replace("'", "''")
    con.execute(f'COPY (SELECT * FROM "{relation}") TO \'{path}\' '
                "(FORMAT parquet, COMPRESSION zstd, ROW_GROUP_SIZE 1000000)")
    os.replace(tmp, target)
    return target


__all__ = ["export_relation", "parquet_path"]
