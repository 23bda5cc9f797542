"""Runs every built-in model on a Spark cluster and writes each result as Parquet (the cluster parity test
runs this in its own process: one JVM driver per process, and the test process may hold a local one).

    python -m tests.parity.cluster_runner <master URL> <city dir> <out dir>
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pyarrow.parquet as pq

from shujian.compiler import compile_model
from shujian.demo.evaluate import load_city
from shujian.engines.parquet_cache import export_relation
from shujian.engines.spark_engine import SparkEngine, get_session
from shujian.models_library import list_models

#: the cluster's JVMs (this driver, the executors): the client compiler only (C1) and the serial collector.  On the
#: demo city's kilobytes a JVM spends its time planning, generating code and starting, not crunching rows, and
#: C2's optimising compiler took about a third of the CPU (the 12 models on local Spark: 153 → 99 JVM CPU s).
#: Plans and results are unchanged.  The local session of the other Spark tests uses the same flags
#: (parity/conftest.SPARK_CONF).
JAVA_OPTIONS = "-XX:TieredStopAtLevel=1 -XX:+UseSerialGC"


def main(master: str, city: Path, out: Path) -> None:
    con, catalog = load_city(city)
    spark = get_session(master, conf={"spark.driver.host": "127.0.0.1", "spark.driver.bindAddress": "127.0.0.1",
                                      "spark.driver.memory": "1g", "spark.executor.memory": "512m",
                                      "spark.executor.cores": "1", "spark.driver.extraJavaOptions": JAVA_OPTIONS,
                                      "spark.executor.extraJavaOptions": JAVA_OPTIONS})
    engine = SparkEngine(spark)
    for ds in catalog.datasets.values():
        engine.register_parquet(ds.relation, export_relation(con, ds.relation, city / "parquet"))
    out.mkdir(parents=True, exist_ok=True)
    for model in list_models():
        compiled = compile_model(model, catalog, "spark")
        pq.write_table(engine.execute(compiled.sql, compiled.parameters).table, out / f"{model.id}.parquet")
    executors = spark.sparkContext._jsc.sc().getExecutorIds().size()       # a Scala Seq; driver excluded
    (out / "cluster.json").write_text(json.dumps({"master": spark.sparkContext.master, "executors": executors}))
    spark.stop()


if __name__ == "__main__":
    main(sys.argv[1], Path(sys.argv[2]), Path(sys.argv[3]))
