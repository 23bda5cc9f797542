"""The whole built-in library on a real Spark standalone cluster (1 master + 2 workers started from pyspark's
own distribution on this machine) gives the same clue rows as DuckDB over the small demo city."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from shujian.demo.evaluate import load_city, run_model_on
from shujian.engines.spark_engine import spark_available
from shujian.models_library import list_models

from .normalize import row_bag

pytestmark = pytest.mark.spark
REPO = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def cluster():
    """A standalone master and two workers (1 core, 1 GB each) on 127.0.0.1; stopped after the module."""
    if not spark_available():
        if os.environ.get("SHUJIAN_REQUIRE_SPARK"):
            pytest.fail("SHUJIAN_REQUIRE_SPARK 已设置，但 pyspark 无法导入")
        pytest.skip('pyspark 未安装（pip install "shujian[spark]"）')
    from shujian.engines.spark_standalone import start

    with start(workers=2, cores=1, memory="1g") as c:
        yield c


def test_whole_library_on_a_standalone_cluster_matches_duckdb(cluster, small_city, tmp_path):
    city, out = tmp_path / "city", tmp_path / "out"
    shutil.copytree(small_city, city)             # the runner writes its Parquet export beside the city
    env = {**os.environ, "SPARK_LOCAL_IP": "127.0.0.1", "PYSPARK_PYTHON": sys.executable}
    done = subprocess.run([sys.executable, "-m", "tests.parity.cluster_runner", cluster.master_url, str(city), str(out)],
                          cwd=REPO, env=env, capture_output=True, text=True, timeout=1800)
    assert done.returncode == 0, done.stderr[-3000:]
    info = json.loads((out / "cluster.json").read_text())
    assert info["master"] == cluster.master_url and info["executors"] == 2     # both workers ran executors
    con, catalog = load_city(city)
    for model in list_models():
        duck = run_model_on(con, catalog, model)
        spark_rows = pq.read_table(out / f"{model.id}.parquet").to_pylist()
        assert duck, f"{model.id} finds nothing on the demo city: the parity check would be vacuous"
        assert row_bag(duck) == row_bag(spark_rows), f"{model.id}: DuckDB and the Spark cluster differ"
    con.close()
