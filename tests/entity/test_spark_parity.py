"""The Spark path (entity.spark: Splink's SparkAPI with the model carried over) scores the same pairs with
the same probabilities and forms the same clusters as the DuckDB path, on a 2 000-record synthetic set."""

from __future__ import annotations

import os
from collections import defaultdict

import duckdb
import pytest

from shujian.engines.spark_engine import spark_available
from shujian.entity import linker as lk
from shujian.entity.pipeline import link
from shujian.entity.prepare import PersonSource
from shujian.entity.service import shipped_model
from shujian.entity.synthetic import generate_population

pytestmark = pytest.mark.spark

FIELDS = {"name": "姓名", "id_number": "身份证号", "birth_date": "出生日期", "sex": "性别",
          "phone": "手机号", "address": "住址"}


@pytest.fixture(scope="module")
def spark():
    if not spark_available():
        if os.environ.get("SHUJIAN_REQUIRE_SPARK"):
            pytest.fail("SHUJIAN_REQUIRE_SPARK 已设置，但 pyspark 无法导入")
        pytest.skip('pyspark 未安装：Spark 测试已跳过（pip install "shujian[spark]"）')
    from shujian.engines.spark_engine import get_session

    return get_session("local[2]")


def _partition(rows) -> set[frozenset]:
    groups = defaultdict(set)
    for uid, cid in rows:
        groups[cid].add(uid)
    return {frozenset(g) for g in groups.values()}


def test_spark_pairs_and_clusters_equal_duckdb(spark, tmp_path):
    from shujian.entity.spark import link_on_spark

    con = duckdb.connect()
    con.register("pop_arrow", generate_population(2000, seed=11))
    con.execute("CREATE TABLE pop AS SELECT *, record_id AS _row_id FROM pop_arrow")
    model = shipped_model()
    run = link(con, [PersonSource("pop", FIELDS, name="synthetic")], model=model)
    duck_pairs = {(a, b): p for a, b, p in con.execute(
        "SELECT unique_id_l, unique_id_r, match_probability FROM er_pairs").fetchall()}
    duck_clusters = _partition(con.execute("SELECT unique_id, cluster_id FROM er_clusters").fetchall())
    prepared = tmp_path / "prepared.parquet"
    con.execute(f"COPY er_person_input TO '{prepared}' (FORMAT parquet)")

    before = spark.conf.get("spark.sql.shuffle.partitions")
    spark.conf.set("spark.sql.shuffle.partitions", "1")     # 2 000 records: one task per shuffle
    try:
        pairs, clusters = link_on_spark(spark, spark.read.parquet(str(prepared)), model, partitions=1,
                                        checkpoint_dir=tmp_path / "checkpoints")
        spark_pairs = {(r.unique_id_l, r.unique_id_r): r.match_probability for r in pairs.collect()}
        spark_clusters = _partition((r.unique_id, r.cluster_id) for r in clusters.collect())
    finally:
        spark.conf.set("spark.sql.shuffle.partitions", before)

    assert run.pairs > 500 and len(duck_clusters) < run.records          # the set has real links
    assert spark_pairs.keys() == duck_pairs.keys()
    assert max(abs(spark_pairs[k] - duck_pairs[k]) for k in duck_pairs) < 1e-9
    assert spark_clusters == duck_clusters
    # the clusters are those of the review threshold: some pairs between 0.3 and 0.8 stay unlinked
    assert any(p < lk.REVIEW for p in duck_pairs.values())
