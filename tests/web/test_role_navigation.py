"""Navigation shows what the role can do; a refusal names the action in Chinese and who can do it."""

from __future__ import annotations

import re

from shujian.web.security import DEMO_COOKIE

from .conftest import csrf

HTML = {"accept": "text/html"}


def _nav(page: str) -> list[str]:
    nav = page.split('aria-label="主导航">')[1].split("</nav>")[0]
    return re.findall(r">([^<]+)</a>", nav)


def test_a_prosecutor_is_not_shown_what_they_cannot_do(client):
    client.cookies.set(DEMO_COOKIE, "jj_jcg")                          # 检察官
    nav = _nav(client.get("/", headers=HTML).text)
    assert "线索" in nav and "模型库" in nav and "可视化建模" in nav          # 人人都是建模者 (sandbox runs)
    assert not {"运行", "用户与机构", "审计"} & set(nav)
    assert "导入数据" not in client.get("/data", headers=HTML).text
    model = client.get("/models/pension-during-custody", headers=HTML).text
    assert "在画布中打开" in model and ">运行<" not in model


def test_a_refusal_names_the_action_in_chinese_and_who_can_do_it(client):
    client.cookies.set(DEMO_COOKIE, "jj_jcg")
    r = client.get("/audit", headers=HTML)
    assert r.status_code == 403
    assert "无权“查看审计日志”：该操作由院领导、系统管理员办理" in r.text and "audit.read" not in r.text
    body = client.post("/api/v1/runs", json={"model_id": "pension-during-custody"}).json()["error"]
    assert body["message"].endswith("无权“运行模型”：该操作由数字办办理")


def test_digital_office_can_use_the_forms_it_is_offered(client):
    client.cookies.set(DEMO_COOKIE, "shi_shuzi")                       # 数字办
    token = csrf(client)
    nav = _nav(client.get("/", headers=HTML).text)
    assert {"可视化建模", "运行", "数据"} <= set(nav)
    cid = client.get("/api/v1/clues?state=生成").json()["items"][0]["clue_id"]
    page = client.get(f"/clues/{cid}", headers=HTML).text
    assert 'data-action="研判"' in page and 'data-action="排除"' in page
    r = client.post(f"/clues/{cid}/act", data={"csrf_token": token, "action": "研判"}, headers=HTML)
    assert r.status_code == 200 and "已执行：研判" in r.text
