"""Benchmark: a sandbox run's results (沙箱运行) — storing them as data, then 发布 (publishing) them as clues,
against storing the same candidates as clues directly (what a normal run does).

``--clues`` candidates (as bench_clue_store.py builds them, ``--evidence`` source rows each) are stored for a
sandbox run through ``shujian.runs.sandbox.ResultWriter`` in batches of ``--batch``; the run is then published
by a 数字办 (``SandboxService.publish``: stored results → ClueWriter → audit, one transaction).  The baseline
stores the same number of candidates of another model through ClueWriter for a normal run.  Prints JSON.

    python benchmarks/bench_sandbox.py --clues 100000 --backend sqlite
    python benchmarks/bench_sandbox.py --clues 100000 --backend postgres
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_clue_store import candidates  # noqa: E402
from common import PG_URL, metadata_store  # noqa: E402


def _run(ws, model_id: str, org_id: int | None, sandbox: bool) -> int:
    from shujian.db.models import ModelVersion, Run

    with ws.db.unit_of_work() as s:
        mv = ModelVersion(model_id=model_id, version="1", hash=f"bench-{model_id}", source="bench")
        s.add(mv)
        s.flush()
        run = Run(model_id=model_id, model_version_id=mv.id, model_hash=mv.hash, status="succeeded",
                  org_id=org_id, sandbox=sandbox)
        s.add(run)
        s.flush()
        return run.id


def _store(ws, writer_cls, run_id: int, model_id: str, n: int, evidence: int, batch: int) -> float:
    t0 = time.perf_counter()
    with ws.db.unit_of_work() as s:
        writer = writer_cls(s, run_id)
        for offset in range(0, n, batch):
            cands = candidates(min(batch, n - offset), evidence, offset)
            for c in cands:
                c.model_id = model_id
            writer.add(cands)
    return time.perf_counter() - t0


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--clues", type=int, default=100_000)
    ap.add_argument("--evidence", type=int, default=3)
    ap.add_argument("--batch", type=int, default=50_000)
    ap.add_argument("--backend", choices=("sqlite", "postgres"), default="sqlite")
    ap.add_argument("--pg-url", default=PG_URL)
    a = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp, metadata_store(a.backend, Path(tmp), pg_url=a.pg_url):
        from shujian.clues.store import ClueWriter
        from shujian.config import load_settings
        from shujian.orgs.service import OrgService
        from shujian.runs.sandbox import ResultWriter, SandboxService
        from shujian.security.scope import scope_for, use_scope
        from shujian.workspace import Workspace

        ws = Workspace(load_settings()).ensure()
        orgs = OrgService(ws)
        orgs.seed(["33"])
        user = orgs.add_user("bench_sz", "基准数字办", "3310", ["数字办"])
        sandbox_run = _run(ws, "bench-sandbox", user["org_id"], True)
        normal_run = _run(ws, "bench-normal", user["org_id"], False)
        stored = _store(ws, ResultWriter, sandbox_run, "bench-sandbox", a.clues, a.evidence, a.batch)
        with ws.db.unit_of_work() as s:
            scope = scope_for(s, "bench_sz", user["org_id"], ["数字办"])
        t0 = time.perf_counter()
        with use_scope(scope):
            out = SandboxService(ws).publish(sandbox_run)
        published = time.perf_counter() - t0
        direct = _store(ws, ClueWriter, normal_run, "bench-normal", a.clues, a.evidence, a.batch)
        ws.close()
    report = {"backend": a.backend, "clues": a.clues, "evidence": a.evidence,
              "sandbox_store_s": round(stored, 2), "publish_s": round(published, 2),
              "publish_new": out["clues_new"], "direct_clue_store_s": round(direct, 2),
              "publish_vs_direct": round(published / direct, 2) if direct else None}
    print(json.dumps(report, ensure_ascii=False))  # noqa: T201


if __name__ == "__main__":
    main()
