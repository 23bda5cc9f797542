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
#: org-held objects of every other kind the access layer covers, one per org: own (区县院 A), sibling (区县院 B),
#: parent (市院).  Each carries a marker in a shown field; a body may show the marker only to a user who sees it.
HELD_KINDS = {"own_a": "331002", "sibling_b": "331003", "parent_city": "3310"}
KINDS_OF = ("run", "job", "request", "sub", "binding", "audit", "user")
#: bodies that reach the service for the POST routes with a held object (an empty one stops at validation)
BODIES = {"/api/v1/users/{username}/password": {"password": "Another-Horse-9x"},
          "/api/v1/users/{username}/lock": {"locked": True},
          "/api/v1/delegations/{request_id}/actions": {"action": "办结", "note": "越权"},
          "/text/subscriptions/{sub_id}/decide": {"match_ids": [1], "action": "confirm"},
          "/api/v1/text/subscriptions/{sub_id}/decide": {"match_ids": [1], "action": "confirm"},
          "/api/v1/jobs/{job_id}/cancel": {}}
#: the finer action a route checks before its object (委托研判: 办结 needs delegation.request)
FINER = {"/api/v1/delegations/{request_id}/actions": "delegation.request"}


def _marker(kind: str, held: str) -> str:
    return f"标记{kind}{held}"


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
    OrgService(ws).add_user("a_admin", "a_admin", "331002", ["系统管理员"])
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
    held = _held_objects(ws, clue_id=ids["a"])
    yield ws, clues, held
    ws.close()


def _held_objects(ws, clue_id: int) -> dict:
    """One run, 委托研判, 关键词订阅, data binding, audit record and user per org of HELD_KINDS, each marked
    (rows written directly: no audit record or screening repeats a marker somewhere else)."""
    from datetime import date

    from shujian.db.models import AnalysisRequest, Clue, ModelBinding, Org, Run, User
    from shujian.text.tables import TextSubscription

    out: dict[str, dict[str, object]] = {k: {} for k in KINDS_OF}
    with ws.db.unit_of_work() as s:
        first = s.get(Run, s.get(Clue, clue_id).first_run_id)
        for held, code in HELD_KINDS.items():
            org_id = s.query(Org.id).filter_by(code=code).scalar()
            r = Run(model_id=first.model_id, model_version_id=first.model_version_id, model_hash=first.model_hash,
                    status="succeeded", org_id=org_id, params={"标记": _marker("run", held)})
            u = User(username=f"u_{held}", name=_marker("user", held), org_id=org_id, roles=["检察官"])
            s.add_all([r, u])
            s.flush()
            req = AnalysisRequest(requester_id=u.id, org_id=org_id, question=_marker("request", held), rule_text="",
                                  data_needed="", deadline=date(2099, 1, 1), state="已提交", model_ids=[], run_ids=[],
                                  clue_ids=[], history=[])
            sub = TextSubscription(name=_marker("sub", held), dataset="养老金发放", text_fields=["姓名"],
                                   rule={"any": ["某"]}, mode="confirm", owner=f"u_{held}", org_id=org_id)
            s.add_all([req, sub, ModelBinding(model_id="pension-during-custody", org_id=org_id,
                                              scope_key=f"org:{org_id}", version=1, inputs={}, source="命令行",
                                              note=_marker("binding", held), removed=True)])
            s.flush()
            out["run"][held], out["user"][held] = r.id, u.username
            out["request"][held], out["sub"][held] = req.id, sub.id
            out["audit"][held] = out["binding"][held] = org_id
    from shujian.security.audit import AuditLog

    for held, org_id in out["audit"].items():
        AuditLog(ws).append("test.marker", actor="matrix", org_id=org_id, target=_marker("audit", held))
    return out


def _held_visible(ws, username: str, held: str) -> bool:
    """The oracle for HELD_KINDS, from the org tree alone: held by the user's org or one below it."""
    from shujian.db.models import Org
    from shujian.orgs.service import OrgService, descendants

    u = OrgService(ws).get_user(username)
    with ws.db.unit_of_work() as s:
        return HELD_KINDS[held] in {o.code for o in s.query(Org).filter(Org.id.in_(descendants(s, u["org_id"])))}


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


#: the matrix's users: every role, plus 区县院 users with a pool role and user administration (the sibling/parent
#: cases need them)
MATRIX_USERS = {**ROLE_USER, "区县数字办": "a_sz", "兄弟院检察官": "b_jcg", "区县管理员": "a_admin"}


def test_scope_and_masking_matrix(world):
    """Every route × role × object kind: out-of-scope is 404, and no body shows a personal value in clear."""
    from .conftest import production_app

    ws, clues, held = world
    app = production_app(ws)
    problems, calls = [], 0
    with TestClient(app, raise_server_exceptions=False) as client:
        headers = {role: bearer(ws, user) for role, user in MATRIX_USERS.items()}
        held["job"] = _jobs(ws, app)
        hidden = {user: [_marker(k, h) for k in KINDS_OF for h in HELD_KINDS if not _held_visible(ws, user, h)]
                  for user in MATRIX_USERS.values()}
        markers, shown = {_marker(k, h) for k in KINDS_OF for h in HELD_KINDS}, set()
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
                    for url, visible in _cases(ws, route.path, user, clues, method, held):
                        kw = {"json": BODIES.get(route.path, {})} if method in ("POST", "PUT", "PATCH") else {}
                        resp = client.request(method, url, headers={**headers[role], "accept": "text/html"}, **kw)
                        calls += 1
                        actions = (action, FINER[route.path]) if route.path in FINER else action
                        problems += _check(resp, method, url, role, actions, visible)
                        problems += _hidden_shown(resp, method, url, role, hidden[user])
                        if resp.status_code < 400:
                            body = _body_text(resp)
                            shown |= {m for m in markers if m in body}
    assert not problems, "\n".join(problems[:40])
    assert calls > 500
    assert shown == markers, f"never shown to anyone (the marker check would be vacuous): {sorted(markers - shown)}"


def _jobs(ws, app) -> dict[str, int]:
    """A finished background job per org of HELD_KINDS in the app's registry, started as a user of that org."""
    from shujian.db.models import Org
    from shujian.security.scope import Scope, use_scope

    out = {}
    for held, code in HELD_KINDS.items():
        with ws.db.unit_of_work() as s:
            org_id = s.query(Org.id).filter_by(code=code).scalar()
        with use_scope(Scope(username=f"u_{held}", org_id=org_id, orgs=frozenset({org_id}))):
            job = app.state.jobs.start("run", _marker("job", held), f"u_{held}", lambda j: {})
        app.state.jobs.wait(job.id, timeout=30)
        out[held] = job.id
    return out


def _hidden_shown(resp, method: str, url: str, role: str, hidden: list[str]) -> list[str]:
    """A marker of an object the user may not see, in any body (lists, pages, exports, errors)."""
    if resp.status_code >= 500:
        return []
    shown = [m for m in hidden if m in _body_text(resp)]
    return [f"{method} {url} as {role}: shows out-of-scope {shown[:3]}"] if shown else []


#: path parameter → the HELD_KINDS objects it names
HELD_PARAMS = {"run_id": "run", "job_id": "job", "request_id": "request", "sub_id": "sub", "username": "user"}


def _cases(ws, path: str, user: str, clues: dict, method: str, held: dict):
    """(url, visible) for each object kind the path names; one case with fixed values otherwise."""
    values = {**PATH_VALUES, "model_id": "pension-during-custody"}
    fill = lambda extra: re.sub(r"\{(\w+)(:\w+)?\}", lambda m: str({**values, **extra}[m.group(1)]), path)  # noqa: E731
    param = next((p for p in HELD_PARAMS if "{" + p + "}" in path), None)
    if param is not None:
        for kind, key in held[HELD_PARAMS[param]].items():
            visible = _held_visible(ws, user, kind)
            if method == "GET" or not visible:            # never change a visible object
                yield fill({param: key}), visible
    elif "{clue_id}" in path:
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


def _check(resp, method: str, url: str, role: str, action: str | tuple | None, visible: bool) -> list[str]:
    where = f"{method} {url} as {role}"
    if resp.status_code >= 500:
        return [f"{where}: {resp.status_code}"]
    from shujian.security.permissions import action_label

    actions = [a for a in (action if isinstance(action, tuple) else (action,)) if a]
    denied = resp.status_code == 403 and any(f"无权“{action_label(a)}”" in resp.text for a in actions)
    if denied:
        return []                                          # the role lacks the route's action: nothing reached
    if not visible and resp.status_code not in (404, 422):
        return [f"{where}: out of scope gave {resp.status_code}, expected 404"]
    if not visible and resp.status_code == 422 and method == "GET":
        return [f"{where}: out of scope gave 422 (GET), expected 404"]
    leaks = _leaks(_body_text(resp)) if resp.status_code < 400 or resp.status_code == 422 else []
    return [f"{where}: shows {sorted(set(leaks))[:3]} in clear"] if leaks else []
