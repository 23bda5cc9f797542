"""Fixtures of the text-screening tests."""

from __future__ import annotations

from parity.conftest import spark  # noqa: F401  one local SparkSession, same skip policy
