"""Fixtures of the catalog tests."""

from __future__ import annotations

import contextlib

import pytest

from shujian.catalog.importer import CLEAN_FORMS, _clean_test, _unclean_norm
from shujian.workspace import Workspace


class _Logged:
    def __init__(self, con, log: list[str]):
        self._con, self._log = con, log

    def execute(self, sql, *args, **kwargs):
        self._log.append(str(sql))
        return self._con.execute(sql, *args, **kwargs)

    def __getattr__(self, name):
        return getattr(self._con, name)


@pytest.fixture
def warehouse_log(monkeypatch) -> list[str]:
    """Every statement run on the workspace's warehouse connections, in order."""
    log: list[str] = []
    real = Workspace.warehouse

    @contextlib.contextmanager
    def logged(self, **kw):
        with real(self, **kw) as con:
            yield _Logged(con, log)

    monkeypatch.setattr(Workspace, "warehouse", logged)
    return log


def fast_path(sem: str, expr: str, norm: str) -> str:
    """The reference the importer's layered clean-form normalisation is checked against: ``expr``
    normalised for semantic type ``sem`` in one expression (``norm``: ``expr`` through its SQL
    normaliser), values already in normal form (``CLEAN_FORMS``) skipping the normaliser — what the
    importer computes as ``_clean_test`` and then ``_unclean_norm`` over the rest."""
    if sem not in CLEAN_FORMS:
        return norm
    return f"(CASE WHEN {_clean_test(sem, expr)} THEN {expr} ELSE {_unclean_norm(sem, norm)} END)"
