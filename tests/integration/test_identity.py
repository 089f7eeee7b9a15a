"""Who a person is (issue 13, item 5): a confirmed e-mail address (a single-use link) or an officer's check in
person before supporting a proposal; officers' assisted registration, with no rate limit; the policy hook
budgets and votes call."""

from __future__ import annotations

import re

from sqlalchemy import select

from app.auth.models import EmailConfirmationToken, Role, User
from app.auth.policy import participation_refusal
from app.core.models import AuditEntry
from app.extensions import db
from app.proposals import services as proposal_services
from tests.factories import make_user
from tests.factories_proposals import S, World, login_as, make_proposal, world_fixture  # noqa: F401

NEW = {
    "display_name": "Jo Resident", "email": "jo@example.org", "password": "a long enough password",
    "confirm": "a long enough password", "postcode": "CB2 1TN",
}


def _link(app, to: str, path: str = "/auth/confirm/") -> str:  # type: ignore[no-untyped-def]
    mails = [m for m in app.extensions["mail_outbox"] if m["To"] == to]
    assert mails, f"no e-mail to {to}"
    m = re.search(r"http://localhost(" + re.escape(path) + r"\S+)", mails[-1].get_content())
    assert m, mails[-1].get_content()
    return m.group(1)


def _jo() -> User:
    return db.session.execute(select(User).where(User.email == "jo@example.org")).scalar_one()


def test_a_new_account_supports_only_after_confirming_its_address(browser, world: World, app):
    proposal = make_proposal(world.author, world.place("T-NW"), S.PUBLISHED)
    browser.submit("/auth/register", NEW)
    browser.sign_in("jo@example.org", "a long enough password")
    page = browser.get(f"/proposals/{proposal.id}").get_data(as_text=True)
    assert "Confirm your email address first" in page
    assert "Support this proposal</button>" not in page
    assert browser.get(f"/proposals/{proposal.id}/support").status_code == 403
    assert participation_refusal(_jo()) is not None
    # the service refuses too, whoever calls it
    try:
        proposal_services.support(db.session, _jo(), proposal)
        raise AssertionError("an unconfirmed account supported a proposal")
    except Exception as exc:  # noqa: BLE001
        assert "Confirm your email address first" in str(exc)
    db.session.rollback()

    link = _link(app, "jo@example.org")
    assert "your email address is confirmed" in browser.get(link, follow_redirects=True).get_data(as_text=True)
    assert _jo().email_confirmed_at is not None
    assert participation_refusal(_jo()) is None
    html = browser.submit(f"/proposals/{proposal.id}/support", {}).get_data(as_text=True)
    assert "You support this proposal." in html
    # the link works once
    again = browser.get(link)
    assert again.status_code == 404
    assert "expired or has already been used" in again.get_data(as_text=True)
    assert db.session.execute(select(AuditEntry).where(AuditEntry.action == "account.email_confirmed")).scalars().all()


def test_asking_for_a_new_link_spends_none_and_any_link_confirms(browser, demo, app):
    browser.submit("/auth/register", NEW)
    browser.sign_in("jo@example.org", "a long enough password")
    assert "Confirm your email address" in browser.get("/auth/account").get_data(as_text=True)
    first = _link(app, "jo@example.org")
    browser.submit("/auth/confirm", {})
    second = _link(app, "jo@example.org")
    assert first != second
    assert browser.get(second).status_code == 302
    assert browser.get(first).status_code == 404  # using one link spends them all
    tokens = db.session.execute(select(EmailConfirmationToken)).scalars().all()
    assert all(t.used_at is not None for t in tokens)
    assert all(len(t.token_hash) == 64 and t.token_hash not in (first, second) for t in tokens)


def test_officer_registers_a_room_with_no_rate_limit_and_verifies_them(browser, demo, app):
    officer = make_user(Role.OFFICER)
    login_as(browser.client, officer)
    for n in range(12):  # more than the per-address and per-minute limits of the public form
        resp = browser.submit("/auth/assisted-register", {
            "display_name": f"Visitor {n}", "email": f"visitor{n}@example.org", "postcode": "CB1 2JB", "checked": "y",
        })
        assert resp.status_code == 200
        assert "registered and verified by you" in resp.get_data(as_text=True)
    visitor = db.session.execute(select(User).where(User.email == "visitor3@example.org")).scalar_one()
    assert visitor.verified_by_id == officer.id and visitor.verified_at is not None
    assert visitor.password_hash is None
    assert participation_refusal(visitor) is None
    assert "/auth/reset/" in _link(app, "visitor3@example.org", "/auth/reset/")
    # an address that already has an account: that account is verified instead, nothing else changes
    resp = browser.submit("/auth/assisted-register", {
        "display_name": "Someone else", "email": "priya@demo.example.org", "postcode": "CB1 2JB", "checked": "y",
    })
    assert "already has an account" in resp.get_data(as_text=True)


def test_assisted_registration_needs_the_officers_check(browser, demo):
    login_as(browser.client, make_user(Role.OFFICER))
    html = browser.submit("/auth/assisted-register", {
        "display_name": "V", "email": "v@example.org", "postcode": "CB1 2JB",
    }).get_data(as_text=True)
    assert "Confirm that you have checked who this person is" in html
    assert 'href="#checked"' in html


def test_residents_cannot_use_assisted_registration(browser, demo):
    login_as(browser.client, make_user())
    assert browser.get("/auth/assisted-register").status_code == 403


def test_assisted_proposal_entry_marks_the_person_verified_by_the_officer(world: World):
    from tests.factories_proposals import proposal_data

    unconfirmed = User(email="paper@example.org", display_name="Paper Person", home_place=world.place("T-NW"))
    db.session.add(unconfirmed)
    db.session.flush()
    assert participation_refusal(unconfirmed) is not None
    proposal_services.assisted_entry(db.session, world.officer, proposal_data(world.place("T-NW")), "paper",
                                     for_user=unconfirmed)
    db.session.commit()
    assert unconfirmed.verified_by_id == world.officer.id
    assert participation_refusal(unconfirmed) is None
