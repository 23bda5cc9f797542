"""Shared helpers for the benchmark scripts: demo cities on disk, DuckDB loading, machine facts, a fresh
metadata store (SQLite file or PostgreSQL schema)."""

from __future__ import annotations

import os
import platform
import shutil
import sys
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import duckdb
import psutil

from shujian.catalog.schema import CatalogSchema, ColumnSchema, DatasetSchema
from shujian.demo.core import Manifest, generate
from shujian.demo.evaluate import load_city

BENCH_DIR = Path(os.environ.get("SHUJIAN_BENCH_DIR", "/tmp/shujian-bench-engines"))
PG_URL = os.environ.get("SHUJIAN_TEST_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")


def log(msg: str) -> None:
    """Progress to stderr (stdout is the JSON report)."""
    sys.stderr.write(msg + "\n")
    sys.stderr.flush()


def city_dir(scale: str, city: Path | None = None, seed: int = 42) -> Path:
    """A generated demo city (generated now if its manifest is missing)."""
    out = city or BENCH_DIR / "cities" / scale
    if not (out / "manifest.json").is_file():
        # generated into a private directory and renamed into place: two scripts started together used
        # to generate into one directory at once and leave it half-written (files renamed under each other)
        tmp = out.parent / f".{out.name}.{os.getpid()}.tmp"
        shutil.rmtree(tmp, ignore_errors=True)
        log(f"generating the {scale} demo city into {out} (via {tmp.name}) …")
        m = generate(scale, seed, tmp)
        log(f"  {m.total_rows:,} rows in {m.seconds}s")
        if (out / "manifest.json").is_file():      # another script finished first: same seed, same files
            shutil.rmtree(tmp)
        else:
            shutil.rmtree(out, ignore_errors=True)  # a half-written directory of an interrupted run
            tmp.rename(out)
    return out


def load_city_duckdb(city: Path, *, memory_limit: str = "4GB", threads: int | None = None,
                     db_file: Path | None = None) -> tuple[duckdb.DuckDBPyConnection, CatalogSchema]:
    """Load a city into a DuckDB with a memory limit and a spill directory (as the warehouse is)."""
    spill = BENCH_DIR / "duckdb-spill"
    spill.mkdir(parents=True, exist_ok=True)
    config = {"memory_limit": memory_limit, "temp_directory": str(spill), "preserve_insertion_order": "true"}
    if threads:
        config["threads"] = str(threads)
    if db_file is not None and db_file.exists():
        db_file.unlink()
    con = duckdb.connect(str(db_file) if db_file else ":memory:", config=config)
    return load_city(city, con)


def machine_info() -> dict:
    """CPU, cores, RAM, OS and the load average at the time of the run (the machine is shared)."""
    cpu = platform.processor()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return {"cpu": cpu, "cores": os.cpu_count(), "ram_gb": round(psutil.virtual_memory().total / 2**30, 1),
            "os": platform.platform(), "load_avg_1m_at_start": round(os.getloadavg()[0], 2)}


def run_child(script: str, src: Path, *args: str) -> dict:
    """Run ``script`` (``python -c``) with ``src`` as the code under test and the text workers off (one
    process measures its own CPU); its last line of output as JSON, with the 1-min load at its start."""
    import json
    import subprocess

    env = {**os.environ, "PYTHONPATH": str(src), "SHUJIAN_TEXT_WORKERS": "0"}
    load = os.getloadavg()[0]
    done = subprocess.run([sys.executable, "-c", script, *args], env=env, check=True, capture_output=True, text=True)
    result = json.loads(done.stdout.strip().splitlines()[-1])
    result["load_avg_1m"] = round(load, 2)
    return result


def finish_report(report: dict, out: Path | None) -> None:
    """The load at the end into ``report["machine"]``, then the report as JSON to ``out`` (if given) and stdout."""
    import json

    report["machine"]["load_avg_1m_at_end"] = round(os.getloadavg()[0], 2)
    text = json.dumps(report, ensure_ascii=False, indent=1)
    if out:
        out.write_text(text + "\n", "utf-8")
    sys.stdout.write(text + "\n")


def catalog_from_manifest(city: Path) -> CatalogSchema:
    """The catalog ``load_city`` builds (relations ds_1…), without loading anything."""
    catalog = CatalogSchema()
    for i, info in enumerate(Manifest.load(city).datasets, 1):
        cols = tuple(ColumnSchema(c["name"], c["dtype"], info.semantics.get(c["name"])) for c in info.columns)
        catalog.add(DatasetSchema(info.name, f"ds_{i}", cols, version=1, level=info.level))
    return catalog


@contextmanager
def metadata_store(backend: str, home: Path, *, pg_url: str = PG_URL, keep: bool = False) -> Iterator[str]:
    """Point ``SHUJIAN_HOME`` at ``home`` and ``SHUJIAN_DATABASE_URL`` at a metadata store for one run: the
    SQLite file ``home/metadata.sqlite``, or (``backend="postgres"``) a new schema ``bench_<hex>`` on the
    PostgreSQL server at ``pg_url``, dropped afterwards unless ``keep``.  Yields the schema name ("" for
    SQLite)."""
    from sqlalchemy import create_engine, text

    os.environ["SHUJIAN_HOME"] = str(home)
    if backend != "postgres":
        os.environ["SHUJIAN_DATABASE_URL"] = f"sqlite:///{home / 'metadata.sqlite'}"
        yield ""
        return
    schema = f"bench_{uuid.uuid4().hex[:10]}"
    admin = create_engine(pg_url)
    try:
        with admin.begin() as conn:
            conn.execute(text(f'CREATE SCHEMA "{schema}"'))
        sep = "&" if "?" in pg_url else "?"
        os.environ["SHUJIAN_DATABASE_URL"] = f"{pg_url}{sep}options=-csearch_path%3D{schema}"
        yield schema
    finally:
        if not keep:
            with admin.begin() as conn:
                conn.execute(text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
        admin.dispose()
