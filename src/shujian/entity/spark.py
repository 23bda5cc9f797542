"""Person linkage at province scale on Spark (local mode or a cluster), with the model trained on DuckDB.

Prepared records (``entity.prepare``, exported to Parquet) are scored by Splink's SparkAPI with the
trained model carried over by ``linker.for_dialect`` — the same blocking rules, the same comparison
levels, the same m/u probabilities and prior — so the pairs and clusters equal those of the DuckDB
path (``tests/entity/test_spark_parity.py``).

``local_conf`` sizes Spark for one machine: the local executor lives inside the driver JVM, so
``spark.driver.memory`` is the whole heap; shuffle partitions follow the number of records (Spark's
default of 200 makes 200 tiny tasks per shuffle on small data, each with its own scheduling cost).
"""

from __future__ import annotations

import math
from pathlib import Path

from shujian.entity import linker as lk
from shujian.entity.pipeline import SCORE_FLOOR


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


def splink_linker(spark, df, model: dict, *, partitions: int, checkpoint_dir: Path | None = None,
                  break_lineage: str = "parquet"):
    """A Splink linker on Spark over the prepared records ``df`` with the trained ``model`` (DuckDB JSON)."""
    from splink import Linker, SparkAPI

    if checkpoint_dir is not None:
        spark.sparkContext.setCheckpointDir(str(checkpoint_dir))
    api = SparkAPI(spark_session=spark, break_lineage_method=break_lineage,
                   num_partitions_on_repartition=partitions)
    return Linker(api.register(df), lk.for_dialect(model, "spark"))


def link_on_spark(spark, df, model: dict, *, review: float = lk.REVIEW, floor: float = SCORE_FLOOR,
                  partitions: int = 4, checkpoint_dir: Path | None = None, break_lineage: str = "parquet"):
    """Score and cluster the prepared records ``df`` on Spark → (pairs, clusters) Spark DataFrames:
    pairs(unique_id_l, unique_id_r, match_probability, match_weight, gamma_*) at or above ``floor`` and
    clusters(unique_id, cluster_id), the connected components of the pairs at or above ``review``.
    (Human review decisions are applied by the DuckDB registry run, ``pipeline.cluster_pairs``.)"""
    linker = splink_linker(spark, df, model, partitions=partitions, checkpoint_dir=checkpoint_dir,
                           break_lineage=break_lineage)
    pred = linker.inference.predict(threshold_match_probability=floor, warning_mode="never")
    clusters = linker.clustering.cluster_pairwise_predictions_at_threshold(pred, review)
    gammas = [f"gamma_{c}" for c in lk.COMPARED]
    pairs = pred.as_spark_dataframe().select("unique_id_l", "unique_id_r", "match_probability", "match_weight",
                                             *gammas)
    return pairs, clusters.as_spark_dataframe().select("unique_id", "cluster_id")
