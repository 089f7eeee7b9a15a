"""Equality monitoring in real Chromium, axe-core (WCAG 2.x A/AA) on every page and state: the published
tables on a finished budget's results page (Fenland), the officer's switch for a budget process and for a vote,
the officer's paper-slip page (empty, then with its error), and a resident's optional questions after voting
(declined without consent: the error; then sent with consent).  Zero violations."""

from __future__ import annotations

import pytest

from tests.browser.test_accessibility import LIVE_APPS, Crawler, _sign_in, chromium, live_site  # noqa: F401  (fixtures)

pytestmark = pytest.mark.browser


def _world(base: str) -> dict[str, object]:
    """The Fenland heading's results, the South Cambridgeshire process and a new resident there who has voted."""
    from sqlalchemy import select

    from app.auth.models import User
    from app.budgets import services
    from app.budgets.demo import FENLAND, SOUTH_CAMBS
    from app.budgets.models import BudgetHeading, BudgetProcess
    from app.extensions import db
    from app.voting.demo import COUNTY_VOTE
    from app.voting.models import Vote
    from tests.factories import PASSWORD, make_user

    with LIVE_APPS[base].app_context():
        fenland = db.session.execute(select(BudgetHeading).join(BudgetProcess).where(BudgetProcess.title == FENLAND)).scalars().first()
        south = db.session.execute(select(BudgetHeading).join(BudgetProcess).where(BudgetProcess.title == SOUTH_CAMBS)).scalar_one()
        sarah = db.session.execute(select(User).where(User.email == "sarah@demo.example.org")).scalar_one()
        voter = make_user(postcode=sarah.postcode, name="Morgan Answerer")
        services.cast_ballot(db.session, voter, south, {south.projects[0].id: 1})
        vote = db.session.execute(select(Vote).where(Vote.title == COUNTY_VOTE)).scalar_one()
        db.session.commit()
        return {"fenland_heading": fenland.id, "process": south.process_id, "vote": vote.id,
                "voter": voter.email, "password": PASSWORD}


def test_equality_pages_have_no_axe_violations(live_site, chromium):  # noqa: F811
    from tests.browser.axe_crawl import sign_in

    world = _world(live_site)
    context = chromium.new_context()
    page = context.new_page()
    crawler = Crawler(page, live_site)
    page.goto(f"{live_site}/budgets/headings/{world['fenland_heading']}/results")
    assert "Who took part, by group" in page.content() and "answered the optional equality-monitoring" in page.content()
    assert page.locator("#equality-report-heading ~ table").count() >= 5
    crawler.check_current("results with equality tables")
    # a resident who has just voted: the optional questions
    sign_in(page, live_site, str(world["voter"]), str(world["password"]))
    page.goto(f"{live_site}/equality/budgets/{world['process']}")
    crawler.check_current("the optional questions")
    page.locator("main input[type=radio]").first.check()
    with page.expect_navigation(wait_until="load"):
        page.click("main button[name=submit]")
    assert "There is a problem" in page.content()
    crawler.check_current("answers without consent")
    page.check("#consent")
    with page.expect_navigation(wait_until="load"):
        page.click("main button[name=submit]")
    assert "Thank you. Your answers are counted" in page.content()
    crawler.check_current("answers sent")
    context.close()
    violations = list(crawler.violations)
    # an officer: the switch and the paper slips
    context = chromium.new_context()
    page = context.new_page()
    crawler = Crawler(page, live_site)
    _sign_in(page, live_site, "officer@demo.example.org")
    for path in (f"/equality/budgets/{world['process']}/settings", f"/equality/votes/{world['vote']}/settings",
                 f"/equality/budgets/{world['process']}/slips", f"/equality/votes/{world['vote']}/slips"):
        page.goto(live_site + path)
        assert page.title()
        crawler.check_current(path)
    page.goto(f"{live_site}/equality/budgets/{world['process']}/slips")
    with page.expect_navigation(wait_until="load"):
        page.click("main button[type=submit]")
    assert "There is a problem" in page.content()
    crawler.check_current("a slip with an error")
    context.close()
    violations += crawler.violations
    assert violations == [], "\n".join(violations)
