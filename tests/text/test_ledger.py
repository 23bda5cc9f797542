"""一本账 per 关键词订阅 (issue 18, item 2): screened, matched, confirmed, excluded, pushed, precision —
in ``shujian stats --by subscription``, ``shujian text sub stats``, the Excel export and the dashboard."""

from __future__ import annotations

import json

import openpyxl
from tests.text.test_subscriptions import FIRST, SECOND, imp, write

from shujian.cli.main import main
from shujian.clues.service import ClueService
from shujian.stats.service import parse_period
from shujian.stats.text import subscription_ledger, totals
from shujian.text.subscriptions import SubscriptionService
from shujian.web.dashboard import dashboard


def two_subscriptions(ws, tmp_path) -> tuple[int, int]:
    """预付卡投诉 (confirm mode: T1, T6 confirmed, T8 excluded) and 直推 (clue mode, its clue excluded)."""
    imp(ws, write(tmp_path, "v1.csv", FIRST))
    svc = SubscriptionService(ws)
    a = svc.create(name="预付卡投诉", dataset="12345工单", text_fields=["主题", "详情"], key_field="编号",
                   date_field="时间", rule_name="prepaid-card")["id"]
    b = svc.create(name="直推", dataset="12345工单", text_fields=["详情"], key_field="编号", rule_name="prepaid-card",
                   mode="clue")["id"]
    imp(ws, write(tmp_path, "v2.csv", FIRST + SECOND))               # screened by both, new messages only
    ids = {m["message_key"]: m["id"] for m in svc.matches(a)}
    svc.decide(a, [ids["T1"], ids["T6"]], "confirm")
    svc.decide(a, [ids["T8"]], "exclude", reason="测试：不算")
    pushed = [m for m in svc.matches(b) if m["message_key"] == "T1"][0]
    ClueService(ws).exclude(pushed["clue_id"], "测试")
    return a, b


def test_counts_per_subscription(ws, tmp_path):
    a, b = two_subscriptions(ws, tmp_path)
    rows = {r["subscription_id"]: r for r in subscription_ledger(ws, parse_period(None))}
    assert {k: rows[a][k] for k in ("screenings", "messages", "matched", "pending", "confirmed", "excluded",
                                    "pushed", "precision")} == {
        "screenings": 2, "messages": 8, "matched": 3, "pending": 0, "confirmed": 2, "excluded": 1, "pushed": 0,
        "precision": 0.6667}
    assert (rows[b]["matched"], rows[b]["pushed"], rows[b]["excluded"], rows[b]["precision"]) == (3, 3, 1, 0.0)
    total = totals(list(rows.values()))
    assert (total["messages"], total["matched"], total["confirmed"], total["excluded"]) == (16, 6, 2, 2)
    assert total["precision"] == 0.5
    old = subscription_ledger(ws, parse_period("2000"))              # a period before everything: zeros
    assert [r["matched"] for r in old] == [0, 0] and old[0]["precision"] is None


def test_ledger_in_the_stats_command_excel_and_dashboard(sqlite_ws, tmp_path, capsys):
    a, _ = two_subscriptions(sqlite_ws, tmp_path)
    assert main(["stats", "--by", "subscription", "--format", "json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["by"] == "subscription" and [r["name"] for r in out["rows"]] == ["预付卡投诉", "直推"]
    assert out["total"]["confirmed"] == 2
    assert main(["text", "sub", "stats", "--format", "json"]) == 0
    assert json.loads(capsys.readouterr().out)["rows"] == out["rows"]
    xlsx = tmp_path / "一本账.xlsx"
    assert main(["stats", "--xlsx", str(xlsx)]) == 0
    sheet = openpyxl.load_workbook(xlsx)["关键词订阅"]
    values = [[c.value for c in row] for row in sheet.iter_rows(min_row=2)]
    assert values[0][:3] == ["订阅", "数据集", "订阅人"] and values[0][-1] == "精确率"
    assert values[1][0] == "预付卡投诉" and values[1][-1] == 0.6667 and values[-1][0] == "合计"
    board = dashboard(sqlite_ws)["by_subscription"]
    assert [r["subscription_id"] for r in board][0] == a and board[0]["confirmed"] == 2
    assert dashboard(sqlite_ws, line="刑事执行检察")["by_subscription"] == []
