"""Walk the demo city's clues through the workflow so the ledger (一本账) has true numbers to show.

Deterministic for a seed: the same clues get the same outcomes.  Planted violations (ground truth)
are mostly verified and become cases; the rest are excluded with a 误报类型.  Some cases get a soft
measure (移送整改) first; some of those run past their deadline and escalate to a 检察建议.  Times
follow a simulated clock starting a few days after the demo data's cut-off date.
"""

from __future__ import annotations

import random
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta

from sqlalchemy import insert

from ..db.models import Clue, Dataset, DatasetVersion, Department, Org, Run, Subject, User
from ..orgs.roles import DEPARTMENTS
from ..orgs.service import OrgService
from ..workspace import Workspace
from .service import WorkflowService

CITY = "3310"                                  # 台州市: the demo city
EXCLUSION_WEIGHTS = (("数据错误", 4), ("法定例外", 3), ("证据不足", 2), ("重复", 1), ("其他", 1))
OUTSIDE_AGENCIES = ("法院", "看守所", "监狱", "检察", "公安", "本系统")


@dataclass
class WalkReport:
    clues: int = 0
    counts: dict[str, int] = field(default_factory=dict)
    money_recovered: float = 0.0

    def to_dict(self) -> dict:
        return {"clues": self.clues, "states": self.counts, "money_recovered": round(self.money_recovered, 2)}


class Clock:
    def __init__(self, start: datetime):
        self.now = start

    def __call__(self) -> datetime:
        return self.now

    def at(self, day: date) -> None:
        self.now = datetime(day.year, day.month, day.day, 9, 30, tzinfo=UTC)


def seed_demo_people(ws: Workspace) -> dict:
    """The 浙江 org tree and demo users: 台州市院 leaders/analysts and a team per 区县院 and 业务条线."""
    OrgService(ws).seed(["33"])
    with ws.db.unit_of_work() as s:
        if s.query(User).filter_by(username="tz_leader").first():
            return _people(s)
        city = s.query(Org).filter_by(code=CITY).one()
        # the demo models were run for the demo city (发起院): their unassigned clues are its pool
        s.query(Run).filter(Run.org_id.is_(None)).update({"org_id": city.id})
        districts = s.query(Org).filter_by(parent_id=city.id).order_by(Org.code).all()
        depts = {(d.org_id, d.line): d.id for d in s.query(Department) if d.line}
        rows = [_user("tz_leader", "台州院领导", city.id, None, ["院领导"]),
                _user("tz_digital", "台州数字办", city.id, None, ["数字办"]),
                _user("tz_digital2", "台州数字办复核", city.id, None, ["数字办"])]
        for _, line in DEPARTMENTS:
            if line:
                rows.append(_user(f"tz_{_slug(line)}_head", f"台州{line}部主任", city.id,
                                  depts[(city.id, line)], ["部门负责人"]))
        for d in districts:
            for _, line in DEPARTMENTS:
                if line:
                    rows.append(_user(f"{d.code}_{_slug(line)}", f"{d.name[3:-5]}{line}检察官", d.id,
                                      depts[(d.id, line)], ["检察官"]))
                    rows.append(_user(f"{d.code}_{_slug(line)}_head", f"{d.name[3:-5]}{line}部主任", d.id,
                                      depts[(d.id, line)], ["部门负责人"]))
        s.execute(insert(User), rows)
        return _people(s)


def _slug(line: str) -> str:
    return {"刑事检察": "xs", "民事检察": "ms", "行政检察": "xz", "公益诉讼检察": "gy", "刑事执行检察": "zx",
            "未成年人检察": "wj", "控告申诉检察": "ks"}.get(line, "qt")


def _user(username: str, name: str, org_id: int, dept_id: int | None, roles: list[str]) -> dict:
    return {"username": username, "name": name, "org_id": org_id, "department_id": dept_id, "roles": roles,
            "active": True, "created_at": datetime.now(UTC)}


def _people(s) -> dict:
    city = s.query(Org).filter_by(code=CITY).one()
    return {"districts": [o.code for o in s.query(Org).filter_by(parent_id=city.id).order_by(Org.code)]}


def walk_demo_clues(ws: Workspace, truth: dict[str, list[dict]], *, seed: int = 42, start: date,
                    say: Callable[[str], None] = lambda _m: None) -> WalkReport:
    """Work every demo clue still in 生成 to a deterministic outcome."""
    people = seed_demo_people(ws)
    rng = random.Random(seed)
    clock = Clock(datetime(start.year, start.month, start.day, 9, 0, tzinfo=UTC))
    wf = WorkflowService(ws, clock=clock)
    planted = {(m, t["subject"], t.get("rule") or "") for m, rows in truth.items() for t in rows}
    clues = _open_clues(ws)
    library = _library({c["model_id"] for c in clues})
    lines, agencies = {m.id: m.line for m in library}, _recipients(ws, library)
    walker = _Walker(wf, clock, rng, people["districts"], lines, agencies, start)
    walker.seed = seed
    for c in clues:
        is_true = (c["model_id"], c["subject"], c["rule"]) in planted or \
            (c["model_id"], c["subject"], "") in planted
        walker.walk(c, is_true)
    walker.finish()
    report = WalkReport(clues=len(clues), counts=dict(sorted(walker.final.items())),
                        money_recovered=walker.money)
    say(f"线索流转演示：{report.clues} 条线索，" + "、".join(f"{k} {v}" for k, v in report.counts.items())
        + f"，追回金额 {report.money_recovered:,.2f} 元")
    return report


def _open_clues(ws: Workspace) -> list[dict]:
    with ws.db.unit_of_work() as s:
        q = (s.query(Clue.id, Clue.model_id, Clue.rule, Subject.key, Clue.facts, Clue.measure)
             .join(Subject, Subject.id == Clue.subject_id).filter(Clue.state == "生成").order_by(Clue.id))
        return [{"id": i, "model_id": m, "rule": r, "subject": k, "facts": f or {}, "measure": me}
                for i, m, r, k, f, me in q]


def _library(model_ids: set[str]) -> list:
    """The built-in models among ``model_ids`` (only those: parsing every YAML file is slow)."""
    from ..errors import NotFound
    from ..models_library import get_model

    out = []
    for mid in sorted(model_ids):
        try:
            out.append(get_model(mid))
        except NotFound:
            continue
    return out


def _recipients(ws: Workspace, library: list) -> dict[str, str]:
    """主送机关 per model: the agency that supplied its first non-judicial input dataset."""
    with ws.db.unit_of_work() as s:
        agency = {n: a for n, a in s.query(Dataset.name, DatasetVersion.agency)
                  .join(DatasetVersion, DatasetVersion.dataset_id == Dataset.id) if a}
    out = {}
    for m in library:
        names = [agency.get(i.dataset) for i in m.inputs.values() if agency.get(i.dataset)]
        outside = [a for a in names if not any(x in a for x in OUTSIDE_AGENCIES)]
        out[m.id] = (outside or names or ["【主送机关】"])[0]
    return out


MONEY_KEY = re.compile(r"金额|支付合计|^total$|^amount$")
RECIPIENT_KEYS = ("发放机构", "支付单位")


def _money(facts: dict) -> float:
    """The amount paid out wrongly, from the clue's facts (金额合计, 统筹支付合计 …)."""
    for key, v in facts.items():
        if MONEY_KEY.search(key) and isinstance(v, (int, float)) and not isinstance(v, bool) and v > 0:
            return float(v)
    return 0.0


def _recipient(c: dict, agencies: dict[str, str]) -> str | None:
    """主送机关: the paying agency named in the facts, else the agency that supplied the model's data."""
    for key in RECIPIENT_KEYS:
        if c["facts"].get(key):
            return str(c["facts"][key])
    return agencies.get(c["model_id"])


class _Walker:
    def __init__(self, wf, clock, rng, districts, lines, agencies, start):
        self.wf, self.clock, self.rng = wf, clock, rng
        self.districts, self.lines, self.agencies, self.start = districts, lines, agencies, start
        self.final: dict[str, int] = {}
        self.money = 0.0
        self.case_no = 0
        self.late_soft: list[tuple[int, str]] = []

    def day(self, offset: int) -> date:
        d = self.start + timedelta(days=offset)
        self.clock.at(d)
        return d

    def walk(self, c: dict, is_true: bool) -> None:
        # one generator per clue: a clue left in 生成 stays there when the demo is run again
        cid = c["id"]
        self.rng = random.Random(f"{self.seed}:{cid}")
        r = self.rng.random()
        base = self.rng.randint(0, 20)
        if r < 0.08:                                         # still waiting for 研判
            return self._done("生成")
        self.day(base)
        self.wf.transition(cid, "研判", "tz_digital", reason="数字办初筛")
        if not is_true or self.rng.random() < 0.05:
            kind = self.rng.choices([k for k, _ in EXCLUSION_WEIGHTS], [w for _, w in EXCLUSION_WEIGHTS])[0]
            self.wf.transition(cid, "排除", "tz_digital", exclusion_type=kind, reason="初筛排除")
            return self._done("排除")
        line = self.lines.get(c["model_id"], "刑事执行检察")
        district = self._district(c["subject"])
        user = f"{district}_{_slug(line)}"
        self.day(base + 2)
        self.wf.transition(cid, "交办", f"tz_{_slug(line)}_head", org=district, assignee=user,
                           department=_dept_name(line), deadline=self.start + timedelta(days=base + 32))
        if self.rng.random() < 0.12:                          # not yet accepted: shows as overdue
            return self._done("交办")
        self.day(base + 5)
        self.wf.transition(cid, "核查", user)
        if self.rng.random() < 0.1:
            self.day(base + 15)
            self.wf.transition(cid, "排除", user, exclusion_type="已整改", reason="核查时已自行整改")
            return self._done("排除")
        if self.rng.random() < 0.1:
            return self._done("核查")
        self._case(c, cid, district, user, line, base)

    def _case(self, c: dict, cid: int, district: str, user: str, line: str, base: int) -> None:
        self.case_no += 1
        self.day(base + 18)
        self.wf.transition(cid, "成案", user, case_number=f"{district}检{_slug(line)}监〔2026〕{self.case_no}号")
        soft = self.rng.random() < 0.25
        kind = "移送整改" if soft else (c["measure"] if c["measure"] in _measures() else "检察建议")
        issued = self.day(base + 22)
        m = self.wf.add_measure(cid, user, kind, doc_number=f"{district}检建〔2026〕{self.case_no}号",
                                recipient=_recipient(c, self.agencies), issued_on=issued,
                                reply_deadline=issued + timedelta(days=30) if soft else None)
        if soft and self.rng.random() < 0.4:                 # soft transfer ignored: escalate later
            self.late_soft.append((cid, user))
            return self._done("监督措施")
        if self.rng.random() < 0.15:                          # reply still pending
            return self._done("监督措施")
        self._reply(m, user, c, on_time=self.rng.random() < 0.85)
        if self.rng.random() < 0.7:
            self.day(base + 80)
            self.wf.transition(cid, "办结", f"{district}_{_slug(line)}_head", reason="整改到位")
            return self._done("办结")
        self._done("跟踪")

    def _reply(self, m: dict, user: str, c: dict, *, on_time: bool) -> None:
        deadline = date.fromisoformat(m["reply_deadline"]) if m["reply_deadline"] else self.clock().date()
        replied = deadline - timedelta(days=self.rng.randint(3, 20)) if on_time else \
            deadline + timedelta(days=self.rng.randint(3, 15))
        self.clock.at(replied)
        adopted = self.rng.random() < 0.9
        money = _money(c["facts"]) if adopted else 0.0
        gov = [self.rng.choice(("会签机制", "规范性文件", "专项整治"))] if self.rng.random() < 0.15 else []
        self.wf.record_reply(m["measure_id"], user, replied_on=replied, reply="已收悉并整改" if adopted else "部分采纳",
                             adopted=adopted, rectified=adopted, money_recovered=money, people_affected=1,
                             governance=gov)
        self.money += money

    def finish(self) -> None:
        """Let soft deadlines pass, flag them overdue and escalate half of them to 检察建议."""
        if not self.late_soft:
            return
        self.day(90)
        self.wf.check_overdue()
        for cid, user in self.late_soft:
            if self.rng.random() < 0.5:
                self.wf.escalate(cid, user, "检察建议", reason="移送整改逾期未整改，依法发出检察建议")
        self.day(95)
        self.wf.supervise(self.late_soft[0][0], "tz_leader", self.start + timedelta(days=120), "市院挂牌督办")

    def _district(self, subject: str) -> str:
        code = subject[:6] if subject[:6].isdigit() else ""
        return code if code in self.districts else self.districts[self.rng.randrange(len(self.districts))]

    def _done(self, state: str) -> None:
        self.final[state] = self.final.get(state, 0) + 1


def register_demo_models(ws: Workspace, model_ids: list[str], *, start: date,
                         say: Callable[[str], None] = lambda _m: None) -> dict[str, str]:
    """Put the demo models through governance: 提交 → 双认证 → 试运行 → 上架 (by measured accuracy)."""
    from ..errors import ShujianError
    from ..governance.rules import EVALUATIONS
    from ..governance.service import GovernanceService
    from ..models_library import model_path

    clock = Clock(datetime(start.year, start.month, start.day, 9, 0, tzinfo=UTC))
    gov = GovernanceService(ws, clock=clock)
    ok = {e: {"passed": True, "comment": "演示：同意"} for e in EVALUATIONS}
    states = {}
    for mid in model_ids:
        try:
            states[mid] = gov.get(mid)["state"]      # already governed (demo run again): leave it
            continue
        except ShujianError:
            pass
        clock.at(start - timedelta(days=30))
        gov.save(model_path(mid).read_text(encoding="utf-8"), "tz_digital")
        gov.submit(mid, "tz_digital")
        gov.certify(mid, "业务认证", "tz_leader", ok)
        gov.certify(mid, "数字认证", "tz_digital2", ok)
        gov.advance(mid, "试运行", "tz_digital")
        clock.at(start + timedelta(days=100))
        try:
            out = gov.advance(mid, "上架", "tz_leader", scope="市")
            if (out["trial_accuracy"] or 0) >= 0.9:
                out = gov.advance(mid, "推广", "tz_leader", scope="省")
            states[mid] = out["state"]
        except ShujianError:                      # nothing checked yet: stays in 试运行
            states[mid] = "试运行"
    say("模型治理演示：" + "、".join(f"{k} {v}" for k, v in sorted(states.items())))
    return states


def _dept_name(line: str) -> str:
    return next(n for n, ln in DEPARTMENTS if ln == line)


def _measures() -> tuple[str, ...]:
    from .rules import MEASURES

    return tuple(MEASURES)
