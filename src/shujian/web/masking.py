"""Display masking of rows for pages and API (脱敏展示).

Everything personal is masked here; who may ask for unmasked values is decided per role by
:mod:`shujian.security.masking`, and each such look is audited.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any

from ..catalog.masking import mask_value
from .security import CurrentUser


def may_unmask(user: CurrentUser, level: str | None) -> bool:
    """Whether ``user``'s roles may see unmasked values of ``level``.  Display stays masked by default:
    unmasking is an explicit, audited request with a reason (POST /api/v1/datasets/{name}/unmask)."""
    from ..security.masking import may_unmask as role_may_unmask

    return role_may_unmask(user.roles, level or "内部")


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
