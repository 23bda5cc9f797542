"""Typed settings (SHUJIAN_* environment variables, optional config file).

Precedence: explicit arguments > environment variables > config file > defaults.  The config file
is TOML, found at ``$SHUJIAN_CONFIG`` or ``$SHUJIAN_HOME/shujian.toml``; keys are the field names
below (``database_url = "postgresql+psycopg://…"``).

The environment is read here (``SHUJIAN_<FIELD>``, any case) and checked by a plain dataclass: a pydantic
model cost every command ≈ 0.1 s of imports (pydantic-settings, before it, ≈ 0.12 s), a third of what
``shujian clue list`` may take in all (docs/benchmarks.md, issue 20 target 4).
"""

from __future__ import annotations

import os
import tomllib
from dataclasses import dataclass, field, fields
from functools import cached_property
from pathlib import Path

from .errors import ConfigError

ENV_PREFIX = "SHUJIAN_"
CLASSIFICATION_LEVELS = ("公开", "内部", "敏感", "核心")
_PLACEHOLDER_SECRETS = {"changeme", "change-me", "secret", "shujian-development-secret-not-for-production"}


def _opt(default: object, description: str, **rules: object) -> object:
    """A settings field: its default, its description (shown in docs) and range rules (``ge``, ``le``)."""
    return field(default=default, metadata={"description": description, **rules})


@dataclass
class Settings:
    """The settings, checked when built: each value converted to its field's type, then the rules below
    (a bad value raises ValueError naming the field; :func:`load_settings` words it as a ConfigError)."""

    home: Path = _opt(Path("./shujian-data"), "工作区目录：嵌入式数据库与导入数据")
    database_url: str | None = _opt(None, "元数据库地址；默认 SQLite 文件")
    duckdb_memory_limit: str = _opt("4GB", "DuckDB 内存上限，超出部分落盘")
    duckdb_threads: int | None = _opt(None, "DuckDB 线程数；默认按 CPU")
    import_memory_limit: str = _opt("1GB", "导入时 DuckDB 的内存上限（超出部分落盘），使导入进程常驻内存低于 2 GB")
    engine: str = _opt("duckdb", "默认分析引擎：duckdb（嵌入式）或 spark（需 shujian[spark]）")
    spark_master: str = _opt("local[2]", "Spark master：local[N] 或集群地址 spark://…、yarn")
    spark_hive_database: str | None = _opt(None, "设置后 Spark 从该 Hive 库读取同名表，而非导出 Parquet")
    env: str = _opt("development", "development / production")
    default_level: str = _opt("内部", "数据集默认分级")
    secret_key: str | None = _opt(None, "会话签名密钥；生产环境（env=production）必须设置，至少 32 个字符")
    audit_key: str | None = field(default=None, repr=False, metadata={
        "description": "审计链密钥（十六进制，至少 64 位即 32 字节）；不设置时使用工作区中的 audit.key 文件"
                       "（首次使用时生成，权限 0600）"})
    trusted_proxies: str = _opt("127.0.0.1", "可信反向代理地址（逗号分隔）：只信任它们转发的 X-Forwarded-For/-Proto，"
                                "审计日志记录真实客户端地址；* 表示全部信任（勿用于直接暴露的端口）")
    listing_min_accuracy: float = _opt(0.6, "模型上架所需的最低试运行线索准确性（0–1，默认 0.6 即 60%）", ge=0, le=1)
    import_roots: str | None = _opt(None, "允许导入的目录（多个用系统路径分隔符隔开）；"
                                    "设置后命令行只能导入这些目录之内的文件（符号链接按实际位置判断）")

    def __post_init__(self) -> None:
        for f in fields(self):
            value = _convert(f.name, f.type, getattr(self, f.name))
            for rule, ok in (("ge", lambda v, b: v >= b), ("le", lambda v, b: v <= b)):
                if rule in f.metadata and value is not None and not ok(value, f.metadata[rule]):
                    raise ValueError(f"{f.name}：{value} 超出范围（{'不小于' if rule == 'ge' else '不大于'} "
                                     f"{f.metadata[rule]}）")
            setattr(self, f.name, value)
        if self.default_level not in CLASSIFICATION_LEVELS:
            raise ValueError(f"default_level：分级必须是 {'/'.join(CLASSIFICATION_LEVELS)} 之一")
        if self.engine not in ("duckdb", "spark"):
            raise ValueError("engine：引擎必须是 duckdb 或 spark")
        if self.env != "development":
            key = self.secret_key or ""
            if len(key) < 32 or key.lower() in _PLACEHOLDER_SECRETS:
                raise ValueError("生产环境必须设置 SHUJIAN_SECRET_KEY（至少 32 个字符的随机串，不能用示例值）；"
                                 "可用 python -c \"import secrets; print(secrets.token_urlsafe(48))\" 生成")

    @classmethod
    def field_names(cls) -> frozenset[str]:
        """The field names: what the environment (``SHUJIAN_<NAME>``) and the config file may set."""
        return frozenset(f.name for f in fields(cls))

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
    values.update({k: v for k, v in env.items() if k in Settings.field_names()})
    values.update({k: v for k, v in overrides.items() if v is not None})
    try:
        return Settings(**values)
    except (TypeError, ValueError) as exc:      # a value of the wrong type or outside its rule
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


_TYPES = {"Path": Path, "str": str, "int": int, "float": float}


def _convert(name: str, annotation: str, value: object) -> object:
    """``value`` as the field's type (annotations are strings here: ``"int | None"``); strings from the
    environment are converted, as are whole-number floats to int; anything else of the wrong type is refused."""
    kinds = [k.strip() for k in str(annotation).split("|")]
    if value is None:
        if "None" in kinds:
            return None
        raise ValueError(f"{name}：不能为空")
    kind = _TYPES[kinds[0]]
    if isinstance(value, kind) and not isinstance(value, bool):
        return value
    try:
        if kind is Path and isinstance(value, (str, os.PathLike)):
            return Path(value)
        if kind is int and isinstance(value, str):
            return int(value.strip())
        if kind is int and isinstance(value, float) and value.is_integer():
            return int(value)
        if kind is float and isinstance(value, (str, int)) and not isinstance(value, bool):
            return float(value)
    except ValueError:
        pass
    raise ValueError(f"{name}：“{value}”不是{ {'Path': '路径', 'str': '文本', 'int': '整数', 'float': '数值'}[kinds[0]] }")
