"""Fixtures of the text-screening tests."""

from __future__ import annotations

from tests.web.conftest import seeded_home  # noqa: E402,F401  the seeded web workspace (demo accounts)

from parity.conftest import spark  # noqa: F401  one local SparkSession, same skip policy
