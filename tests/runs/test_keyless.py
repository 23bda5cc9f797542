"""Clue identity when the subject key is empty: every such output row is its own clue (never merged
with another row), with a deterministic identity from its source rows, so a re-run finds the same clues."""

from __future__ import annotations

import pyarrow as pa

from shujian.catalog.importer import ImportRequest
from shujian.catalog.service import CatalogService
from shujian.clues.service import ClueService
from shujian.clues.store import KEYLESS_PREFIX, keyless_key
from shujian.runs.service import RunService
from shujian.spec import load_model

MODEL = {
    "id": "subsidy-check", "name": "补贴复核", "line": "测试", "point": "测试",
    "inputs": {"paid": {"dataset": "补贴发放名单", "fields": {"person": "身份证号", "name": "姓名", "amount": "金额"}}},
    "steps": [{"id": "big", "from": "paid", "filter": "amount > 100"}],
    "output": {"subject": {"type": "person", "key": "person", "name": "name"}, "title": "{name}领取补贴{amount}元",
               "facts": ["amount"]},
}
ROWS = [("110105194912310021", "张三", 500.0), (None, "李四", 300.0), ("", "王五", 200.0), ("  ", "赵六", 150.0),
        ("无", "钱七", 120.0), ("NULL", "孙八", 110.0), ("110105194912310021", "张三", 50.0)]


def load_rows(ws) -> None:
    table = pa.table({"身份证号": [r[0] for r in ROWS], "姓名": [r[1] for r in ROWS], "金额": [r[2] for r in ROWS]})
    CatalogService(ws).import_arrow(ImportRequest(name="补贴发放名单", agency="民政局"), table)


def test_rows_without_a_key_are_never_merged(ws):
    load_rows(ws)
    model = load_model(MODEL)
    first = RunService(ws).run(model)
    assert (first.rows_out, first.keyless_rows, first.clues_new) == (6, 5, 6)
    clues = ClueService(ws).list(model_id="subsidy-check")
    by_name = {c["subject"]["name"]: c for c in clues}
    assert set(by_name) == {"张三", "李四", "王五", "赵六", "钱七", "孙八"}
    for name in ("李四", "王五", "赵六", "钱七", "孙八"):     # name, title and evidence from one person's row
        c = by_name[name]
        assert c["subject"]["key"].startswith(KEYLESS_PREFIX) and c["title"].startswith(name)
        (evidence,) = ClueService(ws).get(c["clue_id"])["evidence"]
        (row,) = evidence["rows"]
        assert row[evidence["columns"].index("姓名")] == name
    assert by_name["张三"]["subject"]["key"] == "110105194912310021"
    assert len({c["subject"]["key"] for c in clues}) == 6

    again = RunService(ws).run(model)                     # deterministic: the same clues, none new
    assert (again.clues_new, again.clues_seen, again.keyless_rows) == (0, 6, 5)
    assert RunService(ws).get_run(again.run_id)["keyless_rows"] == 5


def test_keyless_identity_comes_from_the_source_rows():
    a = keyless_key([(7, 3), (7, 1)], {"name": "李四"})
    assert a == keyless_key([(7, 1), (7, 3), (7, 1)], {"name": "别的"})      # order and repeats do not matter
    assert a != keyless_key([(7, 1)], {"name": "李四"}) != keyless_key([(8, 1), (7, 3)], {})
    assert keyless_key([], {"name": "李四", "amount": 1}) == keyless_key([], {"amount": 1, "name": "李四"})
    assert keyless_key([], {"name": "李四"}) != keyless_key([], {"name": "王五"})
