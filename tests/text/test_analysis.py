"""Topic classification (rules without labels, a classifier on the users' labels), merchants, hotspots."""

from __future__ import annotations

import csv
from datetime import date, timedelta
from pathlib import Path

import pyarrow as pa
import pytest

from shujian.catalog.importer import ImportRequest
from shujian.catalog.service import CatalogService
from shujian.errors import InputError
from shujian.text import classify as topics
from shujian.text.analysis import (
    Source,
    add_labels,
    classify_dataset,
    hotspots,
    merchants_report,
    train_workspace,
)
from shujian.text.hotspots import find_bursts
from shujian.text.library import get_rule

TOPICS = Path(__file__).resolve().parents[1] / "fixtures" / "text" / "topics_labelled.tsv"


def labelled() -> list[dict]:
    with TOPICS.open(encoding="utf-8") as fh:
        return list(csv.DictReader(fh, delimiter="\t"))


def test_rules_classify_without_labels():
    assert topics.rule_topic("小区电梯经常坏，物业不修") == "城建物业"
    assert topics.rule_topic("包工头跑路，拖欠工资") == "劳动欠薪"
    assert topics.rule_topic("我在力美健身办卡，老板跑路了") == "消费者权益/预付式消费"
    assert topics.rule_topic("咨询护照办理进度") == "其他"
    assert topics.classify(["化工厂偷排污水"], None) == [("生态环境", "rules")]


def test_classifier_trains_on_labels_and_measures_each_class_on_held_out_labels():
    rows = labelled()
    model = topics.train([r["text"] for r in rows], [r["topic"] for r in rows])
    m = model.metrics
    assert m["held_out"] == pytest.approx(len(rows) * 0.2, abs=1) and m["trained_on"] == len(rows)
    assert set(m["per_class"]) == set(topics.TOPICS)
    assert all(0 <= v["precision"] <= 1 and v["support"] >= 1 for v in m["per_class"].values())
    assert m["accuracy"] > 0.5                      # 136 labels: far better than chance (1/9)
    assert model.predict(["某化工厂向河里偷排污水，鱼都死了"]) == ["生态环境"]
    with pytest.raises(InputError, match="标注太少"):
        topics.train(["a", "b"], ["教育", "交通"])


@pytest.fixture
def messages_ws(sqlite_ws):
    rows = labelled()
    CatalogService(sqlite_ws).import_arrow(ImportRequest(name="工单"), pa.table({
        "编号": [r["id"] for r in rows], "详情": [r["text"] for r in rows]}))
    return sqlite_ws


def test_labels_train_and_classify_a_dataset(messages_ws):
    src = Source("工单", ["详情"], "编号")
    before = classify_dataset(messages_ws, src)
    assert {r["by"] for r in before} == {"rules"}
    done = add_labels(messages_ws, src, {r["id"]: r["topic"] for r in labelled()} | {"NOPE": "教育"})
    assert done["labelled"] == len(labelled()) and done["missing"] == 1
    with pytest.raises(InputError, match="未知的话题"):
        add_labels(messages_ws, src, {"K0001": "天气"})
    model = train_workspace(messages_ws)
    assert topics.load_model(messages_ws).metrics == model.metrics
    after = classify_dataset(messages_ws, src)
    assert "model" in {r["by"] for r in after}


def test_merchants_are_aggregated_and_matched_to_the_registry(sqlite_ws):
    cat = CatalogService(sqlite_ws)
    cat.import_arrow(ImportRequest(name="工单"), pa.table({
        "编号": ["A", "B", "B", "C", "D", "E"],
        "时间": ["2025-03-01", "2025-03-02", "2025-03-02", "2025-03-05", "2025-03-06", "2025-03-07"],
        "详情": ["我在力美健身办卡3000元，老板跑路了", "力美健身房关门了，会员卡的钱不退", "力美健身房关门了，会员卡的钱不退",
               "在丽人坊美容院（东门店）充值5000元，店铺转让后不认卡", "小区门口的健身房噪音大",
               "在金悦达商贸充值了2000元的购物卡，现在人去楼空"]}))       # no business word: the registry names it
    cat.import_arrow(ImportRequest(name="登记"), pa.table({
        "统一社会信用代码": ["91331002MA2AAAAA1X", "91331002MA2BBBBB2X", "91331002MA2DDDDD4X"],
        "企业名称": ["台州市椒江区力美健身服务有限公司", "台州市椒江区丽人坊美容有限公司", "台州市椒江区金悦达商贸有限公司"]}))
    rows = merchants_report(sqlite_ws, Source("工单", ["详情"], "编号", "时间"), rule=get_rule("prepaid-card"),
                            registry=Source("登记", ["企业名称"]), registry_code="统一社会信用代码")
    by = {r["key"]: r for r in rows}
    assert by["力美健身"]["complaints"] == 2 and by["力美健身"]["uscc"] == "91331002MA2AAAAA1X"
    assert by["力美健身"]["score"] == 100.0 and by["力美健身"]["first"] == "2025-03-01"
    assert by["丽人坊美容院"]["uscc"] == "91331002MA2BBBBB2X" and by["丽人坊美容院"]["score"] >= 85
    assert by["金悦达商贸"]["uscc"] == "91331002MA2DDDDD4X" and by["金悦达商贸"]["tickets"] == ["E"]
    without = merchants_report(sqlite_ws, Source("工单", ["详情"], "编号", "时间"), rule=get_rule("prepaid-card"))
    assert "金悦达商贸" not in {r["key"] for r in without}


def test_bursts_against_each_groups_own_baseline():
    start, events = date(2025, 1, 1), []
    for i in range(60):
        day = (start + timedelta(days=i)).isoformat()
        events += [(f"t{i}-{j}", day, "交通", "") for j in range(20 + (i % 3))]      # busy and steady
        if i % 10 == 0:
            events.append((f"m{i}", day, "力美健身", ""))                              # quiet
    burst_day = (start + timedelta(days=45)).isoformat()
    events += [(f"b{j}", burst_day, "力美健身", "跑路") for j in range(5)]
    events += [("b0", burst_day, "力美健身", "跑路")]                                   # the same ticket twice
    bursts = find_bursts(events)
    assert [(b.group, b.day, b.count) for b in bursts] == [("力美健身", burst_day, 5)]
    assert len(bursts[0].messages) == 5 and bursts[0].threshold < 5


def test_hotspots_on_a_dataset(sqlite_ws):
    start = date(2025, 1, 1)
    keys, days, texts = [], [], []
    for i in range(40):
        keys.append(f"q{i}")
        days.append((start + timedelta(days=i)).isoformat())
        texts.append("小区电梯坏了，物业不修")
    for j in range(4):
        keys.append(f"p{j}")
        days.append((start + timedelta(days=30)).isoformat())
        texts.append("我在力美健身办卡3000元，老板跑路了")
    CatalogService(sqlite_ws).import_arrow(ImportRequest(name="工单"), pa.table({"编号": keys, "时间": days, "详情": texts}))
    src = Source("工单", ["详情"], "编号", "时间")
    by_topic = hotspots(sqlite_ws, src, "topic")
    assert [(b.group, b.count) for b in by_topic] == [("消费者权益/预付式消费", 4)]
    assert [b.group for b in hotspots(sqlite_ws, src, "merchant")] == ["力美健身"]
    with pytest.raises(InputError, match="地点列"):
        hotspots(sqlite_ws, src, "place")
