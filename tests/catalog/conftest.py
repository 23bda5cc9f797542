"""Fixtures of the catalog tests."""

from __future__ import annotations

import contextlib

import pytest

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
