"""关键词订阅: subscribe → new import → only new messages screened → inbox → confirm/exclude → precision."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

from shujian.catalog.importer import ImportRequest
from shujian.catalog.service import CatalogService
from shujian.clues.service import ClueService
from shujian.errors import InputError
from shujian.text.subscriptions import SubscriptionService

HEADER = ["编号", "主题", "详情", "时间"]
FIRST = [
    ["T1", "预付卡", "我在力美健身办卡3000元，现在老板跑路了", "2025-03-01"],
    ["T2", "建议", "让数据多跑路，群众少跑路", "2025-03-01"],
    ["T3", "噪音", "晚上很难再关门闭窗_x000D_睡不着", "2025-03-02"],
    ["T4", "食品", "饭店卫生差，要求责令停业整改", "2025-03-02"],
    ["T1", "预付卡", "我在力美健身办卡3000元，现在老板跑路了", "2025-03-01"],     # duplicated ticket row
    ["T5", "", "", "2025-03-03"],
]
SECOND = [
    ["T6", "美容", "在丽人坊美容院充值5000元，店铺已转让，新老板不认会员卡", "2025-04-01"],
    ["T7", "话费", "手机话费充值后不到账，要求退款", "2025-04-01"],
    ["T8", "培训", "星辰教育培训学校收了一年学费后停课，负责人失联", "2025-04-02"],
]


def write(tmp_path: Path, name: str, rows: list[list[str]]) -> Path:
    folder = tmp_path / "exports"
    folder.mkdir(exist_ok=True)
    path = folder / name
    with path.open("w", encoding="utf-8", newline="") as fh:
        csv.writer(fh).writerows([HEADER, *rows])
    return path


def imp(ws, path: Path) -> None:
    CatalogService(ws).import_file(ImportRequest(name="12345工单", path=path))


@pytest.fixture
def subscribed(ws, tmp_path):
    imp(ws, write(tmp_path, "v1.csv", FIRST))
    svc = SubscriptionService(ws)
    sub = svc.create(name="预付卡投诉", dataset="12345工单", text_fields=["主题", "详情"], key_field="编号",
                     date_field="时间", rule_name="prepaid-card")
    return ws, svc, sub


def test_subscribe_screens_the_current_data_once(subscribed):
    ws, svc, sub = subscribed
    first = sub["screenings"][0]
    assert first["messages"] == 5 and first["matched"] == 1                 # T1 once; T1's duplicate row not counted
    assert first["quality"]["problems"] == {"empty": 1, "excel_escape": 1, "line_break": 1}
    matches = svc.matches(sub["id"])
    assert [m["message_key"] for m in matches] == ["T1"]
    assert matches[0]["merchant"] == "力美健身" and "办卡" in matches[0]["explanation"]
    assert svc.screen(sub["id"]) == []                                        # nothing new


def test_a_new_import_is_screened_incrementally(subscribed, tmp_path):
    ws, svc, sub = subscribed
    imp(ws, write(tmp_path, "v2.csv", FIRST + SECOND))                      # the new export repeats the old rows
    info = svc.get(sub["id"])
    assert info["screenings"] == 2 and info["messages"] == 5 + 3
    assert sorted(m["message_key"] for m in svc.matches(sub["id"])) == ["T1", "T6", "T8"]
    imp(ws, write(tmp_path, "v3.csv", SECOND))                              # an overlapping delta: nothing new
    assert svc.get(sub["id"])["matches"] == 3


def test_confirm_and_exclude_feed_the_precision(subscribed, tmp_path):
    ws, svc, sub = subscribed
    imp(ws, write(tmp_path, "v2.csv", SECOND))
    ids = {m["message_key"]: m["id"] for m in svc.matches(sub["id"])}
    with pytest.raises(InputError, match="理由"):
        svc.decide(sub["id"], [ids["T8"]], "exclude")
    done = svc.decide(sub["id"], [ids["T1"], ids["T6"]], "confirm")
    assert done["decided"] == 2 and done["run_id"]
    after = svc.decide(sub["id"], [ids["T8"], ids["T1"]], "exclude", reason="测试：不是预付卡")
    assert after["decided"] == 1 and after["skipped"] == 1                    # T1 was already confirmed
    info = after["subscription"]
    assert (info["confirmed"], info["excluded"], info["precision"]) == (2, 1, 0.6667)
    clues = ClueService(ws).list()
    assert len(clues) == 2 and {c["subject"]["key"] for c in clues} == {"12345工单:T1", "12345工单:T6"}
    clue = ClueService(ws).get(next(c["clue_id"] for c in clues if c["subject"]["key"] == "12345工单:T1"))
    assert "邻近 办卡" in clue["facts"]["命中解释"] and clue["facts"]["被反映对象"] == "力美健身"
    assert clue["evidence"] and clue["evidence"][0]["dataset"] == "12345工单"


def test_clue_mode_pushes_at_once_and_workflow_exclusions_count(ws, tmp_path):
    imp(ws, write(tmp_path, "v1.csv", FIRST))
    svc = SubscriptionService(ws)
    sub = svc.create(name="直推", dataset="12345工单", text_fields=["详情"], key_field="编号",
                     rule_name="prepaid-card", mode="clue")
    assert [m["status"] for m in svc.matches(sub["id"])] == ["pushed"]
    clue_id = svc.matches(sub["id"])[0]["clue_id"]
    ClueService(ws).exclude(clue_id, "测试")
    info = svc.get(sub["id"])
    assert (info["pushed"], info["excluded"], info["precision"]) == (1, 1, 0.0)


def test_bad_subscriptions_are_refused(ws, tmp_path):
    imp(ws, write(tmp_path, "v1.csv", FIRST))
    svc = SubscriptionService(ws)
    with pytest.raises(InputError, match="没有列 正文"):
        svc.create(name="x", dataset="12345工单", text_fields=["正文"], rule_name="prepaid-card")
    with pytest.raises(InputError, match="文本规则有误"):
        svc.create(name="x", dataset="12345工单", text_fields=["详情"], rule={"any": ["~(x"]})


def test_a_connector_pull_is_screened(sqlite_ws, tmp_path):
    """A database source (here a SQLite file an agency system writes) pulled into a new version is
    screened like an import: first the pull of two messages, then an incremental pull of one more."""
    import sqlite3

    from shujian.catalog.connectors import DbPull

    db = tmp_path / "hotline.db"
    con = sqlite3.connect(db)
    con.execute("CREATE TABLE 工单 (编号 TEXT PRIMARY KEY, 主题 TEXT, 详情 TEXT, 时间 TEXT)")
    con.executemany("INSERT INTO 工单 VALUES (?, ?, ?, ?)", FIRST[:2])
    con.commit()
    pull = DbPull(url=f"sqlite:///{db}", table="工单", check_column="编号", merge_key=["编号"])
    cat = CatalogService(sqlite_ws)
    cat.import_db(ImportRequest(name="12345工单"), pull)
    svc = SubscriptionService(sqlite_ws)
    sub = svc.create(name="预付卡", dataset="12345工单", text_fields=["主题", "详情"], key_field="编号",
                     rule_name="prepaid-card")
    assert [m["message_key"] for m in svc.matches(sub["id"])] == ["T1"]
    con.executemany("INSERT INTO 工单 VALUES (?, ?, ?, ?)", [SECOND[0]])
    con.commit()
    con.close()
    cat.import_db(ImportRequest(name="12345工单"), pull)
    info = svc.get(sub["id"])
    assert info["screenings"] == 2 and info["messages"] == 3
    assert sorted(m["message_key"] for m in svc.matches(sub["id"])) == ["T1", "T6"]


def test_the_worker_screens_versions_no_import_screened(sqlite_ws, tmp_path, capsys):
    """A version imported while the subscription was paused is screened by the worker's next tick."""
    from shujian.cli.main import main

    imp(sqlite_ws, write(tmp_path, "v1.csv", FIRST))
    svc = SubscriptionService(sqlite_ws)
    sub = svc.create(name="预付卡", dataset="12345工单", text_fields=["详情"], key_field="编号",
                     rule_name="prepaid-card")
    svc.set_active(sub["id"], False)
    imp(sqlite_ws, write(tmp_path, "v2.csv", SECOND))
    assert svc.get(sub["id"])["screenings"] == 1                       # paused: not screened on import
    svc.set_active(sub["id"], True)
    assert main(["worker", "--once"]) == 0
    out = capsys.readouterr().out
    assert f"订阅 {sub['id']} 第 2 版：新消息 3 条，命中 2 条" in out
    assert sorted(m["message_key"] for m in svc.matches(sub["id"])) == ["T1", "T6", "T8"]
