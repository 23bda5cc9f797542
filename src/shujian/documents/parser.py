"""``parse_judgment``: a pure function from judgment text to a :class:`Judgment` record."""

from __future__ import annotations

import re
from datetime import date

from . import checks
from .circumstances import clauses_by_defendant, find_circumstances
from .defendants import (
    find_birth_elsewhere,
    is_defendant_role,
    prosecutor_of,
    read_defendant,
    read_unit,
    split_parties,
)
from .model import Defendant, Fact, Judgment, Span
from .numerals import iter_dates
from .penalties import Sentence, attribute_joint, read_sentence, segments_by_defendant, verdict_pieces
from .sections import Layout, clean_text, split_sections

_AMOUNT_FACT_RE = re.compile(r"(?:人民币)?\s*[\d,.]+\s*万?元|人民币[零〇一二三四五六七八九十百千万两]+元")
_MONTH_RE = re.compile(r"(\d{4})年(1[0-2]|0?[1-9])月(?!\d{1,2}日)(?!份?\d)")
_LAW_RE = re.compile(r"《([^《》]{2,60})》")
_ARTICLE_RE = re.compile(
    r"第([零一二三四五六七八九十百]+)条(之[一二三四五六七八九十]+)?"
    r"((?:[、及和]?\s*第[一二三四五六七八九十]+(?:[、及和][一二三四五六七八九十]+)*款)*)"
)


def parse_judgment(text: str, doc_id: str | None = None) -> Judgment:
    """Parse one criminal judgment (刑事判决书/裁定书).

    Never raises for bad input: a text that is empty, not a judgment, civil, truncated or HTML is
    returned with ``error`` and/or ``warnings`` set.
    """
    j = Judgment(id=doc_id)
    if not isinstance(text, str) or not text.strip():
        j.error = "空文本：没有可解析的内容"
        j.confidence = 0.0
        return j
    clean = clean_text(text)
    j.text_length = len(clean)
    layout = split_sections(clean)
    _document_fields(j, clean, text, layout)
    if j.error:
        j.confidence = 0.0
        return j
    _parties(j, clean, layout)
    _verdict(j, clean, layout)
    _reasoning(j, clean, layout)
    _facts(j, clean, layout)
    checks.run_checks(j, layout)
    return j


def _document_fields(j: Judgment, clean: str, raw: str, layout: Layout) -> None:
    j.doc_type = layout.doc_type
    j.court = layout.court
    j.sections = layout.sections
    if layout.case:
        c = layout.case
        # the cleaned text keeps length only for plain text; read the number as written when possible
        j.case_number = raw[c.start:c.end] if len(raw) == len(clean) else c.text
        j.case_year, j.court_code, j.type_code = c.year, c.court_code, c.type_code
        j.case_sequence, j.procedure = c.sequence, c.procedure
    tail = layout.sections.get("尾部")
    if tail:
        tail_text = clean[tail.start:tail.end]
        dates = list(iter_dates(tail_text))
        # the signing date is written in Chinese numerals; Arabic dates in the tail are a fallback
        written = [d for d, a, _ in dates if not tail_text[a].isdigit()] or [d for d, _, _ in dates]
        j.judgment_date = written[-1].isoformat() if written else None
    reason = _not_a_criminal_judgment(clean, layout)
    if reason:
        j.error = reason


def _not_a_criminal_judgment(clean: str, layout: Layout) -> str | None:
    if layout.doc_type is None and layout.case is None:
        return "不是裁判文书：开头未找到“判决书/裁定书”字样和案号"
    if layout.doc_type in ("起诉书", "抗诉书", "决定书", "通知书"):
        return f"不是法院判决：这是一份{layout.doc_type}，请只提交刑事判决书或裁定书"
    if layout.doc_kind in ("民事", "行政", "执行") or (layout.case and layout.case.procedure[0] in "民行执"):
        kind = layout.doc_kind or layout.case.procedure[0] + "事"  # type: ignore[union-attr]
        return f"不是刑事文书：这是一份{kind}文书，本解析器只处理刑事判决书/裁定书"
    return None


def _parties(j: Judgment, clean: str, layout: Layout) -> None:
    span = layout.sections["当事人"]
    parties = split_parties(clean, span)
    j.prosecutor, j.private_prosecutor = prosecutor_of(clean, parties)
    stop = layout.verdict.start if layout.verdict else len(clean)
    seen: set[str] = set()
    for party in parties:
        if "被告单位" in party.role:
            j.units.append(read_unit(party))
        elif is_defendant_role(party.role) and party.name and party.name not in seen:
            seen.add(party.name)
            d = read_defendant(clean, party)
            if d.birth_date is None:
                d.birth_date = find_birth_elsewhere(clean, d.name, stop)
            j.defendants.append(d)


def _verdict(j: Judgment, clean: str, layout: Layout) -> None:
    if not layout.verdict:
        return
    names = [d.name for d in j.defendants] + [u.name for u in j.units]
    pieces = verdict_pieces(clean, layout.verdict)
    segments = segments_by_defendant(clean, pieces, names)
    for i, d in enumerate(j.defendants):
        d.verdict_spans = segments[i]
        sentences = [read_sentence(clean[s.start:s.end]) for s in segments[i]]
        _apply_sentence(d, _fold(sentences))
    if re.search(r"维持原判|维持原审判决", clean[layout.verdict.start:layout.verdict.end]):
        _upheld_original(j, clean, layout)
    for k, u in enumerate(j.units):
        folded = _fold([read_sentence(clean[s.start:s.end]) for s in segments[len(j.defendants) + k]])
        u.charges = list(dict.fromkeys(c.charge for c in folded.counts if c.charge))
        u.fine_yuan = folded.fine_yuan


def _upheld_original(j: Judgment, clean: str, layout: Layout) -> None:
    """驳回上诉，维持原判: the executed penalty is the one of the first-instance judgment quoted earlier."""
    start = layout.sections["审理经过"].start
    stop = layout.sections.get("本院认为", layout.verdict).start  # type: ignore[union-attr]
    quoted = list(re.finditer(r"(?:判决|判处)\s*[:：]", clean[start:stop]))
    if not quoted:
        return
    begin = start + quoted[-1].end()
    end_m = re.search(r"。\s*(?:宣判后|原审被告人|上诉人|[\u4e00-\u9fa5]{0,6}不服)|$", clean[begin:stop])
    end = begin + (end_m.start() + 1 if end_m else 0)
    pieces = verdict_pieces(clean, Span(begin, min(end, stop)))
    segments = segments_by_defendant(clean, pieces, [d.name for d in j.defendants])
    for i, d in enumerate(j.defendants):
        if d.penalty_type is None and segments[i]:
            _apply_sentence(d, _fold([read_sentence(clean[s.start:s.end]) for s in segments[i]]))
            d.warnings.append("维持原判：刑罚取自文中引述的原判决")


def _fold(sentences: list[Sentence]) -> Sentence:
    """Later verdict items override earlier ones field by field (维持罚金 + 改判刑期)."""
    out = Sentence()
    for s in sentences:
        out.counts.extend(s.counts)
        out.notes.extend(s.notes)
        if s.penalty_type is not None:
            out.penalty_type, out.term_months = s.penalty_type, s.term_months
            out.probation_months = s.probation_months
        elif s.probation_months is not None:
            out.probation_months = s.probation_months
        out.joint = s.joint or out.joint
        for name in ("fine_yuan", "deprivation_months", "sentence_start", "sentence_end"):
            if getattr(s, name) is not None:
                setattr(out, name, getattr(s, name))
        out.confiscation = out.confiscation or s.confiscation
    return out


def _apply_sentence(d: Defendant, s: Sentence) -> None:
    attribute_joint(s.counts, s.joint)
    d.counts = s.counts
    charges: list[str] = []
    for c in s.counts:
        if c.charge and c.charge not in charges:
            charges.append(c.charge)
    d.charges = charges
    d.penalty_type, d.term_months, d.probation_months = s.penalty_type, s.term_months, s.probation_months
    d.fine_yuan, d.confiscation, d.deprivation_months = s.fine_yuan, s.confiscation, s.deprivation_months
    d.sentence_start, d.sentence_end = s.sentence_start, s.sentence_end
    d.warnings.extend(s.notes)


def _reasoning(j: Judgment, clean: str, layout: Layout) -> None:
    span = layout.sections.get("本院认为")
    if not span:
        return
    text = clean[span.start:span.end]
    j.articles = cited_articles(text)
    names = [d.name for d in j.defendants]
    by_defendant = clauses_by_defendant(text, names)
    before = clauses_by_defendant(clean[layout.sections["当事人"].end:span.start], names)
    for i, d in enumerate(j.defendants):
        found = find_circumstances(by_defendant[i], j.articles, alone=len(names) == 1, earlier=before[i])
        d.recidivist, d.surrender, d.meritorious = found["recidivist"], found["surrender"], found["meritorious"]
        d.circumstances = found["circumstances"]


def cited_articles(text: str) -> list[str]:
    """Articles cited as 依照《…》第×条第×款…之规定, e.g. ``刑法第六十七条第一款``.

    >>> cited_articles("依照《中华人民共和国刑法》第二百六十四条、第六十七条第一款及第三款之规定")
    ['刑法第二百六十四条', '刑法第六十七条第一款', '刑法第六十七条第三款']
    """
    out: list[str] = []
    laws = list(_LAW_RE.finditer(text))
    for k, law in enumerate(laws):
        name = law.group(1).replace("中华人民共和国", "")
        end = laws[k + 1].start() if k + 1 < len(laws) else len(text)
        stop = re.search(r"之?规定|判决如下", text[law.end():end])
        body = text[law.end(): law.end() + stop.start()] if stop else text[law.end():end]
        for m in _ARTICLE_RE.finditer(body):
            article = f"{name}第{m.group(1)}条{m.group(2) or ''}"
            paragraphs = [f"第{n}款" for group in re.findall(r"第([一二三四五六七八九十、及和]+)款", m.group(3) or "")
                          for n in re.split(r"[、及和]", group) if n]
            out.extend(article + p for p in paragraphs) if paragraphs else out.append(article)
    return list(dict.fromkeys(out))


def _facts(j: Judgment, clean: str, layout: Layout) -> None:
    span = layout.sections.get("事实")
    if not span:
        return
    for value, start, end in iter_dates(clean[span.start:span.end]):
        j.facts.append(Fact(kind="date", value=value.isoformat(),
                            span=Span(span.start + start, span.start + end)))
    for m in _AMOUNT_FACT_RE.finditer(clean, span.start, span.end):
        j.facts.append(Fact(kind="amount", value=m.group(0), span=Span(m.start(), m.end())))
    month = _MONTH_RE.search(clean, span.start, span.end)
    first_day = j.facts[0] if j.facts and j.facts[0].kind == "date" else None
    if month and (first_day is None or month.start() < first_day.span.start):
        # 2019年5月至6月…: only the month is written; the first day of it stands for the date
        j.offence_date = date(int(month.group(1)), int(month.group(2)), 1).isoformat()
        j.warnings.append("犯罪日期只写到月份，取该月1日")
    elif first_day:
        j.offence_date = first_day.value
    for d in j.defendants:
        if d.birth_date and j.offence_date:
            # a month-only offence date stands for the 1st: the younger age, which favours the defendant
            age = _age(date.fromisoformat(d.birth_date), date.fromisoformat(j.offence_date))
            d.age_at_offence = age if 0 <= age <= 120 else None  # else one of the two dates is misread
            if d.age_at_offence is not None and age < 18 and "未成年" not in d.circumstances:
                d.circumstances.append("未成年")


def _age(birth: date, on: date) -> int:
    return on.year - birth.year - ((on.month, on.day) < (birth.month, birth.day))
