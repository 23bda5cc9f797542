"""The catalog schema as the pure core sees it.

This is the contract between the catalog (which knows where data lives) and the compiler (which
must stay pure: no IO, no SQLAlchemy).  A ``CatalogSchema`` maps dataset names to the columns of
the version a run will read and to the physical relation (table or view) that holds it.
"""

from __future__ import annotations

from dataclasses import dataclass, field

# DuckDB logical type names used across shujian.  Spark/PostgreSQL get them through sqlglot.
DTYPES = ("VARCHAR", "BIGINT", "DOUBLE", "DECIMAL", "DATE", "TIMESTAMP", "BOOLEAN")

# Columns every imported table carries but that are not user data.
ROW_ID = "_row_id"          # 1-based row number within the dataset version (evidence pointer)
RAW_PREFIX = "_raw_"        # _raw_<列名>: the value as delivered, when the visible column is normalised


@dataclass(frozen=True)
class ColumnSchema:
    name: str                       # as delivered, Chinese kept (e.g. "身份证号")
    dtype: str = "VARCHAR"          # one of DTYPES (DECIMAL may carry precision, e.g. "DECIMAL(18,2)")
    semantic: str | None = None     # semantic type key, see shujian.catalog.semantic (e.g. "id_number")
    label: str | None = None        # optional description
    level: str | None = None        # classification level 公开/内部/敏感/核心 (None = dataset's level)


@dataclass(frozen=True)
class DatasetSchema:
    name: str                       # catalog name, e.g. "养老金发放"
    relation: str                   # physical table/view the engine reads, e.g. "ds_3_v2"
    columns: tuple[ColumnSchema, ...] = ()
    version: int | None = None
    version_id: int | None = None
    sealed: bool = False
    level: str = "内部"

    def column(self, name: str) -> ColumnSchema | None:
        for c in self.columns:
            if c.name == name:
                return c
        return None

    @property
    def column_names(self) -> list[str]:
        return [c.name for c in self.columns]


@dataclass
class CatalogSchema:
    datasets: dict[str, DatasetSchema] = field(default_factory=dict)

    def get(self, name: str) -> DatasetSchema | None:
        return self.datasets.get(name)

    def add(self, ds: DatasetSchema) -> None:
        self.datasets[ds.name] = ds
