"""检察建议书 draft: open the .docx and check the official parts are filled from the clue."""

from __future__ import annotations

import re
from datetime import date

import pytest
from docx import Document
from tests.workflow.conftest import DISTRICT, make_clues

from shujian.catalog.importer import ImportRequest
from shujian.catalog.service import CatalogService
from shujian.docgen.suggestion import SuggestionDraft, doc_number, org_abbreviation
from shujian.errors import InputError
from shujian.workflow.service import WorkflowService


def _case(ws, clock, model):
    wf = WorkflowService(ws, clock=clock)
    cid = make_clues(ws, model, 1)[0]
    wf.transition(cid, "研判", "shi_shuzi")
    wf.transition(cid, "交办", "shi_zhixing", org=DISTRICT, deadline=date(2026, 4, 1))
    wf.transition(cid, "核查", "jj_jcg")
    wf.transition(cid, "成案", "jj_jcg", case_number="台椒检刑执监〔2026〕7号")
    return wf, cid


def test_draft_has_official_layout_and_clue_facts(people, clock, pension_model, tmp_path):
    wf, cid = _case(people, clock, pension_model)
    with pytest.raises(InputError, match=f"线索 {cid} 没有“检察建议”类监督措施"):
        SuggestionDraft(people).write(cid, tmp_path / "x.docx")
    wf.add_measure(cid, "jj_jcg", "检察建议", doc_number="台椒检刑执建〔2026〕3号",
                   recipient="台州市椒江区人力资源和社会保障局")
    path = tmp_path / "检察建议书.docx"
    fields = SuggestionDraft(people).write(cid, path)
    assert fields["reply_deadline"] == "2026-05-02"
    texts = [p.text for p in Document(path).paragraphs]
    assert texts[:4] == ["台州市椒江区人民检察院", "检察建议书", "台椒检刑执建〔2026〕3号",
                         "台州市椒江区人力资源和社会保障局："]
    body = "\n".join(texts)
    assert "对象0服刑期间领取养老金1个月" in body                         # 问题: the clue's facts
    assert "月数：1；合计金额：1000" in body and "某*" in body           # Chinese labels, subject masked
    assert not re.search(r"[A-Za-z_]{3,}", body)                       # no English keys or column names
    assert "《社会保险法》第八十八条" in body and "劳社厅函〔2001〕44号" in body   # 依据 from the model
    assert "人民检察院组织法》第二十一条" in body
    assert texts.index("一、发现的问题") < texts.index("二、依据") < texts.index("三、检察建议")
    assert "收到本检察建议书之日起两个月内（即2026年5月2日前）" in body
    assert texts[-2:] == ["2026年3月2日", "（院印）"]


def test_draft_is_a4_in_the_official_layout(people, clock, pension_model, tmp_path):
    wf, cid = _case(people, clock, pension_model)
    wf.add_measure(cid, "jj_jcg", "检察建议", doc_number="台椒检刑执建〔2026〕3号", recipient="某局")
    path = tmp_path / "a4.docx"
    SuggestionDraft(people).write(cid, path)
    doc = Document(path)
    sec = doc.sections[0]
    assert (round(sec.page_width.mm), round(sec.page_height.mm)) == (210, 297)
    assert [round(m.mm) for m in (sec.top_margin, sec.bottom_margin, sec.left_margin, sec.right_margin)] == [
        37, 35, 28, 26]
    body = doc.paragraphs[4]
    assert body.runs[0].font.size.pt == 16 and body.runs[0].font.name == "仿宋_GB2312"   # 仿宋 三号
    assert doc.paragraphs[1].runs[0].font.size.pt == 22                                 # 标题 二号


def test_doc_number_and_addressee_filled_from_the_org_and_the_clue_agency(people, clock, tmp_path):
    """No 文号 or 主送机关 typed: the org's 机关代字 and 业务条线 make the 文号, the agency that supplied the
    evidence (not the 看守所's custody list) is the addressee."""
    from tests.runs.conftest import MODEL, custody_table, pension_table

    from shujian.runs.service import RunService
    from shujian.spec import load_model

    cat = CatalogService(people)
    cat.import_arrow(ImportRequest(name="监所在押人员", agency="台州市看守所检察室", semantics={"身份证号": "id_number"}),
                     custody_table())
    cat.import_arrow(ImportRequest(name="养老金发放", agency="台州市人力资源和社会保障局",
                                   semantics={"身份证号": "id_number"}), pension_table())
    RunService(people, clock=clock).run(load_model(MODEL))
    wf = WorkflowService(people, clock=clock)
    cid = 1
    wf.transition(cid, "研判", "shi_shuzi")
    wf.transition(cid, "交办", "shi_zhixing", org=DISTRICT, deadline=date(2026, 4, 1))
    wf.transition(cid, "核查", "jj_jcg")
    wf.transition(cid, "成案", "jj_jcg", case_number="案1")
    m = wf.add_measure(cid, "jj_jcg", "检察建议")
    fields = SuggestionDraft(people).write(cid, tmp_path / "d.docx")
    assert fields["doc_number"] == f"椒检刑执建〔2026〕{m['measure_id']}号"
    assert fields["recipient"] == "台州市人力资源和社会保障局"
    texts = [p.text for p in Document(tmp_path / "d.docx").paragraphs]
    assert "【" not in "".join(texts[:4])


def test_org_abbreviation():
    assert [org_abbreviation(n) for n in ("台州市椒江区人民检察院", "台州市人民检察院", "浙江省人民检察院",
                                          "临海市人民检察院")] == ["椒检", "台检", "浙检", "临检"]
    assert doc_number(None, None, None, 2026, 1) == "【文号】"
