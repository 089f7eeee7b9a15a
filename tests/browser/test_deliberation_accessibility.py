"""axe-core (WCAG 2.x A/AA) over every deliberation page reachable by links, as a resident who is a coalition
member, a moderator and an officer (the site-wide crawl covers visitors), plus the comment form's error state.  Zero violations."""

from __future__ import annotations

from urllib.parse import urljoin, urlparse

import pytest

from tests.browser.test_accessibility import Crawler, _sign_in, chromium, live_site, page_shape  # noqa: F401  (fixtures)

pytestmark = pytest.mark.browser


def _crawl_deliberation(crawler: Crawler) -> None:
    seen: set[str] = set()
    queue = ["/deliberation/", "/proposals/1"]
    host = urlparse(crawler.base).netloc
    while queue and crawler.pages < 25:
        path = queue.pop(0)
        shape = page_shape(path)  # one page per template shape
        if shape in seen:
            continue
        seen.add(shape)
        resp = crawler.page.goto(crawler.base + path, wait_until="load")
        if resp is None or "html" not in (resp.headers.get("content-type") or ""):
            continue
        crawler.pages += 1
        crawler.check_current(path)
        for href in crawler.page.eval_on_selector_all("a[href]", "els => els.map(e => e.getAttribute('href'))"):
            u = urlparse(urljoin(crawler.base + path, href))
            if u.netloc != host or not u.path.startswith("/deliberation"):
                continue
            q = u.path + (("?" + u.query) if u.query else "")
            if page_shape(q) not in seen and q not in queue:
                queue.append(q)


@pytest.mark.parametrize("persona", ["priya", "moderator", "officer"])
def test_deliberation_pages_have_no_axe_violations(live_site, chromium, persona):  # noqa: F811
    context = chromium.new_context()
    page = context.new_page()
    _sign_in(page, live_site, f"{persona}@demo.example.org")
    crawler = Crawler(page, live_site)
    _crawl_deliberation(crawler)
    context.close()
    assert crawler.pages >= 8, crawler.pages
    assert crawler.violations == []


def test_comment_form_error_state_has_no_axe_violations(live_site, chromium):  # noqa: F811
    context = chromium.new_context()
    page = context.new_page()
    _sign_in(page, live_site, "tom@demo.example.org")
    page.goto(live_site + "/deliberation/proposals/1/comments")
    page.click("main button[type=submit]")
    assert "There is a problem" in page.content()
    crawler = Crawler(page, live_site)
    crawler.check_current("comment form with errors")
    context.close()
    assert crawler.violations == []
