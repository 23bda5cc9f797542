"""Before a release: is this code more than 20 % slower than the last release on the issue-20 targets?

Runs each check with this checkout's code (A) and with another checkout's code (B, ``--baseline-src``,
e.g. a worktree of the last release tag) in turn — A B A B … over ``--rounds`` rounds — and compares the
medians of CPU figures (user + system of the benchmark process, plus the PostgreSQL server process where
the check reports it), so the ratio holds on a busy machine.  Exit status 1 when any A/B ratio is worse
than ``--limit`` (default 1.2).  Not part of the test suite (no timed tests there); a developer runs it:

    git worktree add /tmp/shujian-last-release v0.2.0
    python benchmarks/release_check.py --baseline-src /tmp/shujian-last-release/src
    python benchmarks/release_check.py --baseline-src /tmp/shujian-last-release/src --only clue-store-pg,cli

Checks (add new ones to CHECKS: a name and a function (src, workdir) → {figure: (value, "lower"|"higher")}):

* ``clue-store-sqlite`` / ``clue-store-pg`` — target 2: clues stored per CPU second, 20,000 clues with 10
  evidence rows each (``bench_clue_store.py``);
* ``pages`` — target 3: CPU ms of the dashboard, the clue list and the 一本账 API at ``--page-clues``
  clues (``bench_pages.py``; each side seeds its own workspace once, then only times);
* ``cli`` — target 4: CPU seconds of ``shujian --version`` and ``shujian clue list`` (empty workspace);
* ``compiled-sql`` — target 5: CPU seconds of each built-in model with a hand-written version, compiled
  and run as a model run does, on the ``--sql-scale`` demo city (``bench_compiled_vs_hand.py``, one round
  per side per A/B round; the city is generated and loaded once under ``SHUJIAN_BENCH_DIR``), and the
  sum over the models (≈ the library, target 6).  The script itself also asserts each model's clue set
  against the hand-written SQL, so a check that finds other clues fails instead of reporting a time.
  Use ``--rounds 3`` or more: on the medium city each model takes 0.1–0.4 CPU s, and one round of identical
  code against itself (A = B) showed up to ×1.32 on a loaded machine; ``--sql-scale large`` is steadier.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
SRC = HERE.parent / "src"


def _run(src: Path, args: list[str], env: dict | None = None) -> tuple[str, float]:
    """Run ``python args`` with ``src`` first on the path; (stdout, CPU seconds of the child)."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    full = {**os.environ, "PYTHONPATH": str(src), **(env or {})}
    full = {k: v for k, v in full.items() if v is not None}         # None: unset
    out = subprocess.run([sys.executable, *args], env=full, capture_output=True, text=True, check=True).stdout
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return out, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def clue_store(backend: str):
    def check(src: Path, work: Path) -> dict:
        out, _ = _run(src, [str(HERE / "bench_clue_store.py"), "--clues", "20000", "--backend", backend,
                            "--no-rerun"])
        return {"clues per CPU s": (json.loads(out.strip().splitlines()[-1])["first"]["clues_per_cpu_s"], "higher")}
    return check


def pages(clues: int):
    def check(src: Path, work: Path) -> dict:
        home = work / "pages"
        out, _ = _run(src, [str(HERE / "bench_pages.py"), "--clues", str(clues), "--rounds", "3",
                            "--home", str(home), "--keep"])
        report = json.loads(out[out.index("{"):])
        return {f"{name} CPU ms": (p["median_cpu_ms"], "lower") for name, p in report["pages"].items()}
    return check


def cli(src: Path, work: Path) -> dict:
    env = {"SHUJIAN_HOME": str(work / "cli"), "SHUJIAN_DATABASE_URL": None}     # SQLite in the home
    _run(src, ["-m", "shujian.cli.main", "clue", "list"], env)          # creates the workspace once
    figures = {}
    for name, args in (("shujian --version CPU s", ["--version"]), ("shujian clue list CPU s", ["clue", "list"])):
        figures[name] = (statistics.median(_run(src, ["-m", "shujian.cli.main", *args], env)[1] for _ in range(5)),
                         "lower")
    return figures


def compiled_sql(scale: str):
    def check(src: Path, work: Path) -> dict:
        out_file = work / "compiled-vs-hand.json"
        _run(src, [str(HERE / "bench_compiled_vs_hand.py"), "--scale", scale, "--rounds", "1", "--out", str(out_file)])
        models = json.loads(out_file.read_text("utf-8"))["models"]
        figures = {f"{m['model']} CPU s": (m["compiled_cpu"], "lower") for m in models}
        figures["all models CPU s"] = (sum(m["compiled_cpu"] for m in models), "lower")
        return figures
    return check


CHECKS = {"clue-store-sqlite": clue_store("sqlite"), "clue-store-pg": clue_store("postgres"), "cli": cli}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--baseline-src", type=Path, required=True, help="the src/ folder of the release to compare with")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--limit", type=float, default=1.2, help="worst allowed ratio (A slower than B)")
    parser.add_argument("--only", help="comma-separated check names")
    parser.add_argument("--page-clues", type=int, default=100_000)
    parser.add_argument("--sql-scale", default="medium", help="demo city of the compiled-sql check")
    args = parser.parse_args()
    checks = {**CHECKS, "pages": pages(args.page_clues), "compiled-sql": compiled_sql(args.sql_scale)}
    names = args.only.split(",") if args.only else list(checks)
    work = Path(tempfile.mkdtemp(prefix="shujian-release-check-"))
    failed = []
    for name in names:
        runs: dict[str, list[dict]] = {"A": [], "B": []}
        for _ in range(args.rounds):
            for side, src in (("A", SRC), ("B", args.baseline_src)):
                (work / side / name).mkdir(parents=True, exist_ok=True)
                runs[side].append(checks[name](src, work / side / name))
        for figure, (_, better) in runs["A"][0].items():
            a = statistics.median(r[figure][0] for r in runs["A"])
            b = statistics.median(r[figure][0] for r in runs["B"] if figure in r) if figure in runs["B"][0] else None
            if not b or not a:
                print(f"{name:18} {figure:40} A {a:>10.3f}  B —")  # noqa: T201
                continue
            worse = (a / b) if better == "lower" else (b / a)
            verdict = "REGRESSION" if worse > args.limit else "ok"
            if worse > args.limit:
                failed.append(f"{name}: {figure}")
            print(f"{name:18} {figure:40} A {a:>10.3f}  B {b:>10.3f}  A/B cost ×{worse:.2f}  {verdict}")  # noqa: T201
    if failed:
        print(f"{len(failed)} figure(s) more than {args.limit - 1:.0%} worse: " + "; ".join(failed))  # noqa: T201
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
