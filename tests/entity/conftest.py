"""Fixtures of the entity tests."""

from __future__ import annotations

import pytest
from entity_people import import_people


@pytest.fixture
def people_ws(sqlite_ws):
    import_people(sqlite_ws)
    return sqlite_ws
