"""Every built-in model gives the same rows on DuckDB and on Spark over the small demo city.

Rows are compared as multisets after normalising numeric types, dates and list order, so a
difference in any subject, rule, fact or evidence row id fails the test.
"""

from __future__ import annotations

import pytest

from shujian.compiler import compile_model
from shujian.demo.evaluate import load_city, run_model_on
from shujian.engines.parquet_cache import export_relation
from shujian.models_library import list_models

from .normalize import row_bag

pytestmark = pytest.mark.spark
MODELS = [m.id for m in list_models()]


@pytest.fixture(scope="module")
def city(spark, small_city, tmp_path_factory):
    """The small demo city in DuckDB, exported to Parquet and registered as Spark views."""
    from shujian.engines.spark_engine import SparkEngine

    con, catalog = load_city(small_city)
    engine = SparkEngine(spark)
    cache = tmp_path_factory.mktemp("city") / "parquet"
    for ds in catalog.datasets.values():
        engine.register_parquet(ds.relation, export_relation(con, ds.relation, cache))
    yield con, catalog, engine
    con.close()


def _diff(a, b, limit: int = 3) -> str:
    only_a, only_b = a - b, b - a
    lines = [f"only on DuckDB ({sum(only_a.values())}):"] + [str(dict(r)) for r in list(only_a)[:limit]]
    lines += [f"only on Spark ({sum(only_b.values())}):"] + [str(dict(r)) for r in list(only_b)[:limit]]
    return "\n".join(lines)


@pytest.mark.parametrize("model_id", MODELS)
def test_model_gives_the_same_clues_on_both_engines(city, model_id):
    from shujian.models_library import get_model

    con, catalog, engine = city
    model = get_model(model_id)
    duck = run_model_on(con, catalog, model)
    compiled = compile_model(model, catalog, "spark")
    spark_rows = engine.execute(compiled.sql, compiled.parameters).table.to_pylist()
    assert duck, f"{model_id} finds nothing on the demo city: the parity check would be vacuous"
    subject = model.output.subject.key
    assert {r[subject] for r in spark_rows} == {r[subject] for r in duck}
    a, b = row_bag(duck), row_bag(spark_rows)
    assert a == b, f"{model_id}: DuckDB and Spark differ\n{_diff(a, b)}"


def test_every_builtin_model_is_checked():
    assert len(MODELS) >= 12
