"""Browsing proposals: filters (place and everything below it, topic, stage, text), sorting, pagination,
the place-page section, and the demo data."""

from __future__ import annotations

import re
from datetime import timedelta

from sqlalchemy import func, select

from app.core.db import utcnow
from app.extensions import db
from app.proposals import services
from app.proposals.models import Proposal, ProposalEvent, Topic
from app.proposals.queries import PER_PAGE
from tests.factories_proposals import S, World, make_proposal, make_topic, quick_user, world_fixture  # noqa: F401


def _titles(html: str) -> list[str]:
    return re.findall(r'<h3><a href="/proposals/\d+">([^<]+)</a></h3>', html)


def _get(browser, query: str = "") -> str:  # type: ignore[no-untyped-def]
    resp = browser.get(f"/proposals/{query}")
    assert resp.status_code == 200
    return resp.get_data(as_text=True)


def test_filters_by_place_including_places_below_topic_stage_and_text(browser, world: World):
    parks = make_topic("Parks")
    roads = make_topic("Roads")
    make_proposal(world.author, world.place("T-NWP"), S.PUBLISHED, title="Pond benches", topic_ids=[parks.id])
    make_proposal(world.author, world.place("T-NW"), S.UNDER_REVIEW, officer=world.officer, title="Ward crossing", topic_ids=[roads.id])
    make_proposal(world.author, world.place("T-SW"), S.PUBLISHED, title="South trees", summary="Plant TREES by the school", topic_ids=[parks.id])
    make_proposal(world.author, world.place("T-NW"), S.DRAFT, title="Draft never listed")

    assert sorted(_titles(_get(browser))) == ["Pond benches", "South trees", "Ward crossing"]
    assert sorted(_titles(_get(browser, "?place=T-NORTH"))) == ["Pond benches", "Ward crossing"]  # parish below the ward below the district
    assert _titles(_get(browser, "?place=T-NWP")) == ["Pond benches"]
    assert sorted(_titles(_get(browser, "?place=T-COUNTY"))) == ["Pond benches", "South trees", "Ward crossing"]
    assert sorted(_titles(_get(browser, "?topic=parks"))) == ["Pond benches", "South trees"]
    assert _titles(_get(browser, "?state=under_review")) == ["Ward crossing"]
    assert _titles(_get(browser, "?state=draft")) != ["Draft never listed"]
    assert _titles(_get(browser, "?q=trees")) == ["South trees"]  # summary, any case
    assert _titles(_get(browser, "?q=POND")) == ["Pond benches"]  # title, any case
    assert _titles(_get(browser, "?q=%25")) == []  # LIKE wildcards are searched for literally
    assert _titles(_get(browser, "?q=benches&topic=parks&place=T-NORTH&state=published")) == ["Pond benches"]
    assert _titles(_get(browser, "?place=NOWHERE&topic=nothing&state=bogus&sort=bogus&page=abc")) != []


def test_the_filter_form_is_a_labelled_get_form(browser, world: World):
    html = _get(browser)
    assert '<form method="get"' in html
    for name in ("q", "place", "topic", "state", "sort"):
        assert f'<label class="label" for="{name}">' in html and f'id="{name}" name="{name}"' in html


def test_sorting(browser, world: World):
    first = make_proposal(world.author, world.place("T-NW"), S.PUBLISHED, title="First")
    second = make_proposal(world.author, world.place("T-NW"), S.PUBLISHED, title="Second")
    third = make_proposal(world.author, world.place("T-NW"), S.PUBLISHED, title="Third")
    now = utcnow()
    for offset, p in enumerate([first, second, third]):
        p.published_at = now - timedelta(days=10 - offset)
        p.updated_at = now - timedelta(days=10 - offset)
    db.session.commit()
    for person in (quick_user("A", None), quick_user("B", None)):
        services.support(db.session, person, first)
    services.support(db.session, world.other, second)
    db.session.commit()
    db.session.execute(Proposal.__table__.update().where(Proposal.id == second.id).values(updated_at=now))
    db.session.commit()
    assert _titles(_get(browser)) == ["Third", "Second", "First"]
    assert _titles(_get(browser, "?sort=newest")) == ["Third", "Second", "First"]
    assert _titles(_get(browser, "?sort=supported")) == ["First", "Second", "Third"]
    assert _titles(_get(browser, "?sort=updated")) == ["Second", "Third", "First"]
    html = _get(browser, "?sort=supported")
    assert '<a href="/proposals/?sort=newest">Newest</a>' in html and '<strong aria-current="true">Most supported</strong>' in html


def test_pagination_keeps_the_filters(browser, world: World):
    topic = make_topic("Play")
    for i in range(PER_PAGE + 3):
        make_proposal(world.author, world.place("T-NW"), S.PUBLISHED, title=f"Play idea {i:02d}", topic_ids=[topic.id])
    make_proposal(world.author, world.place("T-SW"), S.PUBLISHED, title="Unrelated")
    html = _get(browser, "?topic=play")
    assert len(_titles(html)) == PER_PAGE and "Page 1 of 2" in html
    assert f"{PER_PAGE + 3} proposals" in html
    next_link = re.search(r'<a href="([^"]+)" rel="next">', html).group(1).replace("&amp;", "&")
    assert "topic=play" in next_link and "page=2" in next_link
    page2 = _titles(_get(browser, next_link.removeprefix("/proposals/")))
    assert len(page2) == 3 and "Unrelated" not in page2
    assert _titles(_get(browser, "?topic=play&page=9")) == []


def test_place_page_lists_its_proposals_and_those_below_it(browser, world: World):
    for i in range(12):
        make_proposal(world.author, world.place("T-NWP"), S.PUBLISHED, title=f"Parish idea {i:02d}")
    make_proposal(world.author, world.place("T-SW"), S.PUBLISHED, title="Southern idea")
    html = browser.get("/places/T-NORTH").get_data(as_text=True)
    section = html.split("<h2>Proposals</h2>")[1].split("<h2>")[0]
    assert section.count("Parish idea") == 10 and "Southern idea" not in section
    assert "Parish idea 11" in section and "Parish idea 01" not in section  # newest first
    assert 'href="/proposals/?place=T-NORTH"' in section
    empty = browser.get("/places/T-NWP").get_data(as_text=True)
    assert "Parish idea" in empty
    html = browser.get("/places/T-SOUTH").get_data(as_text=True)
    assert "Southern idea" in html


def test_demo_seed_is_idempotent_and_covers_the_lifecycle(app):
    runner = app.test_cli_runner()
    assert runner.invoke(args=["demo", "seed"]).exit_code == 0
    count = db.session.execute(select(func.count(Proposal.id))).scalar_one()
    events = db.session.execute(select(func.count(ProposalEvent.id))).scalar_one()
    second = runner.invoke(args=["demo", "seed"])
    assert second.exit_code == 0, second.output
    assert db.session.execute(select(func.count(Proposal.id))).scalar_one() == count >= 20
    assert db.session.execute(select(func.count(ProposalEvent.id))).scalar_one() == events
    assert db.session.execute(select(func.count(Topic.id))).scalar_one() == 7
    states = set(db.session.execute(select(Proposal.state)).scalars())
    assert {"published", "under_review", "shortlisted", "declined", "selected", "in_delivery", "delivered"} <= states
    assert db.session.execute(select(func.count(Proposal.id)).where(Proposal.entered_by_id.is_not(None))).scalar_one() == 2
    assert db.session.execute(select(func.count(ProposalEvent.id)).where(ProposalEvent.kind == "update")).scalar_one() >= 5
    declined = db.session.execute(select(Proposal).where(Proposal.state == "declined")).scalars().all()
    assert declined and all(p.decline_reason for p in declined)
    shortlisted = db.session.execute(select(Proposal).where(Proposal.state == "shortlisted")).scalars().all()
    assert all(p.costing_pence for p in shortlisted)
