"""Text clean-up before parsing (文本规整): court-website HTML, words split by line breaks or spaces, widths.

Plain text keeps its length, character for character, so spans found in the cleaned text point into
the original; only HTML (tags, entities) changes the length.
"""

from __future__ import annotations

import html
import re

from .numerals import to_halfwidth_digits

_TAG_RE = re.compile(r"<[a-zA-Z!/][^<>]*>")
_BLOCK_TAG_RE = re.compile(r"<\s*(?:br|p|/p|div|/div|/tr|/li|/h\d)\b[^<>]*>", re.I)
_SCRIPT_RE = re.compile(r"<(script|style|head)\b.*?</\1\s*>", re.I | re.S)
_ENTITY_RE = re.compile(r"&(?:[a-zA-Z]{2,8}|#\d{2,7}|#[xX][0-9a-fA-F]{2,6});")

#: structural words that court exports split with line breaks (被\r\n告人) or spread out with spaces
#: (刑 事 判 决 书); longest first so 原审被告人 wins over 被告人
_KEYWORDS = sorted((
    "刑事附带民事判决书", "刑事附带民事裁定书", "刑事判决书", "刑事裁定书", "民事判决书", "行政判决书",
    "判决书", "裁定书", "人民法院", "人民检察院", "公诉机关", "原公诉机关", "抗诉机关", "被告人", "原审被告人",
    "上诉人", "被告单位", "辩护人", "判决如下", "裁定如下", "本院认为", "经审理查明", "如不服本判决",
    "如不服本裁定", "本判决为终审判决", "审判长", "审判员", "书记员",
), key=len, reverse=True)
_GAP = r"[ \t\u3000\r\n]*"
_SPLIT_WORD_RE = re.compile("|".join(_GAP.join(map(re.escape, w)) for w in _KEYWORDS))
#: a header line spread out character by character: 某 某 省 高 级 人 民 法 院
_SPACED_RUN_RE = re.compile(r"(?:[\u4e00-\u9fa5][ \t\u3000]{1,3}){3,}[\u4e00-\u9fa5]")

_WIDTH = str.maketrans(
    {**{chr(0xFF21 + i): chr(0x41 + i) for i in range(26)}, **{chr(0xFF41 + i): chr(0x61 + i) for i in range(26)},
     ",": "，", ";": "；", ":": "：", "(": "（", ")": "）"})
#: a half-width full stop ending a sentence (not 1.5万, not the item number 一．, not a name 阿某.买某);
#: in a text written with half-width stops throughout, also one followed by the next sentence
_STOP_RE = re.compile(r"(?<=[\u4e00-\u9fa5）)])(?<![一二三四五六七八九十])[.．](?=\s|$)")
_LOOSE_STOP_RE = re.compile(r"(?<=[\u4e00-\u9fa5）)])(?<![一二三四五六七八九十])[.．](?=[\u4e00-\u9fa5（(]|\s|$)")


def clean_text(text: str) -> str:
    """Strip HTML, rejoin split keywords, map widths; plain text keeps its length.

    >>> clean_text("<p>判决如下：</p><p>被告人张某&nbsp;犯盗窃罪</p>")
    '判决如下：\\n\\n被告人张某 犯盗窃罪'
    >>> clean_text("被\\r\\n告人王×1,男.")
    '被告人  王×1，男。'
    >>> clean_text("刑 事 判 决 书")
    '刑事判决书    '
    """
    if _TAG_RE.search(text):
        text = _SCRIPT_RE.sub("", text)
        text = _BLOCK_TAG_RE.sub("\n", text)
        text = _TAG_RE.sub("", text)
        text = html.unescape(text).strip()
    elif _ENTITY_RE.search(text):
        text = html.unescape(text)
    text = text.replace("\u00a0", " ").replace("\u3000", " ")
    text = _SPACED_RUN_RE.sub(_compact, text[:400]) + text[400:]
    text = _SPLIT_WORD_RE.sub(_compact, text)
    half_stops = len(_LOOSE_STOP_RE.findall(text))
    stop = _LOOSE_STOP_RE if half_stops >= 3 and half_stops > text.count("。") else _STOP_RE
    text = stop.sub("。", text.translate(_WIDTH))
    return to_halfwidth_digits(text)


def _compact(m: re.Match[str]) -> str:
    """The word without its inner white space, padded with spaces after it to keep the length."""
    word = re.sub(r"\s+", "", m.group(0))
    return word + " " * (len(m.group(0)) - len(word))
