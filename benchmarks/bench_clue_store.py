"""Benchmark: storing clues (线索入库) — clues per second with N evidence rows each, first run and re-run.

Builds ``--clues`` candidates the way a model run does (a subject, a title, facts, legal basis and
``--evidence`` source rows each), stores them through ``shujian.clues.store.ClueWriter`` in batches
of ``--batch`` (as a model run does) in one transaction for a recorded run, then stores them again for a second run (the re-run path: every clue
is found by its fingerprint and refreshed, 0 new).  Metadata store: a fresh SQLite file, or a new
schema on the PostgreSQL server (``--backend postgres``, ``--pg-url``).  Prints JSON.

    python benchmarks/bench_clue_store.py --clues 100000 --backend sqlite
    python benchmarks/bench_clue_store.py --clues 100000 --backend postgres

To compare with older code, run the same command with ``PYTHONPATH=<old checkout>/src``.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from pathlib import Path

from sqlalchemy import text

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import PG_URL, metadata_store  # noqa: E402


def candidates(n: int, evidence: int, offset: int = 0):
    """``n`` clue candidates of one model with ``evidence`` source rows each (ids unique per clue)."""
    from shujian.clues.store import ClueCandidate

    legal = [{"name": "中华人民共和国社会保险法", "article": "第八十八条", "excerpt": "以欺诈、伪造证明材料…"}]
    out = []
    for i in range(offset, offset + n):
        key = f"33100219900101{i:06d}"[-18:]
        ev = [("养老金发放", "养老金发放", 7, i * evidence + j) for j in range(evidence)]
        out.append(ClueCandidate("bench-pension", "R1", "person", key, f"某{i % 1000}",
                                 f"{key} 服刑期间领取养老金 {i % 24 + 1} 个月",
                                 {"身份证号": key, "months": i % 24 + 1, "total": 1234.5 * (i % 24 + 1),
                                  "first": "2023-01-05"}, "检察建议", legal, ev))
    return out


def store(ws, run_model: str, n: int, evidence: int, batch: int) -> tuple[dict, float, float]:
    """Store ``n`` candidates for a new run in batches of ``batch`` (as a run does), timing only the
    storing and the commit; (result, wall s, this process's CPU s)."""
    try:
        from shujian.clues.store import ClueWriter
    except ImportError:             # older code (before/after comparisons): one store_clues call per batch
        ClueWriter = _OldWriter  # noqa: N806
    from shujian.db.models import ModelVersion, Run

    with ws.db.unit_of_work() as s:
        mv = s.query(ModelVersion).filter_by(model_id=run_model).one_or_none()
        if mv is None:
            mv = ModelVersion(model_id=run_model, version="1", hash="bench", source="bench")
            s.add(mv)
            s.flush()
        run = Run(model_id=run_model, model_version_id=mv.id, model_hash="bench", status="running")
        s.add(run)
        s.flush()
        run_id = run.id
    wall = cpu = 0.0
    with ws.db.unit_of_work() as s:
        backend = _backend_pid(s)
        server0 = _proc_cpu(backend)
        writer = ClueWriter(s, run_id)
        for offset in range(0, n, batch):
            cands = candidates(min(batch, n - offset), evidence, offset)
            w0, c0 = time.perf_counter(), time.process_time()
            writer.add(cands)
            wall, cpu = wall + time.perf_counter() - w0, cpu + time.process_time() - c0
        res = writer.result
        w0, c0 = time.perf_counter(), time.process_time()
    wall, cpu = wall + time.perf_counter() - w0, cpu + time.process_time() - c0   # the commit
    out = {"new": res.new, "seen": res.seen, "clues": len(res.clue_ids)}
    if backend:
        out["server_cpu_s"] = round(_proc_cpu(backend) - server0, 2)
    return out, wall, cpu


class _OldWriter:
    def __init__(self, session, run_id):
        from shujian.clues.store import StoreResult

        self.session, self.run_id, self.result = session, run_id, StoreResult()

    def add(self, cands) -> None:
        from shujian.clues.store import store_clues

        r = store_clues(self.session, self.run_id, cands)
        self.result.new, self.result.seen = self.result.new + r.new, self.result.seen + r.seen
        self.result.clue_ids += r.clue_ids


def _backend_pid(s) -> int | None:
    """The PostgreSQL server process of this session (same machine), to count its CPU too."""
    if s.get_bind().dialect.name != "postgresql":
        return None
    return s.execute(text("SELECT pg_backend_pid()")).scalar()


def _proc_cpu(pid: int | None) -> float:
    """User + system CPU seconds of a process of this machine (from /proc)."""
    if not pid:
        return 0.0
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _figures(res: dict, wall: float, cpu: float, n: int) -> dict:
    """Wall and CPU figures; clues per CPU second counts the PostgreSQL server process too."""
    total_cpu = cpu + res.get("server_cpu_s", 0.0)
    return {**res, "wall_s": round(wall, 2), "cpu_s": round(cpu, 2), "clues_per_s_wall": round(n / wall),
            "clues_per_cpu_s": round(n / total_cpu) if total_cpu else None}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--clues", type=int, default=100_000)
    parser.add_argument("--evidence", type=int, default=10)
    parser.add_argument("--backend", choices=("sqlite", "postgres"), default="sqlite")
    parser.add_argument("--pg-url", default=PG_URL)
    parser.add_argument("--batch", type=int, default=50_000, help="candidates per batch (a run's STORE_BATCH)")
    parser.add_argument("--no-rerun", action="store_true", help="store once only")
    args = parser.parse_args()

    from shujian.config import load_settings
    from shujian.workspace import Workspace

    home = Path(tempfile.mkdtemp(prefix="shujian-bench-clues-"))
    report = {"backend": args.backend, "clues": args.clues, "evidence_per_clue": args.evidence,
              "load_avg_1m_at_start": round(os.getloadavg()[0], 2)}
    with metadata_store(args.backend, home, pg_url=args.pg_url):
        ws = Workspace(load_settings()).ensure()
        try:
            res, wall, cpu = store(ws, "bench-pension", args.clues, args.evidence, args.batch)
            assert res["new"] == args.clues, res
            report["first"] = _figures(res, wall, cpu, args.clues)
            if not args.no_rerun:
                res, wall, cpu = store(ws, "bench-pension", args.clues, args.evidence, args.batch)
                assert res["new"] == 0 and res["seen"] == args.clues, res
                report["rerun"] = _figures(res, wall, cpu, args.clues)
            report["load_avg_1m_at_end"] = round(os.getloadavg()[0], 2)
        finally:
            ws.close()
    print(json.dumps(report, ensure_ascii=False))  # noqa: T201


if __name__ == "__main__":
    main()
