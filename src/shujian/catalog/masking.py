"""Display masking (脱敏) of personal identifiers — pure functions used by the security layer.

House style (one rule per type, applied consistently):

- 身份证号: keep the 6-digit region and the last 4, mask the birth date and sequence:
  ``110105********1234`` (15-digit: ``110105*****1234``).
- 姓名: keep the first character, mask every other character with one ``*`` each:
  ``张三`` → ``张*``, ``张三明`` → ``张**``, ``欧阳娜娜`` → ``欧***``; a middle dot stays
  (``阿卜杜·热合曼`` → ``阿**·***``); a one-character value becomes ``*``.
- 手机号: ``138****5678``.
- 银行卡号: first 4 and last 4 with two masked groups, whatever the length: ``6222 **** **** 1234``
  (hides the length too).
- 统一社会信用代码: keep the first 8 (登记管理部门、机构类别、登记机关行政区划) and the last 2:
  ``91110000********1L``.
- 车牌号: keep the province, the letter and the last 2: ``京A***45``.

Values too short for their pattern are masked except for the first character, so a short fragment
never leaks whole.  None stays None.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Collection
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from shujian.catalog.semantic import SEMANTIC_TYPES
from shujian.errors import NotFound


def _keep(value: str, head: int, tail: int) -> str:
    """Keep ``head`` and ``tail`` characters and mask the middle; short values keep only the first."""
    if len(value) <= head + tail:
        return value[:1] + "*" * (len(value) - 1) if len(value) > 1 else "*" * len(value)
    return value[:head] + "*" * (len(value) - head - tail) + value[len(value) - tail:]


def mask_id_number(value: str | None) -> str | None:
    """``11010519491231002X`` → ``110105********002X``."""
    return None if value is None else _keep(value.strip(), 6, 4)


def mask_name(value: str | None) -> str | None:
    """``张三明`` → ``张**`` (first character kept, middle dots kept)."""
    if value is None:
        return None
    v = value.strip()
    if len(v) <= 1:
        return "*" * len(v)
    return v[0] + "".join(c if c == "·" else "*" for c in v[1:])


def mask_phone(value: str | None) -> str | None:
    """``13812345678`` → ``138****5678``."""
    return None if value is None else _keep(value.strip(), 3, 4)


def mask_bank_card(value: str | None) -> str | None:
    """``6222021234567891234`` → ``6222 **** **** 1234``."""
    if value is None:
        return None
    digits = "".join(value.split())
    if len(digits) <= 8:
        return _keep(digits, 1, 0)
    return f"{digits[:4]} **** **** {digits[-4:]}"


def mask_uscc(value: str | None) -> str | None:
    """``91110000600037341L`` → ``91110000********1L``."""
    return None if value is None else _keep(value.strip(), 8, 2)


def mask_plate_number(value: str | None) -> str | None:
    """``京A12345`` → ``京A***45``."""
    return None if value is None else _keep(value.strip(), 2, 2)


MASKERS: dict[str, Callable[[str | None], str | None]] = {
    "id_number": mask_id_number,
    "person_name": mask_name,
    "phone": mask_phone,
    "bank_card": mask_bank_card,
    "uscc": mask_uscc,
    "plate_number": mask_plate_number,
}


def mask_value(semantic_key: str | None, value: str | None) -> str | None:
    """Mask ``value`` for display according to its semantic type.

    Types without a masker (案号, 日期, 金额…) and columns without a semantic type are returned
    unchanged; an unknown key raises ``NotFound`` so a typo cannot silently unmask data.
    """
    if semantic_key is None or value is None:
        return value
    if semantic_key not in SEMANTIC_TYPES:
        raise NotFound(f"未知的数据要素类型 '{semantic_key}'，无法脱敏",
                       hint="使用 shujian.catalog.semantic.SEMANTIC_TYPES 中的类型")
    masker = MASKERS.get(semantic_key)
    return masker(str(value)) if masker else value


# identifiers that can sit inside free text (备注, 诉求内容, a model's reason string): a digit run of
# the right length, not part of a longer run, that passes its type's check (GB 11643 / mobile / Luhn)
_EMBEDDED = (
    ("id_number", re.compile(r"(?<![0-9A-Za-z])[0-9]{17}[0-9Xx](?![0-9A-Za-z])")),
    ("bank_card", re.compile(r"(?<![0-9])[0-9]{16,19}(?![0-9])")),
    ("phone", re.compile(r"(?<![0-9])1[3-9][0-9]{9}(?![0-9])")),
)


def mask_embedded(text: str) -> str:
    """``text`` with every 身份证号, 银行卡号 and 手机号 inside it masked (names cannot be found
    without a dictionary and are left as they are).

    >>> mask_embedded("张三（11010519491231002X，电话 13800138000）多次投诉")
    '张三（110105********002X，电话 138****8000）多次投诉'
    """
    for key, pattern in _EMBEDDED:
        def masked(m: re.Match, key: str = key) -> str:
            found = m.group(0)
            return mask_value(key, found) or found if SEMANTIC_TYPES[key].is_valid(found) else found

        text = pattern.sub(masked, text)
    return text


def jsonable(value: Any) -> Any:
    """A cell value as JSON carries it: dates ISO, decimals as float, bytes as hex."""
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return float(value)
    if isinstance(value, bytes):
        return value.hex()
    return value


def mask_rows(columns: list[str], semantics: dict[str, str | None], rows: list, *,
              clear: Collection[str] = ()) -> list[list]:
    """Rows for display, values JSON-ready: every column with a masked type (身份证号, 姓名 …) masked by
    its type, and the 身份证号/手机号/银行卡号 inside any other text masked (:func:`mask_embedded`).
    Columns in ``clear`` are shown as they are (an audited unmask by a user with the right)."""
    keys = [semantics.get(c) for c in columns]
    shown = [c in clear for c in columns]
    return [[jsonable(v if open_ else mask_cell(k, v)) for k, open_, v in zip(keys, shown, row, strict=False)]
            for row in rows]


def mask_cell(semantic_key: str | None, value: Any) -> Any:
    """One cell for display: masked by its semantic type, else identifiers inside its text masked."""
    if not isinstance(value, str):
        return value
    if semantic_key in MASKERS:
        return mask_value(semantic_key, value)
    if semantic_key is not None:
        mask_value(semantic_key, value)          # an unknown type raises: a typo never unmasks
    return mask_embedded(value)


def mask_derived(semantic_keys: Collection[str], value: Any) -> Any:
    """A value computed from columns of the masked types ``semantic_keys`` (``concat(身份证号, '')``,
    ``upper(银行卡号)``, ``cast(substr(身份证号, 1, 17) AS BIGINT)``), masked whatever its own type:
    by that type when there is one, else (several types mixed) down to its first character."""
    if value is None:
        return None
    if isinstance(value, list | tuple):
        return [mask_derived(semantic_keys, v) for v in value]
    text = str(jsonable(value))
    keys = sorted(set(semantic_keys))
    return mask_value(keys[0], text) if len(keys) == 1 else mask_name(text)
