"""No page is wider than the screen: at 1366×768 and 1920×1080 every page of the demo city (the navigation's
pages, every model, dataset and run page, and every demo clue) fits the window width; long evidence tables
scroll inside their own box and the 可执行的操作 panel starts on screen.

The 1366×768 pass is the one :func:`tests.e2e.conftest.demo_pages_1366` makes for test_english_residue too
(each page opened once, measured for both); the 1920×1080 pass is made here."""

from __future__ import annotations

from .conftest import PASSWORD, WIDTH_JS, clue_pages, login

VIEWPORTS = ({"width": 1366, "height": 768}, {"width": 1920, "height": 1080})


def test_no_page_is_wider_than_the_screen(browser, demo_server, demo_pages_1366):
    demo_urls = demo_pages_1366["layout"]
    assert len(clue_pages(demo_urls)) >= 60, demo_urls          # the demo city's clues are all listed
    wide = _wide_pages_seen(demo_pages_1366, VIEWPORTS[0])
    wide += _wide_pages(browser, demo_server, demo_urls, VIEWPORTS[1])
    assert not wide, f"pages wider than the window: {wide}"


def _wide_pages_seen(visits: dict, viewport) -> list[tuple]:
    """The wide pages of the shared pass at ``viewport`` (1366×768), with the same checks as below."""
    wide = []
    for url in visits["layout"]:
        seen = visits["seen"][url]
        assert seen["inner"] == viewport["width"], (url, seen["inner"])
        if seen["width"] > seen["inner"]:
            wide.append((viewport["width"], url, seen["width"]))
        if url in clue_pages(visits["layout"])[:3]:
            box = seen["actions"]
            assert box["x"] + 100 < viewport["width"], (url, box)      # the actions panel starts on screen
    return wide


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
        if url in clue_pages(demo_urls)[:3]:
            box = pg.locator("#actions").bounding_box()
            assert box["x"] + 100 < viewport["width"], (url, box)      # the actions panel starts on screen
    ctx.close()
    return wide
