"""No page is wider than the screen: at 1366×768 and 1920×1080 every page of the demo city (the navigation's
pages, every model, dataset and run page, and every demo clue) fits the window width; long evidence tables
scroll inside their own box and the 可执行的操作 panel starts on screen."""

from __future__ import annotations

import pytest

from .conftest import PASSWORD, login

VIEWPORTS = ({"width": 1366, "height": 768}, {"width": 1920, "height": 1080})
WIDTH_JS = "[document.documentElement.scrollWidth, window.innerWidth]"


@pytest.fixture(scope="module")
def demo_urls(browser, demo_server):
    """Every page worth checking, read from the demo city through the UI itself."""
    ctx = browser.new_context(viewport=VIEWPORTS[0], locale="zh-CN", base_url=demo_server)
    pg = ctx.new_page()
    login(pg, "demo", PASSWORD)
    urls = set(pg.eval_on_selector_all("header nav a", "els => els.map(e => e.getAttribute('href'))"))
    api = pg.request.get("/api/v1/clues?page_size=200").json()
    assert api["total"] == len(api["items"])
    urls |= {f"/clues/{c['clue_id']}" for c in api["items"]}
    for listing, prefix in (("/models", "/models/"), ("/data", "/data/"), ("/runs", "/runs/")):
        pg.goto(listing)
        hrefs = pg.eval_on_selector_all(f"main a[href^='{prefix}']", "els => els.map(e => e.getAttribute('href'))")
        urls |= {h.split("?")[0] for h in hrefs if h.split("?")[0].rstrip("/") != prefix.rstrip("/")}
    ctx.close()
    return sorted(urls)


def _clue_ids(urls: list[str]) -> list[str]:
    return [u for u in urls if u.startswith("/clues/") and u.split("/")[-1].isdigit()]


def test_no_page_is_wider_than_the_screen(browser, demo_server, demo_urls):
    assert len(_clue_ids(demo_urls)) >= 60, demo_urls          # the demo city's clues are all listed
    wide = [w for viewport in VIEWPORTS for w in _wide_pages(browser, demo_server, demo_urls, viewport)]
    assert not wide, f"pages wider than the window: {wide}"


def _wide_pages(browser, demo_server, demo_urls, viewport) -> list[tuple]:
    ctx = browser.new_context(viewport=viewport, locale="zh-CN", base_url=demo_server)
    pg = ctx.new_page()
    login(pg, "demo", PASSWORD)
    wide = []
    for url in demo_urls:
        pg.goto(url)
        width, inner = pg.evaluate(WIDTH_JS)
        if width > inner:
            wide.append((viewport["width"], url, width))
        if url in _clue_ids(demo_urls)[:3]:
            box = pg.locator("#actions").bounding_box()
            assert box["x"] + 100 < viewport["width"], (url, box)      # the actions panel starts on screen
    ctx.close()
    return wide
