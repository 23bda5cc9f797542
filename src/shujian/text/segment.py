"""Chinese word segmentation (分词) with jieba and a per-workspace user dictionary.

jieba ships its dictionary inside the wheel, so segmentation works offline; it is the de-facto
standard segmenter for Chinese in Python, pure Python (no native build on an intranet machine) and
takes user words at run time.  One :class:`Segmenter` exists per distinct user-word list in a
process (a jieba ``Tokenizer`` costs ≈0.6 s and ≈50 MB to load), so a rule's result never depends on
which other rules ran before it.  The HMM guesser for unknown words is off: segmentation is then a
pure function of the dictionary, the same on every machine.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterable
from functools import lru_cache

WINDOW = 12          # characters segmented on each side of an occurrence for a whole-word check

_lock = threading.Lock()


class Segmenter:
    """jieba segmentation with extra words (the workspace's user dictionary)."""

    def __init__(self, words: Iterable[str] = ()):
        self.words = tuple(sorted({w.strip() for w in words if w and w.strip()}))
        self._tk = None

    @property
    def tokenizer(self):
        if self._tk is None:
            with _lock:
                if self._tk is None:
                    self._tk = _load(self.words)
        return self._tk

    def cut(self, text: str) -> list[str]:
        """The words of ``text`` (punctuation and spaces are words of their own)."""
        return list(self.tokenizer.cut(text, HMM=False))

    def boundaries(self, text: str) -> set[int]:
        """Character offsets where a word starts or ends (0 and len(text) included)."""
        out, pos = {0}, 0
        for word in self.tokenizer.cut(text, HMM=False):
            pos += len(word)
            out.add(pos)
        return out

    def is_whole_word(self, text: str, start: int, end: int) -> bool:
        """True when ``text[start:end]`` begins and ends on word boundaries (it may span several
        words: 预付卡 segmented 预付/卡 is whole; 电费 inside 水电费 is not).

        Only a window around the occurrence is segmented; a boundary at the window's own edge is
        not trusted unless it is the edge of the text.
        """
        lo, hi = max(0, start - WINDOW), min(len(text), end + WINDOW)
        cuts = {lo + b for b in self.boundaries(text[lo:hi])}
        return start in cuts and end in cuts


def _load(words: tuple[str, ...]):
    import jieba

    jieba.setLogLevel(logging.WARNING)
    tk = jieba.Tokenizer()
    tk.initialize()
    for w in words:
        tk.add_word(w)
    return tk


@lru_cache(maxsize=8)
def segmenter(words: tuple[str, ...] = ()) -> Segmenter:
    """The shared segmenter for a user-word list (sorted tuple)."""
    return Segmenter(words)
