"""The whole built-in model library on a demo city: wall time, rows scanned per second, peak memory per model.

    python benchmarks/bench_library.py --scale medium [--memory-limit 4GB] [--engine duckdb|spark]
                                       [--one-statement]
                                       [--models gang-repeat-offenders,prepaid-card-complaints]

The city is generated if missing (``SHUJIAN_BENCH_DIR``/cities/<scale>) and loaded once into a
file-backed DuckDB database (as the workspace warehouse holds it); loading is reported apart.
Each model is compiled by the shujian compiler and executed through the engine class the run
service uses (``DuckDBEngine`` / ``SparkEngine``), which measures seconds and the process's peak
resident memory.  Rows scanned = rows of every dataset version the model reads.  Clue-store writes
are not included (they depend on the metadata database, not the engine).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import time
from pathlib import Path
from typing import Any

import duckdb
import psutil

sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import BENCH_DIR, catalog_from_manifest, city_dir, load_city_duckdb, log, machine_info  # noqa: E402

from shujian.catalog.schema import CatalogSchema  # noqa: E402
from shujian.compiler import compile_model  # noqa: E402
from shujian.demo.pipeline import score_pairs  # noqa: E402
from shujian.engines.duckdb_engine import DuckDBEngine  # noqa: E402
from shujian.models_library import list_models  # noqa: E402


def open_city(scale: str, city: Path | None, memory_limit: str, threads: int | None = None
              ) -> tuple[duckdb.DuckDBPyConnection, CatalogSchema, dict[str, int], float]:
    """Load the city into ``BENCH_DIR/<scale>.duckdb`` and reopen it under ``memory_limit``."""
    city = city_dir(scale, city)
    db_file = BENCH_DIR / f"{scale}.duckdb"
    done = db_file.with_suffix(".loaded")
    t0 = time.perf_counter()
    if done.is_file() and done.read_text() == str((city / "manifest.json").stat().st_mtime_ns):
        catalog = catalog_from_manifest(city)      # same city already loaded: reuse the database
    else:
        done.unlink(missing_ok=True)
        con, catalog = load_city_duckdb(city, memory_limit="8GB", db_file=db_file)
        con.close()
        done.write_text(str((city / "manifest.json").stat().st_mtime_ns))
    load_seconds = round(time.perf_counter() - t0, 2)
    spill = BENCH_DIR / "duckdb-spill"
    config = {"memory_limit": memory_limit, "temp_directory": str(spill), "preserve_insertion_order": "true"}
    if threads:
        config["threads"] = str(threads)
    con = duckdb.connect(str(db_file), config=config)
    rows = {ds.relation: con.execute(f"SELECT count(*) FROM {ds.relation}").fetchall()[0][0]
            for ds in catalog.datasets.values()}
    return con, catalog, rows, load_seconds


def rows_scanned(compiled: Any, catalog: CatalogSchema, rows: dict[str, int]) -> int:
    names = getattr(compiled, "datasets", None) or []
    return sum(rows[catalog.get(n).relation] for n in names if catalog.get(n) is not None)


def _cpu() -> float:
    """CPU seconds of this process and its children (the Spark JVM in local mode)."""
    me = psutil.Process()
    t = me.cpu_times()
    total = t.user + t.system
    for child in me.children(recursive=True):
        try:
            ct = child.cpu_times()
            total += ct.user + ct.system
        except psutil.Error:
            pass
    return total


def score(model: Any, table: Any, planted: list[dict] | None) -> dict:
    """The demo's scoring (:func:`shujian.demo.pipeline.score_pairs`) on the engine's output table."""
    if planted is None:
        return {}
    pairs = zip(table.column(model.output.subject.key).to_pylist(), table.column("_rule").to_pylist(), strict=True)
    return score_pairs({(str(s), str(r)) for s, r in pairs}, planted, limit=5)


def run_library(engine: Any, dialect: str, catalog: CatalogSchema, rows: dict[str, int],
                only: set[str] | None = None, truth: dict | None = None) -> list[dict]:
    """Run every built-in model (or those in ``only``) once on ``engine``; one result dict per model.

    With ``truth`` (the city's ground_truth.json) each model's clues are scored against the planted
    violations, so a fast run that finds the wrong subjects does not pass unnoticed."""
    out = []
    for model in list_models():
        if only and model.id not in only:
            continue
        t0 = time.perf_counter()
        compiled = compile_model(model, catalog, dialect)
        compile_seconds = round(time.perf_counter() - t0, 3)
        cpu0 = _cpu()
        ex = engine.execute(compiled.sql, compiled.parameters, plan=compiled.staged)   # as a run does
        cpu = round(_cpu() - cpu0, 2)
        scanned = rows_scanned(compiled, catalog, rows)
        out.append({"model": model.id, "seconds": ex.seconds, "compile_seconds": compile_seconds,
                    "cpu_seconds": cpu, "rows_scanned": scanned,
                    "rows_per_second": int(scanned / ex.seconds) if ex.seconds else None,
                    "clues": ex.table.num_rows, "peak_memory_mb": ex.peak_memory_mb,
                    **score(model, ex.table, None if truth is None else truth.get(model.id, []))})
        scored = out[-1]
        quality = f"  precision {scored['precision']:.3f} recall {scored['recall']:.3f}" if "recall" in scored else ""
        log(f"  {model.id:30} {ex.seconds:8.2f}s {scanned:>12,} rows  {ex.table.num_rows:>6} clues  "
            f"{ex.peak_memory_mb:>8.0f} MB  cpu {cpu:.2f}s (compile {compile_seconds:.2f}s){quality}")
    return out


def spark_engine_for(con: duckdb.DuckDBPyConnection, catalog: CatalogSchema, scale: str):
    from shujian.engines.parquet_cache import export_relation
    from shujian.engines.spark_engine import SparkEngine, get_session

    engine = SparkEngine(get_session("local[2]"))
    cache = BENCH_DIR / f"parquet-{scale}"
    for ds in catalog.datasets.values():
        engine.register_parquet(ds.relation, export_relation(con, ds.relation, cache))
    return engine


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--scale", default="medium")
    ap.add_argument("--city", type=Path, default=None)
    ap.add_argument("--memory-limit", default="4GB")
    ap.add_argument("--threads", type=int, default=None)
    ap.add_argument("--engine", choices=("duckdb", "spark"), default="duckdb")
    ap.add_argument("--out", type=Path, default=None)
    ap.add_argument("--models", default=None, help="comma-separated model ids (default: the whole library)")
    ap.add_argument("--one-statement", action="store_true",
                    help="DuckDB: run each model as one statement instead of in stages (for comparison)")
    args = ap.parse_args(argv)
    con, catalog, rows, load_seconds = open_city(args.scale, args.city, args.memory_limit, args.threads)
    log(f"{args.scale}: {sum(rows.values()):,} rows in {len(rows)} datasets, loaded in {load_seconds}s")
    if args.engine == "spark":
        engine, dialect = spark_engine_for(con, catalog, args.scale), "spark"
    else:
        engine, dialect = DuckDBEngine(con, staged=not args.one_statement), "duckdb"
    machine = machine_info()                   # before the run: the load average at the start
    t0 = time.perf_counter()
    only = set(args.models.split(",")) if args.models else None
    truth_file = city_dir(args.scale, args.city) / "ground_truth.json"
    truth = json.loads(truth_file.read_text("utf-8")) if truth_file.is_file() else None
    results = run_library(engine, dialect, catalog, rows, only, truth)
    wall = round(time.perf_counter() - t0, 2)
    scanned = sum(r["rows_scanned"] for r in results)
    execute = round(sum(r["seconds"] for r in results), 2)
    cpu = round(sum(r["cpu_seconds"] for r in results), 2)
    report = {"benchmark": "library", "scale": args.scale, "engine": args.engine,
              "memory_limit": args.memory_limit, "machine": machine,
              "staged": args.engine == "spark" or not args.one_statement,
              "versions": {"duckdb": duckdb.__version__, "python": platform.python_version()},
              "city_rows": sum(rows.values()), "load_seconds": load_seconds, "wall_seconds": wall,
              "execute_seconds": execute, "execute_cpu_seconds": cpu, "compile_seconds": round(sum(r["compile_seconds"] for r in results), 2),
              "rows_scanned": scanned, "rows_per_second": int(scanned / wall) if wall else None,
              "peak_memory_mb": max(r["peak_memory_mb"] for r in results),
              "load_avg_1m_at_end": round(os.getloadavg()[0], 2), "models": results}
    log(f"whole library: {wall}s wall ({execute}s executing), {scanned:,} rows scanned, peak {report['peak_memory_mb']} MB")
    out = args.out or Path(__file__).parent / "results" / f"library-{args.scale}-{args.engine}.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(report, ensure_ascii=False, indent=1), "utf-8")
    sys.stdout.write(json.dumps(report, ensure_ascii=False, indent=1) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
