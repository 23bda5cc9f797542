"""The model page enforces governance's own rules: only the actions allowed now, the certification 意见 kept,
the three evaluations shown, the real clue count, a 下架 model refused at 运行."""

from __future__ import annotations

import re

from shujian.web.security import DEMO_COOKIE

from .conftest import csrf

HTML = {"accept": "text/html"}
SRC = open("tests/fixtures/models/pension_during_custody.yaml", encoding="utf-8").read()


def _as(client, username: str) -> None:
    client.cookies.set(DEMO_COOKIE, username)


def _options(page: str) -> list[str]:
    form = re.search(r'<select id="g-action" name="action">(.*?)</select>', page, re.S)
    return re.findall(r"<option>(.*?)</option>", form.group(1)) if form else []


def test_model_page_shows_the_real_clue_count(client):
    _as(client, "demo")
    n = client.get("/api/v1/clues?model_id=pension-during-custody").json()["total"]
    assert n > 0
    page = client.get("/models/pension-during-custody", headers=HTML).text
    assert f"线索（{n}）" in page


def test_actions_follow_the_state_and_the_opinion_and_evaluations_are_kept(client):
    _as(client, "shi_shuzi")
    token = csrf(client)
    src = SRC.replace("id: pension-during-custody", "id: web-gov-page")
    assert client.post("/api/v1/models", json={"source": src}).status_code == 201
    assert _options(client.get("/models/web-gov-page", headers=HTML).text) == ["提交"]      # a draft: 提交 only
    client.post("/models/web-gov-page/govern", data={"csrf_token": token, "action": "提交"}, headers=HTML)
    assert _options(client.get("/models/web-gov-page", headers=HTML).text) == ["退回"]      # the author can't certify
    _as(client, "shi_lingdao")
    token = csrf(client)
    page = client.get("/models/web-gov-page", headers=HTML).text
    assert _options(page) == ["业务认证", "退回"] and "三轮评估" in page
    r = client.post("/models/web-gov-page/govern", headers=HTML, data={
        "csrf_token": token, "action": "业务认证", "reason": "同意进入数字认证", "pass_建模必要性": "1",
        "note_建模必要性": "群众反映集中", "pass_技术可行性": "1", "pass_线索准确性": "1"})
    assert "已执行：业务认证" in r.text
    events = r.text.split('id="gov-events"')[1]
    assert "同意进入数字认证" in events and "群众反映集中" in events and "王院长" in events
    assert all(e in events for e in ("建模必要性", "技术可行性", "线索准确性"))
    assert _options(r.text) == ["退回"]                       # 数字认证 belongs to 数字办


def test_a_refused_action_is_explained_in_chinese(client):
    _as(client, "shi_shuzi")
    token = csrf(client)
    r = client.post("/models/pension-during-custody/govern", data={"csrf_token": token, "action": "上架", "scope": "市"},
                    headers=HTML)
    assert "未执行“上架”" in r.text and "不能“上架”" in r.text
