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


def fact_semantic(name: str, value: Any) -> str | None:
    """The personal semantic type of one clue fact (事实), or None.

    The fact's name decides first (身份证号, 姓名, 联系电话, 银行卡号, 车牌… — the column-name hints of
    :mod:`shujian.catalog.semantic`); otherwise the value alone, when it is a valid value of a type that
    can be recognised from values (a checksum-valid 身份证号, a mobile number, a Luhn-valid card, a plate).

    >>> fact_semantic("身份证号", "110105194912310029"), fact_semantic("months", 3)
    ('id_number', None)
    """
    from ..catalog.semantic import SEMANTIC_TYPES

    lowered = str(name).strip().lower()
    for st in SEMANTIC_TYPES.values():
        if st.personal and any(p.lower() in lowered for p in st.name_patterns):
            return st.key
    text = str(value) if isinstance(value, int) and not isinstance(value, bool) and value >= 10**10 else value
    if isinstance(text, str) and text.strip():
        for st in SEMANTIC_TYPES.values():
            if st.personal and st.detect_by_values and st.is_valid(text):
                return st.key
    return None


def mask_facts(facts: dict | None) -> tuple[dict, list[str]]:
    """``facts`` with every personal value masked (脱敏), and the names of the masked facts.

    >>> mask_facts({"姓名": "张三", "months": 3, "证件": "11010519491231002X"})
    ({'姓名': '张*', 'months': 3, '证件': '110105********002X'}, ['姓名', '证件'])
    """
    from ..catalog.masking import mask_embedded, mask_value

    out, masked = {}, []
    for name, value in (facts or {}).items():
        values = value if isinstance(value, list) else [value]
        kinds = [fact_semantic(name, v) for v in values if v is not None]
        if not any(kinds):
            # free text (a reason, a complaint) may still carry an ID, card or phone number
            shown = [mask_embedded(v) if isinstance(v, str) else v for v in values]
            out[name] = shown if isinstance(value, list) else shown[0]
            if shown != values:
                masked.append(name)
            continue
        key = next(k for k in kinds if k)
        shown = [None if v is None else mask_value(fact_semantic(name, v) or key, str(v)) for v in values]
        out[name] = shown if isinstance(value, list) else shown[0]
        masked.append(name)
    return out, masked


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
