"""The default engine: the workspace's embedded DuckDB warehouse."""

from __future__ import annotations

import duckdb
import pyarrow as pa

from .base import Engine


class DuckDBEngine(Engine):
    name = "duckdb"

    def __init__(self, con: duckdb.DuckDBPyConnection):
        self.con = con

    def _execute(self, sql: str, parameters: dict) -> pa.Table:
        rel = self.con.sql(sql, params=parameters or None)
        return rel.to_arrow_table()

    def _interrupt(self) -> None:
        self.con.interrupt()

    def _progress(self) -> float | None:
        try:
            return self.con.query_progress()
        except duckdb.Error:
            return None
