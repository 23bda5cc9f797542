"""No page is wider than the screen: at 1366×768 and 1920×1080 every page of the demo city (the navigation's
pages, every model, dataset and run page, and every demo clue) fits the window width; long evidence tables
scroll inside their own box and the 可执行的操作 panel starts on screen.

Both sizes are measured in the pass :func:`tests.e2e.conftest.demo_pages_1366` makes for test_english_residue
too (each page opened once at 1366×768, measured, then measured again in a window resized to 1920×1080)."""

from __future__ import annotations

from .conftest import NARROW, WIDE, clue_pages


def test_no_page_is_wider_than_the_screen(demo_pages_1366):
    demo_urls = demo_pages_1366["layout"]
    assert len(clue_pages(demo_urls)) >= 60, demo_urls          # the demo city's clues are all listed
    seen = demo_pages_1366["seen"]
    wide = _wide_pages({url: seen[url] for url in demo_urls}, demo_urls, NARROW)
    wide += _wide_pages({url: seen[url]["at_1920"] for url in demo_urls}, demo_urls, WIDE)
    assert not wide, f"pages wider than the window: {wide}"


def _wide_pages(measured: dict, demo_urls: list[str], viewport) -> list[tuple]:
    """The pages wider than the window at ``viewport``; fails when the window was not that wide or the actions
    panel of one of the first three clue pages starts off screen."""
    wide = []
    for url in demo_urls:
        m = measured[url]
        assert m["inner"] == viewport["width"], (url, m["inner"])
        if m["width"] > m["inner"]:
            wide.append((viewport["width"], url, m["width"]))
        if url in clue_pages(demo_urls)[:3]:
            box = m["actions"]
            assert box["x"] + 100 < viewport["width"], (url, box)      # the actions panel starts on screen
    return wide
