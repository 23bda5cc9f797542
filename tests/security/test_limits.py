"""Issue 14 finding 9: body limits hold while the body streams (chunked bodies, unauthenticated bodies)
and an xlsx whose shared strings or cells inflate far beyond the file is refused before openpyxl parses it."""

from __future__ import annotations

import socket
import threading
import time
import zipfile

import pytest
import uvicorn
from fastapi.testclient import TestClient
from tests.security.conftest import production_app

from shujian.orgs.service import OrgService
from shujian.security.accounts import AccountService
from shujian.web import limits
from shujian.web.server import uvicorn_config

MB = 1 << 20


@pytest.fixture
def small(sqlite_ws, monkeypatch):
    """A production app with one user holding an API token, and the limits lowered to 2 MB / 64 KB."""
    monkeypatch.setattr(limits, "BODY_LIMIT", 2 * MB)
    monkeypatch.setattr(limits, "ANONYMOUS_LIMIT", 64 << 10)
    orgs = OrgService(sqlite_ws)
    orgs.seed(["33"])
    orgs.add_user("sz", "数字办", "3310", ["数字办"])
    token = AccountService(sqlite_ws).create_token("sz", "测试")["token"]
    return sqlite_ws, {"Authorization": f"Bearer {token}"}


def _chunks(total: int, size: int = 64 << 10):
    sent = 0
    while sent < total:
        yield b"x" * size
        sent += size


def test_a_chunked_body_over_the_limit_is_refused_while_streaming(small):
    ws, auth = small
    with TestClient(production_app(ws), raise_server_exceptions=False) as client:
        resp = client.post("/api/v1/models/validate", headers={**auth, "Content-Type": "application/yaml"},
                           content=_chunks(5 * MB))
    assert resp.status_code == 413 and resp.json()["error"]["code"] == "too_large"
    assert "2 MB" in resp.json()["error"]["message"]


def test_an_unauthenticated_chunked_body_is_refused_past_the_anonymous_limit(small):
    ws, _ = small
    with TestClient(production_app(ws), raise_server_exceptions=False) as client:
        resp = client.post("/api/v1/models/validate", headers={"Content-Type": "application/yaml"},
                           content=_chunks(1 * MB))
    assert resp.status_code == 401 and "未登录" in resp.json()["error"]["message"]


def test_the_login_form_still_works_within_the_anonymous_limit(small):
    ws, _ = small
    with TestClient(production_app(ws), raise_server_exceptions=False) as client:
        page = client.get("/login")
        token = page.text.split('name="csrf_token" value="')[1].split('"')[0]
        resp = client.post("/login", data={"username": "nobody", "password": "Wrong-pass-123", "csrf_token": token})
    assert resp.status_code == 401 and "用户名或口令错误" in resp.text


@pytest.fixture
def server(small):
    ws, auth = small
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    srv = uvicorn.Server(uvicorn_config(production_app(ws), ws, "127.0.0.1", port))
    thread = threading.Thread(target=srv.run, daemon=True)
    thread.start()
    for _ in range(200):
        if srv.started:
            break
        time.sleep(0.05)
    yield port, auth
    srv.should_exit = True
    thread.join(timeout=10)


def _raw(port: int, head: str, body: bytes = b"") -> str:
    with socket.create_connection(("127.0.0.1", port), timeout=15) as sock:
        sock.sendall(head.encode("latin-1") + body)
        return _reply(sock)


def _reply(sock: socket.socket) -> str:
    """The whole answer (the server closes the connection after refusing a body)."""
    data = b""
    while chunk := sock.recv(65536):
        data += chunk
    return data.decode("utf-8", "replace")


def test_an_unauthenticated_large_declaration_is_refused_before_any_body_is_read(server):
    """Only the headers are sent: the answer comes at once, nothing of the body is waited for (the limits
    are lowered to 2 MB / 64 KB here; in production 600 MB / 1 MB, and the probe's 300 MB is refused so)."""
    port, _ = server
    reply = _raw(port, "POST /api/v1/models/validate HTTP/1.1\r\nHost: x\r\nContent-Type: application/yaml\r\n"
                       f"Content-Length: {MB + 12345}\r\n\r\n")
    assert reply.startswith("HTTP/1.1 401") and "未登录的请求体" in reply


def test_a_declared_body_over_the_limit_is_refused_before_it_is_read(server):
    port, auth = server
    reply = _raw(port, "POST /api/v1/models/validate HTTP/1.1\r\nHost: x\r\nContent-Type: application/yaml\r\n"
                       f"Authorization: {auth['Authorization']}\r\nContent-Length: {700 * MB}\r\n\r\n")
    assert reply.startswith("HTTP/1.1 413")


def test_a_raw_chunked_body_over_the_limit_is_cut_off(server):
    port, auth = server
    head = ("POST /api/v1/models/validate HTTP/1.1\r\nHost: x\r\nContent-Type: application/yaml\r\n"
            f"Authorization: {auth['Authorization']}\r\nTransfer-Encoding: chunked\r\n\r\n")
    chunk = b"x" * (256 << 10)
    with socket.create_connection(("127.0.0.1", port), timeout=15) as sock:
        sock.sendall(head.encode("latin-1"))
        try:
            for _ in range(40):                         # 10 MB offered; the limit is 2 MB
                sock.sendall(f"{len(chunk):x}\r\n".encode() + chunk + b"\r\n")
        except OSError:
            pass                                        # the server stopped reading and closed
        reply = _reply(sock)
    assert reply.startswith("HTTP/1.1 413")


# -- xlsx ------------------------------------------------------------------------------------------
def _bomb(path, shared_mb: int) -> None:
    """A valid-looking workbook whose sharedStrings.xml inflates to ``shared_mb`` MB (compresses to ~KB)."""
    big = "x" * (shared_mb * MB)
    files = {
        "[Content_Types].xml": '<?xml version="1.0"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/'
                               'content-types"/>',
        "xl/workbook.xml": "<workbook/>",
        "xl/sharedStrings.xml": f'<sst><si><t>{big}</t></si></sst>',
        "xl/worksheets/sheet1.xml": "<worksheet/>",
    }
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        for name, text in files.items():
            z.writestr(name, text)


def test_listing_the_sheets_of_an_xlsx_bomb_is_refused_before_parsing(tmp_path):
    """``shujian data import`` lists the sheets first: that read must be size-checked too."""
    from shujian.catalog import readers
    from shujian.errors import InputError

    path = tmp_path / "名单.xlsx"
    _bomb(path, 20)
    assert path.stat().st_size < MB
    with pytest.raises(InputError) as exc:
        readers.xlsx_sheet_names(path)
    assert "名单.xlsx" in exc.value.message


def test_the_token_tool_refuses_an_xlsx_bomb_before_openpyxl(tmp_path):
    from shujian.errors import InputError
    from shujian.security.tokens import read_table

    path = tmp_path / "名单.xlsx"
    _bomb(path, 20)
    with pytest.raises(InputError) as exc:
        read_table(path)
    assert "名单.xlsx" in exc.value.message
