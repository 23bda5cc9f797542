"""Measure built-in models on a generated demo city (精确率/召回率 against the planted ground truth).

Independent of the catalog and run services on purpose: every Parquet file is loaded into an
in-memory DuckDB table with a 1-based ``_row_id`` (file order), a :class:`CatalogSchema` is built
from the manifest, each model is compiled for duckdb and run, and the distinct (subject, rule)
pairs it outputs are compared with ``ground_truth.json``.
"""

from __future__ import annotations

import json
import time
from collections.abc import Mapping, Sequence
from datetime import date, datetime
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa

from shujian.catalog.schema import ROW_ID, CatalogSchema, ColumnSchema, DatasetSchema
from shujian.demo.core import Manifest, arrow_dtype_name
from shujian.errors import RunFailed

__all__ = ["evaluate", "load_city", "load_tables", "run_model_on", "format_report"]


def load_city(out_dir: str | Path, con: duckdb.DuckDBPyConnection | None = None
              ) -> tuple[duckdb.DuckDBPyConnection, CatalogSchema]:
    """Load a generated city into DuckDB tables ``ds_1``…; returns the connection and catalog."""
    out = Path(out_dir)
    manifest = Manifest.load(out)
    con = con or duckdb.connect()
    catalog = CatalogSchema()
    for i, info in enumerate(manifest.datasets, 1):
        relation = f"ds_{i}"
        path = str(out / info.file).replace("'", "''")
        con.execute(f"CREATE TABLE {relation} AS SELECT file_row_number + 1 AS {ROW_ID}, "
                    f"* EXCLUDE (file_row_number) FROM read_parquet('{path}', file_row_number = true)")
        cols = tuple(ColumnSchema(c["name"], c["dtype"], info.semantics.get(c["name"]))
                     for c in info.columns)
        catalog.add(DatasetSchema(info.name, relation, cols, version=1, level=info.level))
    _text_functions(con)
    return con, catalog


def _text_functions(con: duckdb.DuckDBPyConnection) -> None:
    """The text step's function (capability text.rules), so the city's connection runs every model."""
    from shujian.text.udf import register_duckdb

    register_duckdb(con)


def _infer_type(values: list[Any]) -> pa.DataType:
    for v in values:
        if v is None:
            continue
        if isinstance(v, bool):
            return pa.bool_()
        if isinstance(v, datetime):
            return pa.timestamp("us")
        if isinstance(v, date):
            return pa.date32()
        if isinstance(v, int):
            return pa.int64()
        if isinstance(v, float):
            return pa.float64()
        return pa.string()
    return pa.string()


def load_tables(tables: Mapping[str, Sequence[Mapping[str, Any]]],
                con: duckdb.DuckDBPyConnection | None = None,
                columns: Mapping[str, Sequence[str]] | None = None
                ) -> tuple[duckdb.DuckDBPyConnection, CatalogSchema]:
    """Load hand-made rows ``{dataset: [row dicts]}`` into DuckDB (with ``_row_id``) + a catalog.

    Column types are inferred from the Python values (date → DATE, float → DOUBLE, int → BIGINT,
    str → VARCHAR). ``columns`` may list the columns of a dataset given with no rows.
    """
    con = con or duckdb.connect()
    catalog = CatalogSchema()
    for i, (name, rows) in enumerate(tables.items(), 1):
        names = list(dict.fromkeys([*(columns or {}).get(name, []), *(k for r in rows for k in r)]))
        arrays = {}
        for col in names:
            values = [r.get(col) for r in rows]
            arrays[col] = pa.array(values, type=_infer_type(values))
        tbl = pa.table(arrays) if names else pa.table({"_empty": pa.array([], pa.string())})
        relation = f"t_{i}"
        con.register("_incoming", tbl)
        con.execute(f"CREATE TABLE {relation} AS SELECT row_number() OVER () AS {ROW_ID}, * FROM _incoming")
        con.unregister("_incoming")
        cols = tuple(ColumnSchema(f.name, arrow_dtype_name(f.type)) for f in tbl.schema)
        catalog.add(DatasetSchema(name, relation, cols, version=1))
    return con, catalog


def run_model_on(con: duckdb.DuckDBPyConnection, catalog: CatalogSchema, model: Any,
                 params: Mapping[str, Any] | None = None) -> list[dict[str, Any]]:
    """Compile ``model`` for duckdb against ``catalog``, run it and return the rows as dicts."""
    from shujian.compiler import compile_model
    from shujian.text.udf import register_duckdb

    compiled = compile_model(model, catalog, "duckdb", params=dict(params or {}))
    if "text.rules" in compiled.capabilities:
        register_duckdb(con)                  # text steps call shujian_text
    try:
        cur = con.execute(compiled.sql, compiled.parameters)
    except duckdb.Error as exc:
        raise RunFailed(f"模型 {model.id} 在 DuckDB 上执行失败：{exc}", sql=compiled.sql) from exc
    names = [d[0] for d in cur.description]
    return [dict(zip(names, row, strict=True)) for row in cur.fetchall()]


def _pairs(rows: list[dict[str, Any]], key: str, rule: Any, with_rule: bool) -> set[tuple[str, str]]:
    out = set()
    for r in rows:
        if "_rule" in r:
            rule_value = r["_rule"]
        else:
            rule_value = r.get(rule.column) if hasattr(rule, "column") else rule
        out.add((str(r[key]), str(rule_value) if with_rule else ""))
    return out


def evaluate(out_dir: str | Path, models: Sequence[str] | None = None) -> list[dict[str, Any]]:
    """Run built-in models on a generated city; per model: id, clues, planted, precision, recall, seconds.

    ``models`` defaults to every model that has ground truth in the city.
    """
    from shujian.models_library import get_model

    out = Path(out_dir)
    truth: dict[str, list[dict[str, str]]] = json.loads((out / "ground_truth.json").read_text("utf-8"))
    near_path = out / "near_misses.json"
    near: dict[str, list[dict[str, str]]] = (json.loads(near_path.read_text("utf-8"))
                                             if near_path.is_file() else {})
    con, catalog = load_city(out)
    report = []
    for model_id in models or sorted(truth):
        model = get_model(model_id)
        t0 = time.perf_counter()
        rows = run_model_on(con, catalog, model)
        seconds = time.perf_counter() - t0
        planted_rows = truth.get(model_id, [])
        with_rule = all(t.get("rule") for t in planted_rows)
        planted = {(t["subject"], t["rule"] if with_rule else "") for t in planted_rows}
        found = _pairs(rows, model.output.subject.key, model.output.rule, with_rule)
        hit = len(found & planted)
        near_subjects = {n["subject"] for n in near.get(model_id, [])}
        report.append({
            "id": model_id, "clues": len(rows), "planted": len(planted),
            "precision": round(hit / len(found), 4) if found else (1.0 if not planted else 0.0),
            "recall": round(hit / len(planted), 4) if planted else 1.0,
            "seconds": round(seconds, 3),
            "false_positives": sorted(found - planted)[:20],
            "missed": sorted(planted - found)[:20],
            "near_misses": len(near_subjects),
            "near_misses_flagged": sorted(near_subjects & {s for s, _ in found})[:20],
        })
    con.close()
    return report


def format_report(report: list[dict[str, Any]]) -> str:
    """A plain-text table of an :func:`evaluate` report."""
    lines = [f"{'model':32} {'clues':>7} {'planted':>7} {'precision':>9} {'recall':>7} {'seconds':>8} "
             f"{'near-miss flagged':>17}"]
    for r in report:
        lines.append(f"{r['id']:32} {r['clues']:>7} {r['planted']:>7} {r['precision']:>9.3f} "
                     f"{r['recall']:>7.3f} {r['seconds']:>8.3f} "
                     f"{len(r.get('near_misses_flagged', [])):>8}/{r.get('near_misses', 0):<8}")
    return "\n".join(lines)
