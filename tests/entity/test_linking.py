"""Linking the hand-made set: namesakes apart, variants merged, stable IDs, review decisions honoured."""

from __future__ import annotations

from collections import defaultdict

import duckdb
from entity_people import PANJUE, TRUTH, import_people, table

from shujian.entity.service import EntityService
from shujian.security.audit import AuditLog

DATASETS = {"公安户籍": None, "法院判决": None, "社保参保": None}


def _subject_of(ws) -> dict[tuple[str, int], str]:
    with ws.warehouse() as wh:
        rows = wh.execute("SELECT source_name, source_row, subject_id FROM er_members").fetchall()
    return {(n, r): s for n, r, s in rows}


def _clusters(subject_of) -> set[frozenset]:
    groups = defaultdict(set)
    for rec, sid in subject_of.items():
        groups[sid].add(rec)
    return {frozenset(g) for g in groups.values()}


def _truth_clusters() -> set[frozenset]:
    groups = defaultdict(set)
    for rec, person in TRUTH.items():
        groups[person].add(rec)
    return {frozenset(g) for g in groups.values()}


def test_links_variants_and_keeps_namesakes_apart(people_ws):
    summary = EntityService(people_ws).link_persons(DATASETS)
    assert summary["records"] == len(TRUTH) and summary["trained"] is False
    subject_of = _subject_of(people_ws)
    assert _clusters(subject_of) == _truth_clusters()
    # spelled out: the two 张伟 and the two 王芳 stay apart; 張偉 / 15-digit / homophone / swap merge
    assert subject_of[("公安户籍", 1)] != subject_of[("公安户籍", 2)]
    assert subject_of[("法院判决", 4)] == subject_of[("公安户籍", 4)] != subject_of[("法院判决", 5)]
    assert subject_of[("法院判决", 1)] == subject_of[("公安户籍", 1)] == subject_of[("社保参保", 3)]
    assert subject_of[("社保参保", 1)] == subject_of[("公安户籍", 3)]
    assert subject_of[("法院判决", 6)] == subject_of[("公安户籍", 5)]
    assert subject_of[("社保参保", 2)] == subject_of[("公安户籍", 6)]


def test_pairs_carry_probability_and_compared_fields(people_ws):
    EntityService(people_ws).link_persons(DATASETS)
    with people_ws.warehouse() as wh:
        rows = wh.execute("""SELECT p.probability, p.compared FROM er_pairs p
            JOIN er_members l ON l.source_ref = p.source_ref_l AND l.source_row = p.source_row_l
            JOIN er_members r ON r.source_ref = p.source_ref_r AND r.source_row = p.source_row_r
            WHERE list_sort([l.source_name, r.source_name]) = ['公安户籍', '法院判决'] AND l.name_n = '王芳'
              AND r.name_n = '王芳' AND p.subject_l = p.subject_r""").fetchall()
    assert len(rows) == 1
    prob, compared = rows[0]
    assert 0.8 <= prob <= 1.0
    assert "出生日期:日月颠倒" in compared and "身份证号:缺失" in compared and "姓名:相同" in compared


def test_subject_ids_stable_across_relinks_and_new_imports(people_ws):
    svc = EntityService(people_ws)
    first = svc.link_persons(DATASETS)
    ids1 = _subject_of(people_ws)
    second = svc.link_persons(DATASETS)
    assert _subject_of(people_ws) == ids1
    assert second["kept"] == first["subjects"] and second["new"] == 0
    # a new version of 法院判决 with one more person: old subjects keep their IDs, one new subject
    import_people_again = [*PANJUE, ("赵六", "1999年9月9日", "男", "上海市黄浦区南京东路1号", "H")]
    from shujian.catalog.importer import ImportRequest
    from shujian.catalog.service import CatalogService

    CatalogService(people_ws).import_arrow(ImportRequest(name="法院判决", agency="法院"),
                                           table(import_people_again, ["姓名", "出生日期", "性别", "住址"]))
    third = svc.link_persons(DATASETS)
    ids3 = _subject_of(people_ws)
    assert {k: v for k, v in ids3.items() if k in ids1} == ids1
    assert third["new"] == 1 and ids3[("法院判决", 7)] not in set(ids1.values())


def test_review_decisions_are_honoured_and_audited(ws):
    # on SQLite and on PostgreSQL: decisions are rows of the metadata store
    import_people(ws)
    people_ws = ws
    svc = EntityService(people_ws)
    svc.link_persons(DATASETS)
    ids = _subject_of(people_ws)
    with people_ws.warehouse() as wh:
        fps = dict(((n, r), fp) for n, r, fp in wh.execute(
            "SELECT source_name, source_row, fingerprint FROM er_members").fetchall())
    # the model linked 王芳 (判决, swapped date) to 王芳 (户籍): a reviewer says 不同人
    assert ids[("法院判决", 4)] == ids[("公安户籍", 4)]
    svc.decide(fps[("法院判决", 4)], fps[("公安户籍", 4)], same=False, reason="户籍照片比对不符")
    # and says the two 张伟 are one person (against the model)
    svc.decide(fps[("公安户籍", 1)], fps[("公安户籍", 2)], same=True, reason="同一人两次登记")
    svc.link_persons(DATASETS)
    ids = _subject_of(people_ws)
    assert ids[("法院判决", 4)] != ids[("公安户籍", 4)]
    assert ids[("公安户籍", 1)] == ids[("公安户籍", 2)]
    actions = [r["action"] for r in AuditLog(people_ws).search(action="entity.")]
    assert actions.count("entity.review") == 2 and "entity.link" in actions
    assert [d["decision"] for d in svc.decisions()] == ["不同人", "同一人"]


def test_review_queue_lists_uncertain_pairs_side_by_side(sqlite_ws):
    # 王芳 with a swapped date and nothing else in common sits between the thresholds
    import_people(sqlite_ws)
    svc = EntityService(sqlite_ws)
    svc.link_persons(DATASETS)
    with sqlite_ws.warehouse() as wh:
        bands = dict(wh.execute("SELECT band, count(*) FROM er_pairs GROUP BY band").fetchall())
    queue = svc.review_queue()
    assert len(queue) == bands.get("review", 0)
    for item in queue:
        assert item["name_l"] and item["name_r"] and 0.8 <= item["probability"] < 0.99
        assert item["id_l"] is None or "*" in item["id_l"]           # masked
    assert isinstance(duckdb.__version__, str)


def test_rejected_pair_stays_apart_through_a_third_record(people_ws):
    """判决 1 张伟, 户籍 1 张伟 and 社保 3 张伟 are one cluster, each pair linked; a reviewer says 判决 1
    and 社保 3 are 不同人.  The old clustering kept all three together (户籍 1 linked both); now the two
    rejected records get different subject IDs and the third stays with one of them."""
    svc = EntityService(people_ws)
    svc.link_persons(DATASETS)
    ids = _subject_of(people_ws)
    a, b, c = ("法院判决", 1), ("社保参保", 3), ("公安户籍", 1)
    assert ids[a] == ids[b] == ids[c]
    with people_ws.warehouse() as wh:
        fps = dict(((n, r), fp) for n, r, fp in wh.execute(
            "SELECT source_name, source_row, fingerprint FROM er_members").fetchall())
    svc.decide(fps[a], fps[b], same=False, reason="身份证照片不符")
    svc.link_persons(DATASETS)
    ids = _subject_of(people_ws)
    assert ids[a] != ids[b]
    assert ids[c] in (ids[a], ids[b])
    # the other clusters are untouched
    others = _clusters(ids)
    untouched = {g for g in _truth_clusters() if not g & {a, b, c}}
    assert untouched <= others
