"""A Word draft (.docx) of a 检察建议书 filled from a clue and its 检察建议 measure.

Layout after the official format: 院名 and 文书名 centred, 文号 right, 主送机关, then the body in
three parts (问题 — the facts found; 依据 — the legal basis; 建议), the reply period (two months),
the signature block and the date.  The prosecutor finishes the draft in Word; passages that need
human judgement are marked 【】.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

from docx import Document
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml.ns import qn
from docx.shared import Pt

from ..clues.render import mask_facts, mask_guess
from ..db.models import Clue, Org, SupervisionMeasure
from ..errors import InputError, NotFound
from ..security.scope import visible
from ..workspace import Workspace

SUGGESTION_KINDS = ("检察建议", "社会治理检察建议", "再审检察建议")
PROCEDURAL_BASIS = "《中华人民共和国人民检察院组织法》第二十一条和《人民检察院检察建议工作规定》"
FONT = "仿宋"
NUMERALS = "一二三四五六七八九十"


def _cn_date(d: date) -> str:
    return f"{d.year}年{d.month}月{d.day}日"


def _basis_text(items: list[dict]) -> str:
    parts = []
    for b in items or []:
        law = b.get("law", "")
        name = law if law.startswith("《") or "〔" in law else f"《{law}》"
        parts.append(f"{name}{b.get('article', '')}" + (f"（{b['summary']}）" if b.get("summary") else ""))
    return "、".join(parts)


def _facts_text(clue: Clue, unmask: bool) -> list[str]:
    who = clue.subject.name or clue.subject.key
    who = who if unmask else mask_guess(who)
    lines = [f"{clue.title}。"]
    shown = clue.facts if unmask else mask_facts(clue.facts)[0]         # personal facts masked (脱敏)
    facts = "；".join(f"{k}：{v}" for k, v in (shown or {}).items())
    if facts:
        lines.append(f"经大数据比对，涉及对象{who}的相关数据为：{facts}。【请核对证据并补充调查核实情况】")
    return lines


class SuggestionDraft:
    """Build a 检察建议书 draft for one clue."""

    def __init__(self, ws: Workspace):
        self.ws = ws

    def write(self, clue_id: int, path: str | Path, *, unmask: bool = False) -> dict:
        """Write the draft to ``path``; returns the filled fields (文号, 主送机关 …)."""
        with self.ws.db.unit_of_work() as s:
            clue = s.get(Clue, clue_id)
            if clue is None or not visible(clue.org_id):        # another org's clue: as if missing
                raise NotFound(f"线索 {clue_id} 不存在")
            m = (s.query(SupervisionMeasure).filter(SupervisionMeasure.clue_id == clue_id,
                                                    SupervisionMeasure.kind.in_(SUGGESTION_KINDS))
                 .order_by(SupervisionMeasure.id.desc()).first())
            if m is None:
                raise InputError(f"线索 {clue_id} 没有“检察建议”类监督措施，无法生成检察建议书",
                                 hint="先成案并录入监督措施：shujian clue measure CLUE --kind 检察建议 …")
            org = s.get(Org, clue.org_id) if clue.org_id else None
            fields = {"org": org.name if org else "【院名】", "doc_number": m.doc_number or "【文号】",
                      "recipient": m.recipient or "【主送机关】", "issued_on": m.issued_on or date.today(),
                      "reply_deadline": m.reply_deadline, "facts": _facts_text(clue, unmask),
                      "basis": _basis_text(clue.legal_basis), "kind": m.kind}
        _render(fields, Path(path))
        return {k: (v.isoformat() if isinstance(v, date) else v) for k, v in fields.items()}


def _para(doc, text: str = "", *, align=None, size: int = 16, bold: bool = False, indent: bool = True):
    p = doc.add_paragraph()
    if align is not None:
        p.alignment = align
    if indent and align is None:
        p.paragraph_format.first_line_indent = Pt(size * 2)
    run = p.add_run(text)
    run.font.size, run.bold = Pt(size), bold
    run.font.name = FONT
    run.element.rPr.rFonts.set(qn("w:eastAsia"), FONT)
    return p


def _render(f: dict, path: Path) -> None:
    doc = Document()
    _para(doc, f["org"], align=WD_ALIGN_PARAGRAPH.CENTER, size=22, bold=True)
    _para(doc, "检察建议书", align=WD_ALIGN_PARAGRAPH.CENTER, size=26, bold=True)
    _para(doc, f["doc_number"], align=WD_ALIGN_PARAGRAPH.RIGHT)
    _para(doc, f"{f['recipient']}：", indent=False)
    _para(doc, "本院在履行法律监督职责中，通过大数据法律监督模型比对发现以下问题：")
    _para(doc, "一、发现的问题", bold=True)
    for line in f["facts"]:
        _para(doc, line)
    _para(doc, "二、依据", bold=True)
    basis = f["basis"] or "【相关法律法规】"
    _para(doc, f"上述情形不符合{basis}的规定。根据{PROCEDURAL_BASIS}的规定，本院特提出如下检察建议：")
    _para(doc, "三、检察建议", bold=True)
    for i, text in enumerate(("依法纠正上述问题，停止违规情形并追回相关款项；",
                              "举一反三，对同类情形开展专项排查，依法处理；",
                              "健全信息共享与核查机制，防止类似问题再次发生。【请根据核查情况修改】")):
        _para(doc, f"（{NUMERALS[i]}）{text}")
    deadline = f"（即{_cn_date(f['reply_deadline'])}前）" if f["reply_deadline"] else ""
    _para(doc, f"请你单位在收到本检察建议书之日起两个月内{deadline}依法办理，并将办理情况书面回复本院。")
    _para(doc, f["org"], align=WD_ALIGN_PARAGRAPH.RIGHT)
    _para(doc, _cn_date(f["issued_on"]), align=WD_ALIGN_PARAGRAPH.RIGHT)
    _para(doc, "（院印）", align=WD_ALIGN_PARAGRAPH.RIGHT)
    doc.save(path)
