"""The law tables as a catalog dataset: 法定附加刑表, read by accessory-penalty (M4).

``shujian init`` calls :func:`ensure_law_tables`, so a fresh workspace has the dataset before any
judgment is imported (docs/demo-contract.md promises it).  The table comes from the committed
``data/accessory_table.csv`` (built from the statutes by ``python -m shujian.law.build``); a workspace
whose dataset was imported from an older build gets a new version, an up-to-date one is left alone.
"""

from __future__ import annotations

import hashlib
from datetime import date
from typing import Any

import pyarrow as pa

from shujian.law.tables import COLUMNS, DATA_FILE, accessory_table

LAW_TABLE = "法定附加刑表"
AGENCY = "本系统（刑法条文整理，shujian.law）"
_INT_COLUMNS = ("刑档序号", "主刑下限月数", "主刑上限月数")
_DATE_COLUMNS = ("生效日期", "失效日期")

__all__ = ["LAW_TABLE", "ensure_law_tables", "law_table_arrow", "law_table_note"]


def law_table_note() -> str:
    """The version note that identifies the law data a dataset version was imported from."""
    digest = hashlib.sha256(DATA_FILE.read_bytes()).hexdigest()[:16]
    return f"shujian.law 法律表 {digest}"


def _value(column: str, raw: Any) -> Any:
    if raw is None or raw == "":
        return None
    if column in _DATE_COLUMNS:
        return raw if isinstance(raw, date) else date.fromisoformat(str(raw)[:10])
    if column in _INT_COLUMNS:
        return int(raw)
    return str(raw)


def law_table_arrow() -> pa.Table:
    """法定附加刑表 as a typed Arrow table (dates as DATE, months as BIGINT, the rest as text)."""
    rows = accessory_table()
    arrays = {}
    for col in COLUMNS:
        kind = pa.date32() if col in _DATE_COLUMNS else pa.int64() if col in _INT_COLUMNS else pa.string()
        arrays[col] = pa.array([_value(col, r.get(col)) for r in rows], type=kind)
    return pa.table(arrays)


def ensure_law_tables(service: Any) -> bool:
    """Import 法定附加刑表 through ``service`` (a :class:`CatalogService`) unless the current version
    already holds this build of the law data.  Returns True when a version was written."""
    from shujian.catalog.importer import ImportRequest
    from shujian.errors import NotFound

    note = law_table_note()
    try:
        if service.describe(LAW_TABLE)["version"].get("note") == note:
            return False
    except NotFound:
        pass
    req = ImportRequest(name=LAW_TABLE, agency=AGENCY, level="公开", note=note,
                        description="罪名 × 条文版本 × 法定刑档 → 罚金/没收财产/剥夺政治权利 必须/可以/择一/无/未知"
                                    "（见 docs/law-tables.md）",
                        semantics={c: "none" for c in COLUMNS})
    service.import_arrow(req, law_table_arrow())
    return True
