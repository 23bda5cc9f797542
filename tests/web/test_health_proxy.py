"""Running behind a reverse proxy: /healthz, and the real client address in audit records."""

from __future__ import annotations

import re
import socket
import threading
import time

import httpx
import pytest
import uvicorn
from fastapi.testclient import TestClient

from shujian.web.app import create_app
from shujian.web.server import uvicorn_config


def test_healthz_is_public_and_checks_both_stores(sqlite_ws):
    client = TestClient(create_app(workspace=sqlite_ws))
    r = client.get("/healthz")
    assert r.status_code == 200
    assert r.json()["checks"] == {"metadata": "ok", "warehouse": "ok"}
    assert str(sqlite_ws.home) not in r.text


def test_healthz_fails_when_the_metadata_store_is_gone(sqlite_ws):
    client = TestClient(create_app(workspace=sqlite_ws))
    sqlite_ws.db.engine.dispose()
    (sqlite_ws.home / "metadata.sqlite").unlink()
    r = client.get("/healthz")
    assert r.status_code == 503 and r.json()["checks"]["metadata"] != "ok"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def served(sqlite_ws, monkeypatch):
    def start(trusted: str):
        monkeypatch.setattr(sqlite_ws.settings, "trusted_proxies", trusted)
        port = _free_port()
        server = uvicorn.Server(uvicorn_config(create_app(workspace=sqlite_ws), sqlite_ws, "127.0.0.1", port))
        thread = threading.Thread(target=server.run, daemon=True)
        thread.start()
        for _ in range(100):
            if server.started:
                break
            time.sleep(0.05)
        servers.append((server, thread))
        return f"http://127.0.0.1:{port}"

    servers: list = []
    yield start
    for server, thread in servers:
        server.should_exit = True
        thread.join(timeout=10)


def _failed_login_ip(ws, base: str, forwarded: str) -> str | None:
    from shujian.security.audit import AuditLog

    headers = {"X-Forwarded-For": forwarded}
    with httpx.Client(base_url=base, headers=headers) as browser:      # the login form, as a browser uses it
        form = browser.get("/login").text
        token = re.search(r'name="csrf_token" value="([^"]+)"', form).group(1)
        r = browser.post("/login", data={"username": "nobody", "password": "x" * 12, "csrf_token": token})
        assert r.status_code == 401
    records = [r for r in AuditLog(ws).search(limit=20) if r["action"].startswith("login")]
    return records[0]["ip"] if records else None


def test_the_audit_log_names_the_client_behind_a_trusted_proxy(served, sqlite_ws):
    base = served("127.0.0.1")
    assert _failed_login_ip(sqlite_ws, base, "10.20.30.40") == "10.20.30.40"


def test_a_forged_forwarded_header_from_an_untrusted_peer_is_ignored(served, sqlite_ws):
    base = served("10.0.0.1")
    assert _failed_login_ip(sqlite_ws, base, "10.20.30.40") == "127.0.0.1"
