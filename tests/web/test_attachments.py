"""Clue comment attachments: upload with a comment, list, download; size limit, safe names, org scope, audit."""

from __future__ import annotations

import io

import pytest
from fastapi.testclient import TestClient

from shujian.clues import attachments as att
from shujian.db.models import Clue, Org
from shujian.security.accounts import AccountService
from shujian.security.audit import AuditLog
from shujian.web.app import create_app

from .conftest import copy_workspace

PDF = b"%PDF-1.4 test attachment\n" * 10


@pytest.fixture(scope="module")
def ws(seeded_home, tmp_path_factory):
    """Clue 1 held by 椒江 (331002), clue 2 by its sibling 黄岩 (331003)."""
    w = copy_workspace(seeded_home, tmp_path_factory.mktemp("attach") / "home")
    with w.db.unit_of_work() as s:
        org = {o.code: o.id for o in s.query(Org).filter(Org.code.in_(["331002", "331003"]))}
        clues = s.query(Clue).order_by(Clue.id).all()
        clues[0].org_id, clues[1].org_id = org["331002"], org["331003"]
        w.ids = (clues[0].id, clues[1].id)
    yield w
    w.close()


@pytest.fixture(scope="module")
def app(ws):
    return create_app(workspace=ws)


def as_user(app, ws, username: str) -> TestClient:
    c = TestClient(app, raise_server_exceptions=False)
    c.headers["Authorization"] = "Bearer " + AccountService(ws).create_token(username, "测试")["token"]
    return c


def upload(c: TestClient, clue_id: int, name: str, content: bytes, text: str = "见附件"):
    return c.post(f"/api/v1/clues/{clue_id}/attachments", data={"text": text},
                  files=[("files", (name, io.BytesIO(content), "application/pdf"))])


def test_upload_list_download_and_audit(app, ws):
    mine, _ = ws.ids
    c = as_user(app, ws, "jj_jcg")
    resp = upload(c, mine, "核查报告.pdf", PDF)
    assert resp.status_code == 201, resp.text
    body = resp.json()
    a = body["attachments"][0]
    assert body["action"] == "评论" and body["reason"] == "见附件" and body["attachments"][0]["size"] == len(PDF)
    assert "stored_name" not in a and a["filename"] == "核查报告.pdf" and a["uploaded_by"] == "jj_jcg"
    listed = c.get(f"/api/v1/clues/{mine}/attachments").json()
    assert [x["attachment_id"] for x in listed["items"]] == [a["attachment_id"]]
    got = c.get(f"/api/v1/clues/{mine}/attachments/{a['attachment_id']}")
    assert got.status_code == 200 and got.content == PDF
    assert got.headers["content-type"] == "application/octet-stream"
    assert got.headers["content-disposition"].startswith("attachment;")
    detail = c.get(f"/api/v1/clues/{mine}").json()
    assert detail["attachments"][0]["filename"] == "核查报告.pdf"
    assert any(e["attachments"] == ["核查报告.pdf"] for e in detail["timeline"])
    up = AuditLog(ws).search(action="clue.attachment.upload")[0]
    assert up["actor"] == "jj_jcg" and up["detail"]["filename"] == "核查报告.pdf" and len(up["detail"]["sha256"]) == 64
    assert AuditLog(ws).search(action="clue.attachment.download")[0]["actor"] == "jj_jcg"


def test_stored_under_a_random_name_inside_the_workspace(app, ws):
    mine, _ = ws.ids
    c = as_user(app, ws, "jj_jcg")
    a = upload(c, mine, "说明.txt", b"hello").json()["attachments"][0]
    stored = att.AttachmentService(ws).list(mine)[-1]["stored_name"]
    assert (ws.home / "attachments" / stored).read_bytes() == b"hello"
    assert "说明" not in stored and len(stored) == 32
    assert a["sha256"] == "2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824"


@pytest.mark.parametrize("name", ["../../etc/passwd.txt", "..\\..\\x.pdf", "a/../b.pdf", "../x.pdf"])
def test_names_that_climb_out_are_refused_and_nothing_is_written(app, ws, name):
    mine, _ = ws.ids
    before = sorted(p.name for p in (ws.home / "attachments").glob("*")) if (ws.home / "attachments").exists() else []
    resp = upload(as_user(app, ws, "jj_jcg"), mine, name, PDF)
    assert resp.status_code == 422 and "不合法" in resp.json()["error"]["message"]
    after = sorted(p.name for p in (ws.home / "attachments").glob("*")) if (ws.home / "attachments").exists() else []
    assert after == before and not (ws.home.parent / "etc").exists()


def test_control_characters_in_names_are_refused():
    for name in ("bad\x00.pdf", "a\nb.pdf", "..", ""):
        with pytest.raises(att.InputError):
            att.safe_display_name(name)


def test_folder_parts_are_dropped_and_types_checked(app, ws):
    mine, _ = ws.ids
    c = as_user(app, ws, "jj_jcg")
    ok = upload(c, mine, "C:\\材料\\照片.png", b"\x89PNG....")
    assert ok.status_code == 201 and ok.json()["attachments"][0]["filename"] == "照片.png"
    bad = upload(c, mine, "run.html", b"<script>alert(1)</script>")
    assert bad.status_code == 422 and ".html" in bad.json()["error"]["message"]
    empty = upload(c, mine, "空.pdf", b"")
    assert empty.status_code == 422 and "空文件" in empty.json()["error"]["message"]


def test_size_limit_is_413_and_leaves_no_file_or_comment(app, ws, monkeypatch):
    mine, _ = ws.ids
    monkeypatch.setattr(att, "MAX_BYTES", 1000)
    c = as_user(app, ws, "jj_jcg")
    events = len(c.get(f"/api/v1/clues/{mine}").json()["timeline"])
    files = set((ws.home / "attachments").glob("*"))
    resp = upload(c, mine, "大.pdf", b"x" * 5000)
    assert resp.status_code == 413 and resp.json()["error"]["code"] == "too_large"
    assert set((ws.home / "attachments").glob("*")) == files
    assert len(c.get(f"/api/v1/clues/{mine}").json()["timeline"]) == events


def test_sibling_district_gets_not_found_everywhere(app, ws):
    mine, theirs = ws.ids
    a = upload(as_user(app, ws, "jj_jcg"), mine, "证据.pdf", PDF).json()["attachments"][0]
    other = as_user(app, ws, "hy_jcg")
    for resp in (other.get(f"/api/v1/clues/{mine}/attachments"),
                 other.get(f"/api/v1/clues/{mine}/attachments/{a['attachment_id']}"),
                 other.get(f"/api/v1/clues/{theirs}/attachments/{a['attachment_id']}"),   # right id, wrong clue
                 upload(other, mine, "x.pdf", PDF)):
        assert resp.status_code == 404 and resp.json()["error"]["code"] == "not_found"
    city = as_user(app, ws, "shi_lingdao")                    # the upper org sees its districts' files
    assert city.get(f"/api/v1/clues/{mine}/attachments/{a['attachment_id']}").content == PDF


def test_page_comment_with_file_and_error_beside_the_form(app, ws):
    mine, _ = ws.ids
    AccountService(ws).set_password("jj_jcg", "Correct-Horse-9")
    with TestClient(app, raise_server_exceptions=False) as c:
        c.get("/login", headers={"accept": "text/html"})
        token = c.cookies.get("shujian_csrf")
        c.post("/login", data={"username": "jj_jcg", "password": "Correct-Horse-9", "csrf_token": token})
        token = c.cookies.get("shujian_csrf")         # the form token is bound to the new login session
        files = [("files", ("页面附件.pdf", io.BytesIO(PDF), "application/pdf"))]
        assert c.post(f"/clues/{mine}/comment", data={"text": "x"}, files=files).status_code == 403   # no CSRF
        page = c.post(f"/clues/{mine}/comment", data={"text": "页面评论", "csrf_token": token},
                      files=[("files", ("页面附件.pdf", io.BytesIO(PDF), "application/pdf"))],
                      headers={"accept": "text/html"})
        assert page.status_code == 200 and "已发表评论（附件 1 个）" in page.text and "页面附件.pdf" in page.text
        bad = c.post(f"/clues/{mine}/comment", data={"text": "保留这段文字", "csrf_token": token},
                     files=[("files", ("x.exe", io.BytesIO(b"MZ"), "application/octet-stream"))],
                     headers={"accept": "text/html"})
        assert 'id="e-cm"' in bad.text and "不允许上传" in bad.text and "保留这段文字</textarea>" in bad.text


def test_migration_0005_up_down_up(metadata_url):
    """The clue_attachments table comes and goes with migration 0005, on SQLite and PostgreSQL."""
    from alembic import command
    from sqlalchemy import inspect

    from shujian.db.session import alembic_config, make_engine, upgrade

    engine = make_engine(metadata_url)
    try:
        upgrade(engine)
        assert "clue_attachments" in inspect(engine).get_table_names()
        cols = {c["name"] for c in inspect(engine).get_columns("clue_attachments")}
        assert {"clue_id", "event_id", "filename", "stored_name", "size", "sha256"} <= cols
        cfg = alembic_config(str(engine.url))
        with engine.begin() as conn:
            cfg.attributes["connection"] = conn
            command.downgrade(cfg, "0004")
        assert "clue_attachments" not in inspect(engine).get_table_names()
        upgrade(engine)
        assert "clue_attachments" in inspect(engine).get_table_names()
    finally:
        engine.dispose()
