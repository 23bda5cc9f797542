"""A small world for workflow tests: 浙江 orgs, users with roles, and real clues from a model run."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from tests.runs.conftest import MODEL, custody_table, load, pension_table

from shujian.orgs.service import OrgService
from shujian.runs.service import RunService
from shujian.spec import load_model

CITY = "3310"        # 台州市人民检察院
DISTRICT = "331002"  # 台州市椒江区人民检察院
OTHER = "331003"     # 台州市黄岩区人民检察院


class Clock:
    """A controllable clock: ``clock.advance(days=61)``."""

    def __init__(self, start: datetime):
        self.now = start

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **kw) -> None:
        self.now += timedelta(**kw)


@pytest.fixture
def pension_model():
    return load_model(MODEL)


@pytest.fixture
def clock() -> Clock:
    return Clock(datetime(2026, 3, 2, 9, 0, tzinfo=UTC))


def seed_people(ws) -> None:
    orgs = OrgService(ws)
    orgs.seed(["33"])
    orgs.add_user("shi_lingdao", "王院长", CITY, ["院领导"])
    orgs.add_user("shi_shuzi", "陈分析", CITY, ["数字办"], department="案件管理部（数字检察办公室）")
    orgs.add_user("shi_zhixing", "周主任", CITY, ["部门负责人"], department="刑事执行检察部")
    orgs.add_user("jj_jcg", "李检察官", DISTRICT, ["检察官"], department="刑事执行检察部")
    orgs.add_user("jj_fzr", "赵主任", DISTRICT, ["部门负责人"], department="刑事执行检察部")
    orgs.add_user("hy_jcg", "孙检察官", OTHER, ["检察官"], department="刑事执行检察部")
    orgs.add_user("admin", "管理员", CITY, ["系统管理员"])


@pytest.fixture
def world(ws, pension_model, clock):
    """Orgs, users and two real clues (persons A and B) from the pension fixture model."""
    seed_people(ws)
    load(ws, "监所在押人员", custody_table())
    load(ws, "养老金发放", pension_table())
    result = RunService(ws, clock=clock).run(pension_model)
    assert result.clues_new == 2
    return ws


def make_clues(ws, model, n: int, *, model_id: str | None = None, rule: str = "R1") -> list[int]:
    """``n`` clues written through the real clue store for a recorded run (no engine: fast)."""
    from shujian.clues.store import ClueCandidate, store_clues
    from shujian.db.models import Run
    from shujian.runs.models import record_version

    mid = model_id or model.id
    with ws.db.unit_of_work() as s:
        mv = record_version(s, model, builtin=False)
        run = Run(model_id=mid, model_version_id=mv.id, model_hash=mv.hash, status="succeeded")
        s.add(run)
        s.flush()
        cands = [ClueCandidate(mid, rule, "person", f"3310021990010100{i:02d}", f"某{i}",
                               f"对象{i}服刑期间领取养老金{i + 1}个月", {"months": i + 1, "total": 1000.0 * (i + 1)},
                               "检察建议", [lb.model_dump() for lb in model.legal_basis]) for i in range(n)]
        return store_clues(s, run.id, cands).clue_ids


@pytest.fixture
def people(ws):
    seed_people(ws)
    return ws
