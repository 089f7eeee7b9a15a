"""Delegation through its real pages: offering to be a delegate, delegating with backups and a depth cap,
where my vote goes (chains, cycles), revoking with the history kept and audited, withdrawing (delegators who
opted in are told), "someone delegated to you", group accounts, the weight page, and that only members who
offered can receive a delegation (service and database)."""

from __future__ import annotations

import pytest
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from app.auth.models import Role
from app.core.models import AuditEntry
from app.delegation import services
from app.delegation.models import DelegateProfile, Delegation, ScopeKind
from app.extensions import db
from tests.factories import PASSWORD, make_user
from tests.factories_votes import cambs, delegate, offer, resident  # noqa: F401  (cambs is a fixture)

pytestmark = pytest.mark.usefixtures("cambs")


def _sign_in(browser, user):  # type: ignore[no-untyped-def]
    browser.sign_in(user.email, PASSWORD)


def test_offering_needs_a_statement_and_the_acceptance(browser):
    member = resident("Dana")
    _sign_in(browser, member)
    html = browser.submit("/delegation/offer", {"statement": "I know the parks."}).get_data(as_text=True)
    assert "There is a problem" in html and "you must accept that the people who delegate to you" in html
    html = browser.submit("/delegation/offer", {"statement": "I know the parks.", "accepts_disclosure": "y"}).get_data(as_text=True)
    assert "You are a delegate." in html and "Delegate: Dana" in html
    assert "Dana" in browser.get("/delegation/delegates").get_data(as_text=True)
    assert db.session.execute(select(AuditEntry).where(AuditEntry.action == "delegation.profile_offered")).scalar_one()


def test_delegate_with_backups_and_a_cap_then_revoke_with_history_kept(browser):
    first, backup = offer(resident("First")), offer(resident("Backup"))
    member = resident("Member")
    _sign_in(browser, member)
    html = browser.submit("/delegation/new", {"scope": "global", "delegate1": first.id, "delegate2": backup.id, "delegate3": 0,
                                              "max_depth": 1}).get_data(as_text=True)
    assert "Your delegation is saved." in html and "Where your vote goes today" in html
    assert "You pass your vote to First." in html
    rows = db.session.execute(select(Delegation).where(Delegation.delegator_id == member.id).order_by(Delegation.rank)).scalars().all()
    assert [(d.delegate_id, d.rank, d.max_depth) for d in rows] == [(first.id, 1, 1), (backup.id, 2, 1)]
    index = browser.get("/delegation/").get_data(as_text=True)
    assert "First" in index and "(backup)" in index
    page = browser.get("/delegation/")
    from tests.conftest import csrf_from

    html = browser.client.post("/delegation/revoke", data={"csrf_token": csrf_from(page.get_data(as_text=True)),
                                                           "scope_kind": "global", "scope_key": "0"}, follow_redirects=True).get_data(as_text=True)
    assert "Delegation revoked" in html and "You have not delegated your vote" in html
    history = browser.get("/delegation/history").get_data(as_text=True)
    assert history.count("Revoked") == 2 and history.count("Delegated") == 2 and "Backup 1" in history
    assert db.session.execute(select(AuditEntry).where(AuditEntry.action == "delegation.revoked")).scalar_one()


def test_nobody_can_delegate_to_a_member_who_did_not_offer(browser):
    plain = resident("Plain")
    member = resident("Member")
    with pytest.raises(services.DomainError):
        services.set_delegation(db.session, member, services.Scope(ScopeKind.GLOBAL), [plain])
    db.session.rollback()
    sqlite = db.engine.dialect.name == "sqlite"
    if sqlite:  # SQLite checks foreign keys only when asked, outside a transaction
        db.session.connection().exec_driver_sql("PRAGMA foreign_keys=ON")
    try:
        db.session.add(Delegation(delegator_id=member.id, delegate_id=plain.id, scope_kind="global", scope_key=0, rank=1))
        with pytest.raises(IntegrityError):
            db.session.commit()
        db.session.rollback()
        # nor to a withdrawn profile, and a profile cannot be withdrawn while delegations point at it
        gone = offer(resident("Gone"))
        services.withdraw(db.session, gone)
        db.session.commit()
        db.session.add(Delegation(delegator_id=member.id, delegate_id=gone.id, scope_kind="global", scope_key=0, rank=1))
        with pytest.raises(IntegrityError):
            db.session.commit()
        db.session.rollback()
        kept = offer(resident("Kept"))
        delegate(member, kept)
        profile = services.profile_of(db.session, kept)
        profile.is_active = False
        with pytest.raises(IntegrityError):
            db.session.commit()
        db.session.rollback()
    finally:
        if sqlite:
            db.session.connection().exec_driver_sql("PRAGMA foreign_keys=OFF")
            db.session.commit()
    _sign_in(browser, member)
    html = browser.submit("/delegation/new", {"scope": "global", "delegate1": plain.id, "delegate2": 0, "delegate3": 0,
                                              "max_depth": 0}).get_data(as_text=True)
    assert "There is a problem" in html and "Not a valid choice" in html


def test_where_my_vote_goes_shows_the_chain_and_tells_members_in_a_cycle(browser):
    a, b, c = offer(resident("Ann")), offer(resident("Bob")), offer(resident("Cat"))
    delegate(a, b)
    delegate(b, c)
    delegate(c, a)
    _sign_in(browser, a)
    html = browser.get("/delegation/where").get_data(as_text=True)
    assert "Your delegations form a circle." in html
    assert "You pass your vote to Bob." in html and "Bob passes it to Cat." in html
    assert "Cat passes it back to you, so it goes round in a circle." in html


def test_withdrawing_ends_delegations_and_tells_delegators_who_opted_in(browser):
    d = offer(resident("Delia"))
    told, untold = resident("Told"), resident("Untold")
    services.update_prefs(db.session, told, False, True, False)
    services.update_prefs(db.session, d, False, False, True)
    db.session.commit()
    delegate(told, d)
    delegate(untold, d)
    _sign_in(browser, d)
    notes = browser.get("/deliberation/notifications").get_data(as_text=True)
    assert "Someone delegated their vote to you." in notes  # once, from "Told" or "Untold"
    assert "2" in browser.get("/delegation/weight").get_data(as_text=True)
    html = browser.submit("/delegation/withdraw", {}).get_data(as_text=True)
    assert "You are no longer a delegate. 2 delegations to you ended." in html
    assert db.session.execute(select(Delegation)).scalars().all() == []
    browser.sign_out()
    _sign_in(browser, told)
    assert "Delia stopped being a delegate" in browser.get("/deliberation/notifications").get_data(as_text=True)
    assert "Ended: the delegate stopped being a delegate" in browser.get("/delegation/history").get_data(as_text=True)
    browser.sign_out()
    _sign_in(browser, untold)
    assert "stopped being a delegate" not in browser.get("/deliberation/notifications").get_data(as_text=True)


def test_the_weight_page_names_only_delegators_who_chose_to_be_named(browser):
    d = offer(resident("Dee"))
    delegate(resident("Named Person"), d, show_my_name=True)
    delegate(resident("Quiet Person"), d)
    _sign_in(browser, d)
    html = browser.get("/delegation/weight").get_data(as_text=True)
    assert "Named Person" in html and "Quiet Person" not in html
    assert "<td>Everything</td><td>2</td><td>0</td><td>3</td>" in html.replace("everything", "Everything")


def test_officers_register_a_community_group_account(browser):
    group = offer(resident("Wisbech RA account"))
    officer = make_user(Role.OFFICER)
    _sign_in(browser, resident("Someone"))
    assert browser.get(f"/delegation/delegates/{group.id}/group").status_code == 403
    browser.sign_out()
    _sign_in(browser, officer)
    html = browser.submit(f"/delegation/delegates/{group.id}/group", {"is_group": "y", "group_name": ""}).get_data(as_text=True)
    assert "Enter the group&#39;s registered name" in html
    html = browser.submit(f"/delegation/delegates/{group.id}/group", {"is_group": "y", "group_name": "Wisbech Residents' Association"}).get_data(as_text=True)
    assert "Delegate: Wisbech Residents&#39; Association" in html and "A registered community group" in html
    profile = db.session.execute(select(DelegateProfile).where(DelegateProfile.user_id == group.id)).scalar_one()
    assert profile.is_group and profile.group_set_by_id == officer.id


def test_deleting_an_account_withdraws_its_delegate_offer_and_ends_its_delegations(browser):
    """A deleted account neither carries other people's votes nor passes its own on; the history stays."""
    gone = offer(resident("Gone"))
    onward = offer(resident("Onward"))
    member = resident("Member")
    delegate(member, gone)
    delegate(gone, onward)
    _sign_in(browser, gone)
    html = browser.submit("/auth/account/delete", {"password": PASSWORD}).get_data(as_text=True)
    assert "Your account has been deleted" in html
    db.session.expire_all()
    profile = db.session.execute(select(DelegateProfile).where(DelegateProfile.user_id == gone.id)).scalar_one()
    assert not profile.is_active and profile.withdrawn_at is not None and profile.statement == ""
    assert db.session.execute(select(Delegation).where(
        (Delegation.delegate_id == gone.id) | (Delegation.delegator_id == gone.id))).first() is None
    assert "Gone" not in browser.get("/delegation/delegates").get_data(as_text=True)
    _sign_in(browser, member)
    history = browser.get("/delegation/history").get_data(as_text=True)
    assert "Delegated" in history and "Former member" in history
    assert "You have not delegated your vote" in browser.get("/delegation/").get_data(as_text=True)


def test_delegation_e_mails_are_written_in_the_recipients_language(app):  # type: ignore[no-untyped-def]
    """The e-mail's sentence, like its subject, is in the delegate's language, not in that of whoever delegated."""
    d = offer(resident("Dorota"))
    d.notify_email, d.locale = True, "pl"
    services.update_prefs(db.session, d, False, False, True)
    db.session.commit()
    outbox = app.extensions["mail_outbox"]
    outbox.clear()
    delegate(resident("Eve"), d)  # no request: the delegator's side is in English
    mails = [m for m in outbox if m["To"] == d.email]
    assert len(mails) == 1
    body = mails[0].get_content()
    assert "Wiadomości o Twoich delegacjach" in mails[0]["Subject"]
    assert "Ktoś przekazał Ci swój głos." in body and "Someone delegated" not in body
    assert "/delegation" in body
