"""Section splitting (分段): 首部, 当事人, 审理经过, 事实, 本院认为, 判决结果, 尾部 (clean-up: cleanup.py)."""

from __future__ import annotations

import re
from dataclasses import dataclass

from .casenumber import CaseNumber, find_case_number
from .cleanup import clean_text
from .model import Span

__all__ = ["Layout", "clean_text", "split_sections"]

_DOC_TYPE_RE = re.compile(
    r"(刑事附带民事|刑事|民事|行政|执行)?\s*(判决书|裁定书|调解书|决定书|起诉书|抗诉书|通知书)"
)
_COURT_RE = re.compile(r"([\u4e00-\u9fa5]{2,40}?(?:人民法院|军事法院|法院))\s*(?:刑事|民事|行政)?"
                       r"(?:附带民事)?(?:判决书|裁定书|调解书)")
_HEARING_START_RE = re.compile(r"指控|提起公诉|起诉书|控诉|审理|一案|再审决定")
_PARTY_START_RE = re.compile(
    r"^(?:公诉机关|原公诉机关|抗诉机关|自诉人|附带民事诉讼原告人|被告人|上诉人|原审被告人|被告单位|辩护人|"
    r"指定辩护人|诉讼代表人|诉讼代理人|法定代理人|被害人|委托代理人|原审上诉人|被上诉人)"
)
_FACTS_RE = re.compile(
    r"(?:公诉机关|检察院|自诉人[\u4e00-\u9fa5]{0,5})(?:起诉)?指控\s*(?:[:：，,]|称|认为)|经审理查明|原审(?:判决)?认定|"
    r"原判认定|一审(?:判决)?认定|经审理认定|本院审理查明|现已审理终结。|审理终结。"
)
_VERDICT_END_RE = re.compile(r"如不服本判决|如不服本裁定|本判决为终审判决|本裁定为终审裁定|本判决[为系]终审|"
                             r"本裁定送达后即发生法律效力|本判决送达后即发生法律效力")
_SIGNATURE_RE = re.compile(r"(?:审\s*判\s*长|审\s*判\s*员|人民陪审员|代理审判员)\s*[\u4e00-\u9fa5·]{2,6}")
_APPENDIX_RE = re.compile(r"附\s*[:：]?\s*(?:本案|本判决)?[\u4e00-\u9fa5]{0,8}?(?:相关|所?适用|引用)的?(?:法律|法律条文|条文)|"
                          r"附[:：]\s*《|附\s*[:：]?\s*法律条文")


@dataclass
class Layout:
    """Where things are in one judgment (all offsets into the cleaned text)."""

    doc_type: str | None
    doc_kind: str | None
    title_span: Span | None
    court: str | None
    case: CaseNumber | None
    sections: dict[str, Span]
    verdict: Span | None
    appendix_start: int | None


def split_sections(text: str) -> Layout:
    """Locate the title, 案号 and the seven sections of a judgment (best effort)."""
    head = text[:600]
    title = _DOC_TYPE_RE.search(head)
    case = find_case_number(text[:800])
    court_m = _COURT_RE.search(head)
    if title is None or court_m is None:  # spaced-out titles: 刑 事 判 决 书
        title, court_m = _despaced_title(text, head, title, court_m)
    end_of_title = max(title.end() if title else 0, case.end if case else 0)
    sections: dict[str, Span] = {"首部": Span(0, end_of_title)}
    n = len(text)
    appendix = _APPENDIX_RE.search(text, end_of_title)
    stop = appendix.start() if appendix else n
    hearing = _find_hearing_start(text, end_of_title, stop)
    sections["当事人"] = Span(end_of_title, hearing)
    facts = _FACTS_RE.search(text, _sentence_end(text, hearing), stop)
    facts_start = (facts.end() if facts.group(0).endswith("终结。") else facts.start()) if facts else hearing
    sections["审理经过"] = Span(hearing, facts_start)
    verdict_marker = _last_verdict_marker(text, facts_start, stop)
    reasoning_start = _find_reasoning(text, facts_start, verdict_marker[0] if verdict_marker else stop)
    sections["事实"] = Span(facts_start, reasoning_start)
    verdict = None
    if verdict_marker:
        sections["本院认为"] = Span(reasoning_start, verdict_marker[1])
        end_m = _VERDICT_END_RE.search(text, verdict_marker[1], stop)
        sig_m = _SIGNATURE_RE.search(text, verdict_marker[1], stop)
        verdict_end = end_m.start() if end_m else (sig_m.start() if sig_m else stop)
        verdict = Span(verdict_marker[1], verdict_end)
        sections["判决结果"] = verdict
        sections["尾部"] = Span(verdict_end, stop)
    else:
        sections["本院认为"] = Span(reasoning_start, stop)
    kind = title.group(1) if title else None
    return Layout(
        doc_type=title.group(2) if title else None,
        doc_kind=kind,
        title_span=Span(title.start(), title.end()) if title else None,
        court=court_m.group(1).strip() if court_m else None,
        case=case,
        sections=sections,
        verdict=verdict,
        appendix_start=appendix.start() if appendix else None,
    )


def _despaced_title(text: str, head: str, title, court_m):
    """Find the title and court in a header whose characters are spread out by spaces or lines."""
    spaced = re.search(r"(刑\s*事\s*(?:附\s*带\s*民\s*事\s*)?|民\s*事\s*|行\s*政\s*)?(判\s*决\s*书|裁\s*定\s*书)", head)
    if title is None and spaced:
        title = _DOC_TYPE_RE.search(re.sub(r"\s+", "", spaced.group(0)))
        title = _Shifted(title, spaced.start(), spaced.end()) if title else None
    if court_m is None and spaced:
        before = re.findall(r"[\u4e00-\u9fa5]{2,40}?(?:人民法院|军事法院|法院)", text[:spaced.start()])
        whole = re.match(r"(.*)", before[-1]) if before else None
        court_m = _Shifted(whole, 0, 0) if whole else None
    return title, court_m


class _Shifted:
    """A match found on a despaced copy, reported at the original position."""

    def __init__(self, m: re.Match[str], start: int, end: int) -> None:
        self._m, self._start, self._end = m, start, end

    def group(self, i: int = 0) -> str | None:
        return self._m.group(i)

    def start(self) -> int:
        return self._start

    def end(self) -> int:
        return self._end


def _find_reasoning(text: str, start: int, stop: int) -> int:
    """Start of 本院认为; without that heading, the sentence where the court says 其行为已构成…罪."""
    found = text.find("本院认为", start, stop)
    if found >= 0:
        return found
    m = re.search(r"(?:其|的)行为(?:已|均已|均)?(?:触犯[^。]{0,20})?构成", text[start:stop])
    if not m:
        return stop
    sentence = max(text.rfind("。", start, start + m.start()), text.rfind(" ", start, start + m.start()))
    return sentence + 1 if sentence >= start else start + m.start()


def _sentence_end(text: str, pos: int) -> int:
    """End of the sentence starting at ``pos`` (after its 。)."""
    m = re.compile(r"[。]").search(text, pos)
    return m.end() if m else pos


def _find_hearing_start(text: str, start: int, stop: int) -> int:
    """First sentence after the parties that is not a party paragraph and tells the procedure."""
    pos = start
    while pos < stop:
        end = _sentence_end(text, pos)
        if end <= pos:
            return pos
        sentence = text[pos:end].strip()
        party = bool(_PARTY_START_RE.match(sentence)) and not re.search(
            r"一案|提起公诉|起诉书|指控|控诉", sentence[:60])
        if sentence and not party and _HEARING_START_RE.search(sentence) \
                and not re.search(r"刑事拘留|逮捕|取保候审|监视居住|羁押|判处|释放|出生", sentence):
            return pos + (len(text[pos:end]) - len(text[pos:end].lstrip()))
        pos = end
    return stop


def _last_verdict_marker(text: str, start: int, stop: int) -> tuple[int, int] | None:
    """Start and end of the court's own ``判决如下：`` (not a quoted first-instance ``判决：``)."""
    end_m = _VERDICT_END_RE.search(text, start, stop)
    limit = end_m.start() if end_m else stop
    hits = list(re.finditer(r"(?:判决|裁定|判|决定)如下\s*[:：]?|判决\s*[:：]", text[start:limit]))
    if not hits:
        return None
    good = [h for h in hits if "如下" in h.group(0)] or hits
    h = good[-1]
    return start + h.start(), start + h.end()
