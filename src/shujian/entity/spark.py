"""Person linkage at province scale on Spark (local mode or a cluster), with the model trained on DuckDB.

Prepared records (``entity.prepare``, exported to Parquet) are scored by Splink's SparkAPI with the
trained model carried over by ``linker.for_dialect`` — the same blocking rules, the same comparison
levels, the same m/u probabilities and prior — so the pairs and clusters equal those of the DuckDB
path (``tests/entity/test_spark_parity.py``).  Review decisions (同一人/不同人) apply through the same
SQL on both engines (``entity.cluster``), so a pair a prosecutor rejected stays apart on Spark too.

``local_conf`` sizes Spark for one machine: the local executor lives inside the driver JVM, so
``spark.driver.memory`` is the whole heap; shuffle partitions follow the number of records (Spark's
default of 200 makes 200 tiny tasks per shuffle on small data, each with its own scheduling cost).
"""

from __future__ import annotations

import math
from pathlib import Path

from shujian.entity import linker as lk
from shujian.entity.cluster import (
    conflict_edges_sql,
    conflict_rejections_sql,
    conflicts_sql,
    decide_pairs_sql,
    decided_sql,
    edges_sql,
    split_rejected,
)
from shujian.entity.pipeline import SCORE_FLOOR, band_sql, compared_sql


def shuffle_partitions(records: int, cores: int = 2) -> int:
    """Shuffle partitions for ``records`` input records: about 250 000 records per partition, at least
    two per core (AQE coalesces small ones).

    >>> shuffle_partitions(20_000), shuffle_partitions(1_000_000), shuffle_partitions(10_000_000)
    (4, 4, 40)
    """
    return max(2 * cores, math.ceil(records / 250_000))


def local_conf(records: int, *, driver_memory: str = "4g", workdir: Path | None = None,
               cores: int = 2) -> dict[str, str]:
    """Spark settings for linking ``records`` records in local mode on ``cores`` cores."""
    conf = {
        "spark.driver.memory": driver_memory,
        "spark.sql.shuffle.partitions": str(shuffle_partitions(records, cores)),
        "spark.default.parallelism": str(shuffle_partitions(records, cores)),
        "spark.sql.adaptive.enabled": "true",
        "spark.sql.adaptive.coalescePartitions.enabled": "true",
        "spark.sql.adaptive.advisoryPartitionSizeInBytes": "64m",
        "spark.serializer": "org.apache.spark.serializer.KryoSerializer",
        "spark.ui.enabled": "false",
        "spark.ui.showConsoleProgress": "false",
        "spark.sql.session.timeZone": "UTC",
        "spark.sql.ansi.enabled": "false",
        "spark.driver.host": "127.0.0.1",
        "spark.driver.bindAddress": "127.0.0.1",
    }
    if workdir is not None:
        conf["spark.local.dir"] = str(workdir / "spark-tmp")
    return conf


def spark_api(spark, *, partitions: int, checkpoint_dir: Path | None = None, break_lineage: str = "parquet"):
    """Splink's database API over the Spark session ``spark``."""
    from splink import SparkAPI

    if checkpoint_dir is not None:
        spark.sparkContext.setCheckpointDir(str(checkpoint_dir))
    return SparkAPI(spark_session=spark, break_lineage_method=break_lineage,
                    num_partitions_on_repartition=partitions)


def splink_linker(spark, df, model: dict, *, partitions: int, checkpoint_dir: Path | None = None,
                  break_lineage: str = "parquet", api=None):
    """A Splink linker on Spark over the prepared records ``df`` with the trained ``model`` (DuckDB JSON)."""
    from splink import Linker

    api = api or spark_api(spark, partitions=partitions, checkpoint_dir=checkpoint_dir, break_lineage=break_lineage)
    return Linker(api.register(df), lk.for_dialect(model, "spark"))


def link_on_spark(spark, df, model: dict, *, decisions=None, model_records: int | None = None,
                  review: float = lk.REVIEW, certain: float = lk.CERTAIN, floor: float = SCORE_FLOOR,
                  partitions: int = 4, checkpoint_dir: Path | None = None, break_lineage: str = "parquet"):
    """Score and cluster the prepared records ``df`` on Spark → (pairs, clusters) Spark DataFrames:
    pairs(unique_id_l, unique_id_r, match_probability, match_weight, compared, band) at or above
    ``floor``, as ``pipeline.link`` leaves them in er_pairs, and clusters(unique_id, cluster_id), the
    connected components of the pairs at or above ``review``.

    ``decisions`` (a Spark DataFrame fp_l, fp_r, same — the reviewers' 同一人/不同人 by record
    fingerprint) are applied by the same SQL as on DuckDB (``cluster.decide_pairs_sql``/``edges_sql``):
    a rejected pair is never an edge, a confirmed pair always is, and a cluster that still holds a rejected
    pair through third records is split by the same rule (``cluster.split_rejected``).  ``model_records``: the records the
    model was trained on (``service.SHIPPED_RECORDS`` for the shipped one); its prior is scaled to the
    records of ``df`` (``linker.for_population``)."""
    from splink.clustering import cluster_pairwise_predictions_at_threshold

    if model_records is not None:
        model = lk.for_population(model, df.count(), model_records)
    api = spark_api(spark, partitions=partitions, checkpoint_dir=checkpoint_dir, break_lineage=break_lineage)
    linker = splink_linker(spark, df, model, partitions=partitions, api=api)
    pred = linker.inference.predict(threshold_match_probability=floor, warning_mode="never")
    pred.as_spark_dataframe().createOrReplaceTempView("er_spark_scored")
    pairs = spark.sql(f"""SELECT unique_id_l, unique_id_r, match_probability, match_weight,
                                 {compared_sql()} AS compared, {band_sql('match_probability', review, certain)} AS band
                          FROM er_spark_scored""")
    if decisions is not None:
        df.createOrReplaceTempView("er_spark_nodes")
        decisions.createOrReplaceTempView("er_spark_decisions")
        spark.sql(decided_sql("er_spark_decisions", "er_spark_nodes")).createOrReplaceTempView("er_spark_decided")
        pairs.createOrReplaceTempView("er_spark_model_pairs")
        pairs = spark.sql(decide_pairs_sql("er_spark_model_pairs", "er_spark_decided"))
    pairs = pairs.persist()
    pairs.createOrReplaceTempView("er_spark_pairs")
    edges = spark.sql(edges_sql("er_spark_pairs", review))
    clusters = cluster_pairwise_predictions_at_threshold(
        df.select("unique_id"), edges.select("unique_id_l", "unique_id_r"), api, "unique_id")
    clusters = clusters.as_spark_dataframe().select("unique_id", "cluster_id")
    if decisions is not None:
        clusters = _split_rejected(spark, clusters, edges)
    return pairs, clusters


def _split_rejected(spark, clusters, edges):
    """``clusters`` with those that hold a 不同人 pair (er_spark_decided) split again by
    ``cluster.split_rejected`` — the few records concerned are brought to the driver."""
    clusters = clusters.persist()
    clusters.createOrReplaceTempView("er_spark_clusters")
    edges.createOrReplaceTempView("er_spark_edges")
    conflicts = spark.sql(conflicts_sql("er_spark_clusters", "er_spark_decided")).persist()
    conflicts.createOrReplaceTempView("er_spark_conflicts")
    if not conflicts.count():
        return clusters
    mapping = split_rejected(
        [tuple(r) for r in spark.sql(conflict_edges_sql("er_spark_edges", "er_spark_clusters",
                                                        "er_spark_conflicts")).collect()],
        [tuple(r) for r in spark.sql(conflict_rejections_sql("er_spark_decided", "er_spark_clusters")).collect()])
    id_type = clusters.schema["unique_id"].dataType.simpleString()
    spark.createDataFrame(list(mapping.items()), f"unique_id {id_type}, new_cluster {id_type}") \
        .createOrReplaceTempView("er_spark_split")
    cluster_type = clusters.schema["cluster_id"].dataType.simpleString()
    return spark.sql(f"""SELECT c.unique_id, coalesce(CAST(s.new_cluster AS {cluster_type}), c.cluster_id) AS cluster_id
                         FROM er_spark_clusters c LEFT JOIN er_spark_split s ON s.unique_id = c.unique_id""")
