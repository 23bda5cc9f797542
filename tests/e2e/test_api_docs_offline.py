"""/api/docs and /api/redoc render in a browser that can reach nothing but this server (an intranet)."""

from __future__ import annotations

from urllib.parse import urlparse

import pytest


@pytest.fixture
def offline(browser, server):
    """A tab whose requests to any other host are refused, with the refused URLs collected."""
    ctx = browser.new_context(viewport={"width": 1366, "height": 768}, locale="zh-CN", base_url=server)
    host = urlparse(server).netloc
    refused: list[str] = []

    def gate(route):
        if urlparse(route.request.url).netloc == host:
            route.continue_()
        else:
            refused.append(route.request.url)
            route.abort()

    ctx.route("**/*", gate)
    pg = ctx.new_page()
    pg.set_default_timeout(20_000)
    yield pg, refused
    ctx.close()


def test_swagger_ui_renders_without_network(offline):
    pg, refused = offline
    pg.goto("/api/docs")
    pg.wait_for_selector(".opblock", state="attached")
    assert pg.locator(".opblock").count() > 50
    assert "数检" in pg.locator(".info .title").inner_text()
    assert not refused, refused


def test_redoc_renders_without_network(offline):
    pg, refused = offline
    pg.goto("/api/redoc")
    pg.wait_for_selector("[data-section-id]", state="attached")
    assert pg.locator("h1").first.inner_text().startswith("数检")
    assert not refused, refused


def test_favicon_is_served(offline):
    pg, _ = offline
    r = pg.request.get("/favicon.ico")
    assert r.status == 200 and r.headers["content-type"] == "image/x-icon"
