"""Display masking of rows for pages and API (脱敏展示).

Until the security layer decides per role who may unmask which level, everything personal is
masked.  The security issue replaces :func:`may_unmask`.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any

from ..catalog.masking import mask_value
from .security import CurrentUser


def may_unmask(user: CurrentUser, level: str | None) -> bool:
    """Whether ``user`` may see unmasked values of classification ``level`` (today: never)."""
    return False


def jsonable(value: Any) -> Any:
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return float(value)
    if isinstance(value, bytes):
        return value.hex()
    return value


def mask_rows(columns: list[str], semantics: dict[str, str | None], rows: list) -> list[list]:
    """Rows with every personal column masked by its semantic type, values JSON-ready."""
    keys = [semantics.get(c) for c in columns]
    out = []
    for row in rows:
        out.append([jsonable(mask_value(k, v) if k and isinstance(v, str) else v) for k, v in zip(keys, row,
                                                                                             strict=False)])
    return out
