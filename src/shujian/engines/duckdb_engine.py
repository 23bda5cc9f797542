"""The default engine: the workspace's embedded DuckDB warehouse."""

from __future__ import annotations

import re
import uuid

import duckdb
import pyarrow as pa

from ..compiler.stages import StagedStatement, bind, split_stages
from .base import Engine, StagePlanner
from .duckdb_arrow import settle

_RUN_SUFFIX = re.compile(r"__run_[0-9a-f]+$")     # see _stages: the per-run suffix of stage tables
_SIZE = re.compile(r"^\s*([0-9.]+)\s*([KMGTP]?i?B|bytes?)\s*$", re.IGNORECASE)
#: bytes per value when a table's rows are held in memory (DuckDB's vectors: 8 bytes per fixed-size
#: value, 16 per string header plus its text) — an upper estimate for sizing, not an exact figure
_VALUE_BYTES = 16


class DuckDBEngine(Engine):
    """Runs a compiled model in stages (``compiler.stages``): each CTE that several steps read is
    written once to a temporary table, then the rest of the statement reads it.  One statement per
    stage keeps only that stage's joins and aggregates in memory, so a province-sized collision
    spills under the memory limit instead of failing; the tables are dropped when the run ends.
    ``staged=False`` runs the statement as one query (the result is the same).

    Stages are for the statements whose shared CTEs could outgrow memory.  When everything the
    statement reads fits, as rows in memory, in ``together_share`` of the memory limit, the stages
    run as one statement with each stage a ``MATERIALIZED`` CTE (``StagedStatement.together``): the
    same statements computed once each, without writing temporary tables or ending a statement per
    stage (frequent-lending-plaintiff on the large city: −20 % CPU).  Should that statement fail
    anyway (out of memory, or an error, which the stages then name by step), the stages run.
    ``together_share=0`` always runs the stages, and so does a statement calling the text step's
    Python function (``shujian_text``: slower as one statement, and costly to run twice)."""

    name = "duckdb"

    def __init__(self, con: duckdb.DuckDBPyConnection, *, staged: bool = True, text_words: tuple[str, ...] = (),
                 locked: bool = False, together_share: float = 0.5):
        self.con = con
        self.text_words = text_words           # the workspace's user dictionary for text steps
        self.staged = staged
        self.together_share = together_share
        self.locked = locked             # the connection's settings are locked (engines.isolated): no SET
        self._stage = (0, 1)             # (index, count) of the running statement, for progress
        self._stopped = False

    def _execute(self, sql: str, parameters: dict, plan: StagePlanner | None = None) -> pa.Table:
        # A model's result is a set of clues, so its rows need no order.  Without insertion-order
        # preservation DuckDB can stream and spill materialised CTEs and joins instead of holding
        # them to keep their order (DuckDB's own advice when a query runs out of memory); imports,
        # whose row ids are file row numbers, keep the connection's setting.
        settle(self.con)                 # DuckDB 2: a caller's unread one-row result blocks con.sql
        if not self.locked:              # an isolated connection is opened with it off
            self.con.execute("SET preserve_insertion_order = false")
        self._stopped = False
        self.step = None
        calls_text = "shujian_text" in sql.lower()
        if calls_text:                   # capability text.rules: the text step's Python function
            from ..text.udf import register_duckdb

            register_duckdb(self.con, self.text_words)
        stages = _stages(sql, plan) if self.staged else None
        created: list[str] = []
        try:
            # without a stage, the compiler's plan still gives the final statement, not ``sql``: it
            # marks the row-wise CTEs NOT MATERIALIZED, which DuckDB would otherwise write out when
            # two steps read one (accessory-penalty's counts, 1.5 M rows, on the large city); SQL
            # text without a plan (expert SQL, previews) runs as written
            if stages is None or (not stages.stages and plan is None):
                return self.con.sql(sql, params=parameters or None).to_arrow_table()
            # a statement calling the text function runs its stages: prepaid-card-complaints on the
            # large city took 51-55 s as one statement against 47-49 s staged (idle machine, 2 rounds),
            # and a failing one-statement run would screen every message twice
            if stages.stages and not calls_text and self._fits(stages):
                together, names = stages.together()
                try:
                    return self.con.sql(together, params=bind(names, parameters)).to_arrow_table()
                except duckdb.InterruptException:
                    raise
                except duckdb.Error:
                    if self._stopped:
                        raise
                    settle(self.con)       # out of memory, or an error the stages name by step: stage it
            count = len(stages.stages) + 1
            for i, stage in enumerate(stages.stages):
                self._next_stage(i, count)
                self.step = _RUN_SUFFIX.sub("", stage.table)
                created.append(stage.table)
                self.con.execute(f"CREATE TEMP TABLE {stage.table} AS {stage.sql}",
                                 bind(stage.parameters, parameters))
            self._next_stage(count - 1, count)
            self.step = None
            return self.con.sql(stages.final, params=bind(stages.final_parameters, parameters)).to_arrow_table()
        finally:
            for table in reversed(created):
                self.con.execute(f"DROP TABLE IF EXISTS temp.main.{table}")
            self._stage = (0, 1)
            if not self.locked:
                self.con.execute("RESET preserve_insertion_order")

    def _fits(self, stages: StagedStatement) -> bool:
        """Every relation the statement reads is a table whose rows, held in memory, take at most
        ``together_share`` of the connection's memory limit (a view or table function: unknown size)."""
        if self.locked or self.together_share <= 0 or not stages.relations:
            return False
        limit = _bytes(self.con.execute("SELECT current_setting('memory_limit')").fetchall()[0][0])
        sizes = dict(self.con.execute(
            "SELECT table_name, max(estimated_size * column_count) FROM duckdb_tables() "
            "WHERE list_contains($names, table_name) GROUP BY table_name",
            {"names": stages.relations}).fetchall())
        if limit is None or set(sizes) != set(stages.relations):
            return False
        return sum(sizes.values()) * _VALUE_BYTES <= self.together_share * limit

    def _next_stage(self, index: int, count: int) -> None:
        """Start statement ``index`` of ``count`` — unless the run was cancelled between two."""
        if self._stopped:
            raise duckdb.InterruptException("INTERRUPT Error: Interrupted!")
        self._stage = (index, count)

    def _interrupt(self) -> None:
        self._stopped = True
        self.con.interrupt()

    def _progress(self) -> float | None:
        try:
            pct = self.con.query_progress()
        except duckdb.Error:
            return None
        index, count = self._stage
        if pct is None or pct < 0:
            return 100.0 * index / count if index else pct
        return 100.0 * (index + pct / 100.0) / count


def _bytes(setting: str) -> float | None:
    """DuckDB's memory limit setting (``'7.4 GiB'``, ``'500.0 MiB'``) in bytes; None if unreadable."""
    m = _SIZE.match(setting or "")
    if m is None:
        return None
    unit = m.group(2).lower()
    base = 1024 if "i" in unit else 1000
    power = "kmgtp".find(unit[0]) + 1 if unit[0] in "kmgtp" else 0
    return float(m.group(1)) * base ** power


def _stages(sql: str, plan: StagePlanner | None) -> StagedStatement:
    """The compiler's plan when it gave one (no parsing), else the split of the text."""
    suffix = f"__run_{uuid.uuid4().hex[:10]}"       # temp tables of two runs on one connection apart
    return (plan(suffix) if plan is not None else None) or split_stages(sql, "duckdb", suffix=suffix)
