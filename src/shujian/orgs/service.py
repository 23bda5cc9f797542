"""The procuratorate tree (最高人民检察院 › 省院 › 市院 › 区县院), departments and users.

The tree is seeded from the packaged 统计用区划代码 (the same files the catalog uses), so an org's
``code`` is its division code; 最高检 is ``000000``.  Municipalities (北京、天津、上海、重庆) have no
市院 level in the division table: their 区县院 hang directly under the 省院.
"""

from __future__ import annotations

import csv
from collections.abc import Iterable
from importlib import resources

from sqlalchemy import insert
from sqlalchemy.orm import Session

from ..db.models import Department, Org, User
from ..errors import InputError, NotFound
from ..workspace import Workspace
from .roles import DEPARTMENTS, LEVELS, ROLES

SPP_CODE = "000000"
SPP_NAME = "最高人民检察院"
_PLACEHOLDER_CITIES = ("市辖区", "县", "省直辖县级行政区划", "自治区直辖县级行政区划")


def _rows(name: str) -> list[dict]:
    text = resources.files("shujian.divisions.data").joinpath(name).read_text(encoding="utf-8")
    return list(csv.DictReader(text.splitlines()))


def division_tree(provinces: Iterable[str] | None = None) -> list[tuple[str, str, str, str | None]]:
    """Rows ``(code, name, level, parent_code)`` of the procuratorate tree, parents first.

    >>> rows = division_tree(["33"])
    >>> rows[1][:3], rows[2][:3]
    (('33', '浙江省人民检察院', '省院'), ('3301', '杭州市人民检察院', '市院'))
    """
    wanted = set(provinces) if provinces else None
    prov = {r["code"]: r["name"] for r in _rows("provinces.csv") if not wanted or r["code"] in wanted}
    out: list[tuple[str, str, str, str | None]] = [(SPP_CODE, SPP_NAME, "最高检", None)]
    out += [(c, f"{n}人民检察院", "省院", SPP_CODE) for c, n in prov.items()]
    cities = {}
    for r in _rows("cities.csv"):
        if r["provinceCode"] in prov:
            cities[r["code"]] = r["name"]
            if r["name"] not in _PLACEHOLDER_CITIES:
                out.append((r["code"], f"{r['name']}人民检察院", "市院", r["provinceCode"]))
    for r in _rows("areas.csv"):
        if r["provinceCode"] not in prov:
            continue
        city = cities.get(r["cityCode"], "")
        real_city = city and city not in _PLACEHOLDER_CITIES
        prefix = city if real_city else prov[r["provinceCode"]]
        parent = r["cityCode"] if real_city else r["provinceCode"]
        out.append((r["code"], f"{prefix}{r['name']}人民检察院", "区县院", parent))
    return out


class OrgService:
    """Orgs, departments and users.  Every method owns its transaction."""

    def __init__(self, ws: Workspace):
        self.ws = ws

    # -- orgs -------------------------------------------------------------------------------------
    def seed(self, provinces: Iterable[str] | None = None, *, departments: bool = True) -> dict:
        """Create the procuratorate tree (idempotent); ``provinces`` limits it, e.g. ``["33"]``."""
        rows = division_tree(provinces)
        with self.ws.db.unit_of_work() as s:
            known = {code: oid for code, oid in s.query(Org.code, Org.id)}
            created = 0
            for level in LEVELS:          # parents first, one bulk insert per level
                batch = [{"code": c, "name": n, "level": lv, "parent_id": known.get(p) if p else None}
                         for c, n, lv, p in rows if lv == level and c not in known]
                if batch:
                    s.execute(insert(Org), batch)
                    created += len(batch)
                    known = {code: oid for code, oid in s.query(Org.code, Org.id)}
            if departments:
                _seed_departments(s, [known[c] for c, *_ in rows])
        return {"orgs": len(rows), "created": created}

    def get(self, ref: str | int) -> dict:
        with self.ws.db.unit_of_work() as s:
            return _org_dict(find_org(s, ref))

    def children(self, ref: str | int | None = None) -> list[dict]:
        with self.ws.db.unit_of_work() as s:
            parent = find_org(s, ref).id if ref is not None else None
            q = s.query(Org).filter(Org.parent_id == parent) if parent else s.query(Org).filter(Org.parent_id.is_(None))
            return [_org_dict(o) for o in q.order_by(Org.code)]

    def departments(self, ref: str | int) -> list[dict]:
        with self.ws.db.unit_of_work() as s:
            org = find_org(s, ref)
            return [{"id": d.id, "name": d.name, "line": d.line}
                    for d in s.query(Department).filter_by(org_id=org.id).order_by(Department.id)]

    # -- users ------------------------------------------------------------------------------------
    def add_user(self, username: str, name: str, org: str | int, roles: list[str],
                 department: str | None = None) -> dict:
        """Create a user in ``org`` (code, id or name) with ``roles``; refuses unknown roles."""
        with self.ws.db.unit_of_work() as s:
            return user_dict(s, new_user(s, username, name, org, roles, department))

    def users(self, org: str | int | None = None) -> list[dict]:
        with self.ws.db.unit_of_work() as s:
            q = s.query(User).order_by(User.id)
            if org is not None:
                q = q.filter(User.org_id == find_org(s, org).id)
            # every org and department in two queries, held here: user_dict's s.get then finds them in
            # the session instead of asking once per org and department (the account lists, the demo switcher)
            held = [*s.query(Org), *s.query(Department)]
            out = [user_dict(s, u) for u in q]
            del held
            return out

    def get_user(self, username: str) -> dict:
        with self.ws.db.unit_of_work() as s:
            return user_dict(s, find_user(s, username))


# ---------------------------------------------------------------------------------- session helpers
def new_user(s: Session, username: str, name: str, org: str | int, roles: list[str],
             department: str | None = None) -> User:
    """A new user row in ``org`` (code, id or name) with ``roles``, in the caller's transaction (so the
    account's password and audit record can commit with it); refuses unknown roles and taken names."""
    bad = [r for r in roles if r not in ROLES]
    if bad or not roles:
        raise InputError(f"用户 {username} 的角色 {'、'.join(bad) or '（空）'} 无效",
                         hint=f"可选角色：{'、'.join(ROLES)}")
    if s.query(User).filter_by(username=username).first():
        raise InputError(f"用户名 {username} 已存在", hint="换一个用户名")
    o = find_org(s, org)
    dept = _department(s, o, department) if department else None
    u = User(username=username, name=name, org_id=o.id, department_id=dept.id if dept else None, roles=list(roles))
    s.add(u)
    s.flush()
    return u


def find_org(s: Session, ref: str | int) -> Org:
    """An org by id, division code or exact name."""
    org = None
    if isinstance(ref, int):
        org = s.get(Org, ref)
    else:
        org = s.query(Org).filter((Org.code == ref) | (Org.name == ref)).first()
    if org is None:
        raise NotFound(f"检察院 {ref} 不存在", hint="用 shujian org seed 建立院机构树，或 shujian org list 查看")
    return org


def find_user(s: Session, username: str | int) -> User:
    u = s.get(User, username) if isinstance(username, int) else s.query(User).filter_by(username=username).first()
    if u is None:
        raise NotFound(f"用户 {username} 不存在", hint="用 shujian user add 新建，或 shujian user list 查看")
    return u


class OrgTree:
    """The whole org tree read in one query (id, parent, level): for code that asks about many orgs at
    once — the access layer's listing of governed models asked ``ancestors``/``descendants`` per model,
    ≈ 8 statements each, ~100 per page.  Same answers as the per-org functions below."""

    def __init__(self, rows: Iterable[tuple[int, int | None, str]]):
        self.parent: dict[int, int | None] = {}
        self.level: dict[int, str] = {}
        self.children: dict[int | None, list[int]] = {}
        for oid, parent, level in rows:
            self.parent[oid], self.level[oid] = parent, level
            self.children.setdefault(parent, []).append(oid)

    @classmethod
    def load(cls, s: Session) -> OrgTree:
        return cls(s.query(Org.id, Org.parent_id, Org.level))

    def ancestors(self, org_id: int | None) -> list[int]:
        out: list[int] = []
        while org_id is not None and org_id not in out:
            out.append(org_id)
            org_id = self.parent.get(org_id)
        return out

    def descendants(self, org_id: int) -> set[int]:
        out, todo = set(), [org_id]
        while todo:
            cur = todo.pop()
            if cur not in out:
                out.add(cur)
                todo.extend(self.children.get(cur, []))
        return out


def ancestors(s: Session, org_id: int | None) -> list[int]:
    """``org_id`` and its parents up to 最高检, nearest first."""
    out: list[int] = []
    while org_id is not None and org_id not in out:
        out.append(org_id)
        org_id = s.query(Org.parent_id).filter(Org.id == org_id).scalar()
    return out


def descendants(s: Session, org_id: int) -> set[int]:
    """``org_id`` and every org below it."""
    return OrgTree.load(s).descendants(org_id)


def _department(s: Session, org: Org, name: str) -> Department:
    d = s.query(Department).filter_by(org_id=org.id, name=name).first()
    if d is None:
        names = [x for (x,) in s.query(Department.name).filter_by(org_id=org.id)]
        raise NotFound(f"{org.name}没有部门“{name}”", hint=f"可选：{'、'.join(names) or '（尚无部门）'}")
    return d


def _seed_departments(s: Session, org_ids: list[int]) -> None:
    have = {(o, n) for o, n in s.query(Department.org_id, Department.name)}
    batch = [{"org_id": oid, "name": name, "line": line} for oid in org_ids for name, line in DEPARTMENTS
             if (oid, name) not in have]
    if batch:
        s.execute(insert(Department), batch)


def _org_dict(o: Org) -> dict:
    return {"id": o.id, "code": o.code, "name": o.name, "level": o.level, "parent_id": o.parent_id}


def user_dict(s: Session, u: User) -> dict:
    org = s.get(Org, u.org_id)
    dept = s.get(Department, u.department_id) if u.department_id else None
    return {"id": u.id, "username": u.username, "name": u.name, "org_id": u.org_id, "org": org.name if org else None,
            "department": dept.name if dept else None, "roles": list(u.roles or []), "active": u.active}
