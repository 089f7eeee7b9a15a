"""Ranked votes and delegation in real Chromium: a resident ranks, checks and casts a ballot with JavaScript
off (a repeated rank refused, the receipt looked up), delegates and follows where the vote goes; and axe-core
(WCAG 2.x A/AA) checks every new page in each of its states, as a resident, a delegate and an officer.
Zero violations."""

from __future__ import annotations

import re

import pytest

from tests.browser.test_accessibility import Crawler, _sign_in, chromium, live_site  # noqa: F401  (fixtures)

pytestmark = pytest.mark.browser

COUNTY = "Cambridgeshire climate plan: rank the actions"


def _follow(page, selector: str) -> None:  # type: ignore[no-untyped-def]
    """Click a link or a submit button and wait for the page it leads to: under load, reading the page straight
    after a click can catch it mid-navigation (empty)."""
    with page.expect_navigation(wait_until="load"):
        page.click(selector)


def _open_vote(page, base: str) -> None:  # type: ignore[no-untyped-def]
    page.goto(base + "/votes/")
    _follow(page, f"main a:text-is('{COUNTY}')")
    _follow(page, "main a.button")  # "Vote", or "See or change your vote" once voted
    assert "<h1>Vote: " in page.content()


def _rank(page, *pairs: tuple[str, str]) -> None:  # type: ignore[no-untyped-def]
    for select in page.locator("main select").all():
        select.select_option("")
    for label, rank in pairs:
        target = page.locator(f"main label:text-is('{label}')").get_attribute("for")
        page.select_option(f"#{target}", rank)


def test_ranking_and_casting_with_javascript_off(live_site, chromium):  # noqa: F811
    context = chromium.new_context(java_script_enabled=False)
    page = context.new_page()
    _sign_in(page, live_site, "sarah@demo.example.org")
    _open_vote(page, live_site)
    _rank(page, ("Solar on school roofs", "1"), ("Electric buses", "1"))
    _follow(page, "main button:text-is('Check my ballot')")
    html = page.content()
    assert "There is a problem" in html and "You gave the same rank to" in html
    _rank(page, ("Solar on school roofs", "1"), ("Electric buses", "3"))
    _follow(page, "main button:text-is('Check my ballot')")
    html = page.content()
    assert "Check your ballot" in html and "we closed the gaps in order" in html
    _follow(page, "main button:text-is('Cast ballot')")
    html = page.content()
    assert "Your ballot is recorded" in html
    code = re.search(r"<code>([A-Z2-9-]{19})</code>", html).group(1)
    _follow(page, "main a:text-is('Check a vote receipt')")
    page.fill("#code", code)
    _follow(page, "main button:text-is('Check receipt')")
    html = page.content()
    assert "Yes, on" in html and "Solar" not in html.split("<main")[1]
    page.goto(live_site + "/delegation/new")
    page.check("#scope-0")
    page.select_option("#delegate1", label="Agnieszka Nowak")
    _follow(page, "main button:text-is('Delegate')")
    assert "You pass your vote to Agnieszka Nowak." in page.content()
    context.close()


def test_every_new_page_has_no_axe_violations(live_site, chromium):  # noqa: F811
    context = chromium.new_context()
    page = context.new_page()
    crawler = Crawler(page, live_site)
    for path in ("/votes/", "/votes/1", "/votes/1/results", "/votes/2/results", "/votes/3", "/votes/receipt",
                 "/votes/receipt?code=NOT-A-CODE", "/votes/3/ballot", "/places/E07000010", "/delegation/delegates"):
        page.goto(live_site + path)
        crawler.check_current(path)
    _follow(page, "main a[href^='/delegation/delegates/']")
    crawler.check_current("delegate profile")
    # a resident: ballot states, the delegate's ballot, and every delegation page
    _sign_in(page, live_site, "dev@demo.example.org")
    _open_vote(page, live_site)
    crawler.check_current("ballot")
    _follow(page, "main button:text-is('Check my ballot')")
    assert "There is a problem" in page.content()
    crawler.check_current("ballot with a problem")
    _rank(page, ("Electric buses", "1"))
    _follow(page, "main button:text-is('Check my ballot')")
    crawler.check_current("ballot checked")
    _follow(page, "main button:text-is('Cast ballot')")
    crawler.check_current("ballot cast")
    _open_vote(page, live_site)
    _rank(page, ("Insulate council homes", "1"))
    _follow(page, "main button:text-is('Check my ballot')")
    assert "Your ballot now and the ballot that will replace it" in page.content()
    crawler.check_current("replacing a ballot")
    for path in ("/votes/3/delegate", "/delegation/", "/delegation/where", "/delegation/history", "/delegation/preferences",
                 "/delegation/weight", "/delegation/offer", "/delegation/withdraw", "/delegation/new"):
        page.goto(live_site + path)
        crawler.check_current(path)
    page.goto(live_site + "/delegation/new")
    _follow(page, "main button:text-is('Delegate')")
    assert "There is a problem" in page.content()
    crawler.check_current("delegate with errors")
    page.select_option("#delegate1", label="Agnieszka Nowak")
    _follow(page, "main button:text-is('Delegate')")
    crawler.check_current("where my vote goes, delegated")
    page.goto(live_site + "/delegation/")
    crawler.check_current("delegations in force")
    page.goto(live_site + "/delegation/offer")
    _follow(page, "main button[type=submit]")
    assert "There is a problem" in page.content()
    crawler.check_current("offer with errors")
    # a delegate: the weight they carry
    _sign_in(page, live_site, "agnieszka@demo.example.org")
    page.goto(live_site + "/delegation/weight")
    crawler.check_current("a delegate's weight")
    # an officer: creating, keying, closing, publishing, group accounts
    _sign_in(page, live_site, "officer@demo.example.org")
    for path in ("/votes/new", "/votes/3/assisted", "/votes/3/close", "/votes/1/publish", "/votes/2/results"):
        page.goto(live_site + path)
        crawler.check_current(path)
    page.goto(live_site + "/votes/new")
    _follow(page, "main button[type=submit]")
    assert "There is a problem" in page.content()
    crawler.check_current("new vote with errors")
    page.goto(live_site + "/votes/3/assisted")
    _follow(page, "main button[type=submit]")
    crawler.check_current("assisted ballot with errors")
    page.goto(live_site + "/delegation/delegates")
    _follow(page, "main a[href^='/delegation/delegates/']")
    _follow(page, "main a[href$='/group']")
    crawler.check_current("group account")
    context.close()
    assert crawler.violations == [], "\n".join(crawler.violations)
