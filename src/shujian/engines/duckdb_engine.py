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
        # A model's result is a set of clues, so its rows need no order.  Without insertion-order
        # preservation DuckDB can stream and spill materialised CTEs and joins instead of holding
        # them to keep their order (DuckDB's own advice when a query runs out of memory); imports,
        # whose row ids are file row numbers, keep the connection's setting.
        self.con.execute("SET preserve_insertion_order = false")
        try:
            rel = self.con.sql(sql, params=parameters or None)
            return rel.to_arrow_table()
        finally:
            self.con.execute("RESET preserve_insertion_order")

    def _interrupt(self) -> None:
        self.con.interrupt()

    def _progress(self) -> float | None:
        try:
            return self.con.query_progress()
        except duckdb.Error:
            return None
