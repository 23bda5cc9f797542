"""The clue lifecycle as an enum-keyed table, and one check for every (state, action, role).

Every pair of the table is either allowed (for the roles the table names, leading to its target) or
refused in Chinese naming the state, the action and who could take it — through
``workflow.rules.check_transition`` (the service), ``permits`` (the web's offered actions) and
``security.access.allowed`` alike.
"""

from __future__ import annotations

import itertools

import pytest
from tests.workflow.conftest import CITY, DISTRICT, make_clues

from shujian.db.models import Clue, User
from shujian.errors import NotFound, PermissionDenied, TransitionRefused
from shujian.orgs.roles import ROLES
from shujian.orgs.service import find_org
from shujian.security.access import allowed
from shujian.workflow import rules
from shujian.workflow.rules import TABLE, TRANSITIONS, ClueAction, ClueState, check_transition, permits
from shujian.workflow.service import WorkflowService

#: the words stored in clues.state / clue_events before the enums: they must not change (no migration)
STORED_STATES = ("生成", "研判", "交办", "核查", "排除", "成案", "监督措施", "跟踪", "办结")
STORED_ACTIONS = ("研判", "交办", "核查", "排除", "成案", "监督措施", "跟踪", "办结", "退回", "重新打开")


def test_the_enums_keep_the_stored_words():
    assert tuple(ClueState) == STORED_STATES and rules.STATES == STORED_STATES
    assert tuple(ClueAction) == STORED_ACTIONS
    assert ClueState("生成") is ClueState.GENERATED and f"{ClueState.CASE}" == "成案"
    assert all(isinstance(k[0], ClueState) and isinstance(k[1], ClueAction) for k in TABLE)
    assert len(TABLE) == len(TRANSITIONS)          # no (state, action) pair twice


@pytest.mark.parametrize(("state", "action"), list(itertools.product(ClueState, ClueAction)))
def test_every_state_action_role_is_allowed_by_the_table_or_refused_naming_who_could(state, action):
    row = TABLE.get((state, action))
    sources = [t for t in TRANSITIONS if t.action == action]
    for role in ROLES:
        may = row is not None and role in row.roles
        assert permits(state, action, [role]) is may
        if may:
            assert check_transition(state, action, [role]) is row
            continue
        with pytest.raises((TransitionRefused, PermissionDenied)) as exc:
            check_transition(state, action, [role], what="线索 7（张*）", who=f"用户 某（{role}）")
        msg = exc.value.message
        assert f"“{state}”" in msg and f"“{action}”" in msg and msg.startswith(("线索 7（张*）", "用户 某"))
        if row is None:            # not from this state: which states and roles the action needs
            assert isinstance(exc.value, TransitionRefused)
            assert all(f"“{t.source}”" in msg and all(r in msg for r in t.roles) for t in sources)
            assert exc.value.hint == f"从“{state}”可执行：{rules.allowed_text(state)}"
        else:                      # not for this role: who could
            assert isinstance(exc.value, PermissionDenied)
            assert all(r in msg for r in row.roles) and exc.value.hint == f"需要角色：{'、'.join(sorted(row.roles))}"


def test_an_unknown_action_is_refused_listing_the_actions():
    with pytest.raises(TransitionRefused) as exc:
        check_transition("生成", "飞升", ["院领导"])
    assert "“飞升”不是线索流转操作" in exc.value.message and "重新打开" in exc.value.message


def test_the_local_operator_is_held_to_the_table_but_not_to_roles():
    assert check_transition("核查", "排除", None).target == "排除"
    with pytest.raises(TransitionRefused, match="当前状态为“办结”，不能执行“排除”"):
        check_transition("办结", "排除", None)


def test_access_allowed_asks_the_table_for_every_pair(people, pension_model):
    """access.allowed(user, action, clue) on a real clue held by the user's org, in each state."""
    ws = people
    cid = make_clues(ws, pension_model, 1)[0]
    with ws.db.unit_of_work() as s:
        s.get(Clue, cid).org_id = find_org(s, DISTRICT).id         # held by 椒江 (its 检察官 sees it)
    with ws.db.unit_of_work() as s:
        clue = s.get(Clue, cid)
        for username in ("jj_jcg", "jj_fzr", "hy_jcg"):
            user = s.query(User).filter_by(username=username).one()
            for state, action in itertools.product(ClueState, ClueAction):
                clue.state = state.value
                expected = username != "hy_jcg" and permits(state, action, user.roles)     # 黄岩: not its clue
                assert allowed(user, action.value, clue, session=s) is expected, (username, state, action)
        s.rollback()


def test_the_service_refuses_with_the_table_s_words(people, pension_model, clock):
    cid = make_clues(people, pension_model, 1)[0]
    wf = WorkflowService(people, clock=clock)
    with pytest.raises(TransitionRefused) as exc:
        wf.transition(cid, "核查", "shi_lingdao")
    assert "当前状态为“生成”，不能执行“核查”：“核查”只能在“交办”时由检察官、部门负责人、院领导执行" in exc.value.message
    with pytest.raises(NotFound):         # the pool is out of an admin's sight: as if missing, before any role
        wf.transition(cid, "研判", "admin")
    with people.db.unit_of_work() as s:   # held by the admin's own org: in sight, refused for the role
        s.get(Clue, cid).org_id = find_org(s, CITY).id
    with pytest.raises(PermissionDenied) as exc:
        wf.transition(cid, "研判", "admin")
    assert "在“生成”时该操作由数字办、检察官、部门负责人、院领导办理" in exc.value.message
