"""检察建议书 draft: open the .docx and check the official parts are filled from the clue."""

from __future__ import annotations

from datetime import date

import pytest
from docx import Document
from tests.workflow.conftest import DISTRICT, make_clues

from shujian.docgen.suggestion import SuggestionDraft
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
    assert "months：1；total：1000" in body and "某*" in body           # subject masked by default
    assert "《社会保险法》第八十八条" in body and "劳社厅函〔2001〕44号" in body   # 依据 from the model
    assert "人民检察院组织法》第二十一条" in body
    assert texts.index("一、发现的问题") < texts.index("二、依据") < texts.index("三、检察建议")
    assert "收到本检察建议书之日起两个月内（即2026年5月2日前）" in body
    assert texts[-2:] == ["2026年3月2日", "（院印）"]
