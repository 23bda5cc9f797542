"""Display masking of rows for pages and API (脱敏展示).

Everything personal is masked here; who may ask for unmasked values is decided per role by
:mod:`shujian.security.masking`, and each such look is audited.
"""

from __future__ import annotations

from ..catalog.masking import jsonable, mask_rows  # noqa: F401 - the pages' and API's names for them
from .security import CurrentUser


def may_unmask(user: CurrentUser, level: str | None) -> bool:
    """Whether ``user``'s roles may see unmasked values of ``level``.  Display stays masked by default:
    unmasking is an explicit, audited request with a reason (POST /api/v1/datasets/{name}/unmask)."""
    from ..security.masking import may_unmask as role_may_unmask

    return role_may_unmask(user.roles, level or "内部")
