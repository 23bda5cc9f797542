"""Spill proof: collisions larger than a deliberately small DuckDB memory limit still run to completion.

    python benchmarks/bench_spill.py --scale large --memory-limit 200MB [--threads 2]

Runs (1) a heavy self-collision over 养老金发放 — every payment against the same person's payments
in the previous 12 months, de-duplicated as (payment, earlier payment, payer, amount) pairs and then
grouped per payment, so the DISTINCT hash table is far larger than the limit — and (2) with ``--with-library`` the whole built-in library; each
first under the small limit and then under a generous one (4GB) to check the results are identical.  A watcher thread
records the largest size the spill directory reached and the peak resident memory.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import sys
import threading
import time
from pathlib import Path

import duckdb
import psutil

sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_library import open_city  # noqa: E402
from common import BENCH_DIR, log, machine_info  # noqa: E402

from shujian.compiler import compile_model  # noqa: E402
from shujian.engines.duckdb_engine import DuckDBEngine  # noqa: E402
from shujian.errors import RunFailed  # noqa: E402
from shujian.models_library import list_models  # noqa: E402

HEAVY = """
WITH pairs AS (
  SELECT DISTINCT a._row_id AS rid, a."身份证号" AS person, b._row_id AS prev_rid,
         b."发放机构" AS payer, b."发放金额" AS amount
  FROM {pension} a JOIN {pension} b
    ON a."身份证号" = b."身份证号"
   AND b."发放年月" <= a."发放年月" AND b."发放年月" > a."发放年月" - INTERVAL 12 MONTH
), per_payment AS (
  SELECT rid, count(*) AS n, sum(amount) AS total FROM pairs GROUP BY rid
)
SELECT count(*), sum(n), round(sum(total), 2), max(n) FROM per_payment
"""


class Watcher:
    """Polls the spill directory size and this process's RSS until stopped."""

    def __init__(self, spill: Path):
        self.spill, self.max_spill, self.peak_rss = spill, 0, 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        proc = psutil.Process()
        while not self._stop.wait(0.05):
            size = sum(f.stat().st_size for f in self.spill.rglob("*") if f.is_file()) if self.spill.exists() else 0
            self.max_spill = max(self.max_spill, size)
            self.peak_rss = max(self.peak_rss, proc.memory_info().rss)

    def __enter__(self) -> Watcher:
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._thread.join()


def _digest(rows: list) -> str:
    return hashlib.sha256(json.dumps(sorted(map(str, rows))).encode()).hexdigest()[:16]


def run_all(con, catalog, with_library: bool) -> dict:
    """Heavy collision + whole library; returns timings and result digests."""
    pension = catalog.get("养老金发放").relation
    out: dict = {}
    t0 = time.perf_counter()
    heavy = con.sql(HEAVY.format(pension=pension)).fetchall()
    out["heavy"] = {"seconds": round(time.perf_counter() - t0, 2), "result": [str(v) for v in heavy[0]]}
    if not with_library:
        return out
    t0 = time.perf_counter()
    digests = {}
    for model in list_models():
        c = compile_model(model, catalog, "duckdb")
        try:          # through the engine class a model run uses (staged, see compiler/stages.py)
            table = DuckDBEngine(con).execute(c.sql, c.parameters).table
            digests[model.id] = _digest([tuple(r.values()) for r in table.to_pylist()])
        except RunFailed as exc:  # recorded, not hidden: which operator did not spill
            if not isinstance(exc.__cause__, duckdb.OutOfMemoryException):
                raise
            digests[model.id] = "out of memory: " + str(exc.__cause__).splitlines()[0][:160]
    out["library"] = {"seconds": round(time.perf_counter() - t0, 2), "digests": digests}
    return out


def measure(scale: str, memory_limit: str, threads: int | None, with_library: bool) -> dict:
    con, catalog, rows, _ = open_city(scale, None, memory_limit, threads)
    spill = BENCH_DIR / "duckdb-spill"
    with Watcher(spill) as w:
        result = run_all(con, catalog, with_library)
    con.close()
    result.update(memory_limit=memory_limit, max_spill_mb=round(w.max_spill / 2**20, 1),
                  peak_rss_mb=round(w.peak_rss / 2**20, 1), city_rows=sum(rows.values()),
                  pension_rows=rows[catalog.get("养老金发放").relation])
    log(json.dumps({k: v for k, v in result.items() if k != "library"}, ensure_ascii=False)
        + (f" library {result['library']['seconds']}s" if with_library else ""))
    return result


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--scale", default="large")
    ap.add_argument("--memory-limit", default="200MB")
    ap.add_argument("--reference-limit", default="4GB")
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--with-library", action="store_true", help="also run every built-in model under the limit")
    ap.add_argument("--out", type=Path, default=None)
    args = ap.parse_args(argv)
    small = measure(args.scale, args.memory_limit, args.threads, args.with_library)
    big = measure(args.scale, args.reference_limit, args.threads, args.with_library)
    same = small["heavy"]["result"] == big["heavy"]["result"] and \
        small.get("library", {}).get("digests") == big.get("library", {}).get("digests")
    report = {"benchmark": "spill", "scale": args.scale, "machine": machine_info(), "identical_results": same,
              "small_limit": small, "reference": big}
    out = args.out or Path(__file__).parent / "results" / f"spill-{args.scale}.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(report, ensure_ascii=False, indent=1), "utf-8")
    sys.stdout.write(json.dumps(report, ensure_ascii=False, indent=1) + "\n")
    return 0 if same else 1


if __name__ == "__main__":
    raise SystemExit(main())
