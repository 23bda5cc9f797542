"""A logical dump of the metadata store: one gzip'd JSON-lines file per table, portable between backends.

Why a logical dump rather than the database's own tools: one format for SQLite and PostgreSQL (and the
PostgreSQL-protocol domestic databases), restorable into either, readable without the database, and taken
from one consistent snapshot (SQLite: the online backup API into a private copy; PostgreSQL: one
REPEATABLE READ, READ ONLY transaction).  Restoring migrates the empty target to the dump's revision
first, so the tables match, then inserts the rows in foreign-key order.
"""

from __future__ import annotations

import base64
import gzip
import json
import sqlite3
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path

from sqlalchemy import Connection, MetaData, Table, select, text, types
from sqlalchemy.engine import Engine

from ..db.session import make_engine

BATCH = 1000
SKIP = frozenset({"alembic_version",       # set by migrating the target to the dump's revision
                  "clue_counts"})          # derived: rebuilt by the clues' triggers while the clues load


def _kind(col_type: types.TypeEngine) -> str:
    if isinstance(col_type, types.DateTime):
        return "datetime"
    if isinstance(col_type, types.Date):
        return "date"
    if isinstance(col_type, types.JSON):
        return "json"
    if isinstance(col_type, types.LargeBinary | types._Binary):
        return "bytes"
    if isinstance(col_type, types.Numeric) and not isinstance(col_type, types.Float):
        return "decimal"
    return "plain"


def _encode(value: object) -> object:
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, bytes | bytearray | memoryview):
        return base64.b64encode(bytes(value)).decode("ascii")
    if isinstance(value, Decimal):
        return str(value)
    return value


def _decode(value: object, kind: str) -> object:
    if value is None:
        return None
    if kind == "datetime" and isinstance(value, str):
        return datetime.fromisoformat(value)
    if kind == "date" and isinstance(value, str):
        return date.fromisoformat(value)
    if kind == "bytes":
        return base64.b64decode(value)
    if kind == "decimal":
        return Decimal(value)
    return value


@contextmanager
def snapshot(engine: Engine) -> Iterator[Connection]:
    """A read-only connection that sees one consistent state of the store while others keep writing."""
    if engine.dialect.name == "sqlite":
        with tempfile.TemporaryDirectory(prefix="shujian-backup-") as tmp:
            copy = Path(tmp) / "metadata.sqlite"
            src = sqlite3.connect(engine.url.database, timeout=30)
            dst = sqlite3.connect(copy)
            try:
                src.backup(dst)        # the online backup API: a consistent copy of a live database
            finally:
                dst.close()
                src.close()
            private = make_engine(f"sqlite:///{copy}")
            try:
                with private.connect() as conn:
                    yield conn
            finally:
                private.dispose()
        return
    with engine.connect().execution_options(isolation_level="REPEATABLE READ") as conn:
        conn.exec_driver_sql("SET TRANSACTION READ ONLY")
        try:
            yield conn
        finally:
            conn.rollback()


def tables_in_order(conn: Connection) -> list[Table]:
    meta = MetaData()
    meta.reflect(conn)
    return [t for t in meta.sorted_tables if t.name not in SKIP]


def dump(conn: Connection, folder: Path) -> dict[str, int]:
    """Write every table of ``conn`` to ``folder/<table>.jsonl.gz``; returns the row count per table."""
    folder.mkdir(parents=True, exist_ok=True)
    counts: dict[str, int] = {}
    for table in tables_in_order(conn):
        cols = list(table.columns)
        order = list(table.primary_key.columns) or cols
        n = 0
        with gzip.open(folder / f"{table.name}.jsonl.gz", "wt", encoding="utf-8") as out:
            out.write(json.dumps({"table": table.name, "columns": [[c.name, _kind(c.type)] for c in cols]},
                                 ensure_ascii=False) + "\n")
            result = conn.execution_options(yield_per=BATCH).execute(select(*cols).order_by(*order))
            for row in result:
                out.write(json.dumps([_encode(v) for v in row], ensure_ascii=False, default=str) + "\n")
                n += 1
        counts[table.name] = n
    return counts


def _rows(path: Path) -> tuple[list[list[str]], Iterator[list]]:
    f = gzip.open(path, "rt", encoding="utf-8")
    header = json.loads(f.readline())

    def rows() -> Iterator[list]:
        with f:
            for line in f:
                yield json.loads(line)

    return header["columns"], rows()


def load(conn: Connection, folder: Path) -> dict[str, int]:
    """Insert the dump in ``folder`` into the (migrated, empty) store of ``conn``; returns rows per table.

    Rows referring to their own table (an org's parent org) are inserted with that reference empty and
    then updated, so the order of the rows does not matter.
    """
    counts: dict[str, int] = {}
    for table in tables_in_order(conn):
        path = folder / f"{table.name}.jsonl.gz"
        if not path.exists():
            continue       # a table that is newer than the dump (cannot happen at the dump's revision)
        columns, rows = _rows(path)
        names = [c for c, _ in columns if c in table.columns]
        kinds = dict(columns)
        self_refs = [fk.parent.name for fk in table.foreign_keys if fk.column.table.name == table.name]
        pk = [c.name for c in table.primary_key.columns]
        later: list[dict] = []
        batch: list[dict] = []
        n = 0
        for raw in rows:
            record = {c: _decode(v, kinds[c]) for (c, _), v in zip(columns, raw, strict=True) if c in names}
            if self_refs and any(record.get(c) is not None for c in self_refs):
                later.append({**{k: record[k] for k in pk}, **{c: record[c] for c in self_refs}})
                record.update({c: None for c in self_refs})
            batch.append(record)
            if len(batch) >= BATCH:
                conn.execute(table.insert(), batch)
                batch = []
            n += 1
        if batch:
            conn.execute(table.insert(), batch)
        for ref in later:
            cond = [table.c[k] == ref[k] for k in pk]
            conn.execute(table.update().where(*cond).values({c: ref[c] for c in self_refs}))
        counts[table.name] = n
    if conn.dialect.name == "postgresql":
        _reset_sequences(conn)
    return counts


def _reset_sequences(conn: Connection) -> None:
    """Explicit ids were inserted: move every serial/identity sequence past the largest id."""
    for table in tables_in_order(conn):
        for col in table.primary_key.columns:
            seq = conn.execute(text("SELECT pg_get_serial_sequence(:t, :c)"),
                               {"t": table.name, "c": col.name}).scalar()
            if seq:
                conn.execute(text(f'SELECT setval(:s, COALESCE((SELECT max("{col.name}") FROM "{table.name}"), 0) + 1, '
                                  "false)"), {"s": seq})
