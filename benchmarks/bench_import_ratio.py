"""Import against DuckDB's own reader (issue 20, target 1: ≤ 1.5×, GBK ≤ 2×), alternating A/B.

    python benchmarks/bench_import_ratio.py --rows 2000000 --workdir /tmp/shujian-import-ratio [--rounds 3]

The CSV of ``bench_import.py`` (身份证号 with check digits, mixed dates, amounts with 元 and commas,
free text) is written once in UTF-8 and once transcoded to GBK.  Each round runs, in turn:

* ``duckdb read_csv`` — a fresh Python process creating a table from the UTF-8 file in a file-backed
  DuckDB database (``CREATE TABLE t AS SELECT * FROM read_csv('…')``): DuckDB's reader alone;
* ``shujian data import`` of the UTF-8 file and of the GBK file, each into a fresh workspace (the real
  console command with every check and the quality report; ``bench_import.run_import``).

With ``--baseline-src DIR`` (the ``src`` folder of an earlier checkout, e.g. from ``git worktree add``)
each round also imports both files with that code (``utf8-base``, ``gbk-base``): before and after in
one run, alternating, on the same machine load.

With ``--bytecode`` both source trees are compiled to ``__pycache__`` first (``compileall``), as a
package installed by pip is: where ``PYTHONDONTWRITEBYTECODE`` is set (this sandbox sets it) every
command otherwise compiles the shujian modules it imports again (≈ 0.1 CPU s a run: importing the
modules of an import took 0.70–0.76 CPU s with bytecode, 0.75–0.91 without), which DuckDB's
own package, installed with its bytecode, never pays.  Off by default, to compare with earlier figures.

With ``--existing-home`` each import goes into a workspace that already holds a one-row dataset (made
before the timing, by the same source tree), as users import: the first command's creation of the
metadata store (every migration, ≈ 0.3 CPU s) is then not timed.  Off by default, to compare with
earlier figures.

CPU seconds are user + system of the child process tree; the ratios are medians of shujian ÷ the
median of DuckDB.  One JSON document on stdout and in ``--out``.
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
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_import import generate, run_import  # noqa: E402
from common import log, machine_info  # noqa: E402


def duckdb_read_csv(csv: Path, db: Path) -> tuple[float, float]:
    """(wall, CPU) seconds of a fresh process reading ``csv`` into a DuckDB table."""
    db.unlink(missing_ok=True)
    code = ("import duckdb, sys; con = duckdb.connect(sys.argv[2]); "
            "con.execute(\"CREATE TABLE t AS SELECT * FROM read_csv(?)\", [sys.argv[1]]); "
            "print(con.execute('SELECT count(*) FROM t').fetchone()[0])")
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.monotonic()
    subprocess.run([sys.executable, "-c", code, str(csv), str(db)], check=True, capture_output=True)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return time.monotonic() - t0, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rows", type=int, default=2_000_000)
    ap.add_argument("--workdir", type=Path, default=Path("/tmp/shujian-import-ratio"))
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--out", type=Path, default=None)
    ap.add_argument("--baseline-src", default=None, help="src folder of an earlier checkout to compare with")
    ap.add_argument("--existing-home", action="store_true",
                    help="import into a workspace made (and holding a one-row dataset) before the timing")
    ap.add_argument("--bytecode", action="store_true",
                    help="compile both source trees' bytecode first, as an installed package has it")
    args = ap.parse_args()
    args.workdir.mkdir(parents=True, exist_ok=True)
    if args.bytecode:
        for tree in filter(None, [str(Path(__file__).resolve().parents[1] / "src"), args.baseline_src]):
            subprocess.run([sys.executable, "-m", "compileall", "-q", tree], check=True, capture_output=True)
    utf8 = args.workdir / f"bench_{args.rows}.csv"
    gbk = args.workdir / f"bench_{args.rows}.gbk.csv"
    if not utf8.is_file():
        log(f"writing {utf8} …")
        generate(utf8, args.rows)
    if not gbk.is_file():
        log(f"transcoding to {gbk} …")
        with utf8.open(encoding="utf-8") as src, gbk.open("w", encoding="gbk") as dst:
            shutil.copyfileobj(src, dst, 1 << 22)
    machine = machine_info()
    load_at_start = round(os.getloadavg()[0], 2)
    sides = ["duckdb", "utf8", "gbk"] + (["utf8-base", "gbk-base"] if args.baseline_src else [])
    runs: dict[str, list[tuple[float, float]]] = {side: [] for side in sides}
    for r in range(args.rounds):
        for side in (sides if r % 2 == 0 else sides[::-1]):
            if side == "duckdb":
                runs[side].append(duckdb_read_csv(utf8, args.workdir / "read_csv.duckdb"))
            else:
                home = args.workdir / f"home-{side}"
                shutil.rmtree(home, ignore_errors=True)
                if args.existing_home:
                    one = args.workdir / "one_row.csv"
                    one.write_text("编号,金额\n1,2\n", "utf-8")
                    run_import(one, home, None, pythonpath=args.baseline_src if side.endswith("-base") else None)
                res = run_import(utf8 if side.startswith("utf8") else gbk, home, None,
                                 pythonpath=args.baseline_src if side.endswith("-base") else None)
                runs[side].append((res["seconds"], res["cpu_seconds"]))
                shutil.rmtree(home, ignore_errors=True)
            log(f"  round {r + 1} {side:7} wall {runs[side][-1][0]:.1f}s cpu {runs[side][-1][1]:.1f}s")
    med = {k: (statistics.median(w for w, _ in v), statistics.median(c for _, c in v)) for k, v in runs.items()}
    report = {"benchmark": "import_ratio", "rows": args.rows, "rounds": args.rounds, "machine": machine,
              "load_avg_1m_at_start": load_at_start, "load_avg_1m_at_end": round(os.getloadavg()[0], 2),
              "median": {k: {"wall": round(w, 2), "cpu": round(c, 2)} for k, (w, c) in med.items()},
              "ratio": {k: {"wall": round(med[k][0] / med["duckdb"][0], 2), "cpu": round(med[k][1] / med["duckdb"][1], 2)}
                        for k in sides if k != "duckdb"},
              "baseline_src": args.baseline_src, "bytecode": args.bytecode, "existing_home": args.existing_home,
              "dont_write_bytecode": bool(os.environ.get("PYTHONDONTWRITEBYTECODE")),
              "runs": {k: [[round(w, 2), round(c, 2)] for w, c in v] for k, v in runs.items()}}
    text = json.dumps(report, ensure_ascii=False, indent=1)
    out = args.out or Path(__file__).parent / "results" / f"import-ratio-{args.rows}.json"
    out.write_text(text, "utf-8")
    sys.stdout.write(text + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
