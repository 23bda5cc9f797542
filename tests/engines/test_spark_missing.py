"""Without the optional extra, asking for Spark says how to install it."""

from __future__ import annotations

import sys

import pytest

from shujian.engines import spark_engine
from shujian.errors import ConfigError
from shujian.runs.service import RunService


@pytest.fixture
def no_pyspark(monkeypatch):
    monkeypatch.setitem(sys.modules, "pyspark", None)   # makes `import pyspark` raise ImportError
    monkeypatch.setattr(spark_engine, "_session", None)


def test_require_pyspark_names_the_extra(no_pyspark):
    assert not spark_engine.spark_available()
    with pytest.raises(ConfigError) as info:
        spark_engine.require_pyspark()
    assert "pyspark" in info.value.message
    assert 'pip install "shujian[spark]"' in info.value.hint


def test_run_on_spark_without_extra_fails_with_install_hint(tiny_city, pension_model, no_pyspark):
    with pytest.raises(ConfigError, match="pyspark"):
        RunService(tiny_city).run(pension_model, engine="spark")
    runs = RunService(tiny_city).list_runs()
    assert [(r["status"], r["engine"]) for r in runs] == [("failed", "spark")]
    assert 'pip install "shujian[spark]"' in (runs[0]["error"] or "")


def test_workspace_default_engine_is_used_when_none_given(tiny_city, pension_model, no_pyspark, monkeypatch):
    monkeypatch.setattr(tiny_city.settings, "engine", "spark")
    with pytest.raises(ConfigError, match="pyspark"):
        RunService(tiny_city).run(pension_model)
    assert RunService(tiny_city).list_runs()[0]["engine"] == "spark"
