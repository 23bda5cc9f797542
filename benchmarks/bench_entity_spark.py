"""Entity resolution at province scale: Splink on Spark local with the model trained on DuckDB.

    python benchmarks/bench_entity_spark.py --records 10000000 [--driver-memory 12g] [--partitions 16]

Steps, each timed: generate the synthetic population in chunks (``entity.synthetic``), prepare it with
DuckDB (``entity.prepare``: normalisation is per distinct value, so it is cheap) into Parquet, then
Splink's SparkAPI scores the blocked pairs with the trained model (``--model``, default the shipped
one) and clusters them at the review threshold.  Reports pairwise/cluster quality against the truth,
wall times, the Spark driver's peak RSS (the local executor lives in the driver JVM) and the Python
process's peak RSS.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from pathlib import Path

import duckdb
import psutil

from shujian.entity import linker as lk
from shujian.entity.prepare import PersonSource, prepare_persons
from shujian.entity.service import shipped_model
from shujian.entity.synthetic import generate_population

FIELDS = {"name": "姓名", "id_number": "身份证号", "birth_date": "出生日期", "sex": "性别",
          "phone": "手机号", "address": "住址"}
CHUNK = 1_000_000


def _log(msg: str) -> None:
    sys.stderr.write(msg + "\n")
    sys.stderr.flush()


def _jvm_rss_mb() -> int:
    best = 0
    for p in psutil.process_iter(["name", "cmdline", "memory_info"]):
        cmd = " ".join(p.info.get("cmdline") or [])
        if "java" in (p.info.get("name") or "") and "spark" in cmd.lower():
            best = max(best, p.info["memory_info"].rss)
    return best // 2**20


def prepare(records: int, work: Path) -> tuple[Path, dict]:
    t, times = time.perf_counter(), {}
    con = duckdb.connect(str(work / "prep.duckdb"))
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
    con.execute(f"COPY (SELECT p.unique_id, q.person_id FROM er_person_input p JOIN pop q ON q._row_id = p.source_row) "
                f"TO '{work / 'truth.parquet'}' (FORMAT parquet)")
    con.close()
    times["prepare"] = round(time.perf_counter() - t, 1)
    return out, times


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--records", type=int, default=10_000_000)
    ap.add_argument("--driver-memory", default="12g")
    ap.add_argument("--partitions", type=int, default=16)
    ap.add_argument("--model", help="trained model JSON (default: the shipped 100k model)")
    ap.add_argument("--workdir")
    ap.add_argument("--out")
    a = ap.parse_args()
    work = Path(a.workdir or tempfile.mkdtemp(prefix="er-spark-"))
    work.mkdir(parents=True, exist_ok=True)
    prepared, times = prepare(a.records, work)
    from pyspark.sql import SparkSession
    from splink import Linker, SparkAPI

    t = time.perf_counter()
    spark = (SparkSession.builder.master("local[2]").appName("shujian-entity")
             .config("spark.driver.memory", a.driver_memory)
             .config("spark.sql.shuffle.partitions", str(a.partitions))
             .config("spark.local.dir", str(work / "spark-tmp")).getOrCreate())
    spark.sparkContext.setCheckpointDir(str(work / "checkpoints"))
    df = spark.read.parquet(str(prepared))
    model = json.loads(Path(a.model).read_text(encoding="utf-8")) if a.model else shipped_model()
    api = SparkAPI(spark_session=spark, break_lineage_method="parquet", num_partitions_on_repartition=a.partitions)
    linker = Linker(api.register(df), lk.for_dialect(model, "spark"))
    pred = linker.inference.predict(threshold_match_probability=lk.REVIEW)
    pairs = pred.as_spark_dataframe().count()
    times["predict"] = round(time.perf_counter() - t, 1)
    t = time.perf_counter()
    clusters = linker.clustering.cluster_pairwise_predictions_at_threshold(pred, lk.REVIEW)
    clusters.as_spark_dataframe().select("unique_id", "cluster_id").write.mode("overwrite").parquet(str(work / "clusters"))
    times["cluster"] = round(time.perf_counter() - t, 1)
    pred.as_spark_dataframe().select("unique_id_l", "unique_id_r").write.mode("overwrite").parquet(str(work / "pairs"))
    jvm = _jvm_rss_mb()
    spark.stop()
    from shujian.entity.cluster import quality

    con = duckdb.connect()
    con.execute(f"CREATE TABLE truth AS SELECT * FROM '{work / 'truth.parquet'}'")
    con.execute(f"CREATE TABLE cl AS SELECT * FROM '{work / 'clusters'}/*.parquet'")
    con.execute(f"CREATE TABLE pr AS SELECT * FROM '{work / 'pairs'}/*.parquet'")
    q = quality(con, "truth", "cl", "pr").as_dict()
    result = {"records": a.records, "pairs_at_review": pairs, "seconds": times, "driver_memory": a.driver_memory,
              "jvm_peak_rss_mb_at_end": jvm, "python_rss_mb": psutil.Process().memory_info().rss // 2**20,
              "cpus": os.cpu_count(), "quality_at_review_0.80": q}
    text = json.dumps(result, ensure_ascii=False, indent=1)
    sys.stdout.write(text + "\n")
    if a.out:
        Path(a.out).write_text(text + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
