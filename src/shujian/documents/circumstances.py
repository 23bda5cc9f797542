"""Sentencing circumstances (量刑情节) found by the court in 本院认为: 累犯, 自首, 立功 and others.

A circumstance counts only when the court finds it: claims that the court rejects (辩护人提出系自首，
经查…不能认定) are false, and 毒品再犯 alone is not 累犯; 坦白/如实供述 alone is not 自首.
"""

from __future__ import annotations

import re

_NEG_VERB = (r"(?:不|非|未|难以|不能|不应|不宜|不予|没有|无)(?:构成|属于|属|是|系|认定为?|能认定为?|应认定为?|"
             r"予认定为?|成立|具有|具备|符合|能成立|视为|能视为|应视为|以)")
_NEG_TAIL = r"[\u4e00-\u9fa5，,、“”]{0,16}?(?:不成立|不能成立|不予|不符|依据不足|理由不足|证据不足|不充分|不采纳|于法无据|有误)"


def _negation(word: str) -> re.Pattern[str]:
    return re.compile(_NEG_VERB + r"[\u4e00-\u9fa5]{0,4}" + word + "|(?:没有|无|非)" + word + "|" + word + _NEG_TAIL)


_RECIDIVIST_POS = re.compile(r"累犯")
_RECIDIVIST_NEG = _negation("累犯")

_SURRENDER_POS = re.compile(r"自首")
_SURRENDER_NEG = _negation("自首")
_SURRENDER_FACTS = re.compile(r"(?:自动|主动)投案|投案自首|主动到[\u4e00-\u9fa5]{0,8}投案|在现场等候|报警后[\u4e00-\u9fa5，,]{0,12}等候")
_CONFESSION = re.compile(r"如实供述|如实交代|如实陈述|供述[\u4e00-\u9fa5]{0,6}罪行")

_MERIT_POS = re.compile(r"立功")
_MERIT_NEG = _negation("立功")

_OTHERS = {
    "坦白": re.compile(r"坦白|如实供述|如实交代"),
    "从犯": re.compile(r"(?<!不)(?<!不系)(?<!不是)从犯"),
    "主犯": re.compile(r"(?<!不)(?<!不系)(?<!不是)主犯"),
    "未成年": re.compile(r"未成年|未满十八周岁|不满十八周岁"),
    "认罪认罚": re.compile(r"认罪认罚"),
    "退赔": re.compile(r"退赔|退赃|退缴|退还|(?:已|积极|主动|全部|足额|已经)赔偿|赔偿了"),
    "谅解": re.compile(r"谅解"),
    "首要分子": re.compile(r"首要分子"),
    "毒品再犯": re.compile(r"毒品再犯"),
    "犯罪未遂": re.compile(r"未遂"),
}
#: a sentence that names the circumstance only to deny it (未如实供述, 不具有坦白情节) or to place it in
#: an earlier crime (前罪系未成年时所犯) does not give it to the defendant
_OTHERS_NEG = {
    "坦白": re.compile(r"(?:未|没有|不|拒不|未能|不能)(?:能)?如实(?:供述|交代)|" + _negation("坦白").pattern),
    "未成年": re.compile(r"(?:前罪|前科|曾)[^，,。；;]{0,10}(?:未成年|未满十八周岁|不满十八周岁)"),
}
_COURT_FINDING = re.compile(r"经查|经审查|经审理查明|本院认为")
_REJECTED_OPINION = re.compile(r"不予采纳|不予支持|不能成立|不成立|不予认定|不采纳")
_ADOPTED_OPINION = re.compile(r"予以采纳|予以支持|本院予以采信|本院采纳|可予采纳|予以认定")


def clauses_by_defendant(text: str, names: list[str]) -> dict[int, list[str]]:
    """Sentences of the reasoning, each given to the defendants it is about.

    A sentence naming nobody belongs to the defendants named last; one that says 各被告人/二被告人/
    均 with no name belongs to all.
    """
    out: dict[int, list[str]] = {i: [] for i in range(len(names))}
    if not names:
        return out
    order = sorted(range(len(names)), key=lambda i: -len(names[i]))
    pattern = re.compile("|".join(re.escape(names[i]) for i in order if names[i]) or "$^")
    index = {names[i]: i for i in reversed(order)}
    current: set[int] = set(range(len(names))) if len(names) == 1 else set()
    text = re.sub(r"《[^《》]*》", "《》", text)  # titles such as 《关于处理自首和立功…的解释》 are not findings
    for sentence in re.findall(r"[^。；;]+[。；;]?", text):
        named = _subjects(sentence, pattern, index)
        if named:
            current = named
        elif re.search(r"[各二三四五六七八九十两]名?被告人|上述被告人|被告人均|均系|均具有", sentence):
            current = set(range(len(names)))
        for i in current:
            out[i].append(sentence)
    return out


def _subjects(sentence: str, pattern: re.Pattern[str], index: dict[str, int]) -> set[int]:
    """The defendants a sentence is about: the first name and those listed with it (A、B、C)."""
    hits = list(pattern.finditer(sentence))
    if not hits:
        return set()
    named = {index[hits[0].group(0)]}
    for prev, hit in zip(hits, hits[1:], strict=False):
        if not re.fullmatch(r"[、，,和及与\s]*(?:被告人)?", sentence[prev.end():hit.start()]):
            break
        named.add(index[hit.group(0)])
    return named


def find_circumstances(sentences: list[str], articles: list[str], *, alone: bool = False,
                       earlier: list[str] | None = None) -> dict:
    """Flags and other circumstances for one defendant from the sentences about them.

    ``alone`` says the defendant is the only one; ``earlier`` holds the sentences about them before
    the court's reasoning (the prosecution's view), used only when the court applies 第六十七条第一款.
    """
    text = "".join(sentences)
    recidivist = _found(sentences, _RECIDIVIST_POS, _RECIDIVIST_NEG)
    surrender = _found(sentences, _SURRENDER_POS, _SURRENDER_NEG)
    if not surrender and _surrender_by_facts(sentences, articles):
        surrender = True
    if not surrender and _applies_67_1(articles) and not _negated(sentences, _SURRENDER_NEG):
        # the court applies the 自首 provision without saying 自首 itself: adopted prosecution view
        surrender = alone or any(_SURRENDER_POS.search(s) and not _SURRENDER_NEG.search(s)
                                 for s in (earlier or []))
    meritorious = _found(sentences, _MERIT_POS, _MERIT_NEG)
    others = [name for name, rx in _OTHERS.items() if _mentioned(sentences, rx, _OTHERS_NEG.get(name))]
    if surrender and "坦白" in others and not re.search(r"坦白", text):
        others.remove("坦白")  # 如实供述 inside a 自首 finding is part of the 自首
    return {"recidivist": recidivist, "surrender": surrender, "meritorious": meritorious,
            "circumstances": others}


def _mentioned(sentences: list[str], pos: re.Pattern[str], neg: re.Pattern[str] | None) -> bool:
    return any(pos.search(s) and not (neg and neg.search(s)) for s in sentences)


def _found(sentences: list[str], pos: re.Pattern[str], neg: re.Pattern[str]) -> bool:
    """The court finds it: a positive mention by the court or in a claim the court adopts, and no
    negation by the court (a rejected claim that it is absent does not count)."""
    result = False
    for k, sentence in enumerate(sentences):
        if not pos.search(sentence):
            continue
        counts = _court_speaks(sentence) or _claim_adopted(sentences, k)
        if neg.search(sentence):
            if counts:
                return False
            continue
        rejected_here = _is_claim(sentence) and _REJECTED_OPINION.search(sentence)
        result = result or (counts and not rejected_here)
    return result


def _court_speaks(sentence: str) -> bool:
    return not _is_claim(sentence) or bool(_COURT_FINDING.search(sentence))


def _applies_67_1(articles: list[str]) -> bool:
    return any(a.endswith("第六十七条第一款") for a in articles)


def _negated(sentences: list[str], neg: re.Pattern[str]) -> bool:
    return any(neg.search(s) for s in sentences)


def _is_claim(sentence: str) -> bool:
    return bool(re.search(r"辩护人|辩护意见|辩称|提出|认为[^，]{0,4}系|上诉理由|请求", sentence)) \
        and not sentence.startswith("本院认为")


def _claim_adopted(sentences: list[str], k: int) -> bool:
    """A defence claim counts only if a following sentence adopts it before another claim starts."""
    for later in sentences[k:k + 4]:
        if _REJECTED_OPINION.search(later):
            return False
        if _ADOPTED_OPINION.search(later):
            return True
    return False


def _surrender_by_facts(sentences: list[str], articles: list[str]) -> bool:
    """Voluntary surrender plus confession described, and 刑法第六十七条第一款 applied."""
    if not _applies_67_1(articles):
        return False
    for k, sentence in enumerate(sentences):
        if _SURRENDER_FACTS.search(sentence) and (_CONFESSION.search(sentence) or _CONFESSION.search(
                "".join(sentences[k:k + 2]))):
            if _SURRENDER_NEG.search(sentence):
                return False
            if _is_claim(sentence) and not _claim_adopted(sentences, k):
                continue
            return True
    return False
