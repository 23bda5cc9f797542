"""Settings: defaults, SHUJIAN_* environment variables, the TOML config file, Chinese errors."""

from __future__ import annotations

from pathlib import Path

import pytest

from shujian.config import load_settings
from shujian.errors import ConfigError


@pytest.fixture(autouse=True)
def clean_env(monkeypatch, tmp_path):
    for key in ("SHUJIAN_HOME", "SHUJIAN_DATABASE_URL", "SHUJIAN_CONFIG", "SHUJIAN_DEFAULT_LEVEL",
                "SHUJIAN_DUCKDB_MEMORY_LIMIT", "SHUJIAN_IMPORT_MEMORY_LIMIT"):
        monkeypatch.delenv(key, raising=False)
    monkeypatch.chdir(tmp_path)


def test_defaults(tmp_path):
    s = load_settings()
    assert s.home_path == (tmp_path / "shujian-data").resolve()
    assert s.metadata_url == f"sqlite:///{tmp_path.resolve() / 'shujian-data' / 'metadata.sqlite'}"
    assert s.duckdb_path.name == "warehouse.duckdb" and s.default_level == "内部"
    assert s.import_memory_limit == "1GB"


def test_environment(monkeypatch, tmp_path):
    monkeypatch.setenv("SHUJIAN_HOME", str(tmp_path / "h"))
    monkeypatch.setenv("SHUJIAN_DATABASE_URL", "postgresql+psycopg://u@db/x")
    monkeypatch.setenv("SHUJIAN_DEFAULT_LEVEL", "敏感")
    s = load_settings()
    assert s.home_path == tmp_path / "h" and s.metadata_url == "postgresql+psycopg://u@db/x"
    assert s.default_level == "敏感"


def test_config_file_below_environment(monkeypatch, tmp_path):
    home = tmp_path / "h"
    home.mkdir()
    (home / "shujian.toml").write_text('default_level = "公开"\nduckdb_memory_limit = "3GB"\n', encoding="utf-8")
    monkeypatch.setenv("SHUJIAN_HOME", str(home))
    s = load_settings()
    assert (s.default_level, s.duckdb_memory_limit) == ("公开", "3GB")
    monkeypatch.setenv("SHUJIAN_DEFAULT_LEVEL", "核心")
    assert load_settings().default_level == "核心"
    assert load_settings(default_level="内部").default_level == "内部"   # explicit beats both


def test_explicit_config_file(monkeypatch, tmp_path):
    cfg = tmp_path / "etc.toml"
    cfg.write_text('database_url = "sqlite:////tmp/x.sqlite"\n', encoding="utf-8")
    monkeypatch.setenv("SHUJIAN_CONFIG", str(cfg))
    assert load_settings().metadata_url == "sqlite:////tmp/x.sqlite"
    monkeypatch.setenv("SHUJIAN_CONFIG", str(tmp_path / "missing.toml"))
    with pytest.raises(ConfigError, match="不存在"):
        load_settings()


def test_bad_values_are_chinese_errors(monkeypatch, tmp_path: Path):
    monkeypatch.setenv("SHUJIAN_DEFAULT_LEVEL", "绝密")
    with pytest.raises(ConfigError, match="配置有误"):
        load_settings()
    monkeypatch.delenv("SHUJIAN_DEFAULT_LEVEL")
    cfg = tmp_path / "bad.toml"
    cfg.write_text("default_level = \n", encoding="utf-8")
    monkeypatch.setenv("SHUJIAN_CONFIG", str(cfg))
    with pytest.raises(ConfigError, match="TOML"):
        load_settings()
