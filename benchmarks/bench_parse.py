"""Judgment parsing throughput on one core: judgments per second over the 120-judgment dev set.

Run: ``python benchmarks/bench_parse.py [--rounds 5]`` (single process, single thread).
"""

from __future__ import annotations

import argparse
import json
import os
import time
from pathlib import Path

from shujian.documents import parse_judgment

DATA = Path(__file__).resolve().parents[2] / "shared" / "data" / "judgments" / "judge-dev-120.jsonl"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--data", type=Path, default=DATA)
    args = parser.parse_args()
    texts = [json.loads(line)["fd"] for line in args.data.open(encoding="utf-8")]
    for text in texts[:10]:  # warm the regex caches
        parse_judgment(text)
    best_wall = best_cpu = float("inf")
    for _ in range(args.rounds):
        wall, cpu = time.perf_counter(), time.process_time()
        for text in texts:
            parse_judgment(text, "x").to_dict()
        best_wall = min(best_wall, time.perf_counter() - wall)
        best_cpu = min(best_cpu, time.process_time() - cpu)
    chars = sum(len(t) for t in texts)
    n = len(texts)
    print(f"documents: {n}  mean length: {chars / n:.0f} chars  rounds: {args.rounds}  "  # noqa: T201
          f"load average: {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")
    print(f"wall clock: {n / best_wall:.0f} judgments/s ({best_wall / n * 1000:.2f} ms each)")  # noqa: T201
    print(f"CPU time:   {n / best_cpu:.0f} judgments/s ({best_cpu / n * 1000:.2f} ms each) "  # noqa: T201
          "- parse_judgment + to_dict, one thread")


if __name__ == "__main__":
    main()
