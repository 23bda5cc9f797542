"""The model lifecycle as an enum-keyed table, and one check for every (state, action, role).

Every pair is either allowed for the roles the table names (leading to its target) or refused in
Chinese naming the state, the action and who could take it — through ``governance.rules.check_transition``
(the service), ``permits`` (the model page's actions) and ``security.access.allowed`` alike.
"""

from __future__ import annotations

import itertools

import pytest
from tests.governance.test_governance import SOURCE
from tests.workflow.conftest import seed_people

from shujian.db.models import GovModel, User
from shujian.errors import PermissionDenied, TransitionRefused
from shujian.governance import rules
from shujian.governance.rules import TRANSITIONS, GovAction, GovState, check_transition, permits
from shujian.governance.service import GovernanceService
from shujian.orgs.roles import ROLES
from shujian.security.access import allowed

STORED_STATES = ("草稿", "提交", "业务认证", "数字认证", "试运行", "上架", "推广", "下架")
STORED_ACTIONS = ("提交", "业务认证", "数字认证", "试运行", "上架", "推广", "下架", "退回")


def test_the_enums_keep_the_stored_words():
    assert tuple(GovState) == STORED_STATES and rules.STATES == STORED_STATES
    assert tuple(GovAction) == STORED_ACTIONS and tuple(TRANSITIONS) == STORED_ACTIONS
    assert all(isinstance(a, GovAction) and all(isinstance(s, GovState) for s in r.sources) and
               isinstance(r.target, GovState) for a, r in TRANSITIONS.items())
    assert rules.LISTED == ("上架", "推广")


@pytest.mark.parametrize(("state", "action"), list(itertools.product(GovState, GovAction)))
def test_every_state_action_role_is_allowed_by_the_table_or_refused_naming_who_could(state, action):
    rule = TRANSITIONS[action]
    for role in ROLES:
        may = state in rule.sources and role in rule.roles
        assert permits(state, action, [role]) is may
        if may:
            assert check_transition(state, action, [role]) is rule.target
            continue
        with pytest.raises((TransitionRefused, PermissionDenied)) as exc:
            check_transition(state, action, [role], what="模型 m-1", who=f"用户 某（{role}）")
        msg = exc.value.message
        assert f"“{state}”" in msg and f"“{action}”" in msg and all(r in msg for r in rule.roles)
        if state not in rule.sources:
            assert isinstance(exc.value, TransitionRefused)
            assert all(f"“{s}”" in msg for s in rule.sources)           # from where it could be taken
            assert exc.value.hint.startswith(f"从“{state}”可执行：")
        else:
            assert isinstance(exc.value, PermissionDenied) and exc.value.hint == f"需要角色：{'、'.join(sorted(rule.roles))}"


def test_an_unknown_action_is_refused():
    with pytest.raises(TransitionRefused, match="“发布”不是模型治理操作"):
        check_transition("草稿", "发布", ["院领导"])


def test_access_allowed_asks_the_table_for_every_pair(ws):
    seed_people(ws)
    GovernanceService(ws).save(SOURCE, "jj_jcg")
    with ws.db.unit_of_work() as s:
        gm = s.query(GovModel).one()
        for username in ("shi_lingdao", "shi_shuzi", "jj_fzr"):
            user = s.query(User).filter_by(username=username).one()
            for state, action in itertools.product(GovState, GovAction):
                gm.state = state.value
                assert allowed(user, action.value, gm, session=s) is permits(state, action, user.roles)
        s.rollback()
