"""Typed settings (SHUJIAN_* environment variables, optional config file).

Precedence: explicit arguments > environment variables > config file > defaults.  The config file
is TOML, found at ``$SHUJIAN_CONFIG`` or ``$SHUJIAN_HOME/shujian.toml``; keys are the field names
below (``database_url = "postgresql+psycopg://…"``).

The environment is read here (``SHUJIAN_<FIELD>``, any case) and validated by a plain pydantic model:
pydantic-settings, which did the same, cost every command ≈ 0.12 s of imports.
"""

from __future__ import annotations

import os
import tomllib
from functools import cached_property
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from .errors import ConfigError

ENV_PREFIX = "SHUJIAN_"
CLASSIFICATION_LEVELS = ("公开", "内部", "敏感", "核心")
_PLACEHOLDER_SECRETS = {"changeme", "change-me", "secret", "shujian-development-secret-not-for-production"}


class Settings(BaseModel):
    model_config = ConfigDict(extra="ignore")

    home: Path = Field(default=Path("./shujian-data"), description="工作区目录：嵌入式数据库与导入数据")
    database_url: str | None = Field(default=None, description="元数据库地址；默认 SQLite 文件")
    duckdb_memory_limit: str = Field(default="4GB", description="DuckDB 内存上限，超出部分落盘")
    duckdb_threads: int | None = Field(default=None, description="DuckDB 线程数；默认按 CPU")
    import_memory_limit: str = Field(default="1GB",
                                     description="导入时 DuckDB 的内存上限（超出部分落盘），使导入进程常驻内存低于 2 GB")
    engine: str = Field(default="duckdb", description="默认分析引擎：duckdb（嵌入式）或 spark（需 shujian[spark]）")
    spark_master: str = Field(default="local[2]", description="Spark master：local[N] 或集群地址 spark://…、yarn")
    spark_hive_database: str | None = Field(default=None, description="设置后 Spark 从该 Hive 库读取同名表，而非导出 Parquet")
    env: str = Field(default="development", description="development / production")
    default_level: str = Field(default="内部", description="数据集默认分级")
    secret_key: str | None = Field(default=None, description="会话签名密钥；生产环境（env=production）必须设置，至少 32 个字符")
    audit_key: str | None = Field(default=None, repr=False,
                                  description="审计链密钥（十六进制，至少 64 位即 32 字节）；不设置时使用工作区中的 "
                                              "audit.key 文件（首次使用时生成，权限 0600）")
    trusted_proxies: str = Field(default="127.0.0.1",
                                 description="可信反向代理地址（逗号分隔）：只信任它们转发的 X-Forwarded-For/-Proto，"
                                             "审计日志记录真实客户端地址；* 表示全部信任（勿用于直接暴露的端口）")
    listing_min_accuracy: float = Field(default=0.6, ge=0, le=1,
                                        description="模型上架所需的最低试运行线索准确性（0–1，默认 0.6 即 60%）")
    import_roots: str | None = Field(default=None, description="允许导入的目录（多个用系统路径分隔符隔开）；"
                                     "设置后命令行只能导入这些目录之内的文件（符号链接按实际位置判断）")

    @model_validator(mode="after")
    def _secrets(self) -> Settings:
        if self.env != "development":
            key = self.secret_key or ""
            if len(key) < 32 or key.lower() in _PLACEHOLDER_SECRETS:
                raise ValueError("生产环境必须设置 SHUJIAN_SECRET_KEY（至少 32 个字符的随机串，不能用示例值）；"
                                 "可用 python -c \"import secrets; print(secrets.token_urlsafe(48))\" 生成")
        return self

    @field_validator("default_level")
    @classmethod
    def _level(cls, v: str) -> str:
        if v not in CLASSIFICATION_LEVELS:
            raise ValueError(f"分级必须是 {'/'.join(CLASSIFICATION_LEVELS)} 之一")
        return v

    @field_validator("engine")
    @classmethod
    def _engine(cls, v: str) -> str:
        if v not in ("duckdb", "spark"):
            raise ValueError("引擎必须是 duckdb 或 spark")
        return v

    @cached_property
    def home_path(self) -> Path:
        return self.home.expanduser().resolve()

    @property
    def metadata_url(self) -> str:
        if self.database_url:
            return self.database_url
        return f"sqlite:///{self.home_path / 'metadata.sqlite'}"

    @property
    def duckdb_path(self) -> Path:
        return self.home_path / "warehouse.duckdb"

    @property
    def tmp_path(self) -> Path:
        return self.home_path / "tmp"

    @property
    def import_root_paths(self) -> list[Path]:
        """The allowed import directories, resolved (empty: no restriction beyond the built-in rules)."""
        return [Path(p).expanduser().resolve() for p in (self.import_roots or "").split(os.pathsep) if p.strip()]


def load_settings(**overrides: object) -> Settings:
    """Build settings from the environment, an optional TOML file and ``overrides``."""
    file_values = _read_config_file()
    env = {k[len(ENV_PREFIX):].lower(): v for k, v in os.environ.items() if k.upper().startswith(ENV_PREFIX)}
    values = {k: v for k, v in file_values.items() if k not in env}
    values.update({k: v for k, v in env.items() if k in Settings.model_fields})
    values.update({k: v for k, v in overrides.items() if v is not None})
    try:
        return Settings(**values)
    except Exception as exc:  # pydantic ValidationError → Chinese message
        raise ConfigError(f"配置有误：{exc}", hint="检查 SHUJIAN_* 环境变量或配置文件") from exc


def _read_config_file() -> dict:
    explicit = os.environ.get("SHUJIAN_CONFIG")
    home = Path(os.environ.get("SHUJIAN_HOME", "./shujian-data"))
    path = Path(explicit) if explicit else home / "shujian.toml"
    if not path.exists():
        if explicit:
            raise ConfigError(f"配置文件 {path} 不存在", hint="检查 SHUJIAN_CONFIG 的路径")
        return {}
    try:
        return tomllib.loads(path.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"配置文件 {path} 格式错误：{exc}", hint="配置文件应为 TOML 格式") from exc
