"""Statute-case tables (法条案例表) for the built-in models: load, type like an import, run, compare.

Each model has ``tests/models_library/cases/<model-id>.yaml``, written from the statute by a lawyer's
reading, one case per entry::

    model: pension-during-custody
    数据集:                              # the columns each dataset has after import, and their types
      看守所出入所: {身份证号: 身份证号, 入所日期: 日期, 羁押性质: 文本}
    案例:
      - 编号: R1-同日移送监狱
        案情: 看守所出所当日收监，两条记录为一段连续羁押
        依据: 劳社厅函〔2001〕44号（服刑期间停发）
        边界: 同日                          # what the boundary is; omit for a plain case
        参数: {grace_months: 0}             # optional
        数据:                               # each dataset as the CSV an agency exports
          看守所出入所: |
            身份证号,入所日期,羁押性质
            33100219580312011x,2024-01-10,逮捕
        预期:                               # 无 = no clue; else one entry per clue
          - {主体: 331002195803120114, 规则: R1, 次数: 2}

Values are text as exported (blank = empty field, 无/空/- are blanks in typed columns). They become the
types the catalog import gives them, with the import's own parsers and normalisers
(:mod:`shujian.catalog.typeinfer`, :mod:`shujian.catalog.semantic`): 日期 (2024-03-01, 2024/3/1,
2024年3月1日, 20240301), 年月 (202403, 2024-03 → first day), 整数, 金额 (3,000.00元), 是否 (是/否 → BOOLEAN),
文本 (kept as written, blank → NULL), 身份证号 (upper-case X, full width → half width, 15 → 18 digits,
as the import does for a column it recognises as 身份证号), 信用代码, 案号.

A dataset declared as ``法定附加刑表: 内置法律表`` is the law table ``shujian init`` imports
(:func:`shujian.law.catalog.law_table_arrow`), so cases are judged against the real statute table.

For a model that joins on resolved subjects (``entity_join``, the entity models in
src/shujian/entity/models), the file names a ``主体列:``; rows of any dataset with the same value in
that column are one subject of the registry (``er_members``), as ``shujian entity link`` would have
found them; rows with it blank are linked to nothing.  The cases judge the rule, not the linking
(tests/entity does that).
"""

from __future__ import annotations

import csv
import io
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from functools import cache
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa
import yaml

from shujian.catalog import semantic, typeinfer
from shujian.catalog.schema import ROW_ID, CatalogSchema, ColumnSchema, DatasetSchema
from shujian.compiler import compile_model
from shujian.demo.core import arrow_dtype_name
from shujian.law.catalog import law_table_arrow
from shujian.models_library import get_model
from shujian.spec import load_model

CASES_DIR = Path(__file__).parent / "cases"
ENTITY_MODELS = Path(__file__).resolve().parents[2] / "src" / "shujian" / "entity" / "models"
BUILTIN_LAW = "内置法律表"

# type name in a case file → (arrow type, catalog dtype, text → value)
_NORMALISED = {"身份证号": "id_number", "信用代码": "uscc", "案号": "case_number"}


def _text(v: str | None) -> str | None:
    return None if v is None or v == "" else v


def _month(v: str | None) -> date | None:
    return typeinfer.parse_month_text(v) or typeinfer.parse_date_text(v)


def _int(v: str | None) -> int | None:
    c = typeinfer.clean_text(v)
    return None if c is None else int(c)


def _bool(v: str | None) -> bool | None:
    c = typeinfer.clean_text(v)
    if c is None:
        return None
    if c.lower() not in ("是", "否", "true", "false", "y", "n", "yes", "no"):
        raise ValueError(f"是否列的值“{v}”不是 是/否")
    return c.lower() in ("是", "true", "y", "yes")


def _normaliser(key: str):
    st = semantic.get_type(key)
    return lambda v: None if _text(v) is None else st.normalize(v)


TYPES: dict[str, tuple[pa.DataType, str, Any]] = {
    "文本": (pa.string(), "VARCHAR", _text),
    "日期": (pa.date32(), "DATE", typeinfer.parse_date_text),
    "年月": (pa.date32(), "DATE", _month),
    "整数": (pa.int64(), "BIGINT", _int),
    "金额": (pa.float64(), "DOUBLE", typeinfer.parse_amount_text),
    "是否": (pa.bool_(), "BOOLEAN", _bool),
    **{name: (pa.string(), "VARCHAR", _normaliser(key)) for name, key in _NORMALISED.items()},
}


@dataclass
class Case:
    """One row of a statute-case table."""

    model: str
    id: str
    facts: str
    basis: str
    boundary: str | None
    data: dict[str, str]
    expected: list[dict[str, Any]]
    params: dict[str, Any] = field(default_factory=dict)


@dataclass
class CaseFile:
    model: str
    schemas: dict[str, dict[str, str]]
    cases: list[Case]
    subject_column: str | None = None


@cache
def model_for(model_id: str):
    """A built-in model, or an entity model of src/shujian/entity/models."""
    path = ENTITY_MODELS / f"{model_id}.yaml"
    return load_model(str(path)) if path.is_file() else get_model(model_id)


def load_file(path: Path) -> CaseFile:
    doc = yaml.safe_load(path.read_text("utf-8"))
    model = doc["model"]
    schemas = {name: _builtin_schema() if cols == BUILTIN_LAW else {str(c): str(t) for c, t in cols.items()}
               for name, cols in doc["数据集"].items()}
    for name, cols in schemas.items():
        bad = {c: t for c, t in cols.items() if t not in TYPES and t != BUILTIN_LAW}
        assert not bad, f"{path.name}: 数据集 {name} 的列类型 {bad} 不是 {'、'.join(TYPES)} 之一"
    cases = []
    for raw in doc["案例"]:
        expected = raw.get("预期")
        cases.append(Case(
            model=model, id=str(raw["编号"]), facts=str(raw["案情"]), basis=str(raw["依据"]),
            boundary=raw.get("边界"), data={k: str(v) for k, v in (raw.get("数据") or {}).items()},
            expected=[] if expected in (None, "无") else [dict(e) for e in expected],
            params=dict(raw.get("参数") or {})))
    return CaseFile(model, schemas, cases, doc.get("主体列"))


@cache
def _law_table() -> pa.Table:
    return law_table_arrow()


def _builtin_schema() -> dict[str, str]:
    """The law table's columns, marked so :func:`load_case` loads the real table."""
    return {BUILTIN_LAW: BUILTIN_LAW}


def _is_builtin(schema: Mapping[str, str]) -> bool:
    return dict(schema) == _builtin_schema()


def all_files() -> list[CaseFile]:
    return [load_file(p) for p in sorted(CASES_DIR.glob("*.yaml"))]


def _rows(name: str, text: str, schema: dict[str, str]) -> dict[str, list[Any]]:
    reader = csv.reader(io.StringIO(text.strip("\n")))
    header = [h.strip() for h in next(reader)]
    unknown = [h for h in header if h not in schema]
    assert not unknown, f"数据集 {name} 没有列 {unknown}（在 数据集: 中声明）"
    cols: dict[str, list[Any]] = {c: [] for c in schema}
    for line in reader:
        if not line:
            continue
        assert len(line) == len(header), f"数据集 {name} 的一行有 {len(line)} 个值，表头有 {len(header)} 列：{line}"
        values = dict(zip(header, line, strict=True))
        for col, kind in schema.items():
            cols[col].append(TYPES[kind][2](values.get(col)))
    return cols


def load_case(case: Case, schemas: Mapping[str, Mapping[str, str]],
              subject_column: str | None = None) -> duckdb.DuckDBPyConnection:
    """Every dataset of the file as a DuckDB table ``t_<n>`` (1-based ``_row_id``); empty when the case
    gives no rows for it.  With ``subject_column``, the subject registry of those rows too."""
    unknown = set(case.data) - set(schemas)
    assert not unknown, f"{case.id}: 数据集 {unknown} 未在 数据集: 中声明"
    con = duckdb.connect()
    for i, (name, schema) in enumerate(schemas.items(), 1):
        if _is_builtin(schema):
            tbl = _law_table()
        else:
            cols = _rows(name, case.data.get(name, ""), schema) if name in case.data else {c: [] for c in schema}
            tbl = pa.table({c: pa.array(v, type=TYPES[schema[c]][0]) for c, v in cols.items()})
        con.register("_incoming", tbl)
        con.execute(f"CREATE TABLE t_{i} AS SELECT row_number() OVER () AS {ROW_ID}, * FROM _incoming")
        con.unregister("_incoming")
    if subject_column:
        _registry(con, schemas, subject_column)
    return con


def _registry(con: duckdb.DuckDBPyConnection, schemas: Mapping[str, Mapping[str, str]], column: str) -> None:
    """er_members for every row with a value in ``column`` (one subject per value, certain links)."""
    from shujian.entity.registry import ensure_tables

    ensure_tables(con)
    for i, (name, schema) in enumerate(schemas.items(), 1):
        if column not in schema:
            continue
        con.execute(f"""INSERT INTO er_members (subject_id, kind, source_ref, source_name, source_row, fingerprint,
                                               confidence, basis)
                        SELECT "{column}", 'person', 't_{i}', ?, {ROW_ID}, 't_{i}:' || {ROW_ID}, 1.0, '案例：同一主体'
                        FROM t_{i} WHERE "{column}" IS NOT NULL""", [name])


def catalog(schemas: Mapping[str, Mapping[str, str]]) -> CatalogSchema:
    cat = CatalogSchema()
    for i, (name, schema) in enumerate(schemas.items(), 1):
        cols = (tuple(ColumnSchema(f.name, arrow_dtype_name(f.type)) for f in _law_table().schema)
                if _is_builtin(schema) else tuple(ColumnSchema(c, TYPES[k][1]) for c, k in schema.items()))
        cat.add(DatasetSchema(name, f"t_{i}", cols, version=1))
    return cat


@cache
def _compiled(model_id: str, params_key: tuple, schema_key: tuple):
    schemas = {name: dict(cols) for name, cols in schema_key}
    return compile_model(model_for(model_id), catalog(schemas), "duckdb", params=dict(params_key))


def run_case(case: Case, schemas: Mapping[str, Mapping[str, str]],
             subject_column: str | None = None) -> list[dict[str, Any]]:
    """The model's output rows for the case (compiled once per model, parameters and schema)."""
    schema_key = tuple((n, tuple(c.items())) for n, c in schemas.items())
    compiled = _compiled(case.model, tuple(sorted(case.params.items())), schema_key)
    con = load_case(case, schemas, subject_column)
    if "shujian_text" in compiled.sql.lower():
        from shujian.text.udf import register_duckdb

        register_duckdb(con)
    try:
        cur = con.execute(compiled.sql, compiled.parameters)
        names = [d[0] for d in cur.description]
        return [dict(zip(names, r, strict=True)) for r in cur.fetchall()]
    finally:
        con.close()


def same_value(expected: Any, actual: Any) -> bool:
    """Compare a fact as a lawyer writes it (numbers, dates as 2024-03-01, text) with the output value."""
    if isinstance(expected, bool) or isinstance(actual, bool):
        return expected == actual
    if isinstance(expected, (int, float)) and isinstance(actual, (int, float)):
        return abs(float(expected) - float(actual)) < 0.005
    if isinstance(actual, list):
        return [str(x) for x in actual] == [str(x) for x in expected]
    return str(expected) == str(actual)
