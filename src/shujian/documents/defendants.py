"""Party paragraphs of the header (当事人): defendants, units, prosecutor, priors, custody measures."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date

from .model import Custody, Defendant, Prior, Span, Unit
from .numerals import CN_NUM_CHARS, parse_date, parse_term

_ROLES = (r"原公诉机关|抗诉机关|公诉机关|自诉人|附带民事诉讼原告人|附带民事诉讼被告人|"
          r"(?:上诉人|被上诉人|申诉人|被申诉人)[（(]原审[^（）()。]{1,24}[）)]|"
          r"原审被告(?:人|单位)(?:[（(][^（）()。]{1,14}[）)])?|被告单位|上诉人|"
          r"被告人(?:[（(][^（）()。]{1,14}[）)])?|辩护人|指定辩护人|诉讼代表人|"
          r"诉讼代理人|法定代理人|委托代理人|被害人")
_ROLE_RE = re.compile(r"(?<![^。；;\s])\s*(" + _ROLES + r")\s*[:：]?\s*")
_DEFENDANT_ROLE_RE = re.compile(r"原审被告人|^被告人|^上诉人$")
#: pseudonymised names keep their marks: 王×1, 范×, 张某某, 李3, 林某2
_NAME_CHARS = r"\u4e00-\u9fa5A-Za-z0-9·•.×*＊○"
_NAME_RE = re.compile(r"(?:自报)?([" + _NAME_CHARS + r"]{1,20}?)(?=[，,。；;（(\s:：]|$)")
_PLAIN_NAME_RE = re.compile(r"[\u4e00-\u9fa5]{1,5}[×*＊○]{0,2}[0-9A-Za-z]{0,2}|[A-Za-z]{1,20}")
#: what follows a known name when a sentence is about that defendant, not a new one (陈永龙曾因吸毒…)
_PROSE_RE = re.compile(r"(?:曾|因|于|系|在|被|又|犯|自|经|已|现|先后|多次|\d{4}年|[一二]〇)")
_GENDER_RE = re.compile(r"[，,\s](男|女)(?=[，,。\s;；]|性|$)")
_BIRTH_RE = re.compile(r"(?:出生于|生于|出生日期[:：为]?|出生年月日[:：]?)\s*(\d{4}年\d{1,2}月\d{1,2}日)|"
                       r"(\d{4}年\d{1,2}月\d{1,2}日)\s*(?:出生|生)")
_ETHNIC_RE = re.compile(r"[，,]([\u4e00-\u9fa5]{1,6}族)(?=[，,。]|$)")
_ID_RE = re.compile(r"(?:公民)?身份(?:证)?(?:号码|证号)[:：为]?\s*([0-9]{17}[0-9Xx])")
_RELATIVE_RE = re.compile(r"(同年|次年|同月)\s*(\d{1,2}月)?\s*(\d{1,2})日|次日|当日|当天")
_MEASURES = ("刑事拘留", "逮捕", "取保候审", "监视居住")
_FULL_DATE_RE = re.compile(r"(\d{4})年(\d{1,2})月(\d{1,2})日")
_BARE_DATE_RE = re.compile(r"\d{4}年\d{1,2}月\d{1,2}日(?:[凌早上中下晚]\S{0,2})?(?:\d{1,2}时)?许?")


@dataclass
class Party:
    """One party paragraph in the header; ``more`` holds later sentences about the same defendant."""

    role: str
    name: str
    start: int
    end: int
    more: list[Span] = field(default_factory=list)


def split_parties(text: str, span: Span) -> list[Party]:
    """Cut the 当事人 section into party paragraphs at each role word that starts a sentence.

    A sentence that begins with a known defendant's name and goes on about them (被告人陈永龙曾因吸毒…)
    is added to that defendant, not read as a new one; a name that cannot be a name is dropped.
    """
    hits = list(_ROLE_RE.finditer(text, span.start, span.end))
    parties: list[Party] = []
    for i, m in enumerate(hits):
        end = hits[i + 1].start() if i + 1 < len(hits) else span.end
        name_m = _NAME_RE.match(text, m.end(), end)
        name = name_m.group(1) if name_m else ""
        role = m.group(1)
        if is_defendant_role(role):
            owner = _continued(parties, text, m.end(), end)
            if owner is not None:
                owner.more.append(Span(m.start(1), end))
                continue
            if not _PLAIN_NAME_RE.fullmatch(name) and not re.search(r"[·•.]", name):
                name = ""
        parties.append(Party(role=role, name=name, start=m.start(1), end=end))
    return parties


def _continued(parties: list[Party], text: str, start: int, end: int) -> Party | None:
    """The earlier defendant this paragraph goes on about, if it starts with their name and prose."""
    known = sorted((p for p in parties if p.name and is_defendant_role(p.role)), key=lambda p: -len(p.name))
    for p in known:
        if text.startswith(p.name, start) and _PROSE_RE.match(text, start + len(p.name), end):
            return p
    return None


def prosecutor_of(text: str, parties: list[Party]) -> tuple[str | None, str | None]:
    """Return (公诉机关 or 原公诉机关/抗诉机关, 自诉人) from the party list."""
    public = private = None
    for p in parties:
        if p.role in ("公诉机关", "原公诉机关", "抗诉机关") and public is None:
            m = re.match(r"\s*[\u4e00-\u9fa5]*?(?:检察院|检察分院)", text[p.start + len(p.role):p.end])
            public = m.group(0).strip(" ：:") if m else p.name or None
        elif p.role == "自诉人" and private is None:
            private = p.name or None
    return public, private


def is_defendant_role(role: str) -> bool:
    """True for 被告人 / 原审被告人 / 上诉人（原审被告人…） paragraphs (not 被告单位)."""
    return bool(_DEFENDANT_ROLE_RE.search(role))


def read_defendant(text: str, party: Party) -> Defendant:
    """Read name, gender, birth date, ethnicity, priors and custody from one party paragraph."""
    block = text[party.start:party.end]
    first = block.split("。", 1)[0]
    d = Defendant(name=party.name, header_span=Span(party.start, party.end))
    g = _GENDER_RE.search(first)
    d.gender = g.group(1) if g else None
    b = _BIRTH_RE.search(first)
    birth = parse_date(b.group(1) or b.group(2)) if b else None
    d.birth_date = birth.isoformat() if birth else None
    e = _ETHNIC_RE.search(first)
    d.ethnicity = e.group(1) if e else None
    i = _ID_RE.search(block)
    d.id_number = i.group(1).upper() if i else None
    d.priors, d.custody = [], []
    for part in [Span(party.start, party.end), *party.more]:
        d.priors.extend(read_priors(text, part.start, part.end))
        d.custody.extend(read_custody(text, part.start, part.end))
    return d


def read_unit(party: Party) -> Unit:
    """A 被告单位 paragraph."""
    return Unit(name=party.name, header_span=Span(party.start, party.end))


def find_birth_elsewhere(text: str, name: str, stop: int) -> str | None:
    """Birth date stated outside the header (e.g. in the evidence: 户籍证明，被告人X出生于…)."""
    pattern = re.compile(re.escape(name) + r"[^。，]{0,6}?(?:出生于|生于)\s*(\d{4}年\d{1,2}月\d{1,2}日)|"
                         + re.escape(name) + r"[，,]?\s*(\d{4}年\d{1,2}月\d{1,2}日)出生")
    m = pattern.search(text, 0, stop)
    if not m:
        return None
    value = parse_date(m.group(1) or m.group(2))
    return value.isoformat() if value else None


def _clauses(text: str, start: int, end: int):
    for m in re.finditer(r"[^，,；;。]+", text[start:end]):
        yield start + m.start(), m.group(0)


class _DateTracker:
    """Resolves 同年7月9日 / 同月25日 / 次日 against the last full date seen."""

    def __init__(self) -> None:
        self.last: date | None = None

    def read(self, clause: str) -> date | None:
        full = _FULL_DATE_RE.search(clause)
        if full:
            value = parse_date(full.group(0))
            if value:
                self.last = value
            return value
        if self.last is None:
            return None
        rel = _RELATIVE_RE.search(clause)
        if not rel:
            return None
        return self._resolve(rel)

    def _resolve(self, rel: re.Match[str]) -> date | None:
        base = self.last
        assert base is not None
        word = rel.group(0)
        try:
            if word.startswith("次日"):
                value = date.fromordinal(base.toordinal() + 1)
            elif word in ("当日", "当天"):
                value = base
            else:
                year = base.year + (1 if rel.group(1) == "次年" else 0)
                month = int(rel.group(2)[:-1]) if rel.group(2) else base.month
                value = date(year, month, int(rel.group(3)))
        except ValueError:
            return None
        self.last = value
        return value


def read_custody(text: str, start: int, end: int) -> list[Custody]:
    """Compulsory measures in a party paragraph, each with its (resolved) date."""
    tracker, out = _DateTracker(), []  # type: tuple[_DateTracker, list[Custody]]
    pending_approval, bare = False, None
    for pos, clause in _clauses(text, start, end):
        when = tracker.read(clause) or bare  # 2018年12月18日，被告人…被刑事拘留: the date stands alone
        bare = when if _BARE_DATE_RE.fullmatch(clause.strip()) else None
        if "判处" in clause or "刑满" in clause:
            continue
        for measure in _MEASURES:
            idx = clause.find(measure)
            if idx < 0 or clause[max(0, idx - 2):idx] in ("行政", "司法"):
                continue
            approval = measure == "逮捕" and bool(re.search(r"(?:批准|决定)逮捕", clause)) and "执行" not in clause
            if out and out[-1].measure == "逮捕" and measure == "逮捕" and pending_approval:
                out.pop()  # 经检察院批准逮捕，次日由公安局执行逮捕: the arrest is the execution
            out.append(Custody(measure=measure, date=when.isoformat() if when else None,
                               span=Span(pos + idx, pos + idx + len(measure))))
            pending_approval = approval
    return out


_PRIOR_CHARGE_RE = re.compile(r"(?:曾因犯|因犯|曾犯|犯|因)([\u4e00-\u9fa5、]{1,20}?罪)")
_PRIOR_PENALTY_RE = re.compile(r"(有期徒刑|拘役|管制)([" + CN_NUM_CHARS + r"\d年又零个月]*)|(无期徒刑|死刑|罚金|免予刑事处罚)")
_RELEASE_RE = re.compile(r"(\d{4}年\d{1,2}月\d{1,2}日)[^，。；]{0,20}?(?:刑满释放|释放|假释|执行完毕|解除)")


def read_priors(text: str, start: int, end: int) -> list[Prior]:
    """Prior convictions (前科) in a party paragraph: 曾因犯××罪…被判处…，××刑满释放."""
    out: list[Prior] = []
    for m in re.finditer(r"[^。；;]+", text[start:end]):
        sentence = m.group(0)
        if "涉嫌" in sentence and "判处" not in sentence:
            continue
        for part in re.split(r"(?<=[，,])(?=因犯|又因|再因|曾因)", sentence):
            prior = _read_prior(part)
            if prior is not None:
                pos = start + m.start() + sentence.find(part)
                prior.span = Span(pos, pos + len(part))
                out.append(prior)
    return out


def _read_prior(part: str) -> Prior | None:
    if not re.search(r"判处|被判|判刑", part) or "涉嫌" in part.split("判")[0][-12:]:
        return None
    if re.search(r"再犯|以上刑罚", part):
        return None
    charge = _PRIOR_CHARGE_RE.search(part)
    penalty = _PRIOR_PENALTY_RE.search(part)
    when = re.search(r"(\d{4}年\d{1,2}月\d{1,2}日)[^，。]{0,30}?(?:判处|被判)", part)
    release = _RELEASE_RE.search(part)
    prior = Prior(charge=charge.group(1) if charge else None)
    if penalty:
        prior.penalty_type = penalty.group(1) or penalty.group(3)
        prior.term_months = parse_term(penalty.group(2)) if penalty.group(2) else None
    jd = parse_date(when.group(1)) if when else None
    prior.judgment_date = jd.isoformat() if jd else None
    probation = re.search(r"缓刑\s*([" + CN_NUM_CHARS + r"\d年又零个月]+)", part)
    prior.probation_months = parse_term(probation.group(1)) if probation else None
    served = prior.probation_months is None or re.search(r"撤销(?:其)?缓刑|收监执行", part)
    rd = parse_date(release.group(1)) if release and served else None
    # a suspended term ends by 解除社区矫正, not by release after serving it (no 累犯 basis, 刑法第六十五条)
    prior.release_date = rd.isoformat() if rd else None
    return prior

