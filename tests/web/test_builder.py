"""可视化建模: model ↔ graph round-trip for every built-in model, node-located problems, node preview, save."""

from __future__ import annotations

import copy
import json
import re

import pytest

from shujian import models_library
from shujian.web.builder import graph_to_model, model_to_graph


def _normal(model) -> dict:
    """The model with default reads made explicit (``from``/``left`` = previous step)."""
    d = model.model_dump(mode="json", by_alias=True, exclude_none=True)
    prev = next(iter(d["inputs"])) if len(d["inputs"]) == 1 else None
    for s in d.get("steps") or []:
        if "join" in s:
            s["join"].setdefault("left", prev)
        elif "union" not in s:
            s.setdefault("from", prev)
        prev = s["id"]
    return d


@pytest.mark.parametrize("model_id", models_library.list_ids())
def test_every_builtin_model_round_trips_through_the_canvas(model_id):
    model = models_library.get_model(model_id)
    graph = model_to_graph(model)
    assert sum(n["kind"] == "dataset" for n in graph["nodes"]) == len(model.inputs)
    assert sum(n["kind"] == "output" for n in graph["nodes"]) == 1
    back, _ = graph_to_model(copy.deepcopy(graph))
    assert _normal(back) == _normal(model)


def collision_graph() -> dict:
    """Two datasets, 碰撞 on 身份证号 with the pension month inside the custody period, 分组统计, 输出线索."""
    fields_c = {c: c for c in ("身份证号", "姓名", "入所日期", "出所日期", "羁押性质")}
    fields_p = {c: c for c in ("身份证号", "发放年月", "发放金额")}
    return {
        "model": {"id": "web-collision", "name": "在押期间领取养老金（画布）", "line": "刑事执行检察", "point": "养老金停发"},
        "nodes": [
            {"id": "d1", "kind": "dataset", "role": "custody", "input": {"dataset": "监所在押人员", "fields": fields_c}},
            {"id": "d2", "kind": "dataset", "role": "pension", "input": {"dataset": "养老金发放", "fields": fields_p}},
            {"id": "s3", "kind": "join", "step": {"id": "hit", "join": {"type": "inner", "on": ["身份证号"],
                                                                      "where": "发放年月 >= 入所日期"}}},
            {"id": "s4", "kind": "aggregate", "step": {"id": "per_person", "aggregate": {
                "by": ["身份证号", "姓名"], "measures": {"月数": "count(*)", "合计": "sum(发放金额)"}}}},
            {"id": "output", "kind": "output", "output": {"subject": {"type": "person", "key": "身份证号", "name": "姓名"},
                                                        "title": "{身份证号|mask}在押期间领取养老金{月数}个月",
                                                        "facts": ["月数", "合计"]}},
        ],
        "edges": [{"source": "d2", "target": "s3", "port": 1}, {"source": "d1", "target": "s3", "port": 2},
                  {"source": "s3", "target": "s4", "port": 1}, {"source": "s4", "target": "output", "port": 1}],
    }


def test_kinds_and_dataset_panel(client):
    kinds = {k["kind"]: k for k in client.get("/api/v1/builder/kinds").json()["items"]}
    assert kinds["join"]["label"] == "碰撞/关联" and kinds["join"]["inputs"] == 2 and kinds["output"]["outputs"] == 0
    panel = client.get("/api/v1/builder/datasets").json()["items"]
    assert {"监所在押人员", "养老金发放"} <= {d["name"] for d in panel}


def test_open_model_as_graph(client):
    g = client.get("/api/v1/builder/graph/pension-during-custody").json()
    assert {n["kind"] for n in g["nodes"]} >= {"dataset", "filter", "join", "aggregate", "output"}
    assert client.get("/api/v1/builder/graph/nope").status_code == 404


def test_validate_ok_returns_model_file_and_sql(client):
    res = client.post("/api/v1/builder/validate", json=collision_graph()).json()
    assert res["ok"], res
    assert "id: web-collision" in res["source"] and "join:" in res["source"] and "WITH" in res["sql"].upper()


def test_problems_are_placed_on_their_nodes(client):
    g = collision_graph()
    g["nodes"][2]["step"]["join"]["on"] = ["身份证"]                # typo in the collision key
    res = client.post("/api/v1/builder/validate", json=g).json()
    assert not res["ok"] and {p["node"] for p in res["problems"]} == {"s3"}
    g = collision_graph()
    g["nodes"][4]["output"]["facts"] = ["月数", "不存在"]
    res = client.post("/api/v1/builder/validate", json=g).json()
    assert not res["ok"] and {p["node"] for p in res["problems"]} == {"output"}
    assert "不存在" in res["problems"][0]["message"]


def test_structural_problem_names_the_node(client):
    g = collision_graph()
    g["nodes"][3]["step"]["aggregate"]["measures"] = {}
    res = client.post("/api/v1/builder/validate", json=g).json()
    assert not res["ok"] and any(p["node"] == "s4" for p in res["problems"])


def test_preview_any_node_masks_identifiers(client):
    g = collision_graph()
    ds = client.post("/api/v1/builder/preview", json={**g, "node": "d1", "limit": 5}).json()
    assert ds["ok"] and len(ds["rows"]) == 2
    hit = client.post("/api/v1/builder/preview", json={**g, "node": "s3", "limit": 50}).json()
    assert hit["ok"] and "发放金额" in hit["columns"] and "_rule" not in hit["columns"]
    col = hit["columns"].index("身份证号")
    assert hit["rows"] and all("*" in r[col] for r in hit["rows"])
    agg = client.post("/api/v1/builder/preview", json={**g, "node": "output"}).json()
    assert agg["ok"] and agg["columns"][:2] == ["身份证号", "姓名"] and len(agg["rows"]) == 2
    assert client.post("/api/v1/builder/preview", json={**g, "node": "zz"}).status_code == 422


def test_save_then_run_the_saved_model(client):
    saved = client.post("/api/v1/builder/save", json=collision_graph())
    assert saved.status_code == 201, saved.text
    assert saved.json()["model_id"] == "web-collision"
    r = client.post("/api/v1/runs", json={"model_id": "web-collision"})
    job = client.app.state.jobs.wait(r.json()["job_id"])
    assert job.status == "succeeded" and job.result["clues_new"] == 2
    again = client.get("/api/v1/builder/graph/web-collision").json()
    assert {n["kind"] for n in again["nodes"]} == {"dataset", "join", "aggregate", "output"}


def test_save_refuses_an_invalid_graph_with_nodes(client):
    g = collision_graph()
    g["nodes"][2]["step"]["join"]["on"] = ["无此列"]
    r = client.post("/api/v1/builder/save", json=g)
    assert r.status_code == 422
    assert any(p["node"] == "s3" for p in r.json()["error"]["details"]["problems"])


def test_every_step_kind_is_a_node_of_its_own(client):
    kinds = {k["kind"]: k for k in client.get("/api/v1/builder/kinds").json()["items"]}
    assert "step" not in kinds
    for kind, label in {"derive": "计算新列", "select": "选择列", "window": "排序编号", "union": "合并",
                        "distinct": "去重", "components": "团伙归并"}.items():
        assert kinds[kind]["label"] == label
    assert kinds["union"]["inputs"] == 4
    for model_id in models_library.list_ids():
        graph = model_to_graph(models_library.get_model(model_id))
        assert all(n["kind"] in kinds for n in graph["nodes"]), model_id


def labelled(graph: dict) -> dict:
    names = {"d1": "数据集：监所在押人员", "d2": "数据集：养老金发放", "s3": "碰撞/关联：养老金发放 × 监所在押人员",
             "s4": "分组统计：养老金发放"}
    for n in graph["nodes"]:
        if n["id"] in names:
            n["label"] = names[n["id"]]
    return graph


def test_problems_name_nodes_by_their_labels_not_ids(client):
    g = labelled(collision_graph())
    g["nodes"][2]["step"]["join"]["on"] = ["身份证"]
    res = client.post("/api/v1/builder/validate", json=g).json()
    text = " ".join([res["message"], *(p["message"] for p in res["problems"])])
    assert not res["ok"] and re.search(r"\b(hit|s3|d1|d2|in_custody|in_pension|custody|pension)\b", text) is None, text
    assert {p["node"] for p in res["problems"]} == {"s3"}


def test_a_new_model_gets_an_id_from_its_name(client):
    g = collision_graph()
    g["model"] = {k: v for k, v in g["model"].items() if k != "id"}
    g["model"]["name"] = "在押期间领取养老金（新建）"
    res = client.post("/api/v1/builder/validate", json=g).json()
    assert res["ok"], res
    saved = client.post("/api/v1/builder/save", json=g).json()
    assert saved["model_id"] == "zai-ya-qi-jian-ling-qu-yang-lao-jin-xin-jian" and saved["name"] == g["model"]["name"]
    again = client.post("/api/v1/builder/save", json=g).json()     # the same name again: a second model
    assert again["model_id"] == "zai-ya-qi-jian-ling-qu-yang-lao-jin-xin-jian-2"


def test_builder_page_offers_lines_and_no_identifier_fields(client):
    page = client.get("/builder?model=pension-during-custody").text
    lines = json.loads(page.split('<script id="builder-lines" type="application/json">', 1)[1].split("</script>", 1)[0])
    assert "刑事执行检察" in lines and "公益诉讼检察" in lines and "其他步骤" not in page
    title = page.split("<h1", 1)[1].split("</h1>", 1)[0]
    assert "养老金" in title and "pension-during-custody" not in title
