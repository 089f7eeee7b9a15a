"""The home page shows what is open now (issue 13, item 9): county-wide for everyone, the resident's own area
(and the larger areas containing it) when signed in; features plug their items in through app.core.home."""

from __future__ import annotations

import re

from app.core import home
from app.core.demo import DEMO_PASSWORD


def _html(resp) -> str:  # type: ignore[no-untyped-def]
    return resp.get_data(as_text=True)


def test_visitors_see_what_is_open_across_the_county(browser, demo):
    html = _html(browser.get("/"))
    assert "Open now across the county" in html
    assert "Budgets you can vote on now" in html
    assert "South Cambridgeshire Greener Villages 2027" in html
    assert "Voting closes on" in html
    assert "Proposals collecting support" in html
    assert "Sawston cycle route to the Biomedical Campus" in html
    assert "Results published recently" in html and "Fenland Community Fund 2026" in html


def test_a_resident_sees_their_own_area(browser, demo):
    browser.sign_in("sarah@demo.example.org", DEMO_PASSWORD)  # Cambourne, South Cambridgeshire
    html = _html(browser.get("/"))
    assert "Open now for Cambourne" in html
    assert "South Cambridgeshire Greener Villages 2027" in html  # she can vote in it
    assert "Littleport pump track" not in html  # East Cambridgeshire: not her area
    browser.sign_out()
    browser.sign_in("priya@demo.example.org", DEMO_PASSWORD)  # Petersfield, Cambridge
    html = _html(browser.get("/"))
    assert "Open now for Petersfield" in html
    assert "South Cambridgeshire Greener Villages 2027" not in html
    assert "No budget is in voting now." in html


def test_a_new_feature_plugs_in_its_own_items(browser, demo):
    def open_votes(session, areas):  # type: ignore[no-untyped-def]
        return home.HomeSection(key="votes", order=30, heading="Open votes",
                                items=[home.HomeItem(text="Library opening hours", url="/votes/1",
                                                     detail="Closes on 1 January")])

    home.register_home_section(open_votes)
    try:
        html = _html(browser.get("/"))
    finally:
        home._PROVIDERS.remove(open_votes)
    assert "Open votes" in html and "Library opening hours" in html
    # ordered by each section's order: budgets (10) before proposals (20) before votes (30)
    assert html.index("Budgets you can vote on now") < html.index("Proposals collecting support") < html.index("Open votes")


def _section(html: str, heading: str) -> str:
    """The HTML of the home page's section with this heading (up to the next section)."""
    start = html.index(f">{heading}</h3>")
    end = html.find("</section>", start)
    return html[start:end]


def test_visitors_see_open_votes_panels_and_recent_results(browser, demo):
    html = _html(browser.get("/"))
    votes = _section(html, "Ranked votes open now")
    assert "Cambridgeshire climate plan: rank the actions" in votes and "Voting closes on" in votes
    assert "Fenland transport fund" not in votes  # closed and published: a result, not open
    panels = _section(html, "Citizens&#39; panels taking registrations")
    assert "Fenland Transport Panel 2027" in panels
    assert "code on your invitation letter" in panels and 'href="/panels/respond"' in panels
    assert "Cambridgeshire Climate Panel 2027" not in panels  # drawn: registration closed
    results = _section(html, "Results published recently")
    assert "Fenland Community Fund 2026" in results  # a budget's results
    assert "Fenland transport fund: what should come first?" in results  # a ranked vote's
    assert "South Cambridgeshire: choose three priorities for 2027" in results
    assert "Cambridgeshire Climate Panel 2027: the draw" in results  # a panel's public draw page
    assert html.count(">Results published recently</h3>") == 1  # one section, whichever feature added it
    # budgets (10), proposals (20), votes (30), panels (40), results (90)
    assert (html.index("Budgets you can vote on now") < html.index("Proposals collecting support")
            < html.index("Ranked votes open now") < html.index("Citizens&#39; panels taking registrations")
            < html.index("Results published recently"))


def test_the_links_lead_to_the_public_pages(browser, demo):
    html = _html(browser.get("/"))
    votes, results = _section(html, "Ranked votes open now"), _section(html, "Results published recently")
    for href in re.findall(r'href="(/votes/\d+(?:/results)?)"', votes + results) + re.findall(r'href="(/panels/\d+/draw)"', results):
        assert browser.get(href).status_code == 200, href
    page = _html(browser.get("/panels/respond"))
    assert "Fenland Transport Panel 2027" in page


def test_a_district_resident_sees_their_districts_votes_and_panels(browser, demo):
    browser.sign_in("agnieszka@demo.example.org", DEMO_PASSWORD)  # Wisbech, Fenland
    html = _html(browser.get("/"))
    assert "Cambridgeshire climate plan: rank the actions" in _section(html, "Ranked votes open now")  # county-wide
    assert "Fenland Transport Panel 2027" in _section(html, "Citizens&#39; panels taking registrations")
    results = _section(html, "Results published recently")
    assert "Fenland transport fund: what should come first?" in results
    assert "Cambridgeshire Climate Panel 2027: the draw" in results  # county-wide
    assert "South Cambridgeshire: choose three priorities for 2027" not in html  # another district's vote
    browser.sign_out()
    browser.sign_in("sarah@demo.example.org", DEMO_PASSWORD)  # Cambourne, South Cambridgeshire
    html = _html(browser.get("/"))
    assert "Cambridgeshire climate plan: rank the actions" in _section(html, "Ranked votes open now")
    assert "South Cambridgeshire: choose three priorities for 2027" in _section(html, "Results published recently")
    assert "Fenland transport fund" not in html and "Fenland Transport Panel 2027" not in html
    assert "Citizens&#39; panels taking registrations" not in html  # no panel open for her area: no section


def test_old_results_and_closed_votes_drop_off(browser, demo):
    from datetime import timedelta

    from sqlalchemy import select

    from app.core.db import utcnow
    from app.extensions import db
    from app.panels.models import Panel
    from app.voting.models import Vote, VoteState

    county = db.session.execute(select(Vote).where(Vote.title == "Cambridgeshire climate plan: rank the actions")).scalar_one()
    county.closes_at = utcnow() - timedelta(minutes=1)  # past its closing time, not yet counted
    fenland = db.session.execute(select(Vote).where(Vote.state == VoteState.PUBLISHED.value, Vote.title.like("Fenland%"))).scalar_one()
    fenland.published_at = utcnow() - timedelta(days=120)
    climate = db.session.execute(select(Panel).where(Panel.title == "Cambridgeshire Climate Panel 2027")).scalar_one()
    assert climate.selection is not None
    climate.selection.drawn_at = utcnow() - timedelta(days=120)
    db.session.commit()
    html = _html(browser.get("/"))
    assert "No ranked vote is open now." in _section(html, "Ranked votes open now")
    results = _section(html, "Results published recently")
    assert "Fenland transport fund" not in results and "Cambridgeshire Climate Panel 2027" not in results
    assert "South Cambridgeshire: choose three priorities for 2027" in results
