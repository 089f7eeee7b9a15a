"""axe-core (WCAG 2.x A/AA) on the open-data API's web page, /api/v1/docs, in English and in Polish, with
JavaScript off as many residents browse (the page needs none).  Zero violations, a <title> and one <h1>."""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest

from tests.browser.axe_crawl import CHROMIUM, CHROMIUM_ARGS, Crawler
from tests.browser.test_accessibility import _chromium_reason
from tests.conftest import require_service
from tests.live_demo import serve_demo

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    require_service(_chromium_reason())
    if (os.environ.get("TEST_DATABASE_URL") or "").startswith("postgres"):
        pytest.skip("the browser checks serve their own SQLite site; they run once, in the SQLite pass")
    with serve_demo(tmp_path_factory.mktemp("docs"), seed=False) as base:
        yield base


@pytest.mark.parametrize("lang, heading", [("en", "Open data API"), ("pl", "API otwartych danych")])
def test_the_api_docs_page_has_no_accessibility_violations(site: str, lang: str, heading: str) -> None:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        try:
            context = browser.new_context(extra_http_headers={"Accept-Language": lang}, java_script_enabled=False)
            page = context.new_page()
            page.goto(f"{site}/api/v1/docs", wait_until="load")
            assert page.locator("h1").inner_text() == heading
            crawler = Crawler(page, site)
            crawler.javascript = False
            crawler.check_current(f"/api/v1/docs ({lang})")
        finally:
            browser.close()
    assert crawler.violations == []
