"""The procuratorate tree from division codes, departments, users and roles."""

from __future__ import annotations

import pytest

from shujian.errors import InputError, NotFound
from shujian.orgs.roles import DEPARTMENTS
from shujian.orgs.service import OrgService, ancestors, descendants, division_tree, find_org


def test_division_tree_levels_and_municipalities():
    rows = division_tree(["33", "11"])
    by_code = {c: (n, lv, p) for c, n, lv, p in rows}
    assert by_code["000000"] == ("最高人民检察院", "最高检", None)
    assert by_code["33"] == ("浙江省人民检察院", "省院", "000000")
    assert by_code["3310"] == ("台州市人民检察院", "市院", "33")
    assert by_code["331082"] == ("台州市临海市人民检察院", "区县院", "3310")
    assert "1101" not in by_code                                   # 北京 市辖区 is no 市院
    assert by_code["110105"] == ("北京市朝阳区人民检察院", "区县院", "11")
    assert len(division_tree()) == 1 + 31 + sum(1 for r in division_tree() if r[2] == "市院") + \
        sum(1 for r in division_tree() if r[2] == "区县院")


def test_seed_is_idempotent_and_builds_departments(ws):
    svc = OrgService(ws)
    first = svc.seed(["33"])
    assert first["created"] == first["orgs"] == 103
    assert svc.seed(["33"])["created"] == 0
    assert [d["name"] for d in svc.departments("3310")] == [n for n, _ in DEPARTMENTS]
    kids = svc.children("台州市人民检察院")
    assert [k["code"] for k in kids][:2] == ["331002", "331003"] and len(kids) == 9
    with ws.db.unit_of_work() as s:
        tz = find_org(s, "3310").id
        jj = find_org(s, "331002").id
        assert len(ancestors(s, jj)) == 4                          # 区 → 市 → 省 → 最高检
        assert jj in descendants(s, tz) and tz not in descendants(s, jj)


def test_users_have_valid_roles_and_departments(ws):
    svc = OrgService(ws)
    svc.seed(["33"])
    u = svc.add_user("li", "李检察官", "331002", ["检察官", "部门负责人"], department="刑事执行检察部")
    assert (u["org"], u["department"], u["roles"]) == ("台州市椒江区人民检察院", "刑事执行检察部", ["检察官", "部门负责人"])
    with pytest.raises(InputError, match="角色 超级用户 无效"):
        svc.add_user("x", "某", "3310", ["超级用户"])
    with pytest.raises(InputError, match="用户名 li 已存在"):
        svc.add_user("li", "另一个", "3310", ["检察官"])
    with pytest.raises(NotFound, match="没有部门“财务部”"):
        svc.add_user("y", "某", "3310", ["检察官"], department="财务部")
    with pytest.raises(NotFound, match="检察院 999999 不存在"):
        svc.add_user("z", "某", "999999", ["检察官"])
    assert [x["username"] for x in svc.users("331002")] == ["li"]
