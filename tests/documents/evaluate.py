"""Field-by-field comparison of the parser with the hand-made gold labels of the dev set."""

from __future__ import annotations

import json
from collections import defaultdict
from pathlib import Path

from shujian.documents import parse_judgment

DATA = Path(__file__).resolve().parents[3] / "shared" / "data" / "judgments"
if not DATA.exists():  # the checkout may live elsewhere; CI puts shared/ beside it
    DATA = Path("/work/shared/data/judgments")
DOC_FIELDS = ("doc_type", "case_number", "court", "procedure", "judgment_date", "prosecutor")
DEF_FIELDS = ("name", "gender", "birth_date", "charges", "penalty_type", "term_months", "probation_months",
              "fine_yuan", "confiscation", "deprivation_months", "recidivist", "surrender", "meritorious",
              "sentence_start", "sentence_end")


def load_dev() -> list[tuple[dict, dict]]:
    """(document, label) pairs of the 120-judgment dev set."""
    docs = [json.loads(line) for line in (DATA / "judge-dev-120.jsonl").open(encoding="utf-8")]
    labels = [json.loads(line) for line in (DATA / "judge-dev-120.labels.jsonl").open(encoding="utf-8")]
    return list(zip(docs, labels, strict=True))


def evaluate() -> tuple[dict[str, tuple[int, int]], list[str]]:
    """Per field (correct, total) and a list of mismatch descriptions."""
    score: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    misses: list[str] = []
    for doc, label in load_dev():
        got = parse_judgment(doc["fd"], doc["text_id"]).to_dict()
        for f in DOC_FIELDS:
            _count(score, misses, f, got.get(f), label[f], label["line"])
        gold = label["defendants"]
        mine = got["defendants"]
        for k, g in enumerate(gold):
            m = mine[k] if k < len(mine) else {}
            for f in DEF_FIELDS:
                _count(score, misses, f, m.get(f), g[f], f"{label['line']}/{g['name']}")
    return {f: (c, t) for f, (c, t) in score.items()}, misses


def _count(score, misses, field, got, want, where) -> None:
    score[field][1] += 1
    if got == want:
        score[field][0] += 1
    else:
        misses.append(f"{where} {field}: got {got!r} want {want!r}")


if __name__ == "__main__":
    table, wrong = evaluate()
    for line in wrong:
        print(line)  # noqa: T201
    for f, (c, t) in table.items():
        print(f"{f:18s} {c:4d}/{t:<4d} {100 * c / t:6.1f}%")  # noqa: T201
