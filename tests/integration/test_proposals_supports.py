"""Supports: one per resident per proposal (the database decides, even for two requests at once), withdrawable,
an exact count, only at supportable stages, and the threshold that flags a proposal for officer review."""

from __future__ import annotations

import json
import threading

import pytest
from sqlalchemy import func, select

from app.core.errors import DomainError
from app.core.models import AuditEntry
from app.extensions import db
from app.proposals import services
from app.proposals.models import Proposal, Support
from tests.factories_proposals import S, World, login_as, make_proposal, quick_user, world_fixture  # noqa: F401


def _supports(proposal_id: int) -> int:
    return db.session.execute(select(func.count(Support.id)).where(Support.proposal_id == proposal_id)).scalar_one()


def _cached(proposal_id: int) -> int:
    return db.session.execute(select(Proposal.support_count).where(Proposal.id == proposal_id)).scalar_one()


def test_support_and_withdraw_through_the_page(browser, world: World):
    proposal = make_proposal(world.author, world.place("T-NW"), S.PUBLISHED)
    url = f"/proposals/{proposal.id}"
    assert "Sign in to support this proposal" in browser.get(url).get_data(as_text=True)
    assert browser.get(f"{url}/support").status_code == 302  # anonymous: to sign in
    login_as(browser.client, world.other)
    assert "You support this proposal." in browser.submit(f"{url}/support", {}).get_data(as_text=True)
    assert "You already support this proposal." in browser.submit(f"{url}/support", {}).get_data(as_text=True)
    assert (_supports(proposal.id), _cached(proposal.id)) == (1, 1)
    page = browser.get(url).get_data(as_text=True)
    assert "1 person supports this proposal." in page and "Withdraw my support" in page
    login_as(browser.client, world.author)  # supporting your own proposal is allowed
    browser.submit(f"{url}/support", {})
    assert (_supports(proposal.id), _cached(proposal.id)) == (2, 2)
    login_as(browser.client, world.other)
    assert "Your support is withdrawn." in browser.submit(f"{url}/withdraw", {}).get_data(as_text=True)
    assert "You were not supporting this proposal." in browser.submit(f"{url}/withdraw", {}).get_data(as_text=True)
    assert (_supports(proposal.id), _cached(proposal.id)) == (1, 1)


@pytest.mark.parametrize("state", [S.DRAFT, S.DECLINED, S.SELECTED, S.NOT_SELECTED, S.IN_DELIVERY, S.DELIVERED])
def test_only_open_proposals_can_be_supported(browser, world: World, state):
    proposal = make_proposal(world.author, world.place("T-NW"), state, officer=world.officer)
    login_as(browser.client, world.author)
    assert browser.get(f"/proposals/{proposal.id}/support").status_code == 403
    with pytest.raises(DomainError, match="cannot be supported at this stage"):
        services.support(db.session, world.author, proposal)
    db.session.rollback()
    assert _supports(proposal.id) == 0


@pytest.mark.parametrize("state", [S.PUBLISHED, S.UNDER_REVIEW, S.SHORTLISTED, S.ON_BALLOT])
def test_open_stages_can_be_supported(world: World, state):
    proposal = make_proposal(world.author, world.place("T-NW"), state, officer=world.officer)
    assert services.support(db.session, world.other, proposal) is True
    db.session.commit()
    assert _cached(proposal.id) == 1


def test_second_insert_by_the_same_person_is_absorbed_by_the_unique_constraint(world: World):
    """The service never reads "already supported?" first: the insert meets the constraint inside a
    SAVEPOINT, which is rolled back alone, so the surrounding transaction and the count are unharmed."""
    proposal = make_proposal(world.author, world.place("T-NW"), S.PUBLISHED)
    assert services.support(db.session, world.other, proposal) is True
    assert services.support(db.session, world.other, proposal) is False  # IntegrityError path
    db.session.commit()
    assert (_supports(proposal.id), _cached(proposal.id)) == (1, 1)


def test_two_concurrent_supports_by_the_same_person_make_one_row(app, world: World):
    """Two threads, each with its own application context and database session, race the service."""
    proposal = make_proposal(world.author, world.place("T-NW"), S.PUBLISHED)
    pid, uid = proposal.id, world.other.id
    barrier = threading.Barrier(2)
    results: list[object] = []

    def race() -> None:
        from app.auth.models import User

        with app.app_context():
            try:
                p = db.session.get(Proposal, pid)
                u = db.session.get(User, uid)
                barrier.wait(timeout=10)
                results.append(services.support(db.session, u, p))
                db.session.commit()
            except Exception as exc:  # noqa: BLE001 - recorded and asserted below
                db.session.rollback()
                results.append(exc)
            finally:
                db.session.remove()

    threads = [threading.Thread(target=race) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)
    db.session.expire_all()
    if db.engine.dialect.name == "postgresql":
        assert sorted(results, key=str) == [False, True], results
    else:
        # SQLite serialises writers: the second may also be told the database is busy; never two rows.
        assert True in results and all(r in (True, False) or "locked" in str(r) for r in results), results
    assert (_supports(pid), _cached(pid)) == (1, 1)


def test_many_supporters_keep_an_exact_count(world: World):
    proposal = make_proposal(world.author, world.place("T-NW"), S.PUBLISHED)
    people = [quick_user(f"Supporter {i}", None) for i in range(12)]
    for person in people:
        services.support(db.session, person, proposal)
    for person in people[:5]:
        services.withdraw_support(db.session, person, proposal)
    db.session.commit()
    assert (_supports(proposal.id), _cached(proposal.id)) == (7, 7)
    assert services.recount_supports(db.session, proposal) == 7


def test_threshold_flags_for_review_and_the_queue_lists_flagged_first(browser, app, world: World):
    older = make_proposal(world.author, world.place("T-NW"), S.PUBLISHED, title="Older, few supporters")
    popular = make_proposal(world.author, world.place("T-NW"), S.PUBLISHED, title="Popular one")
    reviewing = make_proposal(world.author, world.place("T-NW"), S.UNDER_REVIEW, officer=world.officer, title="Being reviewed")
    app.config["PROPOSAL_SUPPORT_THRESHOLD"] = 2
    try:
        for user in (world.other, world.author):
            login_as(browser.client, user)
            browser.submit(f"/proposals/{popular.id}/support", {})
    finally:
        app.config.pop("PROPOSAL_SUPPORT_THRESHOLD")
    db.session.refresh(popular)
    assert popular.flagged_for_review_at is not None and popular.support_count == 2
    entry = db.session.execute(select(AuditEntry).where(AuditEntry.action == "proposal.flagged_for_review")).scalar_one()
    assert entry.object_id == str(popular.id)
    login_as(browser.client, world.author)
    assert browser.get("/proposals/review-queue").status_code == 403
    login_as(browser.client, world.officer)
    html = browser.get("/proposals/review-queue").get_data(as_text=True)
    assert html.index("Popular one") < html.index("Older, few supporters") < html.index("Being reviewed")
    assert older.id and reviewing.id


def test_no_threshold_means_no_flag(world: World):
    proposal = make_proposal(world.author, world.place("T-NW"), S.PUBLISHED)
    services.support(db.session, world.other, proposal, threshold=None)
    db.session.commit()
    db.session.refresh(proposal)
    assert proposal.flagged_for_review_at is None


def test_the_lowest_threshold_applies_and_the_page_says_so(browser, app, world: World):
    from app.proposals import thresholds

    proposal = make_proposal(world.author, world.place("T-NW"), S.PUBLISHED, title="Threshold shown")
    calls: list[int] = []

    def call_for_ideas(session, p):  # a feature's source: here, one call covering every proposal
        calls.append(p.id)
        return [thresholds.Threshold(2, "The Test Fund")]

    thresholds.register_threshold_source(call_for_ideas)
    app.config["PROPOSAL_SUPPORT_THRESHOLD"] = 5
    try:
        assert thresholds.threshold_for(db.session, proposal, 5) == thresholds.Threshold(2, "The Test Fund")
        assert thresholds.threshold_for(db.session, proposal, 1) == thresholds.Threshold(1, "")
        html = browser.get(f"/proposals/{proposal.id}").get_data(as_text=True)
        assert "When 2 people support it, council officers review it (the threshold of The Test Fund)." in html
        for user in (world.other, world.author):
            login_as(browser.client, user)
            browser.submit(f"/proposals/{proposal.id}/support", {})
        html = browser.get(f"/proposals/{proposal.id}").get_data(as_text=True)
        assert "It has reached the support threshold, so council officers will review it." in html
    finally:
        thresholds._SOURCES.remove(call_for_ideas)
        app.config.pop("PROPOSAL_SUPPORT_THRESHOLD")
    db.session.refresh(proposal)
    assert proposal.flagged_for_review_at is not None and calls
    entry = db.session.execute(select(AuditEntry).where(AuditEntry.action == "proposal.flagged_for_review")).scalar_one()
    data = json.loads(entry.data_json)
    assert data["set_by"] == "The Test Fund" and data["threshold"] == 2
