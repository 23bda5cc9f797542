"""The operative part (判决结果): per-defendant segments, counts (罪名) and the executed penalty."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from .model import ChargePenalty, Span
from .numerals import CN_NUM_CHARS, parse_amount, parse_date, parse_term

_N = "[" + CN_NUM_CHARS + r"\d]"
_TERM = rf"(?:{_N}+年)?(?:又|零)?(?:{_N}+个?月)?"
_PRINCIPAL_RE = re.compile(
    r"(死刑[，,]?\s*缓期(?:二|两)年执行|死刑|无期徒刑|有期徒刑|拘役|管制)\s*(" + _TERM + ")"
)
_PROBATION_RE = re.compile(r"缓刑\s*(" + _TERM + ")")
_FINE_RE = re.compile(r"罚金\s*(?:人民币)?\s*(\d{1,3}(?:[，,]\d{3})+(?:\.\d+)?\s*万?\s*元|[^，,。；;（(]{0,20}?元)")
_DEPRIVATION_RE = re.compile(r"剥夺政治权利\s*(终身|" + _TERM + ")")
_CONFISCATION_RE = re.compile(r"没收(?:被告人[\u4e00-\u9fa5]{1,6})?(?:的)?(?:个人)?(?:全部|部分)?财产")
_EXEMPT_RE = re.compile(r"免[予于除]刑事处罚")
_ACQUIT_RE = re.compile(r"无罪")
_COUNT_RE = re.compile(
    r"(?<![原前之])犯\s*([\u4e00-\u9fa5、]{1,30}?罪)(?:（[^（）]{0,10}）)?[，,]?\s*(?=判处|免[予于除]|单处|宣告|并处|处)"
)
_PRIOR_SENTENCE_RE = re.compile(r"[；;，,]?\s*(?:撤销|原犯|与前罪|与之前|与原判|连同前判|连同原判|与前判|前罪|余刑|与其前|与原)")
_QUOTED_PRIOR_RE = re.compile(r"撤销|原判|前罪|原犯|连同|与前|与原|与其前|余刑|前判")
_COMBINED_RE = re.compile(r"决定(?:合并)?执行|合并执行")
_D = r"[\d" + CN_NUM_CHARS + r"]{4}\s*年\s*[\d" + CN_NUM_CHARS + r"]{1,3}\s*月\s*[\d" + CN_NUM_CHARS + r"]{1,4}\s*日"
_TERM_DATES_RE = re.compile(
    r"(?:(?:自|从)\s*(" + _D + r")\s*起?|(" + _D + r")\s*起)\s*(?:执行|计算)?\s*(?:至|到)\s*(" + _D + ")"
)
_CONTINUATION_RE = re.compile(r"(?:并处|附加|剥夺政治权利|没收[^。]{0,12}财产|罚金|宣告缓刑|缓刑)")
_ITEM_RE = re.compile(r"(?:^|(?<=[\s。；;：:]))[一二三四五六七八九十]{1,3}[、.．]")


@dataclass
class Sentence:
    """What one verdict segment says about one defendant."""

    counts: list[ChargePenalty] = field(default_factory=list)
    penalty_type: str | None = None
    term_months: int | None = None
    probation_months: int | None = None
    fine_yuan: int | None = None
    confiscation: bool = False
    deprivation_months: int | str | None = None
    sentence_start: str | None = None
    sentence_end: str | None = None
    joint: ChargePenalty | None = None  # what 决定执行… writes itself (数罪并罚), before any fallback
    notes: list[str] = field(default_factory=list)


def verdict_pieces(text: str, verdict: Span) -> list[Span]:
    """Verdict items and sentences, without those that revoke the earlier judgment (撤销…即…).

    A sentence that only goes on with the penalty (``缓刑三年。并处罚金…``) is joined to the one before.
    """
    starts = [m.start() for m in _ITEM_RE.finditer(text, verdict.start, verdict.end)]
    bounds = sorted({verdict.start, *starts, verdict.end})
    pieces: list[Span] = []
    dropped = False
    for a, b in zip(bounds, bounds[1:], strict=False):
        for x, y in _sentences(text, a, b):
            body = _ITEM_RE.sub("", text[x:y], count=1).strip()
            if _CONTINUATION_RE.match(body) and x != a:
                if pieces and not dropped:
                    pieces[-1] = Span(pieces[-1].start, y)
                continue
            if body.startswith("撤销") and "改判" not in body:
                x = _after_revocation(text, x, y)
            dropped = x >= y
            if not dropped:
                pieces.append(Span(x, y))
    return pieces


def _after_revocation(text: str, start: int, end: int) -> int:
    """Where the sentence goes on after ``撤销…缓刑部分；`` with a new count, else ``end`` (drop it all)."""
    for m in re.finditer(r"[；;]", text[start:end]):
        rest = text[start + m.end():end]
        if re.search(r"犯\s*[\u4e00-\u9fa5、]{1,30}?罪", rest):
            return start + m.end()
    return end


def _sentences(text: str, start: int, end: int) -> list[tuple[int, int]]:
    """Split at 。 outside brackets (the term note （刑期…。…止。） stays whole)."""
    out, depth, begin = [], 0, start
    for i in range(start, end):
        ch = text[i]
        if ch in "（(":
            depth += 1
        elif ch in "）)":
            depth = max(0, depth - 1)
        elif ch == "。" and depth == 0:
            out.append((begin, i + 1))
            begin = i + 1
    if text[begin:end].strip():
        out.append((begin, end))
    return out


def segments_by_defendant(text: str, pieces: list[Span], names: list[str]) -> dict[int, list[Span]]:
    """Assign verdict text to defendants (by index) by where their names occur."""
    out: dict[int, list[Span]] = {i: [] for i in range(len(names))}
    if not names:
        return out
    if len(names) == 1:
        out[0] = list(pieces)
        return out
    order = sorted(range(len(names)), key=lambda i: -len(names[i]))
    pattern = re.compile("|".join(re.escape(names[i]) for i in order if names[i]))
    index = {names[i]: i for i in reversed(order)}
    current: tuple[int, ...] = ()
    for piece in pieces:
        hits = list(pattern.finditer(text, piece.start, piece.end))
        first = hits[0].start() if hits else piece.end
        if text[piece.start:first].strip() and current:
            for i in current:
                out[i].append(Span(piece.start, first))
        pending: list[int] = []
        for k, m in enumerate(hits):
            end = hits[k + 1].start() if k + 1 < len(hits) else piece.end
            who = index[m.group(0)]
            if not text[m.end():end].strip("、，,和及与 "):
                pending.append(who)  # 被告人A、B犯…: A shares B's segment
                continue
            current = (*pending, who)
            for i in current:
                out[i].append(Span(m.start(), end))
            pending = []
    return out


def read_sentence(segment: str) -> Sentence:
    """Read counts and the executed penalty from one defendant's verdict text."""
    s = Sentence()
    dates = _TERM_DATES_RE.search(segment)
    if dates:
        start, end = parse_date(dates.group(1) or dates.group(2)), parse_date(dates.group(3))
        s.sentence_start = start.isoformat() if start else None
        s.sentence_end = end.isoformat() if end else None
    clean = _strip_brackets(segment)
    combined = _COMBINED_RE.search(clean)
    pre, post = (clean[:combined.start()], clean[combined.end():]) if combined else (clean, "")
    s.counts = _read_counts(pre)
    final = _read_penalty(post, None) if combined else None
    if final is not None:
        s.joint = ChargePenalty(charge="", fine_yuan=final.fine_yuan, confiscation=final.confiscation,
                                deprivation_months=final.deprivation_months)
    if final is None or final.penalty_type is None:
        final = _final_from_counts(s.counts, pre)
    elif final.term_months is None and final.penalty_type in ("有期徒刑", "拘役", "管制"):
        same = [c.term_months for c in s.counts if c.penalty_type == final.penalty_type and c.term_months]
        final.term_months = max(same) if same else None
        s.notes.append("决定执行的刑期未写明月数，取各罪中最长刑期")
    if combined and final.fine_yuan is None:
        final.fine_yuan = _sum_fines(s.counts)
    for name in ("penalty_type", "term_months", "probation_months", "fine_yuan", "confiscation",
                 "deprivation_months"):
        setattr(s, name, getattr(final, name))
    return s


def _strip_brackets(text: str) -> str:
    previous = None
    while previous != text:
        previous = text
        text = re.sub(r"[（(][^（）()]*[）)]", "", text)
    return text


def _read_counts(pre: str) -> list[ChargePenalty]:
    hits = _current_counts(pre)
    counts = []
    for k, m in enumerate(hits):
        end = hits[k + 1].start() if k + 1 < len(hits) else len(pre)
        body = pre[m.end():end]
        prior = _PRIOR_SENTENCE_RE.search(body)
        if prior:
            body = body[:prior.start()]
        names = _split_charges(m.group(1))
        first = _read_penalty(body, names[0]) or ChargePenalty(charge=names[0])
        counts.append(first)
        counts.extend(_shared(first, name) for name in names[1:])  # one penalty for A罪、B罪
    if not counts:
        loose = _read_penalty(pre, None)
        if loose is not None and loose.penalty_type:
            charge = re.search(r"犯\s*([\u4e00-\u9fa5、]{1,30}?罪)", pre)
            loose.charge = charge.group(1) if charge else ""
            counts.append(loose)
    return counts


def _shared(first: ChargePenalty, charge: str) -> ChargePenalty:
    """Another charge of ``犯A罪、B罪，判处…``: the same principal penalty, its accessories held jointly."""
    return ChargePenalty(charge=charge, penalty_type=first.penalty_type, term_months=first.term_months,
                         probation_months=first.probation_months, joint_fine_yuan=first.fine_yuan,
                         joint_confiscation=first.confiscation,
                         joint_deprivation=first.deprivation_months is not None)


def attribute_joint(counts: list[ChargePenalty], joint: ChargePenalty | None) -> None:
    """数罪并罚: an accessory written on the executed sentence covers the counts that lack their own.

    A fine covers them when it is more than the counts' own fines add up to (so part of it belongs to no
    stated count); when the counts' fines already make up the combined fine, a count without one really
    has none. Confiscation and deprivation cover them when no count has its own. With one count the
    combined sentence merges an earlier judgment (与前罪并罚); its fine is taken to cover the count too, as
    nothing says which part is whose (a missed omission rather than a wrong accusation).
    """
    if joint is None or not counts:
        return
    own = sum(c.fine_yuan or 0 for c in counts)
    for c in counts:
        if joint.fine_yuan and joint.fine_yuan > own and c.fine_yuan is None:
            c.joint_fine_yuan = joint.fine_yuan
        if joint.confiscation and not any(x.confiscation for x in counts):
            c.joint_confiscation = True
        if joint.deprivation_months is not None and all(x.deprivation_months is None for x in counts):
            c.joint_deprivation = True


def _current_counts(pre: str) -> list[re.Match[str]]:
    """Count hits, without the earlier judgment quoted after 撤销/连同原判/与前罪 (not a current charge).

    >>> [m.group(1) for m in _current_counts("犯盗窃罪，判处有期徒刑八个月；撤销原判决对被告人犯诈骗罪判处的缓刑")]
    ['盗窃罪']
    >>> [m.group(1) for m in _current_counts("撤销原判，改判被告人甲犯盗窃罪，判处拘役五个月")]
    ['盗窃罪']
    """
    out, since = [], 0
    for m in _COUNT_RE.finditer(pre):
        window = pre[since:m.start()]
        quoted = [q.end() for q in _QUOTED_PRIOR_RE.finditer(window)]
        reset = [r.end() for r in re.finditer(r"改判|。", window)]
        if not quoted or (reset and reset[-1] > quoted[-1]):
            out.append(m)
        since = m.end()
    return out


def _split_charges(text: str) -> list[str]:
    """``盗窃罪、诈骗罪`` → two charges; ``掩饰、隐瞒犯罪所得罪`` stays one (its parts are not all 罪).

    >>> _split_charges("盗窃罪、诈骗罪")
    ['盗窃罪', '诈骗罪']
    >>> _split_charges("拒不执行判决、裁定罪")
    ['拒不执行判决、裁定罪']
    """
    parts = text.split("、")
    return parts if len(parts) > 1 and all(p.endswith("罪") and len(p) >= 3 for p in parts) else [text]


def _read_penalty(body: str, charge: str | None) -> ChargePenalty | None:
    p = ChargePenalty(charge=charge or "")
    principal = _PRINCIPAL_RE.search(body)
    if principal:
        kind = principal.group(1)
        p.penalty_type = "死刑缓期二年执行" if "缓期" in kind else kind
        p.term_months = parse_term(principal.group(2)) if principal.group(2) else None
    probation = _PROBATION_RE.search(body)
    if probation and probation.group(1):
        p.probation_months = parse_term(probation.group(1))
    fine = _FINE_RE.search(body)
    if fine:
        p.fine_yuan = parse_amount(fine.group(1))
    dep = _DEPRIVATION_RE.search(body)
    if dep and dep.group(1):
        p.deprivation_months = "终身" if dep.group(1) == "终身" else parse_term(dep.group(1))
    p.confiscation = bool(_CONFISCATION_RE.search(body))
    if p.penalty_type is None:
        if _EXEMPT_RE.search(body):
            p.penalty_type = "免予刑事处罚"
        elif p.fine_yuan is not None and re.search(r"(?:单处|判处)罚金", body):
            p.penalty_type = "单处罚金"
        elif _ACQUIT_RE.search(body) and not re.search(r"判处|并处", body):
            p.penalty_type = "无罪"
    empty = p.penalty_type is None and p.fine_yuan is None and p.deprivation_months is None \
        and not p.confiscation
    return None if empty and charge is None else p


_SEVERITY = {"死刑": 9, "死刑缓期二年执行": 8, "无期徒刑": 7, "有期徒刑": 6, "拘役": 5, "管制": 4,
             "单处罚金": 3, "免予刑事处罚": 2, "无罪": 1}


def _final_from_counts(counts: list[ChargePenalty], pre: str) -> ChargePenalty:
    if not counts:
        return ChargePenalty(charge="")
    if len(counts) == 1:
        return counts[0]
    worst = max(counts, key=lambda c: (_SEVERITY.get(c.penalty_type or "", 0), c.term_months or 0))
    final = ChargePenalty(charge="", penalty_type=worst.penalty_type, term_months=worst.term_months,
                          probation_months=worst.probation_months)
    final.fine_yuan = _sum_fines(counts)
    final.confiscation = any(c.confiscation for c in counts)
    deps = [c.deprivation_months for c in counts if c.deprivation_months is not None]
    final.deprivation_months = "终身" if "终身" in deps else (max(deps) if deps else None)  # type: ignore[type-var]
    return final


def _sum_fines(counts: list[ChargePenalty]) -> int | None:
    fines = [c.fine_yuan for c in counts if c.fine_yuan is not None]
    return sum(fines) if fines else None
