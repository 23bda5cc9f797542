"""Clue titles and facts: turn one output row into text a prosecutor reads.

Templates use ``{列}`` and ``{列|filter}``; filters: ``mask`` (personal identifiers masked),
``date`` (2023年1月5日), ``money`` (12,345.00), ``raw``.
"""

from __future__ import annotations

import re
from datetime import date, datetime
from decimal import Decimal
from typing import Any

PLACEHOLDER = re.compile(r"\{([^{}|]+)(?:\|([a-z_]+))?\}")
ID18 = re.compile(r"^\d{17}[\dX]$")
CN_NAME = re.compile(r"^[\u4e00-\u9fff·]{2,6}$")


def json_value(v: Any) -> Any:
    """A JSON-safe form of a DuckDB/Arrow value (dates as ISO text, decimals as numbers)."""
    if isinstance(v, (datetime, date)):
        return v.isoformat()
    if isinstance(v, Decimal):
        f = float(v)
        return int(f) if f.is_integer() else round(f, 2)
    if isinstance(v, float):
        return int(v) if v.is_integer() else round(v, 2)
    if isinstance(v, (list, tuple)):
        return [json_value(x) for x in v]
    if isinstance(v, dict):
        return {k: json_value(x) for k, x in v.items()}
    return v


def mask_guess(value: Any) -> str:
    """Mask a personal identifier when the template asks for ``|mask``."""
    from ..catalog import masking

    text = "" if value is None else str(value)
    if ID18.match(text):
        return masking.mask_id_number(text)
    if CN_NAME.match(text):
        return masking.mask_name(text)
    if text.isdigit() and len(text) == 11:
        return masking.mask_phone(text)
    if len(text) > 4:
        return text[:2] + "*" * (len(text) - 4) + text[-2:]
    return text[:1] + "*" * max(len(text) - 1, 0)


def format_value(value: Any, filt: str | None = None) -> str:
    if filt == "mask":
        return mask_guess(value)
    if value is None:
        return "—"
    if filt == "date" and isinstance(value, (date, datetime)):
        return f"{value.year}年{value.month}月{value.day}日"
    if isinstance(value, (float, Decimal)):
        f = float(value)
        if filt == "money" or not f.is_integer():
            return f"{f:,.2f}"
        return str(int(f))
    if isinstance(value, (date, datetime)):
        return value.isoformat()[:10]
    if isinstance(value, (list, tuple)):
        return "、".join(format_value(v) for v in value)
    return str(value)


def render_title(template: str, row: dict) -> str:
    return PLACEHOLDER.sub(lambda m: format_value(row.get(m.group(1).strip()), m.group(2)), template)
