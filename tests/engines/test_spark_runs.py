"""Runs on Spark through the real run service: same clues as DuckDB, Parquet cache, cancellation."""

from __future__ import annotations

import threading
import time

import pytest

from shujian.clues.service import ClueService
from shujian.engines.spark_engine import SparkEngine
from shujian.errors import Cancelled
from shujian.runs.service import RunService

from .conftest import IN_CUSTODY, RELEASED

pytestmark = pytest.mark.spark


def _clues(ws) -> dict[str, dict]:
    return {c["subject"]["key"]: c for c in ClueService(ws).list()}


def test_spark_run_finds_the_same_clues_as_duckdb(spark, tiny_city, pension_model):
    on_spark = RunService(tiny_city).run(pension_model, engine="spark")
    assert on_spark.status == "succeeded" and on_spark.clues_new == 2
    spark_clues = _clues(tiny_city)
    assert set(spark_clues) == {IN_CUSTODY, RELEASED}
    assert spark_clues[RELEASED]["facts"]["months"] == 4
    on_duck = RunService(tiny_city).run(pension_model, engine="duckdb")
    assert (on_duck.clues_new, on_duck.clues_seen) == (0, 2)    # same fingerprints: nothing new
    assert RunService(tiny_city).get_run(on_spark.run_id)["engine"] == "spark"
    assert on_spark.peak_memory_mb and on_spark.peak_memory_mb > 0


def test_relations_are_exported_once(spark, tiny_city, pension_model):
    RunService(tiny_city).run(pension_model, engine="spark")
    files = sorted((tiny_city.settings.home_path / "parquet").glob("*.parquet"))
    assert len(files) == 2
    stamps = [f.stat().st_mtime_ns for f in files]
    RunService(tiny_city).run(pension_model, engine="spark")
    assert [f.stat().st_mtime_ns for f in files] == stamps


def _cancel_once_running(spark, engine: SparkEngine, cancel: threading.Event) -> threading.Thread:
    """Set ``cancel`` as soon as one of ``engine``'s Spark jobs runs (not after a fixed delay: on a loaded machine
    planning can outlast one, and a job group cancelled before its job starts does not stop that job)."""
    tracker = spark.sparkContext.statusTracker()

    def watch() -> None:
        while not cancel.is_set():
            if any((job := tracker.getJobInfo(j)) and job.status == "RUNNING"
                   for j in tracker.getJobIdsForGroup(engine.group)):
                cancel.set()
            time.sleep(0.05)

    thread = threading.Thread(target=watch, daemon=True)
    thread.start()
    return thread


def test_cancel_stops_a_spark_query(spark):
    engine = SparkEngine(spark)
    cancel = threading.Event()
    watcher = _cancel_once_running(spark, engine, cancel)
    slow = "SELECT count(*) FROM range(200000000) a JOIN range(200000000) b ON a.id % 1000003 = b.id % 1000003"
    with pytest.raises(Cancelled):
        engine.execute(slow, {}, cancel=cancel)
    watcher.join()
    assert spark.sql("SELECT 1 AS x").collect()[0].x == 1    # the session is still usable


def test_a_cancel_made_before_any_job_runs_still_stops_the_query(spark):
    """cancelJobGroup reaches only running jobs: a cancel made while Spark still plans was lost once."""
    engine = SparkEngine(spark)
    cancel = threading.Event()
    cancel.set()
    slow = "SELECT count(*) FROM range(200000000) a JOIN range(200000000) b ON a.id % 1000003 = b.id % 1000003"
    t0 = time.monotonic()
    with pytest.raises(Cancelled):
        engine.execute(slow, {}, cancel=cancel)
    assert time.monotonic() - t0 < 120
    assert spark.sql("SELECT 1 AS x").collect()[0].x == 1


def test_shared_ctes_are_computed_once(spark):
    """A chain whose every step is read twice plans as 2^depth on Spark unless shared CTEs are materialised."""
    depth = 10
    ctes = ["c0 AS (SELECT id FROM range(10) WHERE id >= :low)"]
    ctes += [f"c{i} AS (SELECT a.id FROM c{i - 1} a JOIN c{i - 1} b ON a.id = b.id)" for i in range(1, depth + 1)]
    sql = "WITH " + ", ".join(ctes) + f" SELECT count(*) AS n FROM c{depth}"
    engine = SparkEngine(spark)
    table = engine.execute(sql, {"low": 3}).table
    assert table.to_pylist() == [{"n": 7}]
    assert not [v for v in spark.catalog.listTables() if v.name.startswith("c0__")]   # views dropped
