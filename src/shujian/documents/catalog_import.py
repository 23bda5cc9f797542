"""Load parsed judgments into the catalog as three datasets (刑事判决被告人 / 刑事判决罪名 / 刑事判决前科)."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from typing import Any

import pyarrow as pa

from .model import Judgment
from .tables import (
    CHARGE_COLUMNS,
    CHARGE_TABLE,
    DEFENDANT_COLUMNS,
    DEFENDANT_TABLE,
    PRIOR_COLUMNS,
    PRIOR_TABLE,
    TABLE_SEMANTICS,
    judgment_rows,
)

_INT_COLUMNS = {"被告人序号", "刑期月数", "缓刑月数", "罚金元", "剥夺政治权利月数", "前科刑期月数", "犯罪时年龄",
                "合并判处罚金元", "前科缓刑月数"}
_BOOL_COLUMNS = {"没收财产", "剥夺政治权利终身", "累犯", "自首", "立功", "坦白", "从犯", "主犯", "未成年",
                 "认罪认罚", "首要分子", "合并判处没收财产", "合并判处剥夺政治权利"}
_DATE_COLUMNS = {"判决日期", "出生日期", "刑期起始", "刑期截止", "犯罪日期", "释放日期", "前科判决日期"}
_COLUMNS = {DEFENDANT_TABLE: DEFENDANT_COLUMNS, CHARGE_TABLE: CHARGE_COLUMNS, PRIOR_TABLE: PRIOR_COLUMNS}


def arrow_tables(records: Iterable[Judgment | dict[str, Any]]) -> dict[str, pa.Table]:
    """The three tables as typed Arrow tables (dates as DATE, counts as BIGINT, flags as BOOLEAN)."""
    rows = judgment_rows(records)
    return {name: _to_arrow(rows[name], _COLUMNS[name]) for name in _COLUMNS}


def import_judgments(service: Any, records: Iterable[Judgment | dict[str, Any]], *, prefix: str = "",
                     level: str | None = None, agency: str | None = None, note: str | None = None) -> dict:
    """Import parsed judgments through ``shujian.catalog.service.CatalogService.import_arrow``.

    Each table becomes a new version of the dataset ``prefix + table name``, with the semantic types of
    :data:`TABLE_SEMANTICS` (so 身份证号 is masked and 案号 validated like any imported column).
    Returns ``{dataset name: ImportResult}``.
    """
    from ..catalog.importer import ImportRequest

    results = {}
    for name, table in arrow_tables(records).items():
        req = ImportRequest(name=prefix + name, level=level, agency=agency, semantics=dict(TABLE_SEMANTICS[name]),
                            note=note or "文书解析（shujian.documents）生成", description=f"刑事判决书解析结果：{name}")
        results[prefix + name] = service.import_arrow(req, table)
    return results


def _to_arrow(rows: list[dict[str, Any]], columns: tuple[str, ...]) -> pa.Table:
    arrays, fields = [], []
    for col in columns:
        kind = pa.int64() if col in _INT_COLUMNS else pa.bool_() if col in _BOOL_COLUMNS else \
            pa.date32() if col in _DATE_COLUMNS else pa.string()
        values = [_value(row.get(col), kind) for row in rows]
        arrays.append(pa.array(values, type=kind))
        fields.append(pa.field(col, kind))
    return pa.Table.from_arrays(arrays, schema=pa.schema(fields))


def _value(value: Any, kind: pa.DataType) -> Any:
    if value is None:
        return None
    if kind == pa.date32():
        return date.fromisoformat(value) if isinstance(value, str) else value
    return value
