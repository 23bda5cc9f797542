"""Benchmark: the pages people open first — 工作台/一本账 (``/``), the clue list (``/clues``) and the 一本账
ledger API — at ``--clues`` clues (default 1,000,000).

Seeds a fresh workspace (SQLite file, or a new schema on the PostgreSQL server with ``--backend
postgres``): the demo org tree and accounts, ``--clues`` clues stored through the real clue store in
batches (one evidence row each), spread over 20 orgs of 浙江 (a tenth left unassigned) and 700 days;
5 % judged, 2 % 成案, 1 % 排除, 0.5 % with a 监督措施, 2 % 交办 with a past deadline.  Then times each
page through FastAPI's TestClient as the demo user (a 市院 leader: the scope filter applies): one
warm-up, then ``--rounds`` requests; prints the median and the spread (wall and CPU of this process,
which for SQLite includes the database work).  Speed checks live here, not in the test suite.

    python benchmarks/bench_pages.py --clues 1000000
    python benchmarks/bench_pages.py --clues 1000000 --home /tmp/pages-1m --keep    # reuse the seed later
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

from sqlalchemy import text

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import PG_URL, metadata_store  # noqa: E402

PAGES = (("dashboard", "/"), ("dashboard, 2026", "/?period=2026"), ("clue list", "/clues"), ("clue list page 500", "/clues?page=500"),
         ("一本账 by org (API)", "/api/v1/stats/ledger?by=org"),
         ("一本账 by model, 2026 (API)", "/api/v1/stats/ledger?by=model&period=2026"))


def seed(ws, n: int, batch: int = 50_000) -> dict:
    """``n`` clues and their workflow traces (see the module docstring); returns seeding times."""
    from shujian.clues.store import ClueCandidate, ClueWriter
    from shujian.db.models import ModelVersion, Org, Run
    from shujian.web.accounts import ensure_demo_accounts

    t0 = time.perf_counter()
    ensure_demo_accounts(ws)
    with ws.db.unit_of_work() as s:
        orgs = [o for (o,) in s.query(Org.id).filter(Org.code.like("3310%")).order_by(Org.id).limit(20)]
        mv = ModelVersion(model_id="bench-pages", version="1", hash="bench", source='{"name": "基准模型"}')
        s.add(mv)
        s.flush()
        run = Run(model_id="bench-pages", model_version_id=mv.id, model_hash="bench", status="succeeded")
        s.add(run)
        s.flush()
        writer = ClueWriter(s, run.id)
        legal = [{"name": "中华人民共和国社会保险法", "article": "第八十八条"}]
        for start in range(0, n, batch):
            writer.add([ClueCandidate(f"bench-model-{i % 12}", "R1", "person", f"P{i:012d}", f"某{i % 1000}",
                                      f"对象 P{i:012d} 服刑期间领取养老金 {i % 24 + 1} 个月",
                                      {"months": i % 24 + 1, "total": 1234.5 * (i % 24 + 1)}, "检察建议", legal,
                                      [("养老金发放", "养老金发放", 1, i)]) for i in range(start, min(n, start + batch))])
    stored = time.perf_counter() - t0
    with ws.db.engine.begin() as conn:
        pg = conn.dialect.name == "postgresql"
        day = "timestamptz '2025-01-01 08:00+00' + (id % 700) * interval '1 day'" if pg else \
            "datetime('2025-01-01 08:00:00', '+' || (id % 700) || ' days')"
        conn.execute(text(f"UPDATE clues SET first_seen = {day}, last_seen = {day}"))
        for i, org in enumerate(orgs):
            conn.execute(text("UPDATE clues SET org_id = :o WHERE id % 22 = :i"), {"o": org, "i": i})
        conn.execute(text("UPDATE clues SET state = '交办', deadline = :d WHERE id % 50 = 7 AND org_id IS NOT NULL"),
                     {"d": "2026-01-15"})
        for action, mod in (("研判", 20), ("成案", 50), ("排除", 100)):
            data = """'{"exclusion_type": "数据错误"}'""" if action == "排除" else "'{}'"
            conn.execute(text(f"INSERT INTO clue_events (clue_id, at, action, attachments, data) "
                              f"SELECT id, first_seen, '{action}', '[]', {data} FROM clues WHERE id % {mod} = 0"))
        conn.execute(text("UPDATE clues SET state = '排除', suppressed = :t, exclusion_type = '数据错误' "
                          "WHERE id % 100 = 0"), {"t": True})
        issued = "first_seen::date" if pg else "date(first_seen)"
        conn.execute(text("INSERT INTO supervision_measures (clue_id, kind, intensity, issued_on, reply_deadline, "
                          "money_recovered, people_affected, governance, overdue, created_at) "
                          f"SELECT id, '检察建议', '正式', {issued}, {issued}, 1000.0, 1, '[]', :f, first_seen "
                          "FROM clues WHERE id % 200 = 0"), {"f": False})
        if pg:
            conn.execute(text("ANALYZE"))
        else:
            conn.execute(text("ANALYZE"))
    return {"store_s": round(stored, 1), "seed_s": round(time.perf_counter() - t0, 1)}


def time_pages(ws, rounds: int) -> dict:
    from fastapi.testclient import TestClient

    from shujian.web.app import create_app

    out = {}
    with TestClient(create_app(workspace=ws)) as client:
        for name, url in PAGES:
            r = client.get(url, headers={"accept": "text/html"} if not url.startswith("/api") else {})
            assert r.status_code == 200, (url, r.status_code, r.text[:300])
            walls, cpus = [], []
            for _ in range(rounds):
                w0, c0 = time.perf_counter(), time.process_time()
                r = client.get(url, headers={"accept": "text/html"} if not url.startswith("/api") else {})
                walls.append(time.perf_counter() - w0)
                cpus.append(time.process_time() - c0)
                assert r.status_code == 200
            out[name] = {"url": url, "median_ms": round(statistics.median(walls) * 1000),
                         "min_ms": round(min(walls) * 1000), "max_ms": round(max(walls) * 1000),
                         "median_cpu_ms": round(statistics.median(cpus) * 1000)}
    return out


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--clues", type=int, default=1_000_000)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--backend", choices=("sqlite", "postgres"), default="sqlite")
    parser.add_argument("--pg-url", default=PG_URL)
    parser.add_argument("--home", type=Path, help="workspace folder (SQLite); reused if it holds a seed")
    parser.add_argument("--keep", action="store_true", help="keep the seeded workspace / schema")
    args = parser.parse_args()

    from shujian.config import load_settings
    from shujian.workspace import Workspace

    home = args.home or Path(tempfile.mkdtemp(prefix="shujian-bench-pages-"))
    reuse = args.backend == "sqlite" and (home / "seeded.json").is_file()
    report = {"backend": args.backend, "clues": args.clues, "load_avg_1m_at_start": round(os.getloadavg()[0], 2)}
    with metadata_store(args.backend, home, pg_url=args.pg_url, keep=args.keep):
        ws = Workspace(load_settings())
        if reuse:
            ws.upgrade()                 # a seed made by older code: migrate it (backfills the counters)
        ws = ws.ensure()
        try:
            if reuse:
                report["seed"] = json.loads((home / "seeded.json").read_text())
            else:
                report["seed"] = seed(ws, args.clues)
                (home / "seeded.json").write_text(json.dumps(report["seed"]))
            report["pages"] = time_pages(ws, args.rounds)
            report["load_avg_1m_at_end"] = round(os.getloadavg()[0], 2)
        finally:
            ws.close()
    print(json.dumps(report, ensure_ascii=False, indent=1))  # noqa: T201


if __name__ == "__main__":
    main()
