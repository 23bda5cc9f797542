"""An isolated DuckDB connection for expert SQL (专家 SQL): only the model's datasets, no files.

The warehouse connection sees every org's tables and may read any file the server can (imports
need ``read_csv``), and DuckDB's ``enable_external_access`` is a setting of the whole database
instance that cannot be switched back on — so it cannot be turned off on the shared warehouse.
An expert SQL model therefore runs on its own in-memory DuckDB instance instead:

- each dataset the compiled model reads is a view of its version's Parquet export (the same
  immutable cache the Spark engine uses, written once from the warehouse);
- ``allowed_paths`` lists exactly those Parquet files, then ``enable_external_access`` is switched
  off (no other file, URL, ATTACH, INSTALL or LOAD) and ``lock_configuration`` is set (no SET can
  undo it);
- the instance holds nothing else: another org's table, the metadata store and the warehouse file
  are not there to be named.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import duckdb

from ..catalog.schema import CatalogSchema
from ..workspace import Workspace
from .parquet_cache import export_relation, parquet_path


def relations_for(compiled, catalog: CatalogSchema) -> list[str]:
    """The physical relations of the datasets ``compiled`` reads (``compiled.datasets``)."""
    names = getattr(compiled, "datasets", None) or []
    return sorted({catalog.get(n).relation for n in names if catalog.get(n) is not None})


@contextmanager
def isolated_connection(ws: Workspace, relations: list[str]) -> Iterator[duckdb.DuckDBPyConnection]:
    """An in-memory DuckDB connection holding only ``relations`` (read-only views), no external access."""
    cache = ws.settings.home_path / "parquet"
    paths = {rel: parquet_path(cache, rel) for rel in relations}
    missing = [rel for rel, path in paths.items() if not path.is_file()]
    if missing:     # open the warehouse only when something must be exported
        with ws.warehouse() as con:
            for rel in missing:
                export_relation(con, rel, cache)
    con = duckdb.connect(":memory:", config=_config(ws))
    try:
        con.execute("SET enable_progress_bar = true")          # query_progress() for the run's bar …
        con.execute("SET enable_progress_bar_print = false")   # … without DuckDB printing its own
        con.execute("SET allowed_paths = ?", [[str(p.resolve()) for p in paths.values()]])
        for rel, path in paths.items():
            literal = str(path.resolve()).replace("'", "''")
            con.execute(f"CREATE VIEW \"{rel}\" AS SELECT * FROM read_parquet('{literal}')")
        con.execute("SET enable_external_access = false")
        con.execute("SET lock_configuration = true")
        yield con
    finally:
        con.close()


def _config(ws: Workspace) -> dict[str, str]:
    settings = ws.settings
    spill = settings.tmp_path / "duckdb-spill-isolated"
    spill.mkdir(parents=True, exist_ok=True)
    config = {"memory_limit": settings.duckdb_memory_limit, "temp_directory": str(spill),
              "preserve_insertion_order": "false", "autoinstall_known_extensions": "false",
              "autoload_known_extensions": "false"}
    if settings.duckdb_threads:
        config["threads"] = str(settings.duckdb_threads)
    return config


__all__ = ["isolated_connection", "relations_for"]
