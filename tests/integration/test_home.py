"""The home page shows what is open now (issue 13, item 9): county-wide for everyone, the resident's own area
(and the larger areas containing it) when signed in; features plug their items in through app.core.home."""

from __future__ import annotations

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
