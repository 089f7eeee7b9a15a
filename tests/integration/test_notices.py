"""Notifications about other features' subjects: a budget's published results (to residents of its area who
want them) and a proposal's new state or "you said, we did" update (to its author and supporters), in the app
and by e-mail only for those who chose it; one per person per event; listed, linked and counted on the pages."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from app.auth import services as accounts
from app.auth.models import Role, User
from app.budgets import notices as budget_notices
from app.budgets import services as budgets
from app.budgets.models import Phase
from app.deliberation.models import Notification
from app.extensions import db
from app.proposals import services as proposals
from app.proposals.models import ProposalEvent, ProposalState
from tests.conftest import csrf_from
from tests.factories import PASSWORD, make_user
from tests.factories_budgets import CAMBRIDGESHIRE, advance, cambs, make_budget, voters  # noqa: F401  (cambs is a fixture)
from tests.factories_deliberation import make_proposal

FENLAND_POSTCODE = "PE13 1AG"
CAMBRIDGE_POSTCODE = "CB2 1TN"


def _subject_rows(subject_type: str, subject_id: int) -> list[Notification]:
    return list(db.session.execute(
        select(Notification).where(Notification.subject_type == subject_type, Notification.subject_id == subject_id)
        .order_by(Notification.user_id)
    ).scalars())


def _sign_in(browser, user, password=PASSWORD):  # type: ignore[no-untyped-def]
    """Sign in through the form, whatever the account's language."""
    page = browser.submit("/auth/sign-in", {"email": user.email, "password": password}).get_data(as_text=True)
    assert 'action="/auth/sign-out"' in page


def _counted_budget():  # type: ignore[no-untyped-def]
    """A Fenland budget with a few ballots, counted and ready to publish."""
    officer = make_user(Role.OFFICER)
    process, heading = make_budget(actor=officer, title="Fenland Fund")
    ids = [p.id for p in heading.projects]
    for v in voters(3):
        budgets.cast_ballot(db.session, v, heading, {ids[0]: 1})
    db.session.commit()
    advance(process, Phase.REVIEWING_BALLOTS, officer)
    budgets.run_count(db.session, officer, heading)
    db.session.commit()
    return officer, process


def _publish_through_form(browser, officer, process):  # type: ignore[no-untyped-def]
    browser.sign_in(officer.email, PASSWORD)
    page = browser.get(f"/budgets/{process.id}/phase").get_data(as_text=True)
    resp = browser.client.post(f"/budgets/{process.id}/phase", data={"csrf_token": csrf_from(page), "to_phase": "finished"},
                               follow_redirects=True)
    assert resp.status_code == 200
    browser.sign_out()
    db.session.refresh(process)
    assert process.phase == Phase.FINISHED.value


@pytest.mark.usefixtures("cambs")
def test_results_notify_residents_of_the_area_who_want_them(app, browser):  # type: ignore[no-untyped-def]
    officer, process = _counted_budget()
    resident = make_user(postcode=FENLAND_POSTCODE, name="Fen Resident")  # results on, e-mail off (defaults)
    emailed = make_user(postcode=FENLAND_POSTCODE, name="Fen Emailed")
    emailed.notify_email = True
    emailed.locale = "pl"
    no_results = make_user(postcode=FENLAND_POSTCODE)
    no_results.notify_results, no_results.notify_email = False, True
    outside = make_user(postcode=CAMBRIDGE_POSTCODE)  # Cambridge: not in Fenland
    outside.notify_email = True
    no_home = make_user()
    deleted = make_user(postcode=FENLAND_POSTCODE)
    deleted.notify_email = True
    db.session.commit()
    accounts.delete_account(db.session, deleted, PASSWORD)
    db.session.commit()
    outbox = app.extensions["mail_outbox"]
    outbox.clear()

    _publish_through_form(browser, officer, process)

    notified = {n.user_id for n in _subject_rows("budget_process", process.id)}
    assert {resident.id, emailed.id} <= notified
    assert not notified & {no_results.id, outside.id, no_home.id, deleted.id, officer.id}
    assert all(n.kind == "results" for n in _subject_rows("budget_process", process.id))
    # e-mail only to the one who chose it, in their language
    assert [m["To"] for m in outbox] == [emailed.email]
    assert "Wyniki" in outbox[0]["Subject"] and "Fenland Fund" in outbox[0]["Subject"]
    assert f"/budgets/{process.id}" in outbox[0].get_content()

    # announcing again creates nothing more: one per person per process
    before = len(notified)
    assert budget_notices.announce_results(db.session, process) == 0
    db.session.commit()
    assert len(_subject_rows("budget_process", process.id)) == before

    # the resident sees it listed, linked and counted
    browser.sign_in(resident.email, PASSWORD)
    assert "(1 unread)" in browser.get("/").get_data(as_text=True)
    page = browser.get("/deliberation/notifications").get_data(as_text=True)
    assert "The results of “Fenland Fund” are published." in page
    assert f'href="/budgets/{process.id}"' in page and "See the results" in page
    browser.submit("/deliberation/notifications", {})
    assert "unread)" not in browser.get("/").get_data(as_text=True)
    browser.sign_out()

    # in Polish for a Polish reader
    _sign_in(browser, emailed)
    page = browser.get("/deliberation/notifications").get_data(as_text=True)
    assert "Fenland Fund" in page and "The results of" not in page and "Zobacz wyniki" in page


@pytest.mark.usefixtures("cambs")
def test_a_county_wide_heading_reaches_every_district(app):  # type: ignore[no-untyped-def]
    officer = make_user(Role.OFFICER)
    process, heading = make_budget(actor=officer, place_code=CAMBRIDGESHIRE, title="County Fund")
    budgets.cast_ballot(db.session, voters(1)[0], heading, {heading.projects[0].id: 1})
    db.session.commit()
    fen, cam = make_user(postcode=FENLAND_POSTCODE), make_user(postcode=CAMBRIDGE_POSTCODE)
    db.session.commit()
    advance(process, Phase.REVIEWING_BALLOTS, officer)
    budgets.run_count(db.session, officer, heading)
    advance(process, Phase.FINISHED, officer)
    assert {fen.id, cam.id} <= {n.user_id for n in _subject_rows("budget_process", process.id)}


def test_one_results_notification_per_person_per_process_is_enforced_by_the_database(app):  # type: ignore[no-untyped-def]
    user = make_user()
    db.session.add(Notification(user_id=user.id, kind="results", subject_type="budget_process", subject_id=1))
    db.session.commit()
    db.session.add(Notification(user_id=user.id, kind="results", subject_type="budget_process", subject_id=1))
    with pytest.raises(IntegrityError):
        db.session.commit()
    db.session.rollback()
    # …while comment notifications (no subject) are unaffected
    assert db.session.execute(select(func.count(Notification.id))).scalar_one() == 1


def test_proposal_state_change_and_update_notify_author_and_supporters(app, browser):  # type: ignore[no-untyped-def]
    officer = make_user(Role.OFFICER, name="Olive Officer")
    author = make_user(name="Anna Author")
    author.notify_email = True
    supporter = make_user(name="Sam Supporter")  # e-mail off
    polish = make_user(name="Piotr")
    polish.notify_email, polish.locale = True, "pl"
    quiet = make_user(name="Quiet Supporter")
    quiet.notify_replies, quiet.notify_email = False, True
    leaver = make_user(name="Leaver")
    bystander = make_user(name="Bystander")
    db.session.commit()
    proposal = make_proposal(author, title="Benches for the green")
    for u in (supporter, polish, quiet, leaver):
        proposals.support(db.session, u, proposal)
    db.session.commit()
    accounts.delete_account(db.session, leaver, PASSWORD)
    db.session.commit()
    outbox = app.extensions["mail_outbox"]
    outbox.clear()

    browser.sign_in(officer.email, PASSWORD)
    browser.submit(f"/proposals/{proposal.id}/transition", {"to_state": "under_review"})
    event = db.session.execute(select(ProposalEvent).where(ProposalEvent.proposal_id == proposal.id)
                               .order_by(ProposalEvent.id.desc())).scalars().first()
    rows = _subject_rows("proposal_event", event.id)
    assert {n.user_id for n in rows} == {author.id, supporter.id, polish.id}
    assert {n.kind for n in rows} == {"proposal_state"}
    assert sorted(m["To"] for m in outbox) == sorted([author.email, polish.email])
    by_to = {m["To"]: m for m in outbox}
    assert "Benches for the green" in by_to[author.email].get_content() and "Under review" in by_to[author.email].get_content()
    assert by_to[polish.email]["Subject"].startswith("Wiadomości") and "Benches" in by_to[polish.email]["Subject"]
    assert "Hello" not in by_to[polish.email].get_content()
    assert bystander.id not in {n.user_id for n in rows}

    # the officer (the actor) is never told of their own change, even when they support it
    proposals.support(db.session, officer, proposal)
    db.session.commit()
    proposals.record_review(db.session, officer, proposal, feasibility="Fine.", costing_pence=100_00, responsible_service="Parks")
    db.session.commit()
    for step in ("shortlisted", "on_ballot", "selected"):
        browser.submit(f"/proposals/{proposal.id}/transition", {"to_state": step})
    assert not db.session.execute(select(Notification).where(Notification.user_id == officer.id)).scalars().all()
    outbox.clear()
    browser.submit(f"/proposals/{proposal.id}/updates/new", {"text": "Benches ordered.", "happened_on": "2026-01-15"})
    update = db.session.execute(select(ProposalEvent).where(ProposalEvent.kind == "update")).scalar_one()
    rows = _subject_rows("proposal_event", update.id)
    assert {n.user_id for n in rows} == {author.id, supporter.id, polish.id}
    assert {n.kind for n in rows} == {"proposal_update"}
    assert sorted(m["To"] for m in outbox) == sorted([author.email, polish.email])
    browser.sign_out()

    # the supporter's page lists each with a link; the Polish reader's in Polish
    browser.sign_in(supporter.email, PASSWORD)
    assert "(5 unread)" in browser.get("/").get_data(as_text=True)
    page = browser.get("/deliberation/notifications").get_data(as_text=True)
    assert "There is a new “you said, we did” update on “Benches for the green”." in page
    assert "“Benches for the green” is now “Under review”." in page
    assert f'href="/proposals/{proposal.id}"' in page and "See the proposal" in page
    browser.sign_out()
    _sign_in(browser, polish)
    page = browser.get("/deliberation/notifications").get_data(as_text=True)
    assert "Benches for the green" in page and "See the proposal" not in page and "is now" not in page


def test_the_author_is_not_told_of_their_own_move_and_hidden_proposals_tell_nobody(app):  # type: ignore[no-untyped-def]
    author, supporter = make_user(), make_user()
    proposal = make_proposal(author, state=ProposalState.DRAFT)
    proposals.transition(db.session, author, proposal, ProposalState.PUBLISHED)
    db.session.commit()
    assert not db.session.execute(select(Notification)).scalars().all()
    proposals.support(db.session, supporter, proposal)
    proposal.hidden_at = proposal.published_at
    db.session.commit()
    proposals.transition(db.session, None, proposal, ProposalState.UNDER_REVIEW)
    db.session.commit()
    assert not db.session.execute(select(Notification)).scalars().all()


def test_a_notification_whose_subject_is_gone_is_not_listed(app, browser):  # type: ignore[no-untyped-def]
    user = make_user()
    db.session.add(Notification(user_id=user.id, kind="results", subject_type="budget_process", subject_id=999_999))
    db.session.add(Notification(user_id=user.id, kind="x", subject_type="unknown_feature", subject_id=1))
    db.session.commit()
    browser.sign_in(user.email, PASSWORD)
    page = browser.get("/deliberation/notifications").get_data(as_text=True)
    assert page.count('class="notification') == 0


def test_emails_are_bounded(app):  # type: ignore[no-untyped-def]
    from app.deliberation.notices import email_recipients, notify_users

    users = [make_user() for _ in range(3)]
    for u in users:
        u.notify_email = True
    db.session.commit()
    sent = notify_users(db.session, "results", "budget_process", 5, select(User.id).where(User.id.in_([u.id for u in users])))
    assert sent.count == 3
    app.config["NOTIFY_EMAIL_LIMIT"] = 2
    try:
        assert [u.id for u in email_recipients(db.session, "budget_process", 5, sent)] == sorted(u.id for u in users)[:2]
    finally:
        del app.config["NOTIFY_EMAIL_LIMIT"]
    # a second call creates none and so e-mails nobody again
    again = notify_users(db.session, "results", "budget_process", 5, select(User.id))
    assert again.count == 0 and email_recipients(db.session, "budget_process", 5, again) == []


def test_the_demo_shows_a_results_notification_and_seeding_again_adds_none(demo, browser):  # type: ignore[no-untyped-def]
    from app.core.demo import seed_demo

    agnieszka = db.session.execute(select(User).where(User.email == "agnieszka@demo.example.org")).scalar_one()
    mine = select(func.count(Notification.id)).where(Notification.user_id == agnieszka.id, Notification.kind == "results")
    assert db.session.execute(mine).scalar_one() == 1
    total = db.session.execute(select(func.count(Notification.id))).scalar_one()
    seed_demo(db.session)
    db.session.commit()
    assert db.session.execute(select(func.count(Notification.id))).scalar_one() == total
    _sign_in(browser, agnieszka, "folkmoot-demo")
    page = browser.get("/deliberation/notifications").get_data(as_text=True)
    assert 'href="/budgets/' in page and "notification--unread" in page


def test_the_unread_count_counts_only_what_the_page_shows(app):  # type: ignore[no-untyped-def]
    """A notification whose subject is gone is not listed, so the header does not count it either."""
    from app.deliberation import queries

    user = make_user()
    db.session.add_all([
        Notification(user_id=user.id, kind="results", subject_type="budget_process", subject_id=999_999),
        Notification(user_id=user.id, kind="proposal_state", subject_type="proposal_event", subject_id=999_999),
    ])
    db.session.commit()
    assert queries.notifications_for(db.session, user) == []
    assert queries.unread_count(db.session, user) == 0
