"""Measure a text rule on labelled messages: precision and recall, with the mistakes listed."""

from __future__ import annotations

import csv
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from shujian.spec.text import TextRule
from shujian.text.clean import clean_text
from shujian.text.matcher import Matcher


@dataclass
class LabelledMessage:
    id: str
    label: int
    split: str
    text: str


@dataclass
class Measured:
    """Confusion counts of one rule on one set of labelled messages."""

    tp: int = 0
    fp: int = 0
    fn: int = 0
    tn: int = 0
    false_positives: list[str] = field(default_factory=list)
    false_negatives: list[str] = field(default_factory=list)

    @property
    def precision(self) -> float:
        return self.tp / (self.tp + self.fp) if self.tp + self.fp else 1.0

    @property
    def recall(self) -> float:
        return self.tp / (self.tp + self.fn) if self.tp + self.fn else 1.0

    def to_dict(self) -> dict:
        return {"messages": self.tp + self.fp + self.fn + self.tn, "positives": self.tp + self.fn,
                "tp": self.tp, "fp": self.fp, "fn": self.fn, "tn": self.tn,
                "precision": round(self.precision, 4), "recall": round(self.recall, 4),
                "false_positives": self.false_positives, "false_negatives": self.false_negatives}


def read_labelled(path: str | Path) -> list[LabelledMessage]:
    """A TSV with columns id, label (1/0), split (dev/test), text."""
    with open(path, encoding="utf-8", newline="") as fh:
        return [LabelledMessage(r["id"], int(r["label"]), r["split"], r["text"])
                for r in csv.DictReader(fh, delimiter="\t")]


def measure(rule: TextRule | Matcher, messages: Iterable[LabelledMessage]) -> Measured:
    matcher = rule if isinstance(rule, Matcher) else Matcher(rule)
    out = Measured()
    for m in messages:
        hit = matcher.match(clean_text(m.text)[0]) is not None
        if hit and m.label:
            out.tp += 1
        elif hit:
            out.fp += 1
            out.false_positives.append(m.id)
        elif m.label:
            out.fn += 1
            out.false_negatives.append(m.id)
        else:
            out.tn += 1
    return out
