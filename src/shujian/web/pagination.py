"""Pagination and sorting for lists: ``?page=1&page_size=20&sort=-rows``."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import Depends, Query

MAX_PAGE_SIZE = 200


@dataclass(frozen=True)
class PageParams:
    page: int = 1
    page_size: int = 20
    sort: str | None = None

    @property
    def offset(self) -> int:
        return (self.page - 1) * self.page_size


def page_params(page: Annotated[int, Query(ge=1, le=100_000, description="页码，从 1 开始")] = 1,
                page_size: Annotated[int, Query(ge=1, le=MAX_PAGE_SIZE, description="每页条数")] = 20,
                sort: Annotated[str | None, Query(max_length=64, description="排序字段，前加 - 为降序")] = None
                ) -> PageParams:
    return PageParams(page, page_size, sort)


Paging = Annotated[PageParams, Depends(page_params)]


def sort_rows(rows: list[dict], sort: str | None, allowed: Sequence[str]) -> list[dict]:
    """Sort dict rows by ``sort`` (``name`` or ``-name``) when it is an allowed key; None sorts last."""
    if not sort:
        return rows
    key, desc = sort.lstrip("-"), sort.startswith("-")
    if key not in allowed:
        return rows
    present = [r for r in rows if r.get(key) is not None]
    missing = [r for r in rows if r.get(key) is None]
    return sorted(present, key=lambda r: _sortable(r[key]), reverse=desc) + missing


def _sortable(v: Any) -> Any:
    return (0, v) if isinstance(v, int | float) else (1, str(v))


def page_of(rows: list[dict], p: PageParams, *, allowed_sort: Sequence[str] = (),
            total: int | None = None) -> dict:
    """The list envelope ``{items, total, page, page_size, pages}`` of an in-memory list."""
    rows = sort_rows(rows, p.sort, allowed_sort)
    n = len(rows) if total is None else total
    items = rows[p.offset:p.offset + p.page_size] if total is None else rows
    return {"items": items, "total": n, "page": p.page, "page_size": p.page_size,
            "pages": max(1, -(-n // p.page_size))}


def filter_rows(rows: list[dict], **wanted: Any) -> list[dict]:
    """Keep rows whose field equals the wanted value (None = no filter)."""
    checks: list[Callable[[dict], bool]] = [
        (lambda r, k=k, v=v: str(r.get(k)) == str(v)) for k, v in wanted.items() if v not in (None, "")]
    return [r for r in rows if all(c(r) for c in checks)]
