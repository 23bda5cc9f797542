"""Spark fixtures: one local SparkSession for the whole test session, the one library pass on a standalone
cluster that the parity files share, and the skip/require policy.

Spark tests run by default.  They are skipped (with the reason printed by ``-ra``) only when
pyspark cannot be imported AND ``SHUJIAN_REQUIRE_SPARK`` is unset; CI sets it so that a missing
extra fails loudly instead of silently skipping the parity check.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from shujian.engines.spark_engine import spark_available

REPO = Path(__file__).resolve().parents[2]

#: the session settings the Spark tests start their process-wide local session with (the first caller's count):
#: the driver JVM with C1 only and the serial collector, as the cluster parity's (cluster_runner.JAVA_OPTIONS; the
#: 12 models on the small city: 153 → 99 JVM CPU s)
SPARK_CONF = {"spark.driver.extraJavaOptions": "-XX:TieredStopAtLevel=1 -XX:+UseSerialGC"}

SKIP_REASON = ('pyspark 未安装：Spark 引擎测试已跳过（pip install "shujian[spark]"；'
               "设置 SHUJIAN_REQUIRE_SPARK=1 可让缺少 Spark 时测试失败而非跳过）")


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "spark: runs on Apache Spark in local mode (needs shujian[spark], Java 17)")


def require_spark() -> None:
    """Skip the test without pyspark, or fail it when ``SHUJIAN_REQUIRE_SPARK`` is set."""
    if not spark_available():
        if os.environ.get("SHUJIAN_REQUIRE_SPARK"):
            pytest.fail("SHUJIAN_REQUIRE_SPARK 已设置，但 pyspark 无法导入：" + SKIP_REASON)
        pytest.skip(SKIP_REASON)


@pytest.fixture(scope="session")
def spark():
    """The process-wide local SparkSession."""
    require_spark()
    from shujian.engines.spark_engine import get_session

    return get_session("local[2]", conf=SPARK_CONF)


@contextlib.contextmanager
def _env(**values: str):
    saved = {k: os.environ.get(k) for k in values}
    os.environ.update(values)
    try:
        yield
    finally:
        for k, v in saved.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v


@dataclass
class LibraryPass:
    """Every built-in model run once on DuckDB and once on a Spark standalone cluster, over the small city."""

    master_url: str            #: the cluster's master
    info: dict                 #: what the driver reported (its master, how many executors ran)
    duck: dict                 #: model id → DuckDB's rows
    out: Path                  #: the cluster's rows, one ``<model id>.parquet`` per model

    def spark_rows(self, model_id: str) -> list[dict]:
        return pq.read_table(self.out / f"{model_id}.parquet").to_pylist()


@pytest.fixture(scope="session")
def cluster_library(small_city, tmp_path_factory) -> LibraryPass:
    """The built-in library on a real standalone cluster (1 master + 2 workers of 1 core, 1 GB, started from
    pyspark's distribution on 127.0.0.1), run once per process by ``tests/parity/cluster_runner.py`` in a
    process of its own (one JVM driver per process, and this process may hold a local session), and on DuckDB.
    The engine parity (one test per model) and the cluster parity read it: one Spark pass of the 12 models, not
    one on local Spark and another on the cluster (local mode: tests/engines/test_spark_runs.py, the text and
    entity Spark tests, test_number_text).  The master's and workers' JVMs run with the same C1-only flags as
    the driver's and executors' (cluster_runner.JAVA_OPTIONS): they only start and schedule."""
    require_spark()
    from shujian.demo.evaluate import load_city, run_model_on
    from shujian.engines.spark_standalone import start
    from shujian.models_library import list_models

    from .cluster_runner import JAVA_OPTIONS

    root = tmp_path_factory.mktemp("cluster-library")
    city, out = root / "city", root / "out"
    shutil.copytree(small_city, city)             # the runner writes its Parquet export beside the city
    env = {**os.environ, "SPARK_LOCAL_IP": "127.0.0.1", "PYSPARK_PYTHON": sys.executable}
    with _env(SPARK_DAEMON_JAVA_OPTS=JAVA_OPTIONS), start(workers=2, cores=1, memory="1g") as cluster:
        done = subprocess.run([sys.executable, "-m", "tests.parity.cluster_runner", cluster.master_url, str(city),
                               str(out)], cwd=REPO, env=env, capture_output=True, text=True, timeout=1800)
    assert done.returncode == 0, done.stderr[-3000:]
    con, catalog = load_city(city)
    try:
        duck = {model.id: run_model_on(con, catalog, model) for model in list_models()}
    finally:
        con.close()
    return LibraryPass(cluster.master_url, json.loads((out / "cluster.json").read_text()), duck, out)
