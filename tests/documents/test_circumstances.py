"""Sentencing circumstances: what the court finds, not what the defence claims."""

from __future__ import annotations

import pytest

from shujian.documents.circumstances import clauses_by_defendant, find_circumstances

ONE = ["张某"]


def flags(reasoning: str, articles: tuple[str, ...] = (), names: list[str] = ONE) -> list[dict]:
    by = clauses_by_defendant(reasoning, names)
    return [find_circumstances(by[i], list(articles), alone=len(names) == 1) for i in range(len(names))]


@pytest.mark.parametrize("text,expected", [
    ("本院认为，被告人张某系累犯，应当从重处罚。", True),
    ("被告人张某刑满释放后不久又犯罪，系累犯，依法从重处罚。", True),
    ("被告人张某曾因贩卖毒品被判刑，又犯贩卖毒品罪，系毒品再犯，应从重处罚。", False),
    ("被告人张某虽有前科，但不构成累犯，可酌情从重处罚。", False),
    ("辩护人提出张某不构成累犯的意见，与查明事实不符，本院不予采纳。被告人张某系累犯，应当从重处罚。", True),
])
def test_recidivist(text, expected):
    assert flags(text)[0]["recidivist"] is expected


@pytest.mark.parametrize("text,articles,expected", [
    ("被告人张某犯罪以后自动投案，如实供述自己的罪行，系自首，可以从轻处罚。", (), True),
    ("被告人张某到案后如实供述自己的罪行，系坦白，可以从轻处罚。", (), False),
    ("辩护人提出张某系自首。经查，张某系被公安机关抓获归案，不构成自首，该辩护意见本院不予采纳。", (), False),
    ("辩护人认为被告人具有自首情节的辩护意见，与本院经审理查明的事实不符，本院不予采纳。", (), False),
    ("辩护人提出被告人张某系自首，请求从轻处罚，上述辩护意见与查明事实相符，予以采纳。", (), True),
    ("被告人张某作案后主动投案，并如实供述了犯罪事实，依法可以从轻处罚。", ("刑法第六十七条第一款",), True),
    ("被告人张某作案后主动投案，并如实供述了犯罪事实，依法可以从轻处罚。", ("刑法第六十七条第三款",), False),
    ("公诉机关指控的事实清楚，量刑建议适当，应予采纳。", ("刑法第六十七条第一款",), True),
    ("被告人张某不能认定为自首，但如实供述，可从轻处罚。", ("刑法第六十七条第一款",), False),
])
def test_surrender(text, articles, expected):
    assert flags(text, articles)[0]["surrender"] is expected


def test_meritorious_is_the_subjects_not_the_objects():
    text = "被告人张某协助司法机关抓获同案被告人李某，是立功，依法可以从轻处罚。被告人李某系从犯。"
    a, b = flags(text, names=["张某", "李某"])
    assert (a["meritorious"], b["meritorious"]) == (True, False)
    assert "从犯" in b["circumstances"] and "从犯" not in a["circumstances"]


def test_rejected_meritorious_claim():
    text = "辩护人提出张某有立功表现，经查，其提供的线索未查证属实，不构成立功，该意见不予采纳。"
    assert flags(text)[0]["meritorious"] is False


def test_listed_defendants_share_a_finding_and_statute_titles_do_not_count():
    text = ("被告人张某、李某均系自首，可以从轻处罚。依照《最高人民法院关于处理自首和立功具体应用法律若干问题的解释》"
            "第一条之规定。")
    a, b = flags(text, names=["张某", "李某"])
    assert a["surrender"] and b["surrender"]
    assert not a["meritorious"] and not b["meritorious"]


def test_substring_names_are_told_apart():
    text = "被告人张某某系自首。被告人张某系累犯。"
    a, b = flags(text, names=["张某", "张某某"])
    assert (a["recidivist"], a["surrender"]) == (True, False)
    assert (b["recidivist"], b["surrender"]) == (False, True)
