"""The built-in library loader and its documentation: every model loads and has a page in the index."""

from __future__ import annotations

from pathlib import Path

import pytest

from shujian.errors import NotFound
from shujian.models_library import get_model, list_ids, list_models, model_path

DOCS = Path(__file__).resolve().parents[2] / "docs" / "models"


def test_every_model_loads_and_matches_its_file() -> None:
    models = list_models()
    assert [m.id for m in models] == list_ids()
    assert {"pension-during-custody", "benefits-after-death", "drunk-driving-licence", "community-correction-gaps",
            "medical-insurance-in-custody", "non-prosecution-follow-up"} <= set(list_ids())
    for m in models:
        assert model_path(m.id).name == f"{m.id}.yaml"
        assert m.legal_basis, m.id
        assert all(p.label for p in m.params.values()), m.id


def test_every_model_is_documented_and_indexed() -> None:
    index = (DOCS / "README.md").read_text("utf-8")
    for model_id in list_ids():
        page = DOCS / f"{model_id}.md"
        assert page.is_file(), f"docs/models/{model_id}.md 缺失"
        text = page.read_text("utf-8")
        assert "## 法律依据" in text and "## 规则" in text and "## 参数" in text, model_id
        for name in get_model(model_id).params:
            assert name in text, f"{model_id}: 参数 {name} 未在说明页中"
        assert f"({model_id}.md)" in index, f"{model_id} 未列入 docs/models/README.md"


def test_unknown_model_names_the_known_ones() -> None:
    with pytest.raises(NotFound, match="pension-during-custody"):
        get_model("no-such-model")
