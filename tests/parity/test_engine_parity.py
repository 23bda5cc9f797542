"""Every built-in model gives the same rows on DuckDB and on Spark over the small demo city.

Spark here is the standalone cluster's run of the library (parity/conftest.cluster_library, shared with the
cluster parity: the same 12 models ran once on local Spark and again on the cluster before).  Rows are
compared as multisets after normalising numeric types, dates and list order, so a difference in any subject,
rule, fact or evidence row id fails the test.
"""

from __future__ import annotations

import pytest

from shujian.models_library import get_model, list_models

from .normalize import row_bag

pytestmark = pytest.mark.spark
MODELS = [m.id for m in list_models()]


def _diff(a, b, limit: int = 3) -> str:
    only_a, only_b = a - b, b - a
    lines = [f"only on DuckDB ({sum(only_a.values())}):"] + [str(dict(r)) for r in list(only_a)[:limit]]
    lines += [f"only on Spark ({sum(only_b.values())}):"] + [str(dict(r)) for r in list(only_b)[:limit]]
    return "\n".join(lines)


@pytest.mark.parametrize("model_id", MODELS)
def test_model_gives_the_same_clues_on_both_engines(cluster_library, model_id):
    duck, spark_rows = cluster_library.duck[model_id], cluster_library.spark_rows(model_id)
    assert duck, f"{model_id} finds nothing on the demo city: the parity check would be vacuous"
    subject = get_model(model_id).output.subject.key
    assert {r[subject] for r in spark_rows} == {r[subject] for r in duck}
    a, b = row_bag(duck), row_bag(spark_rows)
    assert a == b, f"{model_id}: DuckDB and Spark differ\n{_diff(a, b)}"


def test_every_builtin_model_is_checked(cluster_library):
    assert len(MODELS) >= 12
    assert sorted(p.stem for p in cluster_library.out.glob("*.parquet")) == sorted(MODELS)   # each ran on Spark
