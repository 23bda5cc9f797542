"""Permission matrix, on SQLite and PostgreSQL: every API route, called as every role, is allowed exactly
when the role holds the route's action.  A new route without an expectation (an action) fails
:func:`test_matrix`."""

from __future__ import annotations

import re

import pytest
from fastapi.testclient import TestClient

from shujian.orgs.roles import ROLES
from shujian.security.permissions import granted

from .conftest import A_DATASET, ROLE_USER, bearer
from .test_permissions import flat_routes, route_action

PATH_VALUES = {"name": A_DATASET, "column": "身份证号", "model_id": "pension-during-custody", "ref": "3310",
               "run_id": "1", "job_id": "1", "request_id": "1", "measure_id": "1",
               "username": "b_jcg", "attachment_id": "1",      # user administration, clue attachments
               "sub_id": "1"}                                  # 关键词订阅


def _url(path: str, clue_id: int) -> str:
    values = {**PATH_VALUES, "clue_id": str(clue_id)}
    return re.sub(r"\{(\w+)(:\w+)?\}", lambda m: values[m.group(1)], path)


def _denied_by_authorizer(resp, action: str) -> bool:
    if resp.status_code != 403:
        return False
    from shujian.security.permissions import action_label

    return f"无权“{action_label(action)}”" in resp.json()["error"]["message"]


def test_matrix(seeded_db, db_client):
    ws, ids = seeded_db
    app_client = db_client
    headers = {role: bearer(ws, user) for role, user in ROLE_USER.items()}
    routes = [r for r in flat_routes(app_client.fastapi_app) if r.path.startswith("/api/v1/")
              and r.path != "/api/v1/openapi.json"]
    assert len(routes) > 40
    problems, calls = [], 0
    for route in routes:
        action = route_action(route)
        assert action is not None, f"{route.path} declares no action: add require(...) and an expectation"
        for method in sorted(route.methods - {"HEAD"}):
            url = _url(route.path, ids["a"])
            for role in ROLES:
                kw = {"json": {}} if method in ("POST", "PUT", "PATCH") else {}
                resp = app_client.request(method, url, headers=headers[role], **kw)
                calls += 1
                assert resp.status_code != 401, f"{method} {url} as {role}: token refused"
                assert resp.status_code < 500, f"{method} {url} as {role}: {resp.status_code} {resp.text[:200]}"
                expected = granted([role], action)
                if expected == _denied_by_authorizer(resp, action):
                    problems.append(f"{method} {url} as {role}: expected {'allow' if expected else 'deny'}, "
                                    f"got {resp.status_code}")
    assert not problems, "\n".join(problems)
    assert calls >= len(routes) * len(ROLES)


def test_no_credentials_is_401_everywhere(db_client):
    app_client = db_client
    for route in flat_routes(app_client.fastapi_app):
        if route.path.startswith("/api/v1/") and route.path != "/api/v1/openapi.json":
            method = sorted(route.methods - {"HEAD"})[0]
            resp = app_client.request(method, _url(route.path, 1), headers={"accept": "application/json"})
            assert resp.status_code == 401, f"{method} {route.path}: {resp.status_code}"
            assert resp.json()["error"]["code"] == "unauthorized"


def test_pages_redirect_to_login_without_session(db_client):
    app_client = db_client
    for path in ("/", "/clues", "/data", "/audit", "/admin/users"):
        resp = app_client.get(path, headers={"accept": "text/html"}, follow_redirects=False)
        assert resp.status_code == 303 and resp.headers["location"].startswith("/login?next=")


# ---------------------------------------------------------------------------------- scope × masking matrix
# Generated from the route table like test_matrix: every route × role × object (own/sibling/parent/pool),
# on one seeded SQLite workspace.  Out-of-scope objects must be "不存在" (404, never 403/409/200); no
# response body — HTML, JSON, xlsx or docx — may carry an identifier or a fixture name in clear.

CARD = "6222021234567890128"        # a Luhn-valid bank card number planted in a free-text fact
PHONE = "13800138000"
#: clue kinds: (承办院 code or None, the run's 发起院 code for a pool clue)
CLUE_KINDS = {"own_a": ("331002", None), "sibling_b": ("331003", None), "parent_city": ("3310", None),
              "province": ("33", None), "pool_city": (None, "3310"), "pool_b": (None, "331003")}
#: dataset kinds: name → 所属院 code (None: platform-shared)
DATASET_KINDS = {A_DATASET: "331002", "养老金发放": None, "市院数据": "3310"}
DRAFT = "draft-of-district-a"


def _clear_values() -> list[str]:
    from tests.runs.conftest import A, B, C

    return [A, B, C, PHONE, CARD, "张三", "李四"]


_ID_RE = re.compile(r"(?<![0-9A-Za-z])(\d{17}[\dX]|1[3-9]\d{9})(?![0-9A-Za-z])")


def _leaks(text: str) -> list[str]:
    found = [v for v in _clear_values() if v in text]
    return found + _ID_RE.findall(text)


def _body_text(resp) -> str:
    import io
    import zipfile

    kind = resp.headers.get("content-type", "")
    if "openxmlformats" in kind or resp.content[:2] == b"PK":
        with zipfile.ZipFile(io.BytesIO(resp.content)) as z:
            return "".join(z.read(n).decode("utf-8", "replace") for n in z.namelist() if n.endswith(".xml"))
    return resp.text


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    """The seed plus one clue of each kind (copies of clue a with its evidence, a planted phone and card in a
    free-text fact, the name and full ID in the title, a 检察建议 for the docx draft), three datasets and a
    district's model draft."""
    import pyarrow as pa
    from tests.runs.conftest import load

    from shujian.config import load_settings
    from shujian.db.models import Clue, ClueEvidence, Dataset, Org, Run, SupervisionMeasure
    from shujian.governance.service import GovernanceService
    from shujian.orgs.service import OrgService
    from shujian.workspace import Workspace

    from .conftest import seed

    home = tmp_path_factory.mktemp("matrix") / "home"
    ws = Workspace(load_settings(home=home, database_url=f"sqlite:///{home / 'metadata.sqlite'}")).ensure()
    ids = seed(ws, passwords=())
    OrgService(ws).add_user("a_sz", "a_sz", "331002", ["数字办"])
    load(ws, "市院数据", pa.table({"身份证号": [_clear_values()[0]], "姓名": ["张三"], "备注": [f"电话 {PHONE}"]}))
    from tests.runs.conftest import MODEL
    GovernanceService(ws).save(MODEL.read_text(encoding="utf-8").replace("id: pension-during-custody", f"id: {DRAFT}"),
                               "a_sz")
    clues = {}
    with ws.db.unit_of_work() as s:
        org = {o.code: o.id for o in s.query(Org).filter(Org.code.in_(["33", "3310", "331002", "331003"]))}
        s.query(Dataset).filter_by(name="市院数据").update({"org_id": org["3310"]})
        base = s.get(Clue, ids["a"])
        evidence = s.query(ClueEvidence).filter_by(clue_id=base.id).all()
        first = s.get(Run, base.first_run_id)
        runs = {}
        for code in ("3310", "331003"):
            r = Run(model_id=first.model_id, model_version_id=first.model_version_id, model_hash=first.model_hash,
                    status="succeeded", org_id=org[code])
            s.add(r)
            s.flush()
            runs[code] = r.id
        name = base.subject.name or "张三"
        for kind, (held, ran) in CLUE_KINDS.items():
            c = Clue(fingerprint=f"matrix-{kind}", model_id=base.model_id, rule=base.rule, subject_id=base.subject_id,
                     title=f"{name}（{base.subject.key}）{kind}", facts={**(base.facts or {}),
                                                                      "备注": f"电话 {PHONE}，卡号 {CARD}"},
                     facts_hash="x", measure=base.measure, legal_basis=base.legal_basis, state="生成",
                     first_run_id=runs[ran] if ran else base.first_run_id, last_run_id=base.last_run_id,
                     first_seen=base.first_seen, last_seen=base.last_seen, seen_count=1,
                     org_id=org[held] if held else None)
            s.add(c)
            s.flush()
            for e in evidence:
                s.add(ClueEvidence(clue_id=c.id, run_id=e.run_id, role=e.role, dataset=e.dataset,
                                   dataset_version_id=e.dataset_version_id, row_id=e.row_id))
            s.add(SupervisionMeasure(clue_id=c.id, kind="检察建议", intensity="正式", recipient="某局",
                                     doc_number="测〔2026〕1号", issued_on=base.first_seen.date()))
            clues[kind] = c.id
    yield ws, clues
    ws.close()


def _visible(ws, username: str, kind: str) -> bool:
    """The oracle, from the org tree alone: held by the user's org or one below; a pool clue only for a
    pool role of the org (or one above) whose run produced it."""
    from shujian.db.models import Org
    from shujian.orgs.service import OrgService, descendants

    u = OrgService(ws).get_user(username)
    held, ran = CLUE_KINDS[kind]
    with ws.db.unit_of_work() as s:
        below = descendants(s, u["org_id"])
        code = {o.id: o.code for o in s.query(Org).filter(Org.id.in_(below))}
    codes = set(code.values())
    if held is not None:
        return held in codes
    return bool({"数字办", "院领导", "部门负责人"} & set(u["roles"])) and ran in codes


def _dataset_visible(ws, username: str, name: str) -> bool:
    from shujian.db.models import Org
    from shujian.orgs.service import OrgService, descendants

    owner = DATASET_KINDS[name]
    if owner is None:
        return True
    u = OrgService(ws).get_user(username)
    with ws.db.unit_of_work() as s:
        return owner in {o.code for o in s.query(Org).filter(Org.id.in_(descendants(s, u["org_id"])))}


#: the matrix's users: every role, plus a 区县院 user with a pool role (the sibling/parent cases need one)
MATRIX_USERS = {**ROLE_USER, "区县数字办": "a_sz", "兄弟院检察官": "b_jcg"}


def test_scope_and_masking_matrix(world):
    """Every route × role × object kind: out-of-scope is 404, and no body shows a personal value in clear."""
    from .conftest import production_app

    ws, clues = world
    app = production_app(ws)
    problems, calls = [], 0
    with TestClient(app, raise_server_exceptions=False) as client:
        headers = {role: bearer(ws, user) for role, user in MATRIX_USERS.items()}
        for route in flat_routes(app):
            if route.path in ("/api/v1/openapi.json", "/api/docs", "/docs/oauth2-redirect", "/login", "/logout") \
                    or route.path.startswith("/static"):
                continue
            action = route_action(route)
            for method in sorted(route.methods - {"HEAD"}):
                api = route.path.startswith("/api/")
                if method != "GET" and not api:
                    continue                   # page forms: CSRF first (no object is reached)
                for role, user in MATRIX_USERS.items():
                    for url, visible in _cases(ws, route.path, user, clues, method):
                        kw = {"json": {}} if method in ("POST", "PUT", "PATCH") else {}
                        resp = client.request(method, url, headers={**headers[role], "accept": "text/html"}, **kw)
                        calls += 1
                        problems += _check(resp, method, url, role, action, visible)
    assert not problems, "\n".join(problems[:40])
    assert calls > 500


def _cases(ws, path: str, user: str, clues: dict, method: str):
    """(url, visible) for each object kind the path names; one case with fixed values otherwise."""
    values = {**PATH_VALUES, "model_id": "pension-during-custody"}
    fill = lambda extra: re.sub(r"\{(\w+)(:\w+)?\}", lambda m: str({**values, **extra}[m.group(1)]), path)  # noqa: E731
    if "{clue_id}" in path:
        for kind, cid in clues.items():
            visible = _visible(ws, user, kind)
            if method == "GET" or not visible:            # never change a visible clue: the matrix stays read-only
                yield fill({"clue_id": cid}), visible
    elif "{name}" in path:
        for name in DATASET_KINDS:
            visible = _dataset_visible(ws, user, name)
            if method == "GET" or not visible:
                yield fill({"name": name}) + ("?old=1&new=1" if path.endswith("/diff") else ""), visible
    elif "{model_id}" in path:
        if method == "GET":
            yield fill({}), True
        visible = user != "b_jcg"                        # A's draft: A and the 市院 above; never sibling B
        if method == "GET" or not visible:
            yield fill({"model_id": DRAFT}), visible
    elif method == "GET":
        yield fill({}), True


def _check(resp, method: str, url: str, role: str, action: str | None, visible: bool) -> list[str]:
    where = f"{method} {url} as {role}"
    if resp.status_code >= 500:
        return [f"{where}: {resp.status_code}"]
    from shujian.security.permissions import action_label

    denied = resp.status_code == 403 and action and f"无权“{action_label(action)}”" in resp.text
    if denied:
        return []                                          # the role lacks the route's action: nothing reached
    if not visible and resp.status_code not in (404, 422):
        return [f"{where}: out of scope gave {resp.status_code}, expected 404"]
    if not visible and resp.status_code == 422 and method == "GET":
        return [f"{where}: out of scope gave 422 (GET), expected 404"]
    leaks = _leaks(_body_text(resp)) if resp.status_code < 400 or resp.status_code == 422 else []
    return [f"{where}: shows {sorted(set(leaks))[:3]} in clear"] if leaks else []
