"""Column types as the compiler reasons about them (DuckDB names, see catalog.schema.DTYPES)."""

from __future__ import annotations

from shujian.catalog.typeinfer import NO_WORDS as _IMPORT_NO
from shujian.catalog.typeinfer import YES_WORDS as _IMPORT_YES

NUMERIC = frozenset({"BIGINT", "DOUBLE", "DECIMAL"})
TEMPORAL = frozenset({"DATE", "TIMESTAMP"})
ANY = "ANY"        # unknown or NULL: compatible with everything
LIST = "LIST"

PARAM_TYPES = {"int": "BIGINT", "float": "DOUBLE", "str": "VARCHAR", "date": "DATE",
               "bool": "BOOLEAN", "list": LIST}
CAST_TYPES = {"VARCHAR": "VARCHAR", "TEXT": "VARCHAR", "BIGINT": "BIGINT", "INT": "BIGINT",
              "INTEGER": "BIGINT", "DOUBLE": "DOUBLE", "DECIMAL": "DECIMAL", "DATE": "DATE",
              "TIMESTAMP": "TIMESTAMP", "BOOLEAN": "BOOLEAN"}
ZH = {"VARCHAR": "文本", "BIGINT": "整数", "DOUBLE": "小数", "DECIMAL": "金额/小数", "DATE": "日期",
      "TIMESTAMP": "时间", "BOOLEAN": "布尔", LIST: "列表", ANY: "未知"}


def norm(dtype: str | None) -> str:
    """``DECIMAL(18,2)`` → ``DECIMAL``; unknown → ANY."""
    if not dtype:
        return ANY
    base = dtype.upper().split("(")[0].strip()
    return base if base in ZH else CAST_TYPES.get(base, ANY)


def zh(dtype: str) -> str:
    return f"{ZH.get(dtype, dtype)}（{dtype}）" if dtype in ZH and dtype != ANY else ZH.get(dtype, dtype)


def family(dtype: str) -> str:
    if dtype in NUMERIC:
        return "num"
    if dtype in TEMPORAL:
        return "time"
    return dtype


def comparable(a: str, b: str) -> bool:
    return ANY in (a, b) or family(a) == family(b)


def common(types: list[str]) -> str:
    """Result type of coalesce/least/greatest/case: the first known type (widened for numbers)."""
    known = [t for t in types if t != ANY]
    if not known:
        return ANY
    if all(t in NUMERIC for t in known):
        return "DOUBLE" if "DOUBLE" in known else ("DECIMAL" if "DECIMAL" in known else "BIGINT")
    return known[0]


# 是/否 convention (docs/data-import.md, “是/否列”): a yes/no column may be stored as BOOLEAN (inferred from
# a CSV/Excel export) or as text 是/否 (declared by a Parquet file or a database).  A model compares it
# with '是'/'否' or TRUE/FALSE either way; the compiler turns the literal into the column's form.
# The words are the importer's (catalog.typeinfer, a pure module): what the import reads as 是/否 — 繁体 無
# included — a model may write, so the two lists cannot drift apart.
YES_WORDS = frozenset(_IMPORT_YES)
NO_WORDS = frozenset(_IMPORT_NO)


def yes_no_word(text: str) -> bool | None:
    """True/False for a yes/no word (是/否, 有/无, Y/N, true/false …), None for any other text."""
    v = text.strip().lower()
    return True if v in YES_WORDS else False if v in NO_WORDS else None
