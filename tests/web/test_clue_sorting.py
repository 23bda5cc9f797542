"""Clue list sorting and paging happen in the query: every sortable column, both directions, page by page."""

from __future__ import annotations

import random
from datetime import date, datetime, timedelta

import pytest
from fastapi.testclient import TestClient

from shujian.clues.service import SORTABLE
from shujian.db.models import Clue, Subject
from shujian.web.app import create_app

from .conftest import copy_workspace

N = 37
PAGE = 8


@pytest.fixture(scope="module")
def sort_client(seeded_home, tmp_path_factory):
    """A workspace with N extra clues of varied values (some deadlines empty, repeated values for ties)."""
    ws = copy_workspace(seeded_home, tmp_path_factory.mktemp("sort") / "home")
    rnd = random.Random(7)
    base = datetime(2026, 1, 1, 8, 0)
    with ws.db.unit_of_work() as s:
        for i in range(N):
            subj = Subject(type="person", key=f"sort-{i}", name=None)
            s.add(subj)
            s.flush()
            s.add(Clue(fingerprint=f"sort-fp-{i}", model_id=rnd.choice(["m-a", "m-b", "m-c"]), rule="r",
                       subject_id=subj.id, title=f"排序测试 {i}", facts={}, facts_hash="x",
                       state=rnd.choice(["生成", "研判", "交办"]), first_run_id=1, last_run_id=1,
                       first_seen=base + timedelta(days=rnd.randint(0, 5)),
                       last_seen=base + timedelta(days=rnd.randint(5, 9), hours=i % 3),
                       seen_count=rnd.randint(1, 4),
                       deadline=None if i % 4 == 0 else date(2026, 3, 1) + timedelta(days=rnd.randint(0, 6))))
    app = create_app(workspace=ws)
    with TestClient(app, raise_server_exceptions=False) as c:
        yield c
    ws.close()


def _walk(client: TestClient, sort: str) -> list[dict]:
    items, page = [], 1
    while True:
        body = client.get(f"/api/v1/clues?page_size={PAGE}&page={page}&sort={sort}").json()
        items += body["items"]
        if page >= body["pages"]:
            return items + [{"total": body["total"]}]
        page += 1


def _expected(rows: list[dict], key: str, desc: bool) -> list[int]:
    present = [r for r in rows if r[key] is not None]
    missing = [r for r in rows if r[key] is None]
    ordered = sorted(present, key=lambda r: (r[key], r["clue_id"]), reverse=desc)
    return [r["clue_id"] for r in ordered] + sorted((r["clue_id"] for r in missing), reverse=desc)


@pytest.mark.parametrize("key", SORTABLE)
@pytest.mark.parametrize("desc", [False, True], ids=["asc", "desc"])
def test_every_sortable_column_pages_in_order(sort_client, key, desc):
    everything = sort_client.get("/api/v1/clues?page_size=200").json()
    assert everything["total"] >= N
    walked = _walk(sort_client, ("-" if desc else "") + key)
    total = walked.pop()["total"]
    assert total == everything["total"] and len(walked) == total
    assert len({r["clue_id"] for r in walked}) == total          # no clue on two pages, none skipped
    assert [r["clue_id"] for r in walked] == _expected(everything["items"], key, desc)


def test_deadline_empty_values_come_last_both_ways(sort_client):
    for sort in ("deadline", "-deadline"):
        walked = _walk(sort_client, sort)[:-1]
        flags = [r["deadline"] is None for r in walked]
        assert flags == sorted(flags) and any(flags) and not all(flags)


def test_sort_with_a_filter_and_unknown_sort_key(sort_client):
    body = sort_client.get("/api/v1/clues?model_id=m-b&sort=-seen_count&page_size=200").json()
    counts = [r["seen_count"] for r in body["items"]]
    assert body["total"] == len(counts) > 0 and counts == sorted(counts, reverse=True)
    assert {r["model_id"] for r in body["items"]} == {"m-b"}
    plain = sort_client.get("/api/v1/clues?sort=no_such_column&page_size=5").json()
    assert [r["clue_id"] for r in plain["items"]] == sorted(r["clue_id"] for r in plain["items"])


def _fill(ws, n: int = 23) -> None:
    rnd = random.Random(3)
    with ws.db.unit_of_work() as s:
        for i in range(n):
            subj = Subject(type="person", key=f"pg-{i}", name=None)
            s.add(subj)
            s.flush()
            s.add(Clue(fingerprint=f"pg-fp-{i}", model_id=rnd.choice(["m-a", "m-b"]), rule="r", subject_id=subj.id,
                       title="t", facts={}, facts_hash="x", state=rnd.choice(["生成", "研判"]), first_run_id=1,
                       last_run_id=1, first_seen=datetime(2026, 1, 1) + timedelta(days=rnd.randint(0, 3)),
                       last_seen=datetime(2026, 2, 1) + timedelta(hours=rnd.randint(0, 3)),
                       seen_count=rnd.randint(1, 3),
                       deadline=None if i % 3 == 0 else date(2026, 3, 1) + timedelta(days=rnd.randint(0, 4))))


@pytest.mark.parametrize("key", SORTABLE)
def test_service_pages_agree_with_one_sorted_query_on_sqlite_and_postgres(ws, key):
    """The query layer itself (ClueService.list with sort, limit, offset) on both metadata stores."""
    from shujian.clues.service import ClueService

    _fill(ws)
    svc = ClueService(ws)
    for sort in (key, "-" + key):
        whole = [r["clue_id"] for r in svc.list(sort=sort, limit=1000)]
        paged = [r["clue_id"] for off in range(0, len(whole), 5) for r in svc.list(sort=sort, limit=5, offset=off)]
        assert paged == whole and len(set(whole)) == len(whole) == 23
        rows = {r["clue_id"]: r for r in svc.list(limit=1000)}
        values = [rows[i][key] for i in whole]
        present = [v for v in values if v is not None]
        if key not in ("model_id", "state"):            # text order is the database's collation
            assert present == sorted(present, reverse=sort.startswith("-"))
        assert values[len(present):] == [None] * (len(values) - len(present))   # empty deadlines last
