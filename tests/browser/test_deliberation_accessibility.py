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


def test_moderation_review_and_a_suspended_accounts_notifications_have_no_axe_violations(live_site, chromium):  # noqa: F811
    """Runs last in this module: it suspends a demo account on this module's own demo site."""
    import re

    context = chromium.new_context()
    page = context.new_page()
    _sign_in(page, live_site, "moderator@demo.example.org")
    crawler = Crawler(page, live_site)
    page.goto(live_site + "/deliberation/moderation")
    reviews = [h for h in page.eval_on_selector_all("main a[href]", "els => els.map(e => e.getAttribute('href'))")
               if re.fullmatch(r"/deliberation/moderation/(comment|debate|proposal)/\d+", h)]
    assert reviews, "the demo's moderation queue links to no review page"
    page.goto(live_site + reviews[0])
    assert "Moderation review" in page.content()
    crawler.check_current("moderation review")
    page.goto(live_site + "/deliberation/moderation?q=dev%40demo")
    account = page.eval_on_selector("main a[href^='/deliberation/moderation/accounts/']", "e => e.getAttribute('href')")
    page.goto(live_site + account)
    page.check("input[value=suspend]")
    page.fill("#reason", "Repeated personal remarks after a warning.")
    page.click("main button[type=submit]")
    assert "account has been updated" in page.content()
    context.close()
    found = list(crawler.violations)

    context = chromium.new_context()  # axe needs JavaScript; the pages themselves have none
    page = context.new_page()
    _sign_in(page, live_site, "dev@demo.example.org")
    crawler = Crawler(page, live_site)
    page.goto(live_site + "/deliberation/notifications")
    assert "Your account is suspended" in page.content() and "Repeated personal remarks" in page.content()
    crawler.check_current("notifications of a suspended account")
    page.goto(live_site + "/proposals/1")
    crawler.check_current("proposal page for a suspended account")
    context.close()
    found += crawler.violations
    assert found == [], "\n".join(found)
