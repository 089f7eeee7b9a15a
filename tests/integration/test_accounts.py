"""The account journeys, driven through the real forms with CSRF on and no JavaScript."""

from __future__ import annotations

import re

from sqlalchemy import func, select

from app.auth.models import PasswordResetToken, User
from app.core.models import AuditEntry
from app.extensions import db

NEW = {
    "display_name": "Jo Resident",
    "email": "Jo@Example.org",
    "password": "a long enough password",
    "confirm": "a long enough password",
    "postcode": "pe13 1ag",
}


def count_users() -> int:
    return db.session.execute(select(func.count(User.id))).scalar_one()


def confirmation_link(app, to: str) -> str:
    mails = [m for m in app.extensions["mail_outbox"] if m["To"] == to]
    assert mails, f"no e-mail to {to}"
    m = re.search(r"http://localhost(/auth/confirm/\S+)", mails[-1].get_content())
    assert m, mails[-1].get_content()
    return m.group(1)


def test_register_sign_out_and_in(browser, demo, app):
    resp = browser.submit("/auth/register", NEW)
    html = resp.get_data(as_text=True)
    assert "Check your email" in html
    resp = browser.get(confirmation_link(app, "jo@example.org"), follow_redirects=True)
    assert "your email address is confirmed" in resp.get_data(as_text=True)
    user = db.session.execute(select(User).where(User.email == "jo@example.org")).scalar_one()
    assert user.postcode == "PE13 1AG"
    assert user.home_place.name == "Wisbech"
    assert user.password_hash and "a long enough" not in user.password_hash
    browser.sign_out()
    assert "Sign in" in browser.get("/").get_data(as_text=True)
    browser.sign_in("JO@example.org", "a long enough password")
    assert "Your area is Wisbech" in browser.get("/").get_data(as_text=True)


def test_bad_postcode_is_a_field_error_and_saves_nothing(browser, demo):
    before = count_users()
    html = browser.submit("/auth/register", {**NEW, "postcode": "ZZ99 9ZZ"}).get_data(as_text=True)
    assert "There is a problem" in html
    assert 'href="#postcode"' in html
    assert "We could not find ZZ99 9ZZ" in html
    assert count_users() == before
    html = browser.submit("/auth/register", {**NEW, "postcode": "not a postcode"}).get_data(as_text=True)
    assert "Enter a real postcode, like CB2 1TN" in html
    assert count_users() == before


def _page_body(html: str) -> str:
    """The page without its CSRF token (which differs on every page)."""
    return re.sub(r'name="csrf_token"[^>]*', "", html)


def test_registration_answers_the_same_whether_or_not_the_address_has_an_account(browser, demo, app):
    first = browser.submit("/auth/register", NEW).get_data(as_text=True)
    before = count_users()
    again = browser.submit("/auth/register", {**NEW, "email": "jo@EXAMPLE.org", "display_name": "Impostor"})
    html = again.get_data(as_text=True)
    assert again.status_code == 200
    assert "already exists" not in html
    assert _page_body(html) == _page_body(first)
    assert count_users() == before
    # the owner of the address is told instead, and nothing about the account changed
    mails = [m for m in app.extensions["mail_outbox"] if m["To"] == "jo@example.org"]
    assert "Someone tried to create a new Folkmoot account" in mails[-1].get_content()
    user = db.session.execute(select(User).where(User.email == "jo@example.org")).scalar_one()
    assert user.display_name == "Jo Resident"


def test_wrong_password(browser, demo):
    resp = browser.submit("/auth/sign-in", {"email": "priya@demo.example.org", "password": "wrong password!"})
    html = resp.get_data(as_text=True)
    assert resp.status_code == 200
    assert "The email address or password is not correct." in html
    assert "Your account" not in html


def test_missing_csrf_token_is_refused_with_a_clear_message(client, demo):
    before = count_users()
    resp = client.post("/auth/register", data=NEW)
    assert resp.status_code == 400
    assert "security token" in resp.get_data(as_text=True)
    assert count_users() == before


def test_missing_csrf_in_polish(client, demo):
    resp = client.post("/auth/register", data=NEW, headers={"Accept-Language": "pl"})
    assert resp.status_code == 400
    html = resp.get_data(as_text=True)
    assert 'lang="pl"' in html
    assert "tokenu bezpieczeństwa" in html


def test_twenty_megabyte_post_gets_a_translated_413(client, demo):
    before = count_users()
    big = "x" * (20 * 1024 * 1024)
    resp = client.post("/auth/register", data={**NEW, "display_name": big})
    assert resp.status_code == 413
    assert "too large" in resp.get_data(as_text=True)
    resp = client.post("/auth/register", data={**NEW, "display_name": big}, headers={"Accept-Language": "pl"})
    assert resp.status_code == 413
    assert "za duże" in resp.get_data(as_text=True)
    assert count_users() == before


def test_switch_to_polish_with_a_plain_link(browser, demo):
    html = browser.get("/places/").get_data(as_text=True)
    assert 'lang="en"' in html
    resp = browser.get("/language/pl?next=/places/", follow_redirects=True)
    html = resp.get_data(as_text=True)
    assert resp.request.path == "/places/"
    assert '<html lang="pl">' in html
    assert "Miejsca" in html
    # an off-site next= is ignored
    resp = browser.get("/language/en?next=https://evil.example/", follow_redirects=False)
    assert resp.headers["Location"].endswith("/")
    assert "evil" not in resp.headers["Location"]


def test_account_preference_beats_accept_language(browser, demo):
    browser.sign_in("agnieszka@demo.example.org", "folkmoot-demo")
    browser.get("/language/pl")
    user = db.session.execute(select(User).where(User.email == "agnieszka@demo.example.org")).scalar_one()
    db.session.refresh(user)
    assert user.locale == "pl"
    html = browser.get("/", headers={"Accept-Language": "en"}).get_data(as_text=True)
    assert '<html lang="pl">' in html


def test_change_notification_preferences(browser, demo):
    browser.sign_in("tom@demo.example.org", "folkmoot-demo")
    resp = browser.submit(
        "/auth/account",
        {"display_name": "Tom B", "postcode": "CB7 4EY", "locale": "en", "notify_email": "y", "notify_results": "y"},
    )
    assert "Your settings have been saved." in resp.get_data(as_text=True)
    user = db.session.execute(select(User).where(User.email == "tom@demo.example.org")).scalar_one()
    db.session.refresh(user)
    assert (user.display_name, user.notify_email, user.notify_replies, user.notify_results) == ("Tom B", True, False, True)
    # a bad postcode changes nothing at all
    resp = browser.submit("/auth/account", {"display_name": "Someone else", "postcode": "ZZ1 1ZZ", "locale": "en"})
    assert "We could not find ZZ1 1ZZ" in resp.get_data(as_text=True)
    db.session.refresh(user)
    assert user.display_name == "Tom B"


def test_password_reset_by_emailed_single_use_link(app, browser, demo, caplog):
    browser.submit("/auth/reset", {"email": "dev@demo.example.org"})
    outbox = app.extensions["mail_outbox"]
    assert len(outbox) == 1
    body = outbox[0].get_content()
    # development: with no MAIL_SERVER the message is written to the log
    assert any("Reset your Folkmoot password" in r.getMessage() for r in caplog.records)
    link = re.search(r"http://localhost(/auth/reset/\S+)", body).group(1)
    resp = browser.submit(link, {"password": "brand new password", "confirm": "brand new password"})
    assert "Your password has been changed" in resp.get_data(as_text=True)
    browser.sign_in("dev@demo.example.org", "brand new password")
    browser.sign_out()
    # single use
    assert browser.get(link).status_code == 404
    assert "expired or has already been used" in browser.get(link).get_data(as_text=True)


def test_reset_for_unknown_address_reveals_nothing(app, browser, demo):
    html = browser.submit("/auth/reset", {"email": "nobody@example.org"}).get_data(as_text=True)
    assert "Check your email" in html
    assert app.extensions["mail_outbox"] == []


def test_expired_reset_token_is_refused(app, browser, demo):
    from datetime import timedelta

    browser.submit("/auth/reset", {"email": "dev@demo.example.org"})
    link = re.search(r"http://localhost(/auth/reset/\S+)", app.extensions["mail_outbox"][0].get_content()).group(1)
    token = db.session.execute(select(PasswordResetToken)).scalar_one()
    token.expires_at = token.expires_at - timedelta(hours=2)
    db.session.commit()
    assert browser.get(link).status_code == 404


def test_delete_account_keeps_contributions_as_former_member(browser, demo):
    browser.sign_in("sarah@demo.example.org", "folkmoot-demo")
    user_id = db.session.execute(select(User.id).where(User.email == "sarah@demo.example.org")).scalar_one()
    resp = browser.submit("/auth/account/delete", {"password": "not my password"})
    assert "The password is not correct." in resp.get_data(as_text=True)
    resp = browser.submit("/auth/account/delete", {"password": "folkmoot-demo"})
    assert "Your account has been deleted" in resp.get_data(as_text=True)
    db.session.expire_all()
    user = db.session.get(User, user_id)
    assert user.is_deleted
    assert (user.email, user.display_name, user.postcode, user.password_hash, user.home_place_id) == (None, None, None, None, None)
    assert user.public_name == "Former member"
    entry = db.session.execute(select(AuditEntry).where(AuditEntry.action == "account.deleted")).scalar_one()
    assert entry.object_id == str(user_id)
    # the old credentials no longer work
    resp = browser.submit("/auth/sign-in", {"email": "sarah@demo.example.org", "password": "folkmoot-demo"})
    assert "not correct" in resp.get_data(as_text=True)


def test_member_pages_send_anonymous_visitors_to_sign_in(client, demo):
    resp = client.get("/auth/account")
    assert resp.status_code == 302
    assert "/auth/sign-in" in resp.headers["Location"]


def test_sign_in_returns_to_the_page_asked_for(browser, demo):
    resp = browser.client.get("/auth/sign-in?next=/auth/account")
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', resp.get_data(as_text=True)).group(1)
    resp = browser.client.post(
        "/auth/sign-in?next=/auth/account",
        data={"csrf_token": token, "email": "tom@demo.example.org", "password": "folkmoot-demo"},
    )
    assert resp.headers["Location"].endswith("/auth/account")


def test_suspended_account_keeps_its_settings_and_may_leave(browser, demo):
    """A suspension stops taking part, not reading one's settings, changing language, or deleting the account."""
    user = db.session.execute(select(User).where(User.email == "dev@demo.example.org")).scalar_one()
    name, postcode = user.display_name, user.postcode
    user.is_suspended = True
    db.session.commit()
    browser.sign_in("dev@demo.example.org", "folkmoot-demo")
    assert browser.get("/auth/account").status_code == 200
    resp = browser.submit("/auth/account", {"display_name": "A new public name", "postcode": postcode, "locale": "pl"})
    assert "While your account is suspended you cannot change the name other people see." in resp.get_data(as_text=True)
    db.session.refresh(user)
    assert (user.display_name, user.locale) == (name, None)  # nothing half-saved
    resp = browser.submit("/auth/account", {"display_name": name, "postcode": postcode, "locale": "pl"})
    assert resp.status_code == 200
    db.session.refresh(user)
    assert user.locale == "pl"
    resp = browser.submit("/auth/account/delete", {"password": "folkmoot-demo"})
    db.session.expire_all()
    assert db.session.get(User, user.id).is_deleted
