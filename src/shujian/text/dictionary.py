"""The workspace's user dictionary (用户词典) for segmentation: words jieba should keep whole.

Local terms (余额宝, 一卡通, a district's shop names) change how whole-word rules match: with 余额宝
in the dictionary, 余额 is no longer a whole word inside it.  The words live in the metadata store
(``text_words``), are read at the start of every run or screening, and reach the engines' text
function (``shujian.text.udf``), so the CLI, the web and scheduled runs segment alike.
"""

from __future__ import annotations

from sqlalchemy.exc import IntegrityError

from shujian.errors import InputError, NotFound
from shujian.security.scope import acting
from shujian.text.tables import TextWord
from shujian.workspace import Workspace

MAX_WORD = 32


def user_words(ws: Workspace) -> tuple[str, ...]:
    """The user dictionary, sorted (the segmenter cache key)."""
    with ws.db.unit_of_work() as s:
        return tuple(sorted(w for (w,) in s.query(TextWord.word)))


def list_words(ws: Workspace) -> list[dict]:
    with ws.db.unit_of_work() as s:
        return [{"word": w.word, "note": w.note, "created_by": w.created_by,
                 "created_at": w.created_at.isoformat() if w.created_at else None}
                for w in s.query(TextWord).order_by(TextWord.word)]


def add_words(ws: Workspace, words: list[str], note: str | None = None) -> list[str]:
    """Add words (blank, duplicate and over-long ones refused with the word named)."""
    clean = []
    for raw in words:
        w = (raw or "").strip()
        if not w or any(ch.isspace() for ch in w):
            raise InputError(f"词“{raw}”为空或含空白字符", hint="每个词是一段连续的文字，如 余额宝")
        if len(w) > MAX_WORD:
            raise InputError(f"词“{w[:40]}”超过 {MAX_WORD} 个字", hint="用户词典收录词语，不收录句子")
        if w not in clean:
            clean.append(w)
    who = acting()[0]
    added = []
    with ws.db.unit_of_work() as s:
        have = {x for (x,) in s.query(TextWord.word).filter(TextWord.word.in_(clean))}
        for w in clean:
            if w not in have:
                s.add(TextWord(word=w, note=note, created_by=who))
                added.append(w)
        try:
            s.flush()
        except IntegrityError as exc:      # added by someone else at the same moment
            raise InputError("词典正在被同时修改，请重试") from exc
    return added


def remove_word(ws: Workspace, word: str) -> None:
    with ws.db.unit_of_work() as s:
        row = s.query(TextWord).filter_by(word=word).one_or_none()
        if row is None:
            raise NotFound(f"用户词典中没有“{word}”", hint="用 shujian text dict list 查看")
        s.delete(row)
