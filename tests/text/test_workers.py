"""Large inputs of the text function go to worker processes, which answer exactly what this
process would; a worker that dies costs nothing but speed."""

from __future__ import annotations

import json
import threading

import duckdb
import pytest

from shujian.spec.text import TextStep
from shujian.text import workers
from shujian.text.udf import register_duckdb, screen_values
from shujian.text.workers import Pool

BODIES = ["来电人反映其在椒江区力美健身{n}号店办理年卡{n}元，现力美健身已关门，要求退费。",
          "建议推进一网通办，让数据多跑路、群众少跑路。第{n}条",
          "在丽人坊美容院充值{n}元，店铺已转让，新老板不认会员卡",
          "反映小区{n}号楼电梯晚上关门太早", None, "", "台州市椒江区星辰{n}教育培训学校"]


def texts(n: int) -> list:
    return [b if b is None else b.format(n=i) for i in range(n) for b in BODIES][:n]


def config() -> str:
    step = TextStep.model_validate({"field": "x", "rule": {"use": "prepaid-card"}, "merchant": "m",
                                    "merchant_key": "k", "name_key": "nk"})
    return json.dumps({"rule": step.rule.model_dump(mode="json", exclude_defaults=True),
                       "outputs": sorted(step.outputs())}, ensure_ascii=False)


@pytest.fixture
def pool(monkeypatch):
    monkeypatch.setenv("SHUJIAN_TEXT_WORKERS", "2")
    p = Pool(after=100, idle=30)
    yield p
    p.close()


def test_batches_after_the_threshold_go_to_workers_with_the_same_answer(pool):
    cfg, batches = config(), [texts(300)[i:i + 50] for i in range(0, 300, 50)]
    want = [screen_values(b, cfg) for b in batches]
    got: list = [None] * len(batches)
    seen = [0]

    def run(i: int) -> None:
        seen[0] += len(batches[i])
        got[i] = pool.screen(batches[i], cfg, (), seen[0])

    threads = [threading.Thread(target=run, args=(i,)) for i in range(len(batches))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert got == want
    assert len(pool._workers) == 2 and all(w.proc.poll() is None for w in pool._workers)
    assert sum(v for col in want for v in col["matched"]) > 10


def test_small_inputs_start_no_worker(pool):
    cfg = config()
    assert pool.screen(texts(40), cfg, (), 40) == screen_values(texts(40), cfg)
    assert pool._workers == []
    off = Pool(after=0)
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("SHUJIAN_TEXT_WORKERS", "0")
        assert off.screen(texts(40), cfg, (), 10_000) == screen_values(texts(40), cfg)
        assert off._workers == []


def test_a_dead_worker_costs_only_speed(pool):
    cfg = config()
    pool.screen(texts(10), cfg, (), 60)                  # half-way: the workers start
    for w in pool._workers:
        w.proc.kill()
        w.proc.wait()
    assert pool.screen(texts(80), cfg, (), 500) == screen_values(texts(80), cfg)
    assert pool._broken and pool._workers == []
    assert pool.screen(texts(80), cfg, (), 600) == screen_values(texts(80), cfg)


def test_an_error_in_a_worker_is_raised_here(pool):
    pool.screen(["x"], "{}", (), 60)
    with pytest.raises(json.JSONDecodeError):
        pool.screen(["x", "y"], "not json", (), 500)
    assert pool._workers and not pool._broken             # the worker lives on


def test_the_sql_function_on_workers_gives_the_in_process_rows(monkeypatch):
    """A DuckDB query over 6,000 rows on two threads: the same rows with and without workers."""
    monkeypatch.setenv("SHUJIAN_TEXT_WORKERS", "2")
    monkeypatch.setattr(workers, "POOL", Pool(after=2_048, idle=30))
    con = duckdb.connect(config={"threads": "2"})
    con.execute("CREATE TABLE t AS SELECT * FROM (VALUES " + ",".join(
        f"({i}, {'NULL' if t is None else repr(t)})" for i, t in enumerate(texts(6_000))) + ") v(id, x)")
    query = f"SELECT id, shujian_text(x, '{config()}') AS r FROM t ORDER BY id"
    register_duckdb(con)
    pooled = con.execute(query).fetchall()
    used = len(workers.POOL._workers)
    workers.POOL.close()
    monkeypatch.setenv("SHUJIAN_TEXT_WORKERS", "0")
    register_duckdb(con)
    alone = con.execute(query).fetchall()
    con.close()
    assert used == 2 and pooled == alone and len(alone) == 6_000
    assert sum(1 for _, r in alone if r["matched"]) > 500


def test_workers_by_default_only_on_an_idle_machine(monkeypatch):
    monkeypatch.delenv("SHUJIAN_TEXT_WORKERS", raising=False)
    monkeypatch.setattr(workers.os, "sched_getaffinity", lambda _: {0, 1}, raising=False)
    monkeypatch.setattr(workers, "_others_busy", lambda: 0.1)
    assert Pool.size() == 2
    monkeypatch.setattr(workers, "_others_busy", lambda: 3.0)
    assert Pool.size() == 0
    monkeypatch.setenv("SHUJIAN_TEXT_WORKERS", "3")
    assert Pool.size() == 3


def test_a_busy_machine_is_asked_again_only_after_a_while(monkeypatch):
    monkeypatch.delenv("SHUJIAN_TEXT_WORKERS", raising=False)
    asked = []
    monkeypatch.setattr(workers, "_others_busy", lambda: asked.append(1) or 3.0)
    pool, cfg = Pool(after=10, recheck=600), config()
    for seen in range(20, 200, 20):
        assert pool.screen(texts(20), cfg, (), seen) == screen_values(texts(20), cfg)
    assert len(asked) == 1 and pool._workers == []


def test_other_processes_are_told_from_this_one():
    busy = workers._others_busy(0.05)
    assert 0.0 <= busy <= (workers.os.cpu_count() or 1) + 0.5



def words_config() -> str:
    """The prepaid model's kind of call: words and merchant of matching rows only, no explanation."""
    data = json.loads(config())
    data.update(outputs=["merchant", "merchant_key", "words"], matched_only=True)
    return json.dumps(data, ensure_ascii=False)


@pytest.mark.parametrize("make", [config, words_config])
def test_arrow_batches_give_the_rows_of_screen_values_here_and_in_a_worker(pool, make):
    import pyarrow as pa

    from shujian.text.udf import FIELDS, screen_arrow

    cfg, values = make(), texts(300)
    want = screen_values(values, cfg)
    rows = [dict(zip(FIELDS, r, strict=True)) for r in zip(*(want[f] for f in FIELDS), strict=True)]
    assert screen_arrow(pa.array(values, pa.string()), cfg).to_pylist() == rows
    pool.screen_arrow(pa.array(values[:10], pa.string()), cfg, (), 60)        # half-way: workers start
    got = pool.screen_arrow(pa.array(values, pa.string()), cfg, (), 500)
    assert pool._workers and isinstance(got, pa.StructArray) and got.to_pylist() == rows
    assert any(r["merchant_key"] for r in rows) and any(r["words"] for r in rows)
    assert any(r["explain"] for r in rows) == ("explain" in json.loads(cfg)["outputs"])


def test_the_decision_is_taken_again_while_an_input_is_screened(monkeypatch):
    """Started on an idle machine, the workers stop once other processes keep the cores busy, and
    start again when they leave — decided from the CPU used between two batches, every
    ``recheck`` seconds (before: workers once started served the whole input)."""
    monkeypatch.delenv("SHUJIAN_TEXT_WORKERS", raising=False)
    monkeypatch.setattr(workers.os, "sched_getaffinity", lambda _: {0, 1}, raising=False)
    monkeypatch.setattr(workers, "_others_busy", lambda seconds=0.2: 0.1)      # idle at the start
    clock, machine = [100.0], [0.0]
    monkeypatch.setattr(workers, "_clock", lambda: clock[0], raising=False)
    monkeypatch.setattr(workers, "_counters", lambda pids: (clock[0], machine[0], 0.0), raising=False)
    pool, cfg, seen = Pool(after=100, idle=600, recheck=5), config(), [0]

    def batch(tick: float, others: float) -> None:
        clock[0] += tick
        machine[0] += tick * others     # CPU seconds other processes used meanwhile
        seen[0] += 80
        assert pool.screen(texts(80), cfg, (), seen[0]) == screen_values(texts(80), cfg)

    try:
        batch(1, 0.1)
        assert len(pool._workers) == 2
        batch(1, 1.8)                   # busy, but the next decision is not due
        assert len(pool._workers) == 2
        batch(5, 1.8)                   # due: 1.8 CPUs busy since the last one
        assert pool._workers == []
        batch(2, 0.1)
        assert pool._workers == []
        batch(5, 0.1)                   # idle again
        assert len(pool._workers) == 2 and all(w.proc.poll() is None for w in pool._workers)
    finally:
        pool.close()


def test_batches_of_the_c_loop_stay_in_this_process(monkeypatch):
    """On an idle machine with no ``SHUJIAN_TEXT_WORKERS``, a config the C loop screens (words and
    merchants without an explanation) starts no worker: its ≈ 3 µs a message is less than a worker's
    transport; one that builds explanations still goes to the workers."""
    from shujian.text import native

    if not native.enabled():
        pytest.skip("shujian.text._native not built or SHUJIAN_TEXT_NATIVE=0")
    monkeypatch.delenv("SHUJIAN_TEXT_WORKERS", raising=False)
    monkeypatch.setattr(workers.os, "sched_getaffinity", lambda _: {0, 1}, raising=False)
    monkeypatch.setattr(workers, "_others_busy", lambda seconds=0.2: 0.1)      # idle
    data = json.loads(config())
    fast = json.dumps({**data, "outputs": ["merchant", "merchant_key", "words"], "matched_only": True},
                      ensure_ascii=False)
    slow = json.dumps({**data, "outputs": ["explain", "words"]}, ensure_ascii=False)
    pool = Pool(after=100, idle=600)
    try:
        assert pool.screen(texts(300), fast, (), 300) == screen_values(texts(300), fast)
        assert pool._workers == []
        assert pool.screen(texts(300), slow, (), 300) == screen_values(texts(300), slow)
        assert len(pool._workers) == 2
    finally:
        pool.close()
