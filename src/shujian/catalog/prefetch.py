"""A CSV file read while the import command starts (issue 20: the overlap of start-up and reading).

``shujian data import x.csv`` spends about a second of one core on Python before the importer reads
anything: importing SQLAlchemy's ORM and the models, opening the metadata store, checking its schema
and the user's right to import.  DuckDB's read of the file (the staging TEMP table, read by all of
DuckDB's threads with the GIL released) does not depend on any of it, so the command starts it first,
in a background thread (``CsvPrefetch.start``), on a DuckDB connection of its own that holds only the
file's rows: an in-memory database, **not** the warehouse, and nothing is written to the metadata
store.  The hashing and byte scan of the file start with it (``staging.Stager.stage_csv``).

The importer then waits for the read (``wait``), attaches the warehouse to that connection (``attach``:
the same file, lock and settings as ``Workspace.warehouse``) and goes on from the staging table as it
would from its own (``adopt``).  Whatever the prefetch does not take — a format other than CSV, an
encoding other than UTF-8 (a GBK file's transcoding competed with the start-up for the GIL: slower), a
file the checks refuse, any error — it drops, and the importer stages the file itself, with its own
messages.  On refusal, error or Ctrl-C before the importer takes it, ``close`` interrupts the read,
closes the connection (its TEMP tables go with it) and removes any file it wrote (a table footer cut
off a copy of the file); nothing is left.
"""

from __future__ import annotations

import os
import threading
from dataclasses import dataclass
from functools import partial
from pathlib import Path

STAGE = "_sj_prefetch"
ALIAS = "sj_warehouse"         # the warehouse as attached to the prefetch's connection
CSV_SUFFIXES = (".csv", ".tsv", ".txt")


@dataclass
class _Request:
    """What staging reads of an import request (``ImportRequest``, whose module loads SQLAlchemy)."""

    encoding: str | None
    header_row: int
    skip_bad_rows: bool = False


class _Closed(Exception):
    """The prefetch was closed while it read (raised from its progress calls)."""


class _Quiet:
    """The prefetch's progress: none shown; once the prefetch is closed, the next call stops the work
    calling it (a GBK file transcoded here, block by block, stops within a block)."""

    def __init__(self, pre: CsvPrefetch | None = None):
        self.pre = pre

    def _check(self) -> None:
        if self.pre is not None and self.pre._closed:
            raise _Closed

    def stage(self, description: str, total: float | None = None) -> None:
        self._check()

    def advance(self, amount: float) -> None:
        self._check()

    def update(self, completed: float) -> None:
        self._check()


class _Settings:
    def __init__(self, settings):
        self.settings = settings


class CsvPrefetch:
    """The background read of one CSV file into the TEMP table ``STAGE`` of an in-memory connection."""

    def __init__(self, path: Path, fmt: str | None, encoding: str | None, header_row: int):
        self.path, self.fmt, self.encoding, self.header_row = Path(path), fmt, encoding, header_row
        self.con = None
        self.info: dict | None = None        # staging's info, when the read succeeded
        self.error: BaseException | None = None
        self.tmp_files: list[Path] = []
        self.settings = None
        self._closed = False
        self._lock = threading.Lock()
        self._done = threading.Event()
        self._thread = threading.Thread(target=self._work, name="shujian-import-prefetch", daemon=True)

    @classmethod
    def start(cls, path: Path | str, *, fmt: str | None = None, encoding: str | None = None,
              header_row: int = 1) -> CsvPrefetch | None:
        """Start reading ``path`` when it looks like a CSV file (else None); ``SHUJIAN_IMPORT_PREFETCH=0``
        turns this off."""
        if os.environ.get("SHUJIAN_IMPORT_PREFETCH", "1") == "0":
            return None
        if fmt not in (None, "csv", "tsv") or Path(path).suffix.lower() not in CSV_SUFFIXES:
            return None
        pre = cls(Path(path), fmt, encoding, header_row)
        pre._thread.start()
        return pre

    # -- the background thread -------------------------------------------------------------------
    def _work(self) -> None:
        try:
            self._read()
        except BaseException as exc:  # the importer stages the file itself and says what is wrong
            self.error = exc
        finally:
            self._done.set()

    def _read(self) -> None:
        from ..config import load_settings
        from .inputs import _memory_setting, check_import_path, check_path, detect_format

        settings = load_settings()
        path = check_path(self.path)
        check_import_path(path, settings)          # the service's check, before a byte is read
        if detect_format(path, self.fmt) != "csv":
            return
        from . import readers

        # a GBK/GB18030 file is left to the importer: transcoded here, its first run's decoding (Python's
        # codec, holding the GIL) fought the start-up's imports — measured slower and ≈ 0.5 CPU s more
        encoding = (self.encoding or readers.detect_encoding(path)).lower()
        if encoding not in ("utf-8", "utf8", "utf-8-sig"):
            return
        from ..workspace import connect_duckdb
        from .staging import Stager

        settings.tmp_path.mkdir(parents=True, exist_ok=True)
        with self._lock:
            if self._closed:
                return
            self.settings = settings
            self.con = connect_duckdb(":memory:", settings)
        # the import's memory limit, as Importer._run sets it on its connection
        self.con.execute(f"SET memory_limit = '{_memory_setting(settings.import_memory_limit)}'")
        req = _Request(self.encoding, self.header_row)
        info = Stager(_Settings(settings), _Quiet(self)).stage_csv(self.con, STAGE, f"p{os.getpid()}", self.tmp_files,
                                                               path.resolve(), req)
        materialise = info.pop("materialise", None)
        if self._closed:
            return
        # as Importer._build_version does: a TEMP table read by every thread, unless DuckDB has one
        if materialise is not None and int(self.con.execute("SELECT current_setting('threads')").fetchone()[0]) > 1:
            materialise(self.con, STAGE)
            info["view"], info["tracked"] = False, True
        else:
            info["materialise"] = materialise
        self.info = info

    # -- the importer's side ---------------------------------------------------------------------
    def wait(self, progress=None) -> bool:
        """Wait for the read (showing DuckDB's progress); True when its table can be taken.  Ctrl-C
        interrupts the read (``close``) and is raised."""
        if progress is not None and not self._done.is_set():
            progress.stage("读取数据", total=100)
        try:
            while not self._done.wait(0.2):
                if progress is not None and self.con is not None:
                    pct = self.con.query_progress()
                    if pct and pct > 0:
                        progress.update(pct)
        except KeyboardInterrupt:
            self.close()
            raise
        return self.info is not None and self.error is None and not self._closed

    def matches(self, path: Path, fmt: str, encoding: str | None, header_row: int) -> bool:
        """Whether this read is the one the request ``(path, fmt, encoding, header_row)`` asks for."""
        return (fmt == "csv" and Path(path).resolve() == self.path.resolve() and encoding == self.encoding
                and header_row == self.header_row)

    def attach(self, warehouse: Path):
        """The connection, with the warehouse attached and used by default (new tables go there)."""
        import duckdb

        from ..errors import ConfigError, WarehouseBusy

        try:
            self.con.execute(f"ATTACH {_literal(str(warehouse))} AS {ALIAS}")
        except duckdb.IOException as exc:   # as workspace.connect_duckdb says it
            busy = "lock" in str(exc).lower()
            raise (WarehouseBusy if busy else ConfigError)(
                f"无法打开分析库 {warehouse}：{exc}", hint="可能有另一个 shujian 进程正在写入；等待其结束后重试") from exc
        self.con.execute(f"USE {ALIAS}")
        return self.con

    def adopt(self, con, stage: str, job, req) -> dict:
        """The staging step of the import (``Importer._build``'s ``stage_fn``): the prefetched table
        becomes ``stage``; its files are the import's to remove."""
        _job_id, tmp_files = job
        con.execute(f'ALTER TABLE temp.main."{STAGE}" RENAME TO "{stage}"')
        tmp_files.extend(self.tmp_files)
        self.tmp_files = []
        info = self.info
        self.info = None
        finish = info.get("finish")
        if finish is not None:   # the bad lines are checked against the real request (--skip-bad-rows)
            info["finish"] = partial(finish.func, *finish.args, **{**finish.keywords, "req": req})
        return info

    def close(self) -> None:
        """Stop the read if it runs, close the connection (its TEMP tables go with it) and remove the
        files it wrote.  Safe to call again."""
        with self._lock:
            self._closed = True
            con = self.con
        if con is not None and not self._done.is_set():
            con.interrupt()
        self._done.wait()
        self._thread.join()
        if con is not None:
            try:
                con.close()
            except Exception:  # noqa: BLE001 - closing an interrupted connection: nothing more to do
                pass
        self.con = None
        for f in self.tmp_files:
            f.unlink(missing_ok=True)
        self.tmp_files = []


def _literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"
