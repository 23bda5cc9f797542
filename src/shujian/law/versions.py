"""Article versions over time, rebuilt paragraph by paragraph from the consolidated text and the 修正案.

The 1997 original wording is not among the sources, so a paragraph that an amendment replaced is
unknown (``None``) for the time before that amendment.  Two passes fill what can be known:
backwards from the consolidated text (paragraphs an amendment did not touch were the same before it)
and forwards from each amendment's own wording.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from shujian.law.statute import Amendment, Article, Operation

ORIGINAL_EFFECTIVE = date(1997, 10, 1)
ORIGINAL_NAME = "1997年刑法"

Paragraphs = list[str | None] | None  # None = the whole text is unknown


@dataclass
class ArticleVersion:
    """The text of one article from ``effective_from`` (inclusive) to ``effective_to`` (inclusive)."""

    article: str
    effective_from: date
    effective_to: date | None
    source: str
    paragraphs: Paragraphs
    exists: bool = True


def build_versions(articles: dict[str, Article], amendments: list[Amendment]) -> dict[str, list[ArticleVersion]]:
    """Versions of every article touched or not touched by an amendment, oldest first."""
    events: dict[str, list[tuple[Amendment, Operation]]] = {}
    for amendment in sorted(amendments, key=lambda a: a.effective):
        for op in amendment.operations:
            events.setdefault(op.article, []).append((amendment, op))
    out: dict[str, list[ArticleVersion]] = {}
    for number in sorted(set(articles) | set(events), key=_key):
        current = articles.get(number)
        out[number] = _article_versions(number, current, events.get(number, []))
    return out


def _key(article: str) -> tuple[int, int]:
    from shujian.law.numerals import article_sort_key

    return article_sort_key(article)


def _article_versions(number: str, current: Article | None,
                      events: list[tuple[Amendment, Operation]]) -> list[ArticleVersion]:
    deleted = current is None or current.paragraphs == ["（删去）"]
    starts = [(ORIGINAL_EFFECTIVE, ORIGINAL_NAME, None)]
    if events and events[0][1].kind == "add_article":
        starts = []
    for amendment, op in events:
        if starts and starts[-1][0] == amendment.effective:
            starts[-1] = (amendment.effective, amendment.name, op)  # several items of one amendment
        else:
            starts.append((amendment.effective, amendment.name, op))
    latest: Paragraphs = [] if deleted else list(current.paragraphs)  # type: ignore[union-attr]
    backward = _backward(latest, [op for _, _, op in starts])
    texts = _forward(backward, [op for _, _, op in starts])
    versions = []
    for i, (start, source, _op) in enumerate(starts):
        end = starts[i + 1][0] - timedelta(days=1) if i + 1 < len(starts) else None
        exists = not (deleted and i == len(starts) - 1)
        versions.append(ArticleVersion(number, start, end, source, texts[i] if exists else [], exists))
    return versions


def _backward(latest: Paragraphs, ops: list[Operation | None]) -> list[Paragraphs]:
    texts: list[Paragraphs] = [None] * len(ops)
    texts[-1] = latest
    for i in range(len(ops) - 1, 0, -1):
        texts[i - 1] = _unapply(ops[i], texts[i])
    return texts


def _unapply(op: Operation | None, after: Paragraphs) -> Paragraphs:
    if op is None or after is None:
        return None
    if op.kind == "replace_paragraphs":
        return [None if i + 1 in op.paragraphs else p for i, p in enumerate(after)]
    if op.kind == "add_paragraphs":
        return [p for i, p in enumerate(after) if i + 1 not in op.paragraphs]
    if op.kind == "delete_paragraphs":
        before = list(after)
        for n in sorted(op.paragraphs):
            before.insert(n - 1, None)
        return before
    return None


def _forward(texts: list[Paragraphs], ops: list[Operation | None]) -> list[Paragraphs]:
    merged: list[Paragraphs] = []
    for i, op in enumerate(ops):
        previous = merged[i - 1] if i else None
        merged.append(_merge(texts[i], _apply(op, previous)))
    return merged


def _apply(op: Operation | None, before: Paragraphs) -> Paragraphs:
    if op is None:
        return None
    if op.kind in ("replace_article", "add_article"):
        return list(op.new_text) or None
    if before is None and op.kind == "replace_paragraphs" and len(op.paragraphs) == len(op.new_text):
        before = [None] * max(op.paragraphs)  # partial: only the replaced 款 are known
    if before is None:
        return None
    if op.kind == "replace_paragraphs" and len(op.paragraphs) == len(op.new_text):
        after = list(before)
        for n, text in zip(op.paragraphs, op.new_text, strict=True):
            if n - 1 >= len(after):
                return None
            after[n - 1] = text
        return after
    if op.kind == "add_paragraphs" and len(op.paragraphs) == len(op.new_text):
        after = list(before)
        for n, text in zip(op.paragraphs, op.new_text, strict=True):
            after.insert(n - 1, text)
        return after
    if op.kind == "delete_paragraphs":
        return [p for i, p in enumerate(before) if i + 1 not in op.paragraphs]
    return None


def _merge(a: Paragraphs, b: Paragraphs) -> Paragraphs:
    if a is None or b is None:
        return a if b is None else b
    if len(a) != len(b):
        return a
    return [x if x is not None else y for x, y in zip(a, b, strict=True)]
