"""Node preview through the runs layer (shujian.runs.preview): step cut, masking, sealed data, no run stored."""

from __future__ import annotations

import pytest
from tests.runs.conftest import MODEL, A, B

from shujian.catalog.service import CatalogService
from shujian.errors import InputError
from shujian.runs.preview import preview, probe_model
from shujian.runs.service import RunService
from shujian.security.masking import SealedData
from shujian.spec import load_model

from .conftest import copy_workspace


@pytest.fixture(scope="module")
def ws(seeded_home, tmp_path_factory):
    w = copy_workspace(seeded_home, tmp_path_factory.mktemp("preview") / "home")
    yield w
    w.close()


@pytest.fixture(scope="module")
def model():
    return load_model(MODEL)


def test_probe_cuts_after_the_step_and_keeps_earlier_ones(model):
    cut = probe_model(model, "paid")
    assert [s.id for s in cut.steps] == ["in_custody", "paid", "preview__"]
    assert [s.id for s in probe_model(model, None).steps][-2:] == ["per_person", "preview__"]
    with pytest.raises(InputError, match="没有步骤或输入“nope”"):
        probe_model(model, "nope")


def test_step_preview_rows_are_masked_and_nothing_is_stored(ws, model):
    runs_before = len(RunService(ws).list_runs(limit=1000))
    p = preview(ws, model, "paid", limit=50)
    assert p.ok and "amount" in p.columns and "preview_key__" not in p.columns
    assert not any(c.startswith("_ev_") for c in p.columns)
    persons = [r[p.columns.index("person")] for r in p.rows]
    assert len(persons) == 8 and all("*" in v for v in persons)        # A: months 3..6, B: 3..6
    assert A not in str(p.rows) and B not in str(p.rows)
    agg = preview(ws, model, None, limit=5)
    assert sorted(r[agg.columns.index("months")] for r in agg.rows) == [4, 4]
    assert len(RunService(ws).list_runs(limit=1000)) == runs_before


def test_input_role_previews_the_dataset_masked(ws, model):
    p = preview(ws, model, "custody", limit=1)
    assert len(p.rows) == 1 and "*" in p.rows[0][p.columns.index("身份证号")]


def test_limit_is_bounded(ws, model):
    assert len(preview(ws, model, "paid", limit=3).rows) == 3
    with pytest.raises(InputError, match="预览行数"):
        preview(ws, model, "paid", limit=0)


def test_sealed_input_refused_for_step_dataset_and_web(ws, model, tmp_path):
    CatalogService(ws).set_level("养老金发放", "敏感", sealed=True)
    try:
        with pytest.raises(SealedData):
            preview(ws, model, "paid")
        with pytest.raises(SealedData):
            preview(ws, model, "pension")
        from fastapi.testclient import TestClient

        from shujian.web.app import create_app

        graph = {"model": {"id": "x"}, "nodes": [{"id": "d1", "kind": "dataset", "role": "pension",
                                                  "input": {"dataset": "养老金发放", "fields": {}}}], "edges": []}
        with TestClient(create_app(workspace=ws), raise_server_exceptions=False) as c:
            resp = c.post("/api/v1/builder/preview", json={**graph, "node": "d1"})
        assert resp.status_code == 422 and resp.json()["error"]["code"] == "sealed"
    finally:
        CatalogService(ws).set_level("养老金发放", "内部", sealed=False)
