"""Issue 14, finding 2 (and the preview part of 10): the builder preview masks by column lineage.

Before the fix a 检察官 without the unmask right previewed ``derive: {pid2: "concat(person,'')", nm2:
"substr(name,1,10)", ph2: "phone || ''", cd2: "upper(card)"}`` and got ID, name, phone and bank card in
clear (masking looked at the logical field names only), and a 备注 with a phone number came back as is.
"""

from __future__ import annotations

import re

import pyarrow as pa
import pytest
from fastapi.testclient import TestClient

from shujian.catalog.importer import ImportRequest
from shujian.catalog.service import CatalogService
from shujian.config import load_settings
from shujian.orgs.service import OrgService
from shujian.runs.preview import preview
from shujian.security.accounts import AccountService
from shujian.spec import load_model
from shujian.web.app import create_app
from shujian.web.auth import SessionIdentity
from shujian.workspace import Workspace

ID, NAME, PHONE, CARD = "11010519491231002X", "欧阳娜娜", "13800138000", "6222021234567890128"
NOTE_PHONE = "13912345678"
CLEAR = (ID, NAME, PHONE, CARD, NOTE_PHONE, ID[:17], "娜娜", CARD[:16])
DATASET = "人员联系信息"
FIELDS = {"person": "身份证号", "name": "姓名", "phone": "手机号", "card": "银行卡号", "note": "备注", "amount": "金额"}
ATTACK = {"pid2": "concat(person,'')", "nm2": "substr(name,1,10)", "ph2": "phone || ''", "cd2": "upper(card)"}


@pytest.fixture(scope="module")
def ws(tmp_path_factory):
    home = tmp_path_factory.mktemp("lineage") / "home"
    ws = Workspace(load_settings(home=home, database_url=f"sqlite:///{home / 'metadata.sqlite'}")).ensure()
    table = pa.table({"身份证号": [ID, ID], "姓名": [NAME, NAME], "手机号": [PHONE, PHONE], "银行卡号": [CARD, CARD],
                      "备注": [f"本人电话 {NOTE_PHONE}，多次投诉", "无"], "金额": [100.0, 250.5]})
    CatalogService(ws).import_arrow(ImportRequest(name=DATASET, agency="测试单位", semantics={
        "身份证号": "id_number", "姓名": "person_name", "手机号": "phone", "银行卡号": "bank_card"}), table)
    svc = OrgService(ws)
    svc.seed(["33"])
    svc.add_user("jcg", "检察官甲", "3310", ["检察官"], department="刑事执行检察部")
    AccountService(ws).set_password("jcg", "Correct-Horse-9")
    yield ws
    ws.close()


def model(steps: list[dict]):
    return load_model({"id": "lineage-probe", "name": "预览探测", "line": "刑事执行检察", "point": "测试",
                       "inputs": {"p": {"dataset": DATASET, "fields": FIELDS}}, "steps": steps,
                       "output": {"subject": {"type": "person", "key": "person"}, "title": "{person}"}})


def leaked(rows) -> list[str]:
    text = str(rows)
    return [v for v in CLEAR if v in text]


def column(p, name: str) -> list:
    return [r[p.columns.index(name)] for r in p.rows]


def test_the_issues_derived_columns_stay_masked(ws):
    p = preview(ws, model([{"id": "d", "from": "p", "derive": {"columns": ATTACK}}]), "d")
    assert p.ok, p.message
    assert leaked(p.rows) == [], p.rows
    assert column(p, "pid2") == ["110105********002X"] * 2
    assert column(p, "nm2") == ["欧***"] * 2
    assert column(p, "ph2") == ["138****8000"] * 2
    assert column(p, "cd2") == ["6222 **** **** 0128"] * 2


@pytest.mark.parametrize("expr", [
    "lower(person)", "substr(person, 1, 17)", "upper(lower(name))", "name || phone", "concat(card, '-', '')",
    "cast(substr(person, 1, 17) AS BIGINT)", "cast(phone AS BIGINT)", "case when amount > 0 then person else name end",
    "coalesce(NULL, card)", "trim(' ' || phone || ' ')", "greatest(person, '')", "least(card, 'z')",
])
def test_any_expression_over_a_personal_column_is_masked(ws, expr):
    p = preview(ws, model([{"id": "d", "from": "p", "derive": {"columns": {"x": expr}}}]), "d")
    assert p.ok, p.message
    values = column(p, "x")
    assert leaked(values) == [] and all("*" in str(v) for v in values), values


def test_masking_follows_lineage_through_aggregates_and_later_steps(ws):
    steps = [{"id": "d", "from": "p", "derive": {"columns": ATTACK}},
             {"id": "g", "from": "d", "aggregate": {"by": ["pid2"], "measures": {
                 "n": "count(*)", "names": "count(distinct nm2)", "last_phone": "max(ph2)", "total": "sum(amount)"}}},
             {"id": "r", "from": "g", "derive": {"columns": {"again": "pid2 || ''"}}}]
    p = preview(ws, model(steps), "r")
    assert p.ok and leaked(p.rows) == [], p.rows
    assert column(p, "n") == [2] and column(p, "names") == [1]          # counts carry no value: not masked
    assert column(p, "total") == [350.5]                                 # an amount is not personal
    assert column(p, "last_phone") == ["138****8000"] and column(p, "again") == ["110105********002X"]


def test_identifiers_inside_free_text_are_masked(ws):
    p = preview(ws, model([{"id": "d", "from": "p", "derive": {"columns": {"memo": "note || '。'"}}}]), "d")
    assert column(p, "note")[0] == "本人电话 139****5678，多次投诉"
    assert column(p, "memo")[0] == "本人电话 139****5678，多次投诉。"
    assert leaked(p.rows) == []


def test_dataset_preview_masks_free_text_as_well(ws):
    p = preview(ws, model([{"id": "d", "from": "p", "derive": {"columns": {"x": "1"}}}]), "p")
    assert leaked(p.rows) == [] and "本人电话 139****5678，多次投诉" in column(p, "备注")


def test_the_web_builder_preview_for_a_prosecutor_without_unmask_right(ws):
    """The issue's request: POST /api/v1/builder/preview as a 检察官 — nothing in clear in the JSON."""
    graph = {"model": {"id": "lineage-web", "name": "预览", "line": "刑事执行检察", "point": "测试"},
             "nodes": [{"id": "n1", "kind": "dataset", "role": "p", "input": {"dataset": DATASET, "fields": FIELDS}},
                       {"id": "n2", "kind": "derive", "step": {"id": "d", "derive": {"columns": ATTACK}}},
                       {"id": "n3", "kind": "output", "output": {"subject": {"type": "person", "key": "person"},
                                                                 "title": "{person}"}}],
             "edges": [{"source": "n1", "target": "n2"}, {"source": "n2", "target": "n3"}]}
    app = create_app(workspace=ws, identity=SessionIdentity(demo_fallback=False))
    token = AccountService(ws).create_token("jcg", "测试")["token"]
    with TestClient(app, raise_server_exceptions=False) as client:
        resp = client.post("/api/v1/builder/preview", headers={"Authorization": f"Bearer {token}"},
                           json={**graph, "node": "n2", "limit": 50})
    assert resp.status_code == 200, resp.text
    body = resp.json()
    assert body.get("ok") is True and body["rows"], body
    assert leaked(body["rows"]) == [] and not re.search(r"\d{17}[\dX]|1[3-9]\d{9}|\d{16,19}", resp.text), resp.text


def test_mask_helpers_fail_closed():
    from shujian.catalog.masking import mask_derived, mask_rows

    assert mask_derived({"id_number"}, 11010519491231002) == "110105*******1002"
    assert mask_derived({"person_name", "phone"}, "张三13800138000") == "张" + "*" * 12
    assert mask_derived({"phone"}, [PHONE, None]) == ["138****8000", None]
    assert mask_rows(["备注", "姓名"], {"姓名": "person_name"}, [[f"卡号 {CARD}", NAME]],
                     clear=["姓名"]) == [["卡号 6222 **** **** 0128", NAME]]


def test_a_text_step_with_a_kept_rule_is_masked_by_lineage_not_all_at_once(ws):
    """A text step's long rule reaches the function through a scalar subquery (compiler.text.kept_configs):
    lineage follows it (a literal: no source) instead of failing closed, which masked every column of the
    builder preview — 工单号 and amounts included (the browser test of the prepaid model caught it)."""
    steps = [{"id": "t", "from": "p", "text": {"fields": ["note"], "rule": {"use": "prepaid-card"}, "keep": "all"}}]
    from shujian.compiler import compile_model
    from shujian.compiler.text import CONFIG_FUNCTION

    m = model(steps)
    compiled = compile_model(m, CatalogService(ws).schema([DATASET]))
    assert CONFIG_FUNCTION in compiled.sql.lower()                               # the rule is kept: the case this is about
    p = preview(ws, m, "t")
    assert p.ok, p.message
    assert leaked(p.rows) == [], p.rows
    assert column(p, "amount") == [100.0, 250.5]                           # not personal: in clear
    assert column(p, "person") == ["110105********002X"] * 2               # personal: masked
    assert "本人电话 139****5678，多次投诉" in column(p, "note")


def test_lineage_follows_a_scalar_subquery_and_fails_closed_on_a_correlated_one(ws):
    from sqlglot import parse_one

    from shujian.compiler.lineage import origins

    catalog = CatalogService(ws).schema([DATASET])
    rel = catalog.datasets[DATASET].relation
    found = origins(parse_one(f'SELECT "金额" AS a, (SELECT max("身份证号") FROM {rel}) AS x, '
                              f"(SELECT 'k' AS c) AS k FROM {rel}"), catalog)
    assert found["x"].sources == {(rel, "身份证号")}                   # a copy of an ID through a subquery
    assert found["k"].sources == set() and found["a"].sources == {(rel, "金额")}
    found = origins(parse_one(f'SELECT (SELECT max(i."姓名") FROM {rel} i WHERE i."金额" = o."金额") AS y '
                              f"FROM {rel} o"), catalog)
    assert found["y"].sources == {(rel, "姓名")}                        # correlated: still the name it returns
    assert origins(parse_one(f'SELECT (SELECT o."身份证号") AS z FROM {rel} o'), catalog) is None   # fail closed
