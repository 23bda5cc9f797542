"""Chinese display formats for pages (日期、金额、数量) — Jinja filters.

>>> cn_date("2026-03-02")
'2026年3月2日'
>>> cn_amount(12345.5)
'12,345.50 元'
>>> cn_amount(1234567)
'123.46 万元'
>>> cn_count(1234567)
'1,234,567'
>>> cn_cell("2023-01-10")
'2023年1月10日'
"""

from __future__ import annotations

import re
from datetime import date, datetime
from typing import Any

_ISO = re.compile(r"^\d{4}-\d{2}-\d{2}(?:[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?)?$")


def _parse(value: Any) -> date | datetime | None:
    if value in (None, ""):
        return None
    if isinstance(value, date | datetime):
        return value
    try:
        return datetime.fromisoformat(str(value))
    except ValueError:
        return None


def cn_date(value: Any) -> str:
    """``2026-03-02`` → ``2026年3月2日``; text that is not a date is returned as is."""
    d = _parse(value)
    if d is None:
        return "" if value in (None, "") else str(value)
    return f"{d.year}年{d.month}月{d.day}日"


def cn_datetime(value: Any) -> str:
    """``2026-03-02T09:05:00`` → ``2026年3月2日 09:05``."""
    d = _parse(value)
    if not isinstance(d, datetime):
        return cn_date(value)
    return f"{d.year}年{d.month}月{d.day}日 {d:%H:%M}"


def cn_amount(value: Any) -> str:
    """Money in 元, or 万元 from one million up."""
    if value in (None, ""):
        return ""
    try:
        v = float(value)
    except (TypeError, ValueError):
        return str(value)
    if abs(v) >= 1_000_000:
        return f"{v / 10_000:,.2f} 万元"
    return f"{v:,.2f} 元"


def cn_count(value: Any) -> str:
    if value in (None, ""):
        return ""
    try:
        return f"{int(value):,}"
    except (TypeError, ValueError):
        return str(value)


def cn_bool(value: Any) -> str:
    return "是" if value else "否"


def cn_cell(value: Any) -> str:
    """A table cell: dates in Chinese, floats with two decimals, None empty."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return cn_bool(value)
    if isinstance(value, datetime):
        return cn_datetime(value)
    if isinstance(value, date):
        return cn_date(value)
    if isinstance(value, float):
        return f"{value:,.2f}"
    if isinstance(value, list | tuple):
        return "、".join(cn_cell(v) for v in value)
    if isinstance(value, str) and _ISO.match(value):
        return cn_datetime(value) if "T" in value or " " in value.strip() else cn_date(value)
    return str(value)


_TYPES = (("VARCHAR", "文本"), ("TEXT", "文本"), ("STRING", "文本"), ("CHAR", "文本"), ("TIMESTAMP", "日期时间"),
          ("DATETIME", "日期时间"), ("DATE", "日期"), ("TIME", "时间"), ("BOOL", "是/否"), ("DECIMAL", "小数"),
          ("DOUBLE", "小数"), ("FLOAT", "小数"), ("REAL", "小数"), ("NUMERIC", "小数"), ("HUGEINT", "整数"),
          ("BIGINT", "整数"), ("SMALLINT", "整数"), ("TINYINT", "整数"), ("INT", "整数"), ("LIST", "列表"),
          ("[]", "列表"), ("STRUCT", "结构"), ("BLOB", "二进制"))


def cn_type(dtype: Any) -> str:
    """A column's storage type in Chinese: ``VARCHAR`` → ``文本``, ``DATE`` → ``日期``, ``BIGINT`` → ``整数``.

    >>> cn_type("DECIMAL(18,2)"), cn_type("TIMESTAMP WITH TIME ZONE"), cn_type("VARCHAR[]")
    ('小数', '日期时间', '列表')
    """
    text = str(dtype or "").upper()
    if not text:
        return ""
    if text.endswith("[]"):
        return "列表"
    return next((label for key, label in _TYPES if key in text), str(dtype))


def cn_semantic(key: Any) -> str:
    """A data-element type (数据要素类型) in Chinese: ``id_number`` → ``身份证号``; none → ``""``."""
    if not key:
        return ""
    from ..catalog.semantic import SEMANTIC_TYPES

    found = SEMANTIC_TYPES.get(str(key))
    return found.label if found else str(key)


FILTERS = {"cn_date": cn_date, "cn_datetime": cn_datetime, "cn_amount": cn_amount, "cn_count": cn_count,
           "cn_bool": cn_bool, "cn_cell": cn_cell, "cn_type": cn_type, "cn_semantic": cn_semantic}
