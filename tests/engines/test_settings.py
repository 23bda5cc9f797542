"""Engine settings: default engine per workspace, validation, Spark master."""

from __future__ import annotations

import pytest

from shujian.config import load_settings
from shujian.errors import ConfigError


def test_defaults(monkeypatch):
    monkeypatch.delenv("SHUJIAN_ENGINE", raising=False)
    monkeypatch.delenv("SHUJIAN_SPARK_MASTER", raising=False)
    s = load_settings()
    assert (s.engine, s.spark_master, s.spark_hive_database) == ("duckdb", "local[2]", None)


def test_environment_chooses_engine(monkeypatch):
    monkeypatch.setenv("SHUJIAN_ENGINE", "spark")
    monkeypatch.setenv("SHUJIAN_SPARK_MASTER", "spark://head:7077")
    s = load_settings()
    assert (s.engine, s.spark_master) == ("spark", "spark://head:7077")


def test_unknown_engine_is_refused(monkeypatch):
    monkeypatch.setenv("SHUJIAN_ENGINE", "oracle")
    with pytest.raises(ConfigError, match="duckdb 或 spark"):
        load_settings()
