"""A run numbers its clues in one order whatever order the engine returned its rows in: by subject key, rule,
then the other columns. Two runs of the same model on the same data give the same clue numbers and facts,
so anything seeded per clue id (the demo's workflow walk) and a user's "clue 12" mean the same clue."""

from __future__ import annotations

import pyarrow as pa

from shujian.catalog.importer import ImportRequest
from shujian.catalog.service import CatalogService
from shujian.clues.service import ClueService
from shujian.runs.service import RunService, stable_order
from shujian.spec import load_model

ROWS = [("330102199001011234", "周九", 900.0), ("110105194912310021", "张三", 500.0),
        ("220102198502023456", "吴十", 700.0), ("110105194912310021", "张三", 650.0),
        ("310101197707077777", "郑一", 300.0)]


def model(mid: str, dataset: str) -> dict:
    return {
        "id": mid, "name": "补贴复核", "line": "测试", "point": "测试",
        "inputs": {"paid": {"dataset": dataset, "fields": {"person": "身份证号", "name": "姓名", "amount": "金额"}}},
        "steps": [{"id": "big", "from": "paid", "filter": "amount > 100"}],
        "output": {"subject": {"type": "person", "key": "person", "name": "name"},
                   "title": "{name}领取补贴{amount}元", "facts": ["amount"]},
    }


def load(ws, name: str, rows: list[tuple]) -> None:
    table = pa.table({"身份证号": [r[0] for r in rows], "姓名": [r[1] for r in rows], "金额": [r[2] for r in rows]})
    CatalogService(ws).import_arrow(ImportRequest(name=name, agency="民政局"), table)


def numbered(ws, mid: str) -> list[tuple[str, float]]:
    clues = sorted(ClueService(ws).list(model_id=mid), key=lambda c: c["clue_id"])
    return [(c["subject"]["key"], ClueService(ws).get(c["clue_id"])["facts"]["amount"]) for c in clues]


def test_clue_numbers_and_facts_do_not_depend_on_row_order(ws):
    load(ws, "补贴名单甲", ROWS)
    load(ws, "补贴名单乙", ROWS[::-1])
    RunService(ws).run(load_model(model("order-a", "补贴名单甲")))
    RunService(ws).run(load_model(model("order-b", "补贴名单乙")))
    a, b = numbered(ws, "order-a"), numbered(ws, "order-b")
    assert a == b
    assert [k for k, _ in a] == sorted({r[0] for r in ROWS})          # numbered by subject key
    assert dict(a)["110105194912310021"] == 650.0                      # of one subject's rows, the last in order


def test_stable_order_sorts_what_can_be_sorted_and_keeps_lists():
    t = pa.table({"k": ["b", "a", "b", None], "n": [2, 1, 1, 5], "ids": [[1], [2, 3], [4], []]})
    out = stable_order(t, ("k",))
    assert out.column("k").to_pylist() == ["a", "b", "b", None]
    assert out.column("n").to_pylist() == [1, 1, 2, 5]
    assert out.column("ids").to_pylist() == [[2, 3], [4], [1], []]
    assert stable_order(t.slice(0, 1), ("k",)).equals(t.slice(0, 1))
