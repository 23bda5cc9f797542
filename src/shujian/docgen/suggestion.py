"""A Word draft (.docx) of a 检察建议书 filled from a clue and its 检察建议 measure.

Layout after the 公文 standard (GB/T 9704-2012): A4 (210 × 297 mm), margins 37 mm top, 35 mm bottom,
28 mm left, 26 mm right; title in 小标宋 二号, body in 仿宋 三号 with fixed 28.95 pt lines (22 lines a
page); 院名 and 文书名 centred, 文号 right, 主送机关, then the body in three parts (问题 — the facts found,
with Chinese labels; 依据 — the legal basis; 建议), the reply period (two months), the signature block
and the date.  文号 is the measure's, else made from the org's stored 文书设置 (机关代字, format, first
number: :mod:`shujian.orgs.settings`) or, when not set, the 代字 derived from the org's name and the
model's 业务条线; 主送机关 the measure's, else the agency that supplied the clue's evidence, else the org's
stored default.  The prosecutor finishes
the draft in Word; passages that need human judgement are marked 【】.
"""

from __future__ import annotations

import re
from datetime import date
from pathlib import Path

from docx import Document
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml.ns import qn
from docx.shared import Mm, Pt

from ..clues.labels import labelled
from ..db.models import Clue, ClueEvidence, DatasetVersion, Org, SupervisionMeasure
from ..errors import InputError
from ..orgs.settings import format_number
from ..orgs.settings import read as read_settings
from ..security.access import load_visible, present_clue
from ..security.scope import current_scope
from ..workspace import Workspace

SUGGESTION_KINDS = ("检察建议", "社会治理检察建议", "再审检察建议")
PROCEDURAL_BASIS = "《中华人民共和国人民检察院组织法》第二十一条和《人民检察院检察建议工作规定》"
FONT = "仿宋_GB2312"
TITLE_FONT = "方正小标宋简体"
NUMERALS = "一二三四五六七八九十"
BODY_PT, TITLE_PT, LINE_PT = 16, 22, 28.95          # 三号, 二号, 22 lines on the A4 type area
#: 业务条线 → the 部门代字 in a 文号 (椒检刑执建〔2026〕3号)
LINE_ABBR = {"刑事检察": "刑", "民事检察": "民", "行政检察": "行", "公益诉讼检察": "公", "刑事执行检察": "刑执",
             "未成年人检察": "未", "控告申诉检察": "控申"}
#: agencies whose data is the prosecutor's own or the courts': never the addressee of a 检察建议
JUDICIAL = ("法院", "检察", "本系统")


def _cn_date(d: date) -> str:
    return f"{d.year}年{d.month}月{d.day}日"


def _basis_text(items: list[dict]) -> str:
    parts = []
    for b in items or []:
        law = b.get("law", "")
        name = law if law.startswith("《") or "〔" in law else f"《{law}》"
        parts.append(f"{name}{b.get('article', '')}" + (f"（{b['summary']}）" if b.get("summary") else ""))
    return "、".join(parts)


def _value_text(v) -> str:
    if isinstance(v, (list, tuple)):
        return "、".join(_value_text(x) for x in v)
    if isinstance(v, float):
        return f"{v:,.2f}".rstrip("0").rstrip(".") if v != int(v) else f"{int(v):,}"
    return str(v)


def _facts_text(clue: Clue, unmask: bool) -> list[str]:
    raw = {"subject": {"key": clue.subject.key, "name": clue.subject.name}, "title": clue.title,
           "facts": clue.facts or {}}
    shown = present_clue(raw, clear=unmask)          # subject, title and personal facts masked (脱敏)
    who = shown["subject"]["name"] or shown["subject"]["key"]
    lines = [f"{shown['title']}。"]
    facts = "；".join(f"{k}：{_value_text(v)}" for k, v in labelled(shown["facts"] or {}).items())
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
            clue = load_visible(s, current_scope(), Clue, clue_id)        # another org's clue: as if missing
            m = (s.query(SupervisionMeasure).filter(SupervisionMeasure.clue_id == clue_id,
                                                    SupervisionMeasure.kind.in_(SUGGESTION_KINDS))
                 .order_by(SupervisionMeasure.id.desc()).first())
            if m is None:
                raise InputError(f"线索 {clue_id} 没有“检察建议”类监督措施，无法生成检察建议书",
                                 hint="先成案并录入监督措施：shujian clue measure CLUE --kind 检察建议 …")
            org = s.get(Org, clue.org_id) if clue.org_id else None
            stored = read_settings(s, org) if org else None
            issued = m.issued_on or date.today()
            seq = _sequence(s, org, m, issued.year) if stored and stored.first_number else m.id
            fields = {"org": org.name if org else "【院名】",
                      "doc_number": m.doc_number or doc_number(s, org, _line(clue.model_id), issued.year, seq),
                      "recipient": (m.recipient or clue_agency(s, clue_id) or (stored.recipient if stored else None)
                                    or "【主送机关】"), "issued_on": issued,
                      "reply_deadline": m.reply_deadline, "facts": _facts_text(clue, unmask),
                      "basis": _basis_text(clue.legal_basis), "kind": m.kind}
        _render(fields, Path(path))
        return {k: (v.isoformat() if isinstance(v, date) else v) for k, v in fields.items()}


def org_abbreviation(name: str) -> str:
    """机关代字 of a procuratorate: the first character of its own place name + 检
    (台州市椒江区人民检察院 → 椒检, 台州市人民检察院 → 台检, 浙江省人民检察院 → 浙检).

    >>> org_abbreviation("台州市椒江区人民检察院"), org_abbreviation("台州市人民检察院")
    ('椒检', '台检')
    """
    place = name.removesuffix("人民检察院")
    parts = re.findall(r"[^省市区县旗]+(?:省|自治区|市|区|县|旗)", place) or [place]
    own = parts[-1]
    return f"{own[:1]}检" if own else "【机关代字】"


def doc_number(s, org: Org | None, line: str | None, year: int, seq: int) -> str:
    """文号 from the org's 机关代字 and the 业务条线: 椒检刑执建〔2026〕12号 — the org's stored 代字 and
    format when set (用户与机构 → 文书设置), else the 代字 derived from its name and the built-in format."""
    if org is None:
        return "【文号】"
    stored = read_settings(s, org)
    return format_number(stored.number_format, abbreviation=stored.abbreviation or org_abbreviation(org.name),
                         line_abbr=LINE_ABBR.get(line or "", ""), year=year, number=seq)


def _sequence(s, org: Org, m: SupervisionMeasure, year: int) -> int:
    """The measure's number: the org's stored first number plus the 检察建议 the org issued before it that year."""
    from sqlalchemy import extract, func

    earlier = (s.query(func.count(SupervisionMeasure.id)).join(Clue, Clue.id == SupervisionMeasure.clue_id)
               .filter(Clue.org_id == org.id, SupervisionMeasure.kind.in_(SUGGESTION_KINDS),
                       SupervisionMeasure.id < m.id, extract("year", SupervisionMeasure.issued_on) == year)
               .scalar())
    return read_settings(s, org).first_number + (earlier or 0)


def clue_agency(s, clue_id: int) -> str | None:
    """主送机关: the agency that supplied the clue's evidence (outside the courts and procuratorates)."""
    names = [a for (a,) in s.query(DatasetVersion.agency)
             .join(ClueEvidence, ClueEvidence.dataset_version_id == DatasetVersion.id)
             .filter(ClueEvidence.clue_id == clue_id, DatasetVersion.agency.isnot(None))
             .order_by(ClueEvidence.id) if a]
    outside = [a for a in names if not any(j in a for j in JUDICIAL)]
    return (outside or [None])[0]


def _line(model_id: str) -> str | None:
    from ..errors import ShujianError
    from ..models_library import get_model

    try:
        return get_model(model_id).line
    except ShujianError:
        return None


def _para(doc, text: str = "", *, align=None, size: int = BODY_PT, bold: bool = False, indent: bool = True,
          font: str = FONT):
    p = doc.add_paragraph()
    if align is not None:
        p.alignment = align
    if indent and align is None:
        p.paragraph_format.first_line_indent = Pt(size * 2)
    p.paragraph_format.line_spacing = Pt(LINE_PT)
    p.paragraph_format.space_before = p.paragraph_format.space_after = Pt(0)
    run = p.add_run(text)
    run.font.size, run.bold = Pt(size), bold
    run.font.name = font
    run.element.rPr.rFonts.set(qn("w:eastAsia"), font)
    return p


def _a4(doc) -> None:
    """A4 page with the 公文 margins (GB/T 9704: 天头 37 mm, 订口 28 mm; type area 156 × 225 mm)."""
    sec = doc.sections[0]
    sec.page_width, sec.page_height = Mm(210), Mm(297)
    sec.top_margin, sec.bottom_margin, sec.left_margin, sec.right_margin = Mm(37), Mm(35), Mm(28), Mm(26)


def _render(f: dict, path: Path) -> None:
    doc = Document()
    _a4(doc)
    _para(doc, f["org"], align=WD_ALIGN_PARAGRAPH.CENTER, size=TITLE_PT, font=TITLE_FONT)
    _para(doc, "检察建议书", align=WD_ALIGN_PARAGRAPH.CENTER, size=TITLE_PT, font=TITLE_FONT)
    _para(doc, f["doc_number"], align=WD_ALIGN_PARAGRAPH.RIGHT)
    _para(doc, f"{f['recipient']}：", indent=False)
    _para(doc, "本院在履行法律监督职责中，通过大数据法律监督模型比对发现以下问题：")
    _para(doc, "一、发现的问题", font="黑体")
    for line in f["facts"]:
        _para(doc, line)
    _para(doc, "二、依据", font="黑体")
    basis = f["basis"] or "【相关法律法规】"
    _para(doc, f"上述情形不符合{basis}的规定。根据{PROCEDURAL_BASIS}的规定，本院特提出如下检察建议：")
    _para(doc, "三、检察建议", font="黑体")
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
