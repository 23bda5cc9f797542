"""督办 and 刚性监督 in the browser's forms (before: CLI only)."""

from __future__ import annotations

from datetime import date, timedelta

from shujian.web.security import DEMO_COOKIE
from shujian.workflow.service import WorkflowService

from .conftest import csrf

HTML = {"accept": "text/html"}


def _as(client, username: str) -> str:
    client.cookies.set(DEMO_COOKIE, username)
    return csrf(client)


def _open_clue(client, web_ws) -> int:
    ids = [c["clue_id"] for c in client.get("/api/v1/clues?state=生成").json()["items"]]
    return ids[0]


def test_supervise_a_lower_orgs_clue_from_the_clue_page(client, web_ws):
    _as(client, "demo")
    cid = _open_clue(client, web_ws)
    wf = WorkflowService(web_ws)
    wf.transition(cid, "研判", "demo")
    wf.transition(cid, "交办", "demo", org="331002", deadline=date.today() + timedelta(days=30))
    token = _as(client, "shi_lingdao")
    page = client.get(f"/clues/{cid}", headers=HTML).text
    assert 'data-action="督办"' in page
    r = client.post(f"/clues/{cid}/act", headers=HTML, data={
        "csrf_token": token, "action": "督办", "deadline": (date.today() + timedelta(days=20)).isoformat(),
        "reason": "市院挂牌督办"})
    assert "已执行：督办" in r.text and "督办中，期限" in r.text
    assert "市院挂牌督办" in r.text.split('id="timeline"')[1]
    r = client.post(f"/clues/{cid}/act", headers=HTML, data={"csrf_token": token, "action": "督办",
                                                           "deadline": "下周", "reason": "x"})
    assert "“期限”应为日期" in r.text
    token = _as(client, "jj_jcg")                         # a 检察官 is not offered 督办
    assert 'data-action="督办"' not in client.get(f"/clues/{cid}", headers=HTML).text


def test_overdue_unanswered_suggestion_offers_rigid_supervision(client, web_ws):
    _as(client, "demo")
    cid = _open_clue(client, web_ws)
    wf = WorkflowService(web_ws)
    wf.transition(cid, "研判", "demo")
    wf.transition(cid, "交办", "demo", org="3310", deadline=date.today() + timedelta(days=30))
    wf.transition(cid, "核查", "demo")
    wf.transition(cid, "成案", "demo", case_number="台检刑执监〔2026〕88号")
    wf.add_measure(cid, "demo", "检察建议", issued_on=date.today() - timedelta(days=90),
                   reply_deadline=date.today() - timedelta(days=20))
    token = csrf(client)
    page = client.get(f"/clues/{cid}", headers=HTML).text
    assert "建议转刚性监督" in page
    r = client.post(f"/clues/{cid}/act", headers=HTML, data={
        "csrf_token": token, "action": "刚性监督", "measure_kind": "提请上级院监督", "reason": "逾期未回复"})
    assert "已执行：刚性监督" in r.text and "建议转刚性监督" not in r.text
    assert "提请上级院监督" in r.text.split("<h2>监督措施</h2>")[1]
