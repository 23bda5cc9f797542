"""The whole built-in library on a real Spark standalone cluster (1 master + 2 workers started from pyspark's
own distribution on this machine) gives the same clue rows as DuckDB over the small demo city.

The library pass is shared with test_engine_parity (parity/conftest.cluster_library: one run of the 12 models
on the cluster, one on DuckDB); this file checks that it ran on the cluster, on both workers, and whole."""

from __future__ import annotations

import pytest

from shujian.models_library import list_models

from .normalize import row_bag

pytestmark = pytest.mark.spark


def test_whole_library_on_a_standalone_cluster_matches_duckdb(cluster_library):
    info = cluster_library.info
    assert info["master"] == cluster_library.master_url and info["executors"] == 2     # both workers ran executors
    for model in list_models():
        duck = cluster_library.duck[model.id]
        assert duck, f"{model.id} finds nothing on the demo city: the parity check would be vacuous"
        assert row_bag(duck) == row_bag(cluster_library.spark_rows(model.id)), \
            f"{model.id}: DuckDB and the Spark cluster differ"
