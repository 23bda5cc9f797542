"""The set-based clue store: batches of one run, a row met again in a later batch, re-runs, subjects."""

from __future__ import annotations

from shujian.clues.store import ClueCandidate, ClueWriter, exclude, store_clues
from shujian.db.models import Clue, ClueEvidence, ClueRun, ModelVersion, Run, Subject


def _run(s) -> int:
    mv = s.query(ModelVersion).filter_by(model_id="m").one_or_none()
    if mv is None:
        mv = ModelVersion(model_id="m", version="1", hash="h", source="-")
        s.add(mv)
        s.flush()
    run = Run(model_id="m", model_version_id=mv.id, model_hash="h", status="running")
    s.add(run)
    s.flush()
    return run.id


def _cand(i: int, months: int = 3, name: str | None = "某人", rows=(1, 2)) -> ClueCandidate:
    return ClueCandidate("m", "R1", "person", f"k{i}", name, f"对象{i}", {"months": months}, "检察建议",
                         [{"name": "法"}], [("r", "ds", 5, row) for row in rows])


def test_batches_of_one_run_make_one_clue_per_fingerprint_and_the_last_row_wins(ws):
    with ws.db.unit_of_work() as s:
        writer = ClueWriter(s, _run(s))
        writer.add([_cand(1), _cand(2), _cand(1, months=4, rows=(7,))])      # repeated within a batch
        writer.add([_cand(3), _cand(2, months=9, rows=(8, 9))])               # … and in a later batch
        res = writer.result
    assert (res.new, res.seen, len(res.clue_ids)) == (3, 0, 3)
    with ws.db.unit_of_work() as s:
        by_key = {c.subject.key: c for c in s.query(Clue)}
        assert by_key["k1"].facts == {"months": 4} and by_key["k2"].facts == {"months": 9}
        rows = sorted(e.row_id for e in s.query(ClueEvidence).filter_by(clue_id=by_key["k2"].id))
        assert rows == [8, 9]
        assert s.query(ClueRun).count() == 3 and s.query(Subject).count() == 3


def test_rerun_refreshes_suppresses_and_reopens_in_sql(ws):
    with ws.db.unit_of_work() as s:
        ids = store_clues(s, _run(s), [_cand(1), _cand(2), _cand(3, name=None)]).clue_ids
    with ws.db.unit_of_work() as s:
        exclude(s, ids[0], "误报")
        exclude(s, ids[1], "误报")
        # the same session: the exclusion is not committed yet, the store must see it
        res = store_clues(s, _run(s), [_cand(1), _cand(2, months=5), _cand(3, name="王五"), _cand(4)])
    assert (res.new, res.seen, res.suppressed, res.reopened) == (1, 1, 1, 1)
    assert res.clue_ids[:3] == ids
    with ws.db.unit_of_work() as s:
        c1, c2, c3 = (s.get(Clue, i) for i in ids)
        assert c1.suppressed and c1.state == "排除" and c1.seen_count == 2
        assert not c2.suppressed and c2.state == "生成" and c2.facts == {"months": 5}
        assert c3.subject.name == "王五" and c3.seen_count == 2
        assert s.query(ClueRun).count() == 7 and s.query(ClueEvidence).count() == 14
