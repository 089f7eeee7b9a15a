"""The proposal lifecycle through the real forms: submit, edit, publish, review, shortlist, ballot, select,
deliver, "you said, we did"; and every refused transition, for every kind of account."""

from __future__ import annotations

import json
import re

import pytest
from sqlalchemy import func, select

from app.core.models import AuditEntry
from app.extensions import db
from app.proposals.models import Proposal, ProposalEvent, ProposalState
from app.proposals.services import ALLOWED_TRANSITIONS, Mover, is_allowed
from tests.conftest import csrf_from
from tests.factories import PASSWORD
from tests.factories_proposals import S, World, login_as, make_proposal, proposal_in_state, world_fixture  # noqa: F401

pytestmark = pytest.mark.usefixtures("app")


def _text(resp) -> str:  # type: ignore[no-untyped-def]
    return resp.get_data(as_text=True)


def _state(proposal_id: int) -> str:
    return db.session.execute(select(Proposal.state).where(Proposal.id == proposal_id)).scalar_one()


def _events(proposal_id: int) -> int:
    return db.session.execute(select(func.count(ProposalEvent.id)).where(ProposalEvent.proposal_id == proposal_id)).scalar_one()


def test_whole_lifecycle_through_the_forms(browser, world: World):
    w = world
    browser.sign_in(w.author.email, PASSWORD)
    page = _text(browser.get("/proposals/new"))
    # the place select lists places with their kind, and defaults to the resident's home place
    home = w.place("T-NW").id
    assert f'<option selected value="{home}">North Ward (Ward, North District)</option>' in page
    resp = browser.submit("/proposals/new", {
        "title": "Benches by the pond", "summary": "Two benches.", "need": "Nowhere to sit.",
        "solution": "Buy two benches.", "place_id": w.place("T-NWP").id, "cost_estimate": "2,500",
        "offer_of_help": "We will paint them.",
    })
    html = _text(resp)
    assert "Your draft is saved" in html and "Benches by the pond" in html
    proposal = db.session.execute(select(Proposal).where(Proposal.title == "Benches by the pond")).scalar_one()
    assert (proposal.state, proposal.cost_estimate_pence, proposal.author_id) == ("draft", 250000, w.author.id)
    pid = proposal.id

    # the author edits the draft
    resp = browser.submit(f"/proposals/{pid}/edit", {
        "title": "Benches by the village pond", "summary": "Two benches.", "need": "Nowhere to sit.",
        "solution": "Buy two benches.", "place_id": w.place("T-NWP").id, "cost_estimate": "2500.50", "offer_of_help": "",
    })
    assert "Benches by the village pond" in _text(resp)
    db.session.refresh(proposal)
    assert proposal.cost_estimate_pence == 250050 and proposal.offer_of_help is None

    # a draft is private: another resident and anonymous visitors get 404, and it is not listed
    browser.sign_out()
    assert browser.get(f"/proposals/{pid}").status_code == 404
    assert "village pond" not in _text(browser.get("/proposals/"))
    login_as(browser.client, w.other)
    assert browser.get(f"/proposals/{pid}").status_code == 404
    assert browser.get(f"/proposals/{pid}/edit").status_code == 404
    browser.sign_out()

    # the author publishes
    browser.sign_in(w.author.email, PASSWORD)
    page = _text(browser.get(f"/proposals/{pid}"))
    assert f'href="/proposals/{pid}/publish"' in page and f'href="/proposals/{pid}/transition"' not in page
    confirm = _text(browser.get(f"/proposals/{pid}/publish"))
    assert "Who will see it" in confirm and "anyone visiting the site can read it" in confirm
    assert 'type="radio"' not in confirm and "Reason" not in confirm
    html = _text(browser.submit(f"/proposals/{pid}/publish", {}))
    assert "Your proposal is published." in html
    assert browser.get(f"/proposals/{pid}/edit").status_code == 403  # no longer a draft
    browser.sign_out()

    # another resident supports it
    browser.sign_in(w.other.email, PASSWORD)
    assert "You support this proposal." in _text(browser.submit(f"/proposals/{pid}/support", {}))
    browser.sign_out()

    # the officer reviews, shortlists, puts it on a ballot, selects it and delivers it
    browser.sign_in(w.officer.email, PASSWORD)
    assert "Benches by the village pond" in _text(browser.get("/proposals/review-queue"))
    browser.submit(f"/proposals/{pid}/transition", {"to_state": "under_review"})
    html = _text(browser.submit(f"/proposals/{pid}/review", {"feasibility": "Feasible.", "costing": "12,500.50", "responsible_service": "Parks"}))
    assert "The review is saved." in html and "£12,500.50" in html
    for step in ["shortlisted", "on_ballot", "selected"]:
        assert "The proposal is now:" in _text(browser.submit(f"/proposals/{pid}/transition", {"to_state": step}))
    html = _text(browser.submit(f"/proposals/{pid}/updates/new", {"text": "Benches ordered.", "happened_on": "2026-01-15"}))
    assert "The update is on the proposal" in html
    browser.submit(f"/proposals/{pid}/transition", {"to_state": "in_delivery"})
    browser.submit(f"/proposals/{pid}/transition", {"to_state": "delivered"})
    browser.submit(f"/proposals/{pid}/updates/new", {"text": "Benches installed.", "happened_on": "2026-02-01"})
    browser.sign_out()

    html = _text(browser.get(f"/proposals/{pid}"))
    assert "Delivered" in html and "£12,500.50" in html and "Parks" in html and "Submitted online" in html
    timeline = html.split("<h2>Timeline</h2>")[1]
    assert timeline.index("Benches ordered.") < timeline.index("Benches installed.")
    for label in ["Published", "Under review", "Shortlisted", "On a ballot", "Selected", "In delivery", "Delivered"]:
        assert f"Moved to: {label}" in timeline
    assert "15 January 2026" in timeline or "January 15, 2026" in timeline
    db.session.refresh(proposal)
    assert proposal.state == "delivered" and proposal.support_count == 1

    moves = [json.loads(e.data_json) for e in db.session.execute(
        select(AuditEntry).where(AuditEntry.action == "proposal.transition", AuditEntry.object_id == str(pid)).order_by(AuditEntry.id)
    ).scalars()]
    assert [(m["from"], m["to"]) for m in moves] == [
        ("draft", "published"), ("published", "under_review"), ("under_review", "shortlisted"), ("shortlisted", "on_ballot"),
        ("on_ballot", "selected"), ("selected", "in_delivery"), ("in_delivery", "delivered"),
    ]


def test_decline_needs_a_reason_which_everyone_sees(browser, world: World):
    proposal = make_proposal(world.author, world.place("T-NW"), S.UNDER_REVIEW, officer=world.officer)
    login_as(browser.client, world.officer)
    html = _text(browser.submit(f"/proposals/{proposal.id}/transition", {"to_state": "declined", "reason": "  "}))
    assert "Give the reason for declining" in html and _state(proposal.id) == "under_review"
    browser.submit(f"/proposals/{proposal.id}/transition", {"to_state": "declined", "reason": "The land <b>floods</b> every winter."})
    assert _state(proposal.id) == "declined"
    browser.sign_out()
    html = _text(browser.get(f"/proposals/{proposal.id}"))
    assert "Why it was declined" in html and "The land &lt;b&gt;floods&lt;/b&gt; every winter." in html


def test_shortlisting_needs_the_review_first(browser, world: World):
    proposal = make_proposal(world.author, world.place("T-NW"), S.PUBLISHED)
    login_as(browser.client, world.officer)
    browser.submit(f"/proposals/{proposal.id}/transition", {"to_state": "under_review"})
    html = _text(browser.submit(f"/proposals/{proposal.id}/transition", {"to_state": "shortlisted"}))
    assert "Record the review first" in html and _state(proposal.id) == "under_review"
    html = _text(browser.submit(f"/proposals/{proposal.id}/review", {"feasibility": "Yes", "costing": "12.345", "responsible_service": "Parks"}))
    assert "Enter pence as two digits after the point" in html
    html = _text(browser.submit(f"/proposals/{proposal.id}/review", {"feasibility": "Yes", "costing": "", "responsible_service": "Parks"}))
    assert "Enter the costing in pounds" in html


def test_updates_only_after_selection(browser, world: World):
    proposal = make_proposal(world.author, world.place("T-NW"), S.SHORTLISTED, officer=world.officer)
    login_as(browser.client, world.officer)
    assert browser.get(f"/proposals/{proposal.id}/updates/new").status_code == 403
    assert "Post a “you said, we did” update" not in _text(browser.get(f"/proposals/{proposal.id}"))


# --- every refused transition ---------------------------------------------------------------------

REFUSED = [(a, b) for a in ProposalState for b in ProposalState if not is_allowed(a, b)]
ALLOWED = [(a, b, mover) for a, targets in ALLOWED_TRANSITIONS.items() for b, mover in targets.items()]


@pytest.mark.parametrize("role", ["author", "officer"])
@pytest.mark.parametrize("from_state, to_state", REFUSED, ids=[f"{a.value}->{b.value}" for a, b in REFUSED])
def test_every_transition_outside_the_table_is_refused(browser, world: World, role, from_state, to_state):
    proposal = proposal_in_state(world.author, world.place("T-NW"), from_state)
    before = _events(proposal.id)
    login_as(browser.client, world.author if role == "author" else world.officer)
    resp = browser.submit(f"/proposals/{proposal.id}/transition", {"to_state": to_state.value, "reason": "Because"})
    html = _text(resp)
    assert resp.status_code == 200
    assert f"A proposal that is “{from_state.label}” cannot be moved to “{to_state.label}”." in html
    assert _state(proposal.id) == from_state.value and _events(proposal.id) == before


@pytest.mark.parametrize("role", ["author", "officer", "administrator", "other", "moderator"])
@pytest.mark.parametrize("from_state, to_state, mover", ALLOWED, ids=[f"{a.value}->{b.value}" for a, b, _ in ALLOWED])
def test_allowed_transitions_only_for_their_mover(browser, world: World, role, from_state, to_state, mover):
    proposal = proposal_in_state(world.author, world.place("T-NW"), from_state)
    if to_state is S.SHORTLISTED:
        from app.proposals import services

        services.record_review(db.session, world.officer, proposal, feasibility="Ok", costing_pence=100, responsible_service="Parks")
        db.session.commit()
    user = {"author": world.author, "officer": world.officer, "administrator": world.admin, "other": world.other, "moderator": world.moderator}[role]
    may = (mover is Mover.OWNER and role == "author") or (mover is Mover.OFFICER and role in ("officer", "administrator"))
    login_as(browser.client, user)
    url = f"/proposals/{proposal.id}/transition"
    if role in ("other", "moderator"):
        # may not open the form: a draft is not even visible (404); otherwise 403; a forged POST changes nothing
        expected = 404 if from_state is S.DRAFT else 403
        assert browser.get(url).status_code == expected
        token = csrf_from(_text(browser.get("/proposals/")))
        assert browser.client.post(url, data={"csrf_token": token, "to_state": to_state.value, "reason": "x"}).status_code == expected
        assert _state(proposal.id) == from_state.value
        return
    html = _text(browser.submit(url, {"to_state": to_state.value, "reason": "A reason"}))
    if may:
        assert _state(proposal.id) == to_state.value, html
    else:
        expected = "Only the author can publish" if mover is Mover.OWNER else "Only an officer can move a proposal to"
        assert expected in html and _state(proposal.id) == from_state.value


def test_the_transition_page_offers_only_allowed_moves(browser, world: World):
    proposal = make_proposal(world.author, world.place("T-NW"), S.UNDER_REVIEW, officer=world.officer)
    login_as(browser.client, world.officer)
    html = _text(browser.get(f"/proposals/{proposal.id}/transition"))
    assert 'value="shortlisted"' in html and 'value="declined"' in html and 'value="delivered"' not in html
    login_as(browser.client, world.author)
    assert "There is nothing you can move this proposal to from here." in _text(browser.get(f"/proposals/{proposal.id}/transition"))


def test_unknown_state_is_refused_clearly(browser, world: World):
    proposal = make_proposal(world.author, world.place("T-NW"), S.PUBLISHED)
    login_as(browser.client, world.officer)
    html = _text(browser.submit(f"/proposals/{proposal.id}/transition", {"to_state": "abolished"}))
    assert "Choose a state from the list." in html and _state(proposal.id) == "published"


def test_system_actor_may_make_officer_moves_but_not_publish(world: World):
    """Budgets move proposals on and off ballots with ``transition(session, None, …)``."""
    from app.core.errors import DomainError
    from app.proposals import services

    draft = make_proposal(world.author, world.place("T-NW"))
    with pytest.raises(DomainError):
        services.transition(db.session, None, draft, S.PUBLISHED)
    db.session.rollback()
    shortlisted = make_proposal(world.author, world.place("T-NW"), S.SHORTLISTED, officer=world.officer)
    services.transition(db.session, None, shortlisted, S.ON_BALLOT)
    services.transition(db.session, None, shortlisted, "selected")
    db.session.commit()
    assert _state(shortlisted.id) == "selected"
    entry = db.session.execute(select(AuditEntry).where(AuditEntry.action == "proposal.transition").order_by(AuditEntry.id.desc()).limit(1)).scalar_one()
    assert entry.actor_label == "system" and json.loads(entry.data_json)["to"] == "selected"


def test_two_officers_moving_the_same_proposal_at_once_move_it_once(app, world: World):
    """The state changes with a compare-and-set UPDATE: the slower of two simultaneous moves is refused."""
    import threading

    from app.auth.models import User
    from app.core.errors import DomainError
    from app.proposals import services

    proposal = make_proposal(world.author, world.place("T-NW"), S.PUBLISHED)
    pid, officer_ids = proposal.id, [world.officer.id, world.admin.id]
    barrier = threading.Barrier(2)
    results: list[object] = []

    def move(officer_id: int) -> None:
        with app.app_context():
            try:
                p = db.session.get(Proposal, pid)
                officer = db.session.get(User, officer_id)
                barrier.wait(timeout=10)
                services.transition(db.session, officer, p, S.UNDER_REVIEW)
                db.session.commit()
                results.append("moved")
            except DomainError as exc:
                db.session.rollback()
                results.append(exc.message)
            except Exception as exc:  # noqa: BLE001 - SQLite may report its single writer lock
                db.session.rollback()
                results.append(exc)
            finally:
                db.session.remove()

    threads = [threading.Thread(target=move, args=(oid,)) for oid in officer_ids]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)
    assert results.count("moved") == 1, results
    other = next(r for r in results if r != "moved")
    if db.engine.dialect.name == "postgresql":
        assert other in ("Someone else changed this proposal at the same time. Check its state and try again.",
                         "A proposal that is “Under review” cannot be moved to “Under review”."), other
    assert _state(pid) == "under_review"
    events = db.session.execute(select(ProposalEvent).where(ProposalEvent.proposal_id == pid, ProposalEvent.to_state == "under_review")).scalars().all()
    assert len(events) == 1


def test_the_author_publishes_with_one_plain_step(browser, world: World):
    """Issue 13, item 7: the author never meets the officers' form (a radio button and "Reason: required when
    declining"); their publish step says who will see the proposal."""
    proposal = make_proposal(world.author, world.place("T-NW"))
    login_as(browser.client, world.author)
    old_route = _text(browser.get(f"/proposals/{proposal.id}/transition"))
    assert "Publish your proposal" in old_route and "Choose what happens next" not in old_route
    assert 'name="to_state"' not in old_route and "required when declining" not in old_route.lower()
    page = _text(browser.get(f"/proposals/{proposal.id}/publish"))
    assert "Who will see it" in page and "North Ward" in page
    resp = browser.submit(f"/proposals/{proposal.id}/publish", {})
    assert "Everyone can now read it" in _text(resp)
    assert _state(proposal.id) == "published"
    # a second press does nothing more: the page is gone for a published proposal
    assert browser.get(f"/proposals/{proposal.id}/publish").status_code == 403
    login_as(browser.client, world.other)
    assert browser.get(f"/proposals/{proposal.id}").status_code == 200


def test_someone_else_cannot_publish_a_draft(browser, world: World):
    proposal = make_proposal(world.author, world.place("T-NW"))
    login_as(browser.client, world.other)
    assert browser.get(f"/proposals/{proposal.id}/publish").status_code == 404
    assert _state(proposal.id) == "draft"


def test_the_officers_form_preselects_a_single_way_on_and_asks_a_reason_only_for_declining(browser, world: World):
    proposal = make_proposal(world.author, world.place("T-NW"), S.SHORTLISTED, officer=world.officer)
    login_as(browser.client, world.officer)
    html = _text(browser.get(f"/proposals/{proposal.id}/transition"))
    radio = re.search(r'<input[^>]*value="on_ballot"[^>]*>', html)
    assert radio and "checked" in radio.group(0)
    assert 'name="reason"' not in html
    under_review = make_proposal(world.author, world.place("T-NW"), S.UNDER_REVIEW, officer=world.officer)
    assert 'name="reason"' in _text(browser.get(f"/proposals/{under_review.id}/transition"))
