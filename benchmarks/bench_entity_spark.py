"""Entity resolution at province scale: Splink on Spark local with the model trained on DuckDB.

    python benchmarks/bench_entity_spark.py --records 1000000 --driver-memory 6g --workdir /tmp/er/w1m
    python benchmarks/bench_entity_spark.py --records 10000000 --workdir /tmp/er/w10m --prepare-only --threads 1
    python benchmarks/bench_entity_spark.py --records 10000000 --driver-memory 8g --workdir /tmp/er/w10m --reuse

Steps, each timed: generate the synthetic population in chunks (``entity.synthetic``), prepare it with
DuckDB (``entity.prepare``: normalisation is per distinct value, so it is cheap) into Parquet, then
``entity.spark`` (Splink's SparkAPI, Spark sized by ``local_conf``) scores the blocked pairs with the
trained model (``--model``, default the shipped one) and clusters them at the review threshold.
Reports pairwise/cluster quality over every record (``entity_quality``), wall times per stage, CPU
seconds and the peak RSS of this Python process and of the Spark driver JVM (which holds the local
executor), sampled every 0.5 s and logged every minute, so a run stopped early still tells its cost.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import threading
import time
from pathlib import Path

import duckdb
import entity_quality as eq  # benchmarks/, the directory of this script
import psutil

from shujian.entity import linker as lk
from shujian.entity import pipeline
from shujian.entity.prepare import PersonSource, prepare_persons
from shujian.entity.service import SHIPPED_RECORDS, shipped_model
from shujian.entity.synthetic import generate_population

FIELDS = {"name": "姓名", "id_number": "身份证号", "birth_date": "出生日期", "sex": "性别",
          "phone": "手机号", "address": "住址"}
CHUNK = 1_000_000


def _log(msg: str) -> None:
    sys.stderr.write(msg + "\n")
    sys.stderr.flush()


class PeakMemory:
    """Samples the RSS of this Python process and of its children (the Spark driver JVM, which holds the
    local executor) every ``every`` seconds; keeps the peaks (MB) and the CPU seconds used so far."""

    def __init__(self, every: float = 0.5):
        self.every, self.python, self.jvm, self.total, self.cpu = every, 0, 0, 0, 0.0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        me, start, shown = psutil.Process(), time.perf_counter(), 0.0
        while not self._stop.is_set():
            if time.perf_counter() - shown >= 60:      # a partial run still tells its CPU and memory
                shown = time.perf_counter()
                _log(f"[{time.strftime('%H:%M:%S')}] {shown - start:.0f} s: CPU {self.cpu:.0f} s, "
                     f"RSS python {self.python} MB, JVM {self.jvm} MB, load {os.getloadavg()[0]:.1f}")
            try:
                py = me.memory_info().rss
                kids = sum(c.memory_info().rss for c in me.children(recursive=True))
                self.cpu = sum(me.cpu_times()[:2]) + sum(sum(c.cpu_times()[:2]) for c in me.children(recursive=True))
            except psutil.Error:
                continue
            self.python, self.jvm = max(self.python, py >> 20), max(self.jvm, kids >> 20)
            self.total = max(self.total, (py + kids) >> 20)
            self._stop.wait(self.every)

    def __enter__(self) -> PeakMemory:
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._thread.join()


def prepare(records: int, work: Path, threads: int = 0) -> tuple[Path, dict]:
    t, times = time.perf_counter(), {}
    con = duckdb.connect(str(work / "prep.duckdb"))
    if threads:
        con.execute(f"SET threads = {int(threads)}")
    con.execute("SET preserve_insertion_order = false")
    con.execute("CREATE TABLE pop (record_id BIGINT, source VARCHAR, person_id BIGINT, 姓名 VARCHAR, 身份证号 VARCHAR, "
                "出生日期 VARCHAR, 性别 VARCHAR, 手机号 VARCHAR, 住址 VARCHAR, _row_id BIGINT)")
    for start in range(0, records, CHUNK):
        n = min(CHUNK, records - start)
        chunk = generate_population(n, seed=7 + start // CHUNK)
        con.register("chunk", chunk)
        con.execute(f"INSERT INTO pop SELECT record_id + {start}, source, person_id + {start}, 姓名, 身份证号, 出生日期, "
                    f"性别, 手机号, 住址, record_id + {start} FROM chunk")   # chunks are disjoint populations
        con.unregister("chunk")
        _log(f"generated {start + n}")
    times["generate"] = round(time.perf_counter() - t, 1)
    t = time.perf_counter()
    prepare_persons(con, [PersonSource("pop", FIELDS, name="synthetic")])
    out = work / "prepared.parquet"
    con.execute(f"COPY er_person_input TO '{out}' (FORMAT parquet)")
    eq.truth_from_prepared(con)
    con.execute(f"COPY truth TO '{work / 'truth.parquet'}' (FORMAT parquet)")
    con.execute(f"COPY rep TO '{work / 'rep.parquet'}' (FORMAT parquet)")
    con.close()
    times["prepare"] = round(time.perf_counter() - t, 1)
    return out, times


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--records", type=int, default=10_000_000)
    ap.add_argument("--driver-memory", default="8g")
    ap.add_argument("--partitions", type=int, help="shuffle partitions (default: entity.spark.shuffle_partitions)")
    ap.add_argument("--model", help="trained model JSON (default: the shipped 100k model)")
    ap.add_argument("--model-records", type=int,
                    help="records the --model was trained on: its prior is scaled to --records "
                         "(default: 100000 for the shipped model, no scaling for a given --model)")
    ap.add_argument("--keep-prior", action="store_true",
                    help="use the model's prior as it is (the behaviour before the fourth session)")
    ap.add_argument("--workdir")
    ap.add_argument("--reuse", action="store_true", help="reuse the prepared Parquet in --workdir")
    ap.add_argument("--prepare-only", action="store_true", help="stop after writing the prepared Parquet")
    ap.add_argument("--threads", type=int, default=0, help="DuckDB threads for preparing (default: all)")
    ap.add_argument("--out")
    a = ap.parse_args()
    work = Path(a.workdir or tempfile.mkdtemp(prefix="er-spark-"))
    work.mkdir(parents=True, exist_ok=True)
    with PeakMemory() as mem:
        if a.reuse and (work / "prepared.parquet").exists():
            prepared, times = work / "prepared.parquet", {}
        else:
            prepared, times = prepare(a.records, work, a.threads)
        prep_peak, prep_cpu = mem.total, mem.cpu
        if a.prepare_only:
            _log(json.dumps({"seconds": times, "peak_rss_mb": prep_peak}))
            return 0
        result = _link_on_spark(a, work, prepared, times)
    result["cpu_seconds"] = {"prepare": round(prep_cpu, 1), "link_on_spark": round(mem.cpu - prep_cpu, 1)}
    result["peak_rss_mb"] = {"prepare_duckdb_python": prep_peak, "python": mem.python,
                             "spark_driver_jvm": mem.jvm, "python_plus_jvm": mem.total}
    con = duckdb.connect()
    for t in ("truth", "rep"):
        con.execute(f"CREATE TABLE {t} AS SELECT * FROM '{work / (t + '.parquet')}'")
    con.execute(f"CREATE TABLE pr AS SELECT * FROM '{work / 'pairs'}/*.parquet'")
    con.execute(f"CREATE TABLE cl AS SELECT * FROM '{work / 'clusters'}/*.parquet'")
    result["quality_at_review_0.80"] = eq.at_threshold(con, "pr", lk.REVIEW, clusters="cl")
    result["quality_at_certain_0.99"] = eq.at_threshold(con, "pr", lk.CERTAIN)
    text = json.dumps(result, ensure_ascii=False, indent=1)
    sys.stdout.write(text + "\n")
    if a.out:
        Path(a.out).write_text(text + "\n", encoding="utf-8")
    return 0


def _link_on_spark(a, work: Path, prepared: Path, times: dict) -> dict:
    from pyspark.sql import SparkSession

    from shujian.entity.spark import local_conf, shuffle_partitions, splink_linker

    t, load0 = time.perf_counter(), round(os.getloadavg()[0], 1)
    conf = local_conf(a.records, driver_memory=a.driver_memory, workdir=work)
    if a.partitions:
        conf["spark.sql.shuffle.partitions"] = str(a.partitions)
    builder = SparkSession.builder.master("local[2]").appName("shujian-entity")
    for k, v in conf.items():
        builder = builder.config(k, v)
    spark = builder.getOrCreate()
    spark.sparkContext.setLogLevel("ERROR")
    df = spark.read.parquet(str(prepared))
    model = json.loads(Path(a.model).read_text(encoding="utf-8")) if a.model else shipped_model()
    model_records = a.model_records or (None if a.model else SHIPPED_RECORDS)
    if model_records and not a.keep_prior:      # the prior of the model's population → this one's
        model = lk.for_population(model, a.records, model_records)
    linker = splink_linker(spark, df, model, partitions=a.partitions or shuffle_partitions(a.records),
                           checkpoint_dir=work / "checkpoints")
    t = _stage(times, "spark_start", t)
    pred = linker.inference.predict(threshold_match_probability=pipeline.SCORE_FLOOR)
    pairs = pred.as_spark_dataframe()
    pairs.select("unique_id_l", "unique_id_r", "match_probability").write.mode("overwrite").parquet(
        str(work / "pairs"))
    t = _stage(times, "predict", t)
    clusters = linker.clustering.cluster_pairwise_predictions_at_threshold(pred, lk.REVIEW)
    clusters.as_spark_dataframe().select("unique_id", "cluster_id").write.mode("overwrite").parquet(
        str(work / "clusters"))
    _stage(times, "cluster", t)
    n_pairs = spark.read.parquet(str(work / "pairs")).where(f"match_probability >= {lk.REVIEW}").count()
    spark.stop()
    return {"records": a.records, "pairs_at_review": n_pairs, "seconds": times,
            "prior": model["probability_two_random_records_match"],
            "seconds_link_on_spark": round(sum(v for k, v in times.items() if k not in ("generate", "prepare")), 1),
            "spark_conf": conf, "cpus": os.cpu_count(), "load_average_1m_at_start": load0,
            "load_average_1m_at_end": round(os.getloadavg()[0], 1)}


def _stage(times: dict, name: str, t0: float) -> float:
    now = time.perf_counter()
    times[name] = round(now - t0, 1)
    _log(f"[{time.strftime('%H:%M:%S')}] {name}: {times[name]} s")
    return now


if __name__ == "__main__":
    raise SystemExit(main())
