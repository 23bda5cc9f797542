"""Precision and recall of the prepaid-card text rule on the hand-written labelled messages.

    .venv/bin/python benchmarks/bench_text_prepaid.py

Splits (tests/fixtures/text/prepaid_labelled.tsv): the rule was tuned on ``dev``, then measured on
``test1``; each later round tuned on everything measured so far and was measured once on a set
written after the rule was frozen (``test2``, ``test3``, ``test4``).  The shipped rule is round 4:
its honest held-out number is the one on ``test4``; on the earlier splits it is a training fit.
The baseline is the keyword step the model had before (any of 16 words, none of 9 exclusions).
"""

from __future__ import annotations

import sys
from pathlib import Path

from shujian.spec.text import TextRule
from shujian.text.evaluate import measure, read_labelled
from shujian.text.library import get_rule

LABELLED = Path(__file__).resolve().parents[1] / "tests" / "fixtures" / "text" / "prepaid_labelled.tsv"
BASELINE = TextRule.model_validate({
    "any": "预付卡|充值卡|储值卡|会员卡|办卡|充值|余额|退费|退卡|不退|跑路|闭店|关门|停业|转让后不认|换老板",
    "exclude": "公交卡|话费|电费|水费|燃气费|加油卡|社保卡|医保卡|校园卡"})


def main() -> int:
    rows = read_labelled(LABELLED)
    splits = ["dev", "test1", "test2", "test3", "test4"]
    out = sys.stdout
    out.write(f"{'split':8} {'n':>4} {'pos':>4} | {'rule P':>7} {'rule R':>7} | {'old P':>7} {'old R':>7}\n")
    for split in [*splits, "all"]:
        sel = rows if split == "all" else [r for r in rows if r.split == split]
        new, old = measure(get_rule("prepaid-card"), sel), measure(BASELINE, sel)
        out.write(f"{split:8} {len(sel):>4} {new.tp + new.fn:>4} | {new.precision:>7.3f} {new.recall:>7.3f} | "
                  f"{old.precision:>7.3f} {old.recall:>7.3f}\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
