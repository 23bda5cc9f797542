from __future__ import annotations

from pathlib import Path

import pytest

SOURCE = Path(__file__).resolve().parents[2] / "../shared/data/law"


@pytest.fixture(scope="session")
def source() -> Path:
    if not (SOURCE / "刑法.md").exists():
        pytest.skip(f"statute sources not found at {SOURCE}")
    return SOURCE
