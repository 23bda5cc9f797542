"""``shujian demo``: generate the demo city, import it through the catalog, run the library, score it.

Unlike :mod:`shujian.demo.evaluate` (which scores models straight on Parquet), this goes through
the real services — import, versions, runs, clue store — so the report measures what a user gets.
"""

from __future__ import annotations

import json
import resource
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from ..catalog.importer import ImportRequest
from ..catalog.readers import hash_file
from ..catalog.service import CatalogService
from ..db.models import Clue, ClueRun, Dataset, DatasetVersion, Subject
from ..workspace import Workspace
from .core import SCALES as SCALE_FACTORS
from .core import Manifest, generate

#: every size is accepted; large and province are generated in bounded memory (see docs/demo.md)
SCALES = tuple(SCALE_FACTORS)
PROGRESS_EVERY = 5_000_000      # rows between two progress lines while generating

Say = Callable[[str], None]


@dataclass
class DemoReport:
    scale: str
    city_dir: str
    rows: int
    generate_seconds: float
    import_seconds: float
    models: list[dict]
    workflow: dict | None = None

    def to_dict(self) -> dict:
        return {"scale": self.scale, "city_dir": self.city_dir, "rows": self.rows,
                "generate_seconds": self.generate_seconds, "import_seconds": self.import_seconds,
                "models": self.models, "workflow": self.workflow}


def city_dir(ws: Workspace, scale: str, seed: int) -> Path:
    return ws.home / "demo-city" / f"{scale}-{seed}"


def has_city(out: Path, scale: str, seed: int) -> bool:
    """Whether ``out`` holds a complete city of this scale and seed (the manifest is written last)."""
    if not (out / "manifest.json").exists():
        return False
    manifest = Manifest.load(out)
    return (manifest.scale, manifest.seed) == (scale, seed)


def peak_rss_mb() -> float:
    """Peak resident memory of this process and of its finished children, in MB (Linux reports KB)."""
    own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return round((own + resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss) / 1024, 1)


def generate_city(out: Path, scale: str, seed: int, *, say: Say = lambda _m: None,
                  workers: int | None = None) -> Manifest:
    """Generate the demo city into ``out`` with a progress line every few million rows."""
    say(f"生成演示城市（规模 {scale}，种子 {seed}）→ {out} …")
    t0 = time.perf_counter()
    step = {"next": PROGRESS_EVERY}

    def progress(rows: int, rss_mb: float) -> None:
        if rows >= step["next"]:
            step["next"] = rows + PROGRESS_EVERY
            secs = time.perf_counter() - t0
            say(f"  已写出 {rows:,} 行，{secs:.0f} 秒（{rows / max(secs, 1e-9):,.0f} 行/秒），"
                f"内存峰值 {rss_mb:,.0f} MB")

    return generate(scale, seed, out, progress=progress, workers=workers)


def run_demo(ws: Workspace, scale: str = "small", seed: int = 42, *, say: Say = lambda _m: None,
             regenerate: bool = False, models: list[str] | None = None, workflow: bool = True,
             out: Path | None = None, workers: int | None = None) -> DemoReport:
    """Generate (unless present), import, run every built-in model and score it; ``out``: the city folder."""
    out = out or city_dir(ws, scale, seed)
    t0 = time.perf_counter()
    if regenerate or not has_city(out, scale, seed):
        generate_city(out, scale, seed, say=say, workers=workers)
    manifest = Manifest.load(out)
    gen_s = round(time.perf_counter() - t0, 2)
    say(f"演示城市：{len(manifest.datasets)} 个数据集，共 {manifest.total_rows:,} 行（{out}）")
    t1 = time.perf_counter()
    import_city(ws, out, manifest, say)
    imp_s = round(time.perf_counter() - t1, 2)
    truth = json.loads((out / "ground_truth.json").read_text(encoding="utf-8"))
    results = [score_model(ws, model_id, truth.get(model_id, []), say) for model_id in (models or sorted(truth))]
    flow = walk_workflow(ws, manifest, truth, [r["id"] for r in results], seed, say) if workflow else None
    return DemoReport(scale, str(out), manifest.total_rows, gen_s, imp_s, results, flow)


def walk_workflow(ws: Workspace, manifest: Manifest, truth: dict, model_ids: list[str], seed: int,
                  say: Say) -> dict:
    """Work the new clues through the workflow and the models through governance (一本账 has numbers)."""
    from datetime import date, timedelta

    from ..workflow.demo import register_demo_models, walk_demo_clues

    found = date.fromisoformat(manifest.today) + timedelta(days=1)
    date_demo_runs(ws, found)
    start = found + timedelta(days=4)
    report = walk_demo_clues(ws, truth, seed=seed, start=start, say=say)
    states = register_demo_models(ws, model_ids, start=start, say=say)
    return {**report.to_dict(), "models": states}


def date_demo_runs(ws: Workspace, day) -> None:
    """Date the demo's runs and the clues they found on the city's day (the day after its data cut-off),
    so the simulated workflow that follows (研判 … 办结, from a few days later) never precedes a clue.
    Only clues still in 生成 with no events are re-dated: a demo run again leaves worked clues alone."""
    from datetime import UTC, datetime, timedelta

    from sqlalchemy import exists

    from ..db.models import Clue, ClueEvent, Run

    at = datetime(day.year, day.month, day.day, 8, 0, tzinfo=UTC)
    with ws.db.unit_of_work() as s:
        fresh = s.query(Clue).filter(Clue.state == "生成", ~exists().where(ClueEvent.clue_id == Clue.id))
        runs = set()
        for c in fresh:
            c.first_seen = c.last_seen = at
            runs |= {c.first_run_id, c.last_run_id}
        for r in s.query(Run).filter(Run.id.in_(sorted(runs))):
            seconds = (r.finished_at - r.started_at) if r.finished_at and r.started_at else timedelta(0)
            r.started_at, r.finished_at = at, at + seconds


def import_city(ws: Workspace, out: Path, manifest: Manifest, say: Say) -> None:
    svc = CatalogService(ws)
    current = _current_hashes(ws)
    for info in manifest.datasets:
        path = out / info.file
        digest = hash_file(path)
        if current.get(info.name) == digest:
            say(f"  已是最新：{info.name}")
            continue
        req = ImportRequest(name=info.name, path=path, fmt="parquet", agency=info.agency, level=info.level,
                            description=info.description, semantics=dict(info.semantics),
                            importer="demo", note="演示城市（合成数据）")
        result = svc.import_file(req)
        say(f"  导入 {info.name}：{result.rows:,} 行（第 {result.version} 版，{result.seconds:.1f} 秒）")


def score_model(ws: Workspace, model_id: str, planted_rows: list[dict], say: Say) -> dict:
    from ..models_library import get_model
    from ..runs.service import RunService

    model = get_model(model_id)
    result = RunService(ws).run(model)
    scored = score_pairs(_run_pairs(ws, result.run_id), planted_rows)
    row = {"id": model_id, "name": model.name, "clues": scored["found"], "planted": scored["planted"],
           "precision": scored["precision"], "recall": scored["recall"],
           "seconds": result.seconds, "rows_scanned": result.rows_scanned, "run_id": result.run_id,
           "false_positives": scored["false_positives"], "missed": scored["missed"]}
    say(f"  {model_id}：线索 {row['clues']}，埋点 {row['planted']}，精确率 {row['precision']:.3f}，"
        f"召回率 {row['recall']:.3f}，{row['seconds']:.2f} 秒")
    return row


def score_pairs(found_pairs: set[tuple[str, str]], planted_rows: list[dict], limit: int = 10) -> dict:
    """Precision and recall of the (subject, rule) pairs a model found against the planted ones
    (rules are compared only when every planted row names one)."""
    with_rule = bool(planted_rows) and all(t.get("rule") for t in planted_rows)
    planted = {(t["subject"], t["rule"] if with_rule else "") for t in planted_rows}
    found = {(s, r if with_rule else "") for s, r in found_pairs}
    hit = len(found & planted)
    return {"found": len(found), "planted": len(planted),
            "precision": round(hit / len(found), 4) if found else (1.0 if not planted else 0.0),
            "recall": round(hit / len(planted), 4) if planted else 1.0,
            "false_positives": sorted(found - planted)[:limit], "missed": sorted(planted - found)[:limit]}


def _run_pairs(ws: Workspace, run_id: int) -> set[tuple[str, str]]:
    with ws.db.unit_of_work() as s:
        q = (s.query(Subject.key, Clue.rule).join(Clue, Clue.subject_id == Subject.id)
             .join(ClueRun, ClueRun.clue_id == Clue.id).filter(ClueRun.run_id == run_id))
        return {(k, r) for k, r in q}


def _current_hashes(ws: Workspace) -> dict[str, str]:
    with ws.db.unit_of_work() as s:
        q = (s.query(Dataset.name, DatasetVersion.content_hash)
             .join(DatasetVersion, (DatasetVersion.dataset_id == Dataset.id)
                   & (DatasetVersion.version == Dataset.current_version)))
        return {n: h for n, h in q}
