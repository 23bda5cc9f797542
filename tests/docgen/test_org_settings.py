"""文书设置: an org's stored 机关代字, 文号 format, first number and default 主送机关 — edited by the org's own
数字办 or 系统管理员 in the browser, used by the 检察建议书 draft (A4, Chinese labels only)."""

from __future__ import annotations

import re
from datetime import date

import pytest
from docx import Document
from fastapi.testclient import TestClient
from tests.workflow.conftest import DISTRICT, make_clues

from shujian.docgen.suggestion import SuggestionDraft
from shujian.errors import PermissionDenied, ValidationFailed
from shujian.orgs.service import OrgService
from shujian.orgs.settings import OrgSettingsService
from shujian.web.app import create_app
from shujian.web.security import DEMO_COOKIE
from shujian.workflow.service import WorkflowService


@pytest.fixture
def district(people):
    OrgService(people).add_user("jj_shuzi", "吴分析", DISTRICT, ["数字办"])
    return people


def _suggestions(ws, clock, model, n: int, **measure) -> list[int]:
    """``n`` clues held by 椒江 worked to 成案, each with a 检察建议 (no 文号, no 主送机关 unless given)."""
    return [_suggestion(ws, clock, cid, **measure) for cid in make_clues(ws, model, n)]


def _suggestion(ws, clock, cid, **measure) -> int:
    wf = WorkflowService(ws, clock=clock)
    wf.transition(cid, "研判", "shi_shuzi")
    wf.transition(cid, "交办", "shi_zhixing", org=DISTRICT, deadline=date(2026, 4, 1))
    wf.transition(cid, "核查", "jj_jcg")
    wf.transition(cid, "成案", "jj_jcg", case_number=f"案{cid}")
    wf.add_measure(cid, "jj_jcg", "检察建议", **measure)
    return cid


def test_stored_doc_number_and_recipient_fill_the_a4_draft(district, clock, pension_model, tmp_path):
    svc = OrgSettingsService(district)
    svc.save(DISTRICT, "jj_shuzi", abbreviation="椒江检", number_format="{代字}{条线}建〔{年}〕{号}号",
             first_number="40", recipient="台州市椒江区人力资源和社会保障局")
    first, second = _suggestions(district, clock, pension_model, 2)
    numbers = []
    for cid in (first, second):
        path = tmp_path / f"{cid}.docx"
        SuggestionDraft(district).write(cid, path)
        doc = Document(path)
        sec = doc.sections[0]
        assert (round(sec.page_width.mm), round(sec.page_height.mm)) == (210, 297)          # A4
        texts = [p.text for p in doc.paragraphs]
        numbers.append(texts[2])
        assert texts[3] == "台州市椒江区人力资源和社会保障局："
        body = "\n".join(texts)
        assert "【文号】" not in body and "【主送机关】" not in body
        assert not re.search(r"[A-Za-z_]{2,}\s*[：:]", body), body                       # no English keys
    assert numbers == ["椒江检刑执建〔2026〕40号", "椒江检刑执建〔2026〕41号"]


def test_a_measures_own_doc_number_wins_and_unset_settings_keep_the_derived_one(district, clock, pension_model,
                                                                                 tmp_path):
    own, derived = make_clues(district, pension_model, 2)
    _suggestion(district, clock, own, doc_number="台椒检建〔2026〕3号")
    _suggestion(district, clock, derived)
    assert SuggestionDraft(district).write(own, tmp_path / "a.docx")["doc_number"] == "台椒检建〔2026〕3号"
    assert re.fullmatch(r"椒检刑执建〔2026〕\d+号", SuggestionDraft(district).write(derived, tmp_path / "b.docx")["doc_number"])


def test_only_the_orgs_digital_office_or_an_admin_above_may_edit(district):
    svc = OrgSettingsService(district)
    for who in ("jj_jcg", "shi_shuzi"):                   # a 检察官; the 市院's 数字办 for a district
        with pytest.raises(PermissionDenied, match="文书设置"):
            svc.save(DISTRICT, who, abbreviation="椒检")
    assert svc.save(DISTRICT, "admin", abbreviation="椒检").abbreviation == "椒检"     # 市院 系统管理员


def test_bad_settings_are_refused_in_chinese_by_field(district):
    with pytest.raises(ValidationFailed) as exc:
        OrgSettingsService(district).save(DISTRICT, "jj_shuzi", abbreviation="椒 检", number_format="{代字}〔{year}〕",
                                          first_number="零")
    got = [(p.location, p.message) for p in exc.value.problems]
    assert {where for where, _ in got} == {"abbreviation", "number_format", "first_number"}
    assert ("number_format", "文号格式中的“{year}”不是可用的占位；可用：{代字}、{条线}、{年}、{号}") in got
    assert ("number_format", "文号格式中缺少顺序号“{号}”，例如 {代字}{条线}建〔{年}〕{号}号") in got
    assert ("first_number", "起始编号“零”应为 1 到 1000000 之间的整数") in got
    assert exc.value.message.startswith("台州市椒江区人民检察院的文书设置有误，未保存（4 处问题）")


def test_settings_page_saves_and_shows_errors_beside_fields(district):
    with TestClient(create_app(workspace=district)) as client:
        client.cookies.set(DEMO_COOKIE, "jj_shuzi")
        page = client.get("/settings/documents", headers={"accept": "text/html"})
        assert page.status_code == 200 and "文书设置：台州市椒江区人民检察院" in page.text
        token = client.cookies.get("csrf_token") or re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1)
        bad = client.post("/settings/documents", data={"csrf_token": token, "org": DISTRICT, "abbreviation": "椒检",
                                                       "number_format": "{代字}建", "first_number": "1"})
        assert bad.status_code == 422 and 'id="e-number_format"' in bad.text and "缺少顺序号" in bad.text
        assert 'value="椒检"' in bad.text                                      # what was typed stays
        ok = client.post("/settings/documents", data={"csrf_token": token, "org": DISTRICT, "abbreviation": "椒检",
                                                      "number_format": "{代字}{条线}建〔{年}〕{号}号",
                                                      "first_number": "7", "recipient": ""})
        assert ok.status_code == 200 and "已保存台州市椒江区人民检察院的文书设置" in ok.text
        assert OrgSettingsService(district).get(DISTRICT).first_number == 7
        client.cookies.set(DEMO_COOKIE, "jj_jcg")                            # a 检察官: not offered, refused
        assert client.get("/settings/documents", headers={"accept": "text/html"}).status_code == 403
