"""Submitting proposals: user text stored exactly and escaped on output, size limits, money in pounds,
draft privacy, topics managed by officers, and assisted entry on a resident's behalf."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import func, select

from app.core.models import AuditEntry
from app.extensions import db
from app.proposals.models import OfflineContributor, Proposal, Topic
from tests.factories_proposals import S, World, login_as, make_proposal, make_topic, world_fixture  # noqa: F401

PAYLOAD_UNIT = "<script>alert(1)</script> & \"quotes\" 'ok' "


def payload(length: int) -> str:
    return (PAYLOAD_UNIT * (length // len(PAYLOAD_UNIT) + 1))[:length]


def _form(world: World, **overrides: object) -> dict[str, object]:
    data: dict[str, object] = {
        "title": "A title", "summary": "A summary", "need": "A need", "solution": "A solution",
        "place_id": world.place("T-NW").id, "cost_estimate": "", "offer_of_help": "",
    }
    data.update(overrides)
    return data


def _count() -> int:
    return db.session.execute(select(func.count(Proposal.id))).scalar_one()


def test_script_payload_in_every_text_field_is_stored_exactly_and_escaped(browser, world: World):
    title = payload(200)
    long_text = {name: payload(10_000) for name in ("summary", "need", "solution", "offer_of_help")}
    login_as(browser.client, world.author)
    resp = browser.submit("/proposals/new", _form(world, title=title, **long_text))
    assert resp.status_code == 200
    proposal = db.session.execute(select(Proposal)).scalar_one()
    assert proposal.title == title
    for name, value in long_text.items():
        assert getattr(proposal, name) == value, name
    make_published = browser.submit(f"/proposals/{proposal.id}/transition", {"to_state": "published"})
    assert make_published.status_code == 200
    browser.sign_out()
    for url in (f"/proposals/{proposal.id}", "/proposals/", f"/places/{world.place('T-NW').code}"):
        html = browser.get(url).get_data(as_text=True)
        assert "<script>" not in html, url
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html, url


@pytest.mark.parametrize(
    "field, value, message",
    [
        ("title", "x" * 201, "The title must be 200 characters or fewer"),
        ("summary", "x" * 10_001, "The summary must be 10,000 characters or fewer"),
        ("need", "x" * 10_001, "The need must be 10,000 characters or fewer"),
        ("solution", "x" * 10_001, "The proposed solution must be 10,000 characters or fewer"),
        ("offer_of_help", "x" * 10_001, "What you can contribute must be 10,000 characters or fewer"),
        ("title", "", "Enter a title"),
        ("summary", "   ", "Enter a summary"),
        ("cost_estimate", "lots", "Enter an amount in pounds, like 2,500 or 2500.50"),
        ("cost_estimate", "2500.555", "Enter pence as two digits after the point, like 2500.50"),
        ("cost_estimate", "-5", "Enter an amount of £0 or more"),
        ("cost_estimate", "200,000,000", "Enter an amount of £100,000,000 or less"),
        ("cost_estimate", "2,50", "Enter an amount in pounds, like 2,500 or 2500.50"),
    ],
)
def test_invalid_input_gets_a_field_error_and_saves_nothing(browser, world: World, field, value, message):
    login_as(browser.client, world.author)
    html = browser.submit("/proposals/new", _form(world, **{field: value})).get_data(as_text=True)
    assert message in html
    assert f'href="#{field}"' in html  # the error summary links to the field
    assert "There is a problem" in html and "<title>Error:" in html
    assert _count() == 0


@pytest.mark.parametrize("typed, pence", [("2,500", 250000), ("2500.50", 250050), ("£1,234.5", 123450), (" 12 ", 1200), ("", None)])
def test_cost_estimate_in_pounds_is_stored_in_pence(browser, world: World, typed, pence):
    login_as(browser.client, world.author)
    browser.submit("/proposals/new", _form(world, cost_estimate=typed))
    assert db.session.execute(select(Proposal.cost_estimate_pence)).scalar_one() == pence


def test_drafts_are_private_to_their_author_and_officers(browser, world: World):
    draft = make_proposal(world.author, world.place("T-NW"), title="My secret draft")
    for user, status in [(world.other, 404), (world.moderator, 404), (world.author, 200), (world.officer, 200), (world.admin, 200)]:
        login_as(browser.client, user)
        assert browser.get(f"/proposals/{draft.id}").status_code == status, user.display_name
        assert "My secret draft" not in browser.get("/proposals/").get_data(as_text=True)
    browser.sign_out()
    assert browser.get(f"/proposals/{draft.id}").status_code == 404
    assert browser.get("/proposals/999999").status_code == 404
    # only the author edits it
    login_as(browser.client, world.officer)
    assert browser.get(f"/proposals/{draft.id}/edit").status_code == 403
    login_as(browser.client, world.other)
    assert browser.get(f"/proposals/{draft.id}/edit").status_code == 404


def test_anonymous_visitors_are_sent_to_sign_in_to_propose(browser, world: World):
    resp = browser.get("/proposals/new")
    assert resp.status_code == 302 and "/auth/sign-in" in resp.headers["Location"]


def test_topics_are_managed_by_officers_and_chosen_by_residents(browser, world: World):
    login_as(browser.client, world.author)
    assert browser.get("/proposals/topics").status_code == 403
    login_as(browser.client, world.officer)
    html = browser.submit("/proposals/topics", {"name": "Parks and green spaces"}).get_data(as_text=True)
    assert "Topic added: Parks and green spaces." in html
    html = browser.submit("/proposals/topics", {"name": "parks and green spaces"}).get_data(as_text=True)
    assert "There is already a topic with that name." in html
    browser.submit("/proposals/topics", {"name": "Roads"})
    roads = db.session.execute(select(Topic).where(Topic.name == "Roads")).scalar_one()
    browser.submit(f"/proposals/topics/{roads.id}", {"name": "Roads and pavements", "is_active": "y"})
    parks = db.session.execute(select(Topic).where(Topic.slug == "parks-and-green-spaces")).scalar_one()
    browser.submit(f"/proposals/topics/{parks.id}", {"name": "Parks and green spaces"})  # unticked: deactivated
    db.session.refresh(parks)
    db.session.refresh(roads)
    assert (roads.name, roads.is_active, parks.is_active) == ("Roads and pavements", True, False)
    actions = set(db.session.execute(select(AuditEntry.action)).scalars())
    assert {"topic.created", "topic.updated"} <= actions

    login_as(browser.client, world.author)
    page = browser.get("/proposals/new").get_data(as_text=True)
    assert "Roads and pavements" in page and "Parks and green spaces" not in page
    browser.submit("/proposals/new", _form(world, topic_ids=[roads.id]))
    proposal = db.session.execute(select(Proposal)).scalar_one()
    assert [t.name for t in proposal.topics] == ["Roads and pavements"]
    html = browser.submit("/proposals/new", _form(world, topic_ids=[parks.id])).get_data(as_text=True)
    assert "There is a problem" in html and "not a valid choice" in html and _count() == 1


def test_assisted_entry_for_an_offline_contributor(browser, world: World):
    topic = make_topic("Play")
    login_as(browser.client, world.author)
    assert browser.get("/proposals/assisted").status_code == 403
    login_as(browser.client, world.officer)
    html = browser.submit("/proposals/assisted", _form(
        world, channel="paper", contributor="offline", contributor_name="Margaret Hill",
        contact_note="01354 000000, mornings", contributor_place_id=world.place("T-SW").id,
        title="Pump track", topic_ids=[topic.id], publish="y",
    )).get_data(as_text=True)
    assert "The proposal is recorded." in html and "Submitted on paper, entered by an officer" in html
    proposal = db.session.execute(select(Proposal)).scalar_one()
    assert (proposal.state, proposal.channel, proposal.entered_by_id, proposal.author_id) == ("published", "paper", world.officer.id, None)
    contributor = db.session.get(OfflineContributor, proposal.offline_contributor_id)
    assert contributor.name == "Margaret Hill" and contributor.contact_note == "01354 000000, mornings"
    entry = db.session.execute(select(AuditEntry).where(AuditEntry.action == "proposal.assisted_entry")).scalar_one()
    assert json.loads(entry.data_json)["channel"] == "paper" and entry.actor_id == world.officer.id
    assert "01354 000000, mornings" in html  # officers see the private contact note
    login_as(browser.client, world.other)
    assert "01354" not in browser.get(f"/proposals/{proposal.id}").get_data(as_text=True)
    browser.sign_out()
    public = browser.get(f"/proposals/{proposal.id}").get_data(as_text=True)
    assert "Margaret Hill" in public and "Submitted on paper, entered by an officer" in public
    assert "01354" not in public  # the contact note is for officers only


def test_assisted_entry_for_an_existing_account_as_a_draft(browser, world: World):
    login_as(browser.client, world.officer)
    html = browser.submit("/proposals/assisted", _form(world, channel="phone", contributor="account", email="nobody@example.org")).get_data(as_text=True)
    assert "No account has that email address" in html and _count() == 0
    html = browser.submit("/proposals/assisted", _form(world, channel="phone", contributor="offline")).get_data(as_text=True)
    assert "Enter the name of the person who made the proposal" in html and _count() == 0
    browser.submit("/proposals/assisted", _form(world, channel="phone", contributor="account", email=world.author.email.upper(), title="By phone"))
    proposal = db.session.execute(select(Proposal)).scalar_one()
    assert (proposal.state, proposal.author_id, proposal.channel) == ("draft", world.author.id, "phone")
    # the entering officer may publish it; the author sees it, another resident does not yet
    login_as(browser.client, world.other)
    assert browser.get(f"/proposals/{proposal.id}").status_code == 404
    login_as(browser.client, world.author)
    assert "Received by phone, entered by an officer" in browser.get(f"/proposals/{proposal.id}").get_data(as_text=True)
    login_as(browser.client, world.officer)
    browser.submit(f"/proposals/{proposal.id}/transition", {"to_state": "published"})
    db.session.refresh(proposal)
    assert proposal.state == "published"


def test_hidden_proposals_show_the_moderators_reason_and_are_not_listed(browser, world: World):
    from app.core.db import utcnow

    proposal = make_proposal(world.author, world.place("T-NW"), S.PUBLISHED, title="Rude words here", summary="Rude summary")
    proposal.hidden_at = utcnow()
    proposal.hidden_reason = "Personal attack on a named person"
    db.session.commit()
    html = browser.get(f"/proposals/{proposal.id}").get_data(as_text=True)
    assert "Hidden by a moderator: Personal attack on a named person" in html
    assert "Rude words here" not in html and "Rude summary" not in html
    assert "Rude words here" not in browser.get("/proposals/").get_data(as_text=True)
    assert "Rude words here" not in browser.get("/places/T-NW").get_data(as_text=True)
    login_as(browser.client, world.other)
    assert browser.get(f"/proposals/{proposal.id}/support").status_code == 403
