"""The marked register in real Chromium, axe-core (WCAG 2.x A/AA) on every page and state: an officer finds
residents (by poll card number, by name and postcode, a search with an error, no match, a delegate found),
issues paper ballots (one refused because the resident voted online meanwhile, one to a delegate, whose
delegators are told), reads the register list, cancels a spoilt issue (its error state, then with the reason);
the resident issued a paper ballot sees their ballot page refused (and the error state of a ballot sent from a
page opened before the paper was issued); a delegator reads the notice.  Zero violations.  The demo site has
no poll card numbers and no delegates in South Cambridgeshire, so this module adds them to its own site."""

from __future__ import annotations

import pytest

from tests.browser.test_accessibility import LIVE_APPS, Crawler, _sign_in, chromium, live_site  # noqa: F401  (fixtures)

pytestmark = pytest.mark.browser

SOUTH = "South Cambridgeshire Greener Villages 2027"


def _prepare(base: str) -> dict[str, object]:
    """Sarah gets a poll card number; a late online voter, a delegate and two delegators in Sarah's area."""
    from sqlalchemy import select

    from app.auth.models import User
    from app.budgets.models import BudgetHeading, BudgetProcess
    from app.extensions import db
    from tests.factories import PASSWORD, make_user
    from tests.factories_votes import delegate, offer

    with LIVE_APPS[base].app_context():
        sarah = db.session.execute(select(User).where(User.email == "sarah@demo.example.org")).scalar_one()
        sarah.poll_card_number = "SC-004217"
        db.session.commit()
        postcode = sarah.postcode
        late = make_user(postcode=postcode, name="Rowan Latecomer")
        dana = offer(make_user(postcode=postcode, name="Dana Delegate"))
        delegators = [make_user(postcode=postcode, name=f"Delegator {n}") for n in (1, 2)]
        for member in delegators:
            delegate(member, dana)
        heading = db.session.execute(select(BudgetHeading).join(BudgetProcess).where(BudgetProcess.title == SOUTH)).scalar_one()
        return {"heading": heading.id, "postcode": postcode, "late": late.id, "delegator": delegators[0].email,
                "password": PASSWORD}


def _vote_online(base: str, heading_id: int, user_id: int) -> None:
    from app.auth.models import User
    from app.budgets import services
    from app.budgets.models import BudgetHeading
    from app.extensions import db

    with LIVE_APPS[base].app_context():
        heading = db.session.get(BudgetHeading, heading_id)
        services.cast_ballot(db.session, db.session.get(User, user_id), heading, {heading.projects[0].id: 1})
        db.session.commit()


def test_register_pages_have_no_axe_violations(live_site, chromium):  # noqa: F811
    world = _prepare(live_site)
    register = f"{live_site}/budgets/headings/{world['heading']}/register"
    officer_context = chromium.new_context()
    page = officer_context.new_page()
    _sign_in(page, live_site, "officer@demo.example.org")
    crawler = Crawler(page, live_site)
    # the register list, reached from the heading page
    page.goto(f"{live_site}/budgets/headings/{world['heading']}")
    page.click("main a:text-is('Register of who has voted')")
    assert "<h1>Register: South Cambridgeshire</h1>" in page.content()
    crawler.check_current("register")
    # a name without a postcode: the error summary links to the field
    page.fill("#name", "Sarah")
    page.click("main button:text-is('Find')")
    html = page.content()
    assert "There is a problem" in html and 'href="#poll_card"' in html
    crawler.check_current("find a resident with an error")
    page.fill("#name", "")
    page.fill("#poll_card", "nobody-here")
    page.click("main button:text-is('Find')")
    assert "No resident matches" in page.content()
    crawler.check_current("find a resident: no match")
    # Sarah's ballot page, opened before her paper ballot is issued
    sarah_context = chromium.new_context()
    sarah = sarah_context.new_page()
    _sign_in(sarah, live_site, "sarah@demo.example.org")
    sarah.goto(f"{live_site}/budgets/headings/{world['heading']}/ballot")
    assert "Check my choices" in sarah.content()
    # by poll card number, in any case
    page.fill("#poll_card", "sc-004217")
    page.click("main button:text-is('Find')")
    html = page.content()
    assert "Sarah Okafor" in html and "Not marked" in html
    crawler.check_current("resident found by poll card")
    page.click("main button:has-text('Issue a paper ballot')")
    assert "Paper ballot issued to Sarah Okafor" in page.content()
    crawler.check_current("paper ballot issued")
    # a resident who votes online between the search and the click is refused, with the reason
    page.goto(f"{register}?name=rowan&postcode={world['postcode']}")
    assert "Rowan Latecomer" in page.content()
    _vote_online(live_site, int(world["heading"]), int(world["late"]))
    page.click("main button:has-text('Issue a paper ballot')")
    html = page.content()
    assert "There is a problem" in html and "already voted online" in html
    crawler.check_current("paper ballot refused")
    # a delegate: told before and after that a paper ballot cannot carry their delegators' votes
    page.goto(f"{register}?name=dana&postcode={world['postcode']}")
    html = page.content()
    assert "2 residents' votes go with this resident's as their delegate" in html
    crawler.check_current("delegate found")
    # a kind of ballot the form does not offer (a tampered request): the error links to the select
    page.eval_on_selector("main select", "s => { s.add(new Option('Postal', 'postal')); s.value = 'postal'; }")
    page.click("main button:has-text('Issue a paper ballot')")
    html = page.content()
    assert "There is a problem" in html and 'href="#channel"' in html and 'id="channel"' in html
    crawler.check_current("paper ballot with an invalid kind")
    page.select_option("main select", "assisted")
    page.click("main button:has-text('Issue a paper ballot')")
    html = page.content()
    assert "Paper ballot issued to Dana Delegate" in html and "have been told to vote themselves" in html
    crawler.check_current("paper ballot issued to a delegate")
    # cancelling a spoilt issue: the reason is required, then kept
    page.click("main a:has-text('Cancel this issue') >> nth=0")
    assert "<h1>Cancel a paper ballot issue: South Cambridgeshire</h1>" in page.content()
    crawler.check_current("cancel an issue")
    page.click("main button:text-is('Cancel the issue')")
    html = page.content()
    assert "There is a problem" in html and 'href="#reason"' in html
    crawler.check_current("cancel an issue with an error")
    page.fill("#reason", "Spoilt: two crosses, handed back")
    page.click("main button:text-is('Cancel the issue')")
    html = page.content()
    assert "is cancelled" in html and "Spoilt: two crosses, handed back" in html
    crawler.check_current("register with a cancelled issue")
    # Sarah sends the ballot she opened before the paper was issued, then opens it again
    sarah_crawler = Crawler(sarah, live_site)
    sarah.click("main button:text-is('Check my choices')")
    html = sarah.content()
    assert "There is a problem" in html and "paper ballot" in html
    sarah_crawler.check_current("ballot sent after a paper ballot was issued")
    sarah.goto(f"{live_site}/budgets/headings/{world['heading']}/ballot")
    html = sarah.content()
    assert "You cannot vote here" in html and "Check my choices" not in html
    sarah_crawler.check_current("ballot refused: a paper ballot was issued")
    sarah_context.close()
    # a delegator reads why their vote no longer goes with their delegate's
    delegator_context = chromium.new_context()
    delegator = delegator_context.new_page()
    from tests.browser.axe_crawl import sign_in

    sign_in(delegator, live_site, str(world["delegator"]), str(world["password"]))
    delegator.goto(f"{live_site}/deliberation/notifications")
    assert "Your delegate voted on paper in" in delegator.content()
    delegator_crawler = Crawler(delegator, live_site)
    delegator_crawler.check_current("delegator's notice")
    delegator_context.close()
    officer_context.close()
    violations = crawler.violations + sarah_crawler.violations + delegator_crawler.violations
    assert violations == [], "\n".join(violations)
