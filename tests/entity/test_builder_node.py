"""The 按主体关联 canvas node: the entity model opens on the canvas and saves back unchanged."""

from __future__ import annotations

import copy
from pathlib import Path

import shujian.entity
from shujian.spec import load_model
from shujian.web.builder import graph_to_model, kinds_meta, model_to_graph

MODEL = str(Path(shujian.entity.__file__).parent / "models" / "judgment-pension-by-subject.yaml")


def test_entity_join_node_round_trips():
    model = load_model(MODEL)
    graph = model_to_graph(model)
    node = next(n for n in graph["nodes"] if n["kind"] == "entity_join")
    assert "left" not in node["step"]["entity_join"] and "right" not in node["step"]["entity_join"]
    ports = sorted((e["port"], e["source"]) for e in graph["edges"] if e["target"] == node["id"])
    assert ports == [(1, "in_pension"), (2, "st_jailed")]
    back, _ = graph_to_model(copy.deepcopy(graph))
    assert back.model_dump(exclude_none=True) == model.model_dump(exclude_none=True)


def test_entity_join_node_has_two_inputs_on_the_palette():
    meta = {m["kind"]: m for m in kinds_meta()}
    assert meta["entity_join"]["inputs"] == 2 and meta["entity_join"]["label"] == "按主体关联"
