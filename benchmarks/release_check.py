"""Before a release: is this code more than 20 % slower than the last release on the issue-20 targets?

Runs each check with this checkout's code (A) and with another checkout's code (B, ``--baseline-src``,
e.g. a worktree of the last release tag) in turn — A B A B … over ``--rounds`` rounds — and compares the
medians of CPU figures (user + system of the benchmark process, plus the PostgreSQL server process where
the check reports it), so the ratio holds on a busy machine.  A check with a figure over ``--limit``
(default 1.2) runs ``--rounds`` more rounds and is judged on all of them (``--no-confirm``: judge at once);
exit status 1 when a figure is still worse than the limit or a check could not run.  Not part of the test
suite (no timed tests there); a developer runs it, under ``nice`` on a shared machine:

    git worktree add /tmp/shujian-last-release v0.2.0
    python benchmarks/release_check.py --baseline-src /tmp/shujian-last-release/src
    python benchmarks/release_check.py --baseline-src /tmp/shujian-last-release/src --only clue-store-pg,cli
    python benchmarks/release_check.py --baseline-src … --page-clues 50000 --out release-check.json

Checks (add new ones to CHECKS: a name and a function (src, workdir) → {figure: (value, "lower"|"higher")};
"reference" marks a figure printed for comparison but not judged):

* ``import`` — target 1: CPU seconds of ``shujian data import`` of the CSV of ``bench_import.py``
  (``--import-rows`` rows, default 200,000) in UTF-8 and in GBK, each into a fresh SQLite workspace,
  with DuckDB ``read_csv`` of the same UTF-8 file as a reference line (the same on both sides);
* ``clue-store-sqlite`` / ``clue-store-pg`` — target 2: clues stored per CPU second, 20,000 clues with 10
  evidence rows each (``bench_clue_store.py``);
* ``pages`` — target 3: CPU ms of the dashboard, the clue list and the 一本账 API at ``--page-clues``
  clues (``bench_pages.py``; each side seeds its own workspace once, then only times);
* ``cli`` — target 4: CPU seconds of ``shujian --version`` and ``shujian clue list`` (empty workspace);
* ``compiled-sql`` — target 5: CPU seconds of each of the 12 built-in models, compiled and run as a
  model run does (a model without a hand-written version in ``benchmarks/handwritten`` fails the check),
  on the ``--sql-scale`` demo city (``bench_compiled_vs_hand.py``, one round per side per A/B round; the
  city is generated and loaded once under ``SHUJIAN_BENCH_DIR``), and the sum over the models (≈ the
  library, target 6).  The script itself also asserts each model's clue set
  against the hand-written SQL, so a check that finds other clues fails instead of reporting a time.
  Use ``--rounds 3`` or more: on the medium city each model takes 0.1–0.4 CPU s, and one round of identical
  code against itself (A = B) showed up to ×1.32 on a loaded machine; ``--sql-scale large`` is steadier.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
SRC = HERE.parent / "src"


def _run(src: Path, args: list[str], env: dict | None = None) -> tuple[str, float]:
    """Run ``python args`` with ``src`` first on the path; (stdout, CPU seconds of the child)."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    full = {**os.environ, "PYTHONPATH": str(src), **(env or {})}
    full = {k: v for k, v in full.items() if v is not None}         # None: unset
    done = subprocess.run([sys.executable, *args], env=full, capture_output=True, text=True)
    if done.returncode:
        raise subprocess.CalledProcessError(done.returncode, args, done.stdout, done.stderr or done.stdout)
    out = done.stdout
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
        out, _ = _run(src, [str(HERE / "bench_pages.py"), "--clues", str(clues), "--rounds", "7",
                            "--home", str(home), "--keep"])
        report = json.loads(out[out.index("{"):])
        return {f"{name} CPU ms": (p["median_cpu_ms"], "lower") for name, p in report["pages"].items()}
    return check


def csv_files(rows: int, workdir: Path) -> tuple[Path, Path]:
    """The UTF-8 CSV of ``bench_import.py`` with ``rows`` rows and its GBK copy, written once."""
    sys.path.insert(0, str(HERE))
    from bench_import import generate

    workdir.mkdir(parents=True, exist_ok=True)
    utf8, gbk = workdir / f"import_{rows}.csv", workdir / f"import_{rows}.gbk.csv"
    if not utf8.is_file():
        generate(utf8, rows)
    if not gbk.is_file():
        with utf8.open(encoding="utf-8") as src, gbk.open("w", encoding="gbk") as dst:
            shutil.copyfileobj(src, dst, 1 << 22)
    return utf8, gbk


def data_import(rows: int, files: Path):
    def check(src: Path, work: Path) -> dict:
        utf8, gbk = csv_files(rows, files)
        figures = {}
        for label, csv in (("UTF-8", utf8), ("GBK", gbk)):
            home = work / f"import-{label}"
            shutil.rmtree(home, ignore_errors=True)
            env = {"SHUJIAN_HOME": str(home), "SHUJIAN_DATABASE_URL": None}
            out, cpu = _run(src, ["-m", "shujian.cli.main", "data", "import", str(csv), "--name", "养老金发放",
                                  "--agency", "市人社局", "--request-no", "京检调〔2026〕1号", "--no-progress",
                                  "--format", "json"], env)
            if json.loads(out)["rows"] != rows:
                raise SystemExit(f"import of {csv} did not keep its {rows} rows: {out[:300]}")
            figures[f"import {rows:,} rows {label} CPU s"] = (cpu, "lower")
            shutil.rmtree(home, ignore_errors=True)
        db = work / "read_csv.duckdb"
        db.unlink(missing_ok=True)
        code = ("import duckdb, sys; con = duckdb.connect(sys.argv[2]); "
                "con.execute('CREATE TABLE t AS SELECT * FROM read_csv(?)', [sys.argv[1]])")
        # the same DuckDB on both sides: how far identical work drifts between A and B on this machine
        figures["duckdb read_csv (reference) CPU s"] = (_run(src, ["-c", code, str(utf8), str(db)])[1], "reference")
        db.unlink(missing_ok=True)
        return figures
    return check


def cli(src: Path, work: Path) -> dict:
    env = {"SHUJIAN_HOME": str(work / "cli"), "SHUJIAN_DATABASE_URL": None}     # SQLite in the home
    _run(src, ["-m", "shujian.cli.main", "clue", "list"], env)          # creates the workspace once
    # a 区县院 检察官 for the scoped, masked listing (the access layer's path without the ORM)
    _run(src, ["-c", "from shujian.workspace import open_workspace; from shujian.orgs.service import OrgService; "
                     "s = OrgService(open_workspace()); s.seed(['33']); "
                     "_ = any(u['username'] == 'bench_jcg' for u in s.users()) or "
                     "s.add_user('bench_jcg', '基准', '331002', ['检察官'])"], env)
    figures = {}
    for name, args in (("shujian --version CPU s", ["--version"]), ("shujian clue list CPU s", ["clue", "list"]),
                       ("shujian clue list --as 检察官 CPU s", ["clue", "list", "--as", "bench_jcg"])):
        figures[name] = (statistics.median(_run(src, ["-m", "shujian.cli.main", *args], env)[1] for _ in range(5)),
                         "lower")
    return figures


def compiled_sql(scale: str):
    def check(src: Path, work: Path) -> dict:
        out_file = work / "compiled-vs-hand.json"
        _run(src, [str(HERE / "bench_compiled_vs_hand.py"), "--scale", scale, "--rounds", "1", "--out", str(out_file)])
        report = json.loads(out_file.read_text("utf-8"))
        if report["missing"]:        # every built-in model has a hand-written version: a new one needs one too
            raise SystemExit(f"compiled-sql: no hand-written version of {', '.join(report['missing'])} "
                             f"(benchmarks/handwritten/<model>.sql)")
        models = report["models"]
        figures = {f"{m['model']} CPU s": (m["compiled_cpu"], "lower") for m in models}
        figures["all models CPU s"] = (sum(m["compiled_cpu"] for m in models), "lower")
        return figures
    return check


CHECKS = {"clue-store-sqlite": clue_store("sqlite"), "clue-store-pg": clue_store("postgres"), "cli": cli}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--baseline-src", type=Path, required=True, help="the src/ folder of the release to compare with")
    parser.add_argument("--src", type=Path, default=SRC, help="the src/ folder of the candidate (default: this checkout's)")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--limit", type=float, default=1.2, help="worst allowed ratio (A slower than B)")
    parser.add_argument("--only", help="comma-separated check names")
    parser.add_argument("--page-clues", type=int, default=100_000)
    parser.add_argument("--import-rows", type=int, default=200_000, help="rows of the import check's CSV")
    parser.add_argument("--sql-scale", default="medium", help="demo city of the compiled-sql check")
    parser.add_argument("--out", type=Path, help="also write every figure and round as JSON here")
    parser.add_argument("--no-confirm", dest="confirm", action="store_false",
                        help="judge after --rounds rounds even when a figure is over the limit (default: that "
                             "check runs --rounds more rounds and is judged on all of them)")
    parser.add_argument("--keep", action="store_true", help="keep the work folder (CSV files, seeded workspaces)")
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="shujian-release-check-"))
    checks = {"import": data_import(args.import_rows, work / "csv"), **CHECKS, "pages": pages(args.page_clues),
              "compiled-sql": compiled_sql(args.sql_scale)}
    names = args.only.split(",") if args.only else list(checks)
    unknown = [n for n in names if n not in checks]
    if unknown:
        parser.error(f"unknown check(s) {', '.join(unknown)}; known: {', '.join(checks)}")
    print(f"A = {args.src}\nB = {args.baseline_src}\nrounds {args.rounds} (A B, B A, …), limit ×{args.limit}, "  # noqa: T201
          f"load average {_load()}", flush=True)
    failed, report = [], {"a_src": str(args.src), "b_src": str(args.baseline_src), "rounds": args.rounds,
                          "limit": args.limit, "load_avg_at_start": _load(), "checks": {}}
    try:
        for name in names:
            started, load_before = time.monotonic(), _load()
            runs: dict[str, list[dict]] = {"A": [], "B": []}
            try:
                _rounds(checks[name], name, runs, args, work)
                verdicts = judge(runs, args.limit)
                first = None
                if args.confirm and any(v["verdict"] == "REGRESSION" for v in verdicts.values()):
                    # a figure over the limit: as many rounds again, judged on all of them (a real regression
                    # stays; a busy minute on one side does not)
                    first = {f: v["cost_ratio"] for f, v in verdicts.items() if v["verdict"] == "REGRESSION"}
                    print(f"{name:18} over the limit after {args.rounds} rounds ({first}); "  # noqa: T201
                          f"{args.rounds} more rounds to confirm", flush=True)
                    _rounds(checks[name], name, runs, args, work)
                    verdicts = judge(runs, args.limit)
            except (subprocess.CalledProcessError, SystemExit, ValueError, KeyError) as exc:
                detail = getattr(exc, "stderr", None) or str(exc)
                print(f"{name:18} FAILED to run: {detail.strip()[-2000:]}", flush=True)  # noqa: T201
                failed.append(f"{name}: did not run")
                report["checks"][name] = {"error": detail.strip()[-2000:]}
                continue
            report["checks"][name] = {"seconds": round(time.monotonic() - started), "load_avg": [load_before, _load()],
                                      "rounds": len(runs["A"]), "over_limit_before_confirming": first,
                                      "figures": verdicts}
            for figure, v in verdicts.items():
                if v["verdict"] == "REGRESSION":
                    failed.append(f"{name}: {figure}")
                if v["median_B"] is None:
                    print(f"{name:18} {figure:40} A {v['median_A']:>10.3f}  B —", flush=True)  # noqa: T201
                    continue
                note = f" (×{first[figure]:.2f} after the first {args.rounds})" if first and figure in first else ""
                print(f"{name:18} {figure:40} A {v['median_A']:>10.3f}  B {v['median_B']:>10.3f}  "  # noqa: T201
                      f"A/B cost ×{v['cost_ratio']:.2f}  {v['verdict']}{note}", flush=True)
            print(f"{name:18} ({round(time.monotonic() - started)} s, {len(runs['A'])} rounds, "  # noqa: T201
                  f"load average {load_before} → {_load()})", flush=True)
    finally:
        if not args.keep:
            shutil.rmtree(work, ignore_errors=True)
    report["failed"] = failed
    report["load_avg_at_end"] = _load()
    if args.out:
        args.out.write_text(json.dumps(report, ensure_ascii=False, indent=1), "utf-8")
    if failed:
        print(f"{len(failed)} figure(s) more than {args.limit - 1:.0%} worse or not measured: "  # noqa: T201
              + "; ".join(failed))
    else:
        print(f"no figure more than {args.limit - 1:.0%} worse")  # noqa: T201
    return 1 if failed else 0


def _rounds(check, name: str, runs: dict[str, list[dict]], args, work: Path) -> None:
    """``args.rounds`` more rounds of one check: A then B, B then A, … (continuing the alternation)."""
    order = (("A", args.src), ("B", args.baseline_src))
    for _ in range(args.rounds):
        for side, src in order if len(runs["A"]) % 2 == 0 else order[::-1]:
            (work / side / name).mkdir(parents=True, exist_ok=True)
            runs[side].append(check(src, work / side / name))


def judge(runs: dict[str, list[dict]], limit: float) -> dict[str, dict]:
    """Per figure: every value, the medians of A and B, the cost ratio (> 1: A is worse) and the verdict."""
    out = {}
    for figure, (_, better) in runs["A"][0].items():
        a_values = [r[figure][0] for r in runs["A"]]
        b_values = [r[figure][0] for r in runs["B"] if figure in r]
        a = statistics.median(a_values)
        b = statistics.median(b_values) if b_values else None
        row = {"better": better, "A": a_values, "B": b_values, "median_A": a, "median_B": b,
               "cost_ratio": None, "verdict": "not compared"}
        if a and b:
            worse = (a / b) if better in ("lower", "reference") else (b / a)
            row["cost_ratio"] = round(worse, 3)
            row["verdict"] = ("reference, not judged" if better == "reference"
                              else "REGRESSION" if worse > limit else "ok")
        out[figure] = row
    return out


def _load() -> float:
    return round(os.getloadavg()[0], 2)


if __name__ == "__main__":
    sys.exit(main())
