"""Budgets in real Chromium: a resident votes with JavaScript off ("check my choices", an over-budget refusal,
casting, the receipt look-up), and axe-core (WCAG 2.x A/AA) checks the ballot in each state and the officer's
set-up pages (a new budget, its heading, a funding pot and its error state), which the demo data, having no
budget in drafting, does not link to.  Zero violations."""

from __future__ import annotations

import re

import pytest

from tests.browser.test_accessibility import Crawler, _sign_in, chromium, live_site  # noqa: F401  (fixtures)

pytestmark = pytest.mark.browser

SOUTH = "South Cambridgeshire Greener Villages 2027"


def _open_ballot(page, base: str) -> None:  # type: ignore[no-untyped-def]
    """From the budgets list to the South Cambridgeshire ballot, by following links."""
    page.goto(base + "/budgets/")
    page.click(f"main a:text-is('{SOUTH}')")
    page.click("main table a:text-is('South Cambridgeshire')")
    page.click("main a[href$='/ballot']")  # "Vote", or "See or change your vote" once voted
    assert "<h1>Vote: South Cambridgeshire</h1>" in page.content()


def _tick_all_but(page, but: str | None = None) -> None:  # type: ignore[no-untyped-def]
    for box in page.locator("main input[type=checkbox]").all():
        label = page.locator(f"label[for='{box.get_attribute('id')}']").inner_text()
        if but is not None and label.startswith(but):
            box.uncheck()
        else:
            box.check()


def test_blank_ballot_confirmation_has_no_axe_violations(live_site, chromium):  # noqa: F811
    """Before Sarah has voted: "Cast ballot" with nothing ticked asks, on a page of its own, whether she means a
    blank ballot; going back records nothing."""
    context = chromium.new_context()
    page = context.new_page()
    _sign_in(page, live_site, "sarah@demo.example.org")
    crawler = Crawler(page, live_site)
    _open_ballot(page, live_site)
    page.click("main button:text-is('Cast ballot')")
    html = page.content()
    assert "<h1>Cast a blank ballot?</h1>" in html and "Your ballot is recorded" not in html
    crawler.check_current("blank ballot confirmation")
    page.click("main button:text-is('No, go back to my choices')")
    assert "<h1>Vote: South Cambridgeshire</h1>" in page.content()
    context.close()
    assert crawler.violations == [], "\n".join(crawler.violations)


def test_voting_with_javascript_off(live_site, chromium):  # noqa: F811
    context = chromium.new_context(java_script_enabled=False)
    page = context.new_page()
    _sign_in(page, live_site, "sarah@demo.example.org")
    _open_ballot(page, live_site)
    page.click("main button:text-is('Cast ballot')")  # nothing ticked: a blank ballot needs its own step
    assert "<h1>Cast a blank ballot?</h1>" in page.content()
    page.click("main button:text-is('No, go back to my choices')")
    _tick_all_but(page)  # £90,000 of projects for £80,000
    page.click("main button:text-is('Check my choices')")
    html = page.content()
    assert "There is a problem" in html and "more than the £80,000.00 available" in html
    assert "Total cost: £90,000.00 of £80,000.00 available" in html
    _tick_all_but(page, but="Sawston")  # the £35,000 solar panels out: £55,000
    page.click("main button:text-is('Check my choices')")
    assert "Your choices are valid" in page.content()
    page.click("main button:text-is('Cast ballot')")
    html = page.content()
    assert "Your ballot is recorded" in html
    code = re.search(r"<code>([A-Z2-9-]{19})</code>", html).group(1)
    page.click("main a:text-is('Check a ballot receipt')")
    page.fill("#code", code.lower())
    page.click("main button:text-is('Check receipt')")
    html = page.content()
    assert "Yes, on" in html and "The results have not been published yet." in html and "Sawston" not in html
    # replacing the ballot: the old and new choices side by side, then confirmed; the old receipt says so
    _open_ballot(page, live_site)
    _tick_all_but(page, but="Sawston")
    page.locator("main input[type=checkbox]").first.uncheck()
    page.click("main button:text-is('Cast ballot')")
    html = page.content()
    assert "<h1>Replace your ballot?</h1>" in html and "Your ballot now" in html and "Your new ballot" in html
    page.click("main button:text-is('Yes, replace my ballot')")
    assert "It replaces your earlier ballot" in page.content()
    page.goto(live_site + "/budgets/receipt?code=" + code)
    assert "replaced by a later ballot on" in page.content()
    context.close()


def test_ballot_states_have_no_axe_violations(live_site, chromium):  # noqa: F811
    context = chromium.new_context()
    page = context.new_page()
    _sign_in(page, live_site, "sarah@demo.example.org")
    crawler = Crawler(page, live_site)
    _open_ballot(page, live_site)
    crawler.check_current("ballot")
    _tick_all_but(page)
    page.click("main button:text-is('Check my choices')")
    assert "There is a problem" in page.content()
    crawler.check_current("ballot with a problem")
    _tick_all_but(page, but="Sawston")
    page.click("main button:text-is('Check my choices')")
    crawler.check_current("ballot checked")
    page.click("main button:text-is('Cast ballot')")  # Sarah voted in the test before: this replaces it
    assert "<h1>Replace your ballot?</h1>" in page.content()
    crawler.check_current("ballot replacement confirmation")
    page.click("main button:text-is('No, go back to my choices')")
    for box in page.locator("main input[type=checkbox]").all():
        box.uncheck()
    page.click("main button:text-is('Cast ballot')")
    assert "It would take away the support your earlier ballot gave." in page.content()
    crawler.check_current("blank ballot replacing a ballot")
    page.click("main button:text-is('No, go back to my choices')")
    _tick_all_but(page, but="Sawston")
    page.click("main button:text-is('Cast ballot')")
    page.click("main button:text-is('Yes, replace my ballot')")
    assert "Your ballot is recorded" in page.content()
    crawler.check_current("ballot cast")
    page.goto(live_site + "/budgets/receipt?code=" + re.search(r"<code>([A-Z2-9-]{19})</code>", page.content()).group(1))
    crawler.check_current("receipt found")
    page.goto(live_site + "/budgets/receipt?code=NOT-A-CODE")
    crawler.check_current("receipt not found")
    context.close()
    assert crawler.violations == [], "\n".join(crawler.violations)


def test_officer_set_up_pages_have_no_axe_violations(live_site, chromium):  # noqa: F811
    context = chromium.new_context()
    page = context.new_page()
    _sign_in(page, live_site, "officer@demo.example.org")
    crawler = Crawler(page, live_site)
    page.goto(live_site + "/budgets/new")
    page.click("main button[type=submit]")
    assert "There is a problem" in page.content()
    crawler.check_current("new budget with errors")
    page.fill("#title", "Fenland Small Grants 2028")
    fenland = page.eval_on_selector("#place", "s => [...s.options].find(o => o.text.startsWith('Fenland')).value")
    page.select_option("#place", fenland)
    page.click("main button[type=submit]")
    assert "Budget created" in page.content()
    crawler.check_current("draft budget")
    page.click("main a:text-is('Add a heading')")
    crawler.check_current("new heading")
    page.select_option("#place", page.eval_on_selector("#place", "s => [...s.options].find(o => o.text.startsWith('Fenland')).value"))
    page.fill("#amount", "5,000")
    page.click("main button[type=submit]")
    assert "Heading added" in page.content()
    page.fill("#pot-source", "Small grants")
    page.fill("#pot-amount", "4,000")
    page.click("main button:text-is('Add pot')")
    html = page.content()
    assert "Funding pot added." in html and "funding pots add up to £4,000.00" in html
    crawler.check_current("heading with pots")
    page.click("main a[href*='/pots/']")
    crawler.check_current("edit pot")
    page.fill("#amount", "0")
    page.click("main button:text-is('Save pot')")
    assert "Enter an amount of more than £0." in page.content()
    crawler.check_current("edit pot with an error")
    page.fill("#amount", "5000")
    page.click("main button:text-is('Save pot')")
    html = page.content()
    assert "Funding pot saved." in html and "funding pots add up to" not in html
    page.click("main nav.breadcrumbs a >> nth=1")
    page.click("main a:text-is('Add a project')")
    crawler.check_current("new project")
    page.goto(live_site + "/budgets/")
    page.click(f"main a:text-is('{SOUTH}')")
    south = page.url
    page.goto(south + "/phase")
    assert "<h1>Move to the next stage: Reviewing ballots</h1>" in page.content()
    crawler.check_current("close voting")
    page.goto(south + "/back")
    assert "Voting cannot go back to set-up" in page.content()
    crawler.check_current("back to set-up refused")
    context.close()
    assert crawler.violations == [], "\n".join(crawler.violations)
