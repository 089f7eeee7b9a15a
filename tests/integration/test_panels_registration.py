"""Registration by code, through the public pages with no account: the invited household joins the pool;
walk-ins (no code, or a code not on the list), reused codes, the honeypot, a form sent back too fast or with a
forged timing token, and a closed registration are refused; officers enter paper and telephone answers through
the same form, marked with the channel; the rate limit holds."""

from __future__ import annotations

import re

from sqlalchemy import select

from app.core.models import AuditEntry
from app.extensions import db
from app.panels.models import Invitation, Respondent
from app.panels.services import invitations as inv_services
from tests.conftest import csrf_from
from tests.factories import PASSWORD
from tests.factories_budgets import cambs  # noqa: F401  (fixture)
from tests.factories_panels import invited_panel, make_officer

ANSWERS = {"q_gender": "Woman", "q_age_band": "30-44", "q_district": "Fenland", "q_climate_view": "Very concerned"}


def _details(**extra: str) -> dict[str, str]:
    return {"name": "Ada Lovelace", "email": "ada@example.org", "phone": "", "availability": "Not Tuesdays",
            "has_consented": "y", **ANSWERS, **extra}


class Form:
    """Sends a public form back as a browser does: with its CSRF token and its hidden timing token."""

    def __init__(self, browser) -> None:  # type: ignore[no-untyped-def]
        self.browser = browser

    def submit(self, url: str, data: dict[str, str], follow: bool = True):  # type: ignore[no-untyped-def]
        page = self.browser.get(url, follow_redirects=True).get_data(as_text=True)
        started = re.search(r'name="started" type="hidden" value="([^"]*)"', page)
        payload = {"csrf_token": csrf_from(page), "started": started.group(1) if started else "", **data}
        return self.browser.client.post(url, data=payload, follow_redirects=follow)


def _code(panel) -> str:  # type: ignore[no-untyped-def]
    return db.session.execute(select(Invitation.code).where(Invitation.panel_id == panel.id, Invitation.used_at.is_(None))
                              .order_by(Invitation.id).limit(1)).scalar_one()


def test_an_invited_household_joins_the_pool_with_its_code(browser, cambs):  # noqa: F811
    form = Form(browser)
    panel = invited_panel(make_officer())
    code = _code(panel)
    html = form.submit("/panels/respond", {"code": code.lower().replace("-", " ")}, follow=True).get_data(as_text=True)
    assert f"Join the pool for {panel.title}" in html and "How old are you?" in html
    # every answer is checked: consent is required
    html = form.submit("/panels/respond/answer", {**_details(), "has_consented": ""}).get_data(as_text=True)
    assert "There is a problem" in html and "Tick the box to agree" in html
    html = form.submit("/panels/respond/answer", _details(q_gender="Robot")).get_data(as_text=True)
    assert "There is a problem" in html
    html = form.submit("/panels/respond/answer", _details()).get_data(as_text=True)
    assert "Thank you: you are in the pool" in html
    respondent = db.session.execute(select(Respondent).where(Respondent.panel_id == panel.id)).scalar_one()
    assert respondent.name == "Ada Lovelace" and respondent.channel == "online" and respondent.entered_by_id is None
    assert respondent.answers == {"gender": "Woman", "age_band": "30-44", "district": "Fenland", "climate_view": "Very concerned"}
    assert respondent.invitation.code == code and respondent.invitation.used_at is not None
    audit = db.session.execute(select(AuditEntry).where(AuditEntry.action == "panels.registered")).scalar_one()
    assert "Ada" not in audit.data_json and respondent.public_id in audit.data_json

    # the same code again: refused, at the code step
    html = form.submit("/panels/respond", {"code": code}).get_data(as_text=True)
    assert "This code has already been used." in html


def test_walk_ins_and_made_up_codes_are_refused(browser, cambs):  # noqa: F811
    form = Form(browser)
    invited_panel(make_officer())
    html = form.submit("/panels/respond", {"code": ""}).get_data(as_text=True)
    assert "Enter the code from your invitation letter" in html
    html = form.submit("/panels/respond", {"code": "ABCD-EFGH-JKLM"}).get_data(as_text=True)
    assert "We do not recognise this code" in html and "only households that received an invitation" in html
    # going straight to the answer form without a code sends you back to the code step
    resp = browser.get("/panels/respond/answer")
    assert resp.status_code == 302 and resp.headers["Location"].endswith("/panels/respond")
    assert db.session.execute(select(Respondent.id)).first() is None


def test_honeypot_and_timing_token_stop_bots(app, browser, cambs):  # noqa: F811
    form = Form(browser)
    panel = invited_panel(make_officer())
    code = _code(panel)
    html = form.submit("/panels/respond", {"code": code, "website": "http://spam.example"}).get_data(as_text=True)
    assert "We could not accept the form" in html
    html = form.submit("/panels/respond", {"code": code, "started": "forged"}).get_data(as_text=True)
    assert "We could not accept the form" in html
    app.config["PANEL_FORM_MIN_SECONDS"] = 3600  # a person takes at least this long: every answer is "too fast"
    try:
        html = form.submit("/panels/respond", {"code": code}).get_data(as_text=True)
    finally:
        app.config["PANEL_FORM_MIN_SECONDS"] = 0
    assert "We could not accept the form" in html
    form.submit("/panels/respond", {"code": code})
    html = form.submit("/panels/respond/answer", _details(website="x")).get_data(as_text=True)
    assert "We could not accept the form" in html
    assert db.session.execute(select(Respondent.id)).first() is None


def test_closed_registration_and_the_rate_limit(app, browser, cambs):  # noqa: F811
    form = Form(browser)
    panel = invited_panel(make_officer(), open_registration=False)
    code = _code(panel)
    html = form.submit("/panels/respond", {"code": code}).get_data(as_text=True)
    assert "Registration for this panel is closed." in html
    app.config["RATELIMIT_PANEL_RESPONSE"] = "3 per minute"
    try:
        statuses = [form.submit("/panels/respond", {"code": "NOPE"}).status_code for _ in range(4)]
    finally:
        app.config["RATELIMIT_PANEL_RESPONSE"] = "10 per minute;60 per hour"
    assert statuses[:3] == [200, 200, 200] and statuses[3] == 429


def test_officers_enter_paper_and_telephone_answers_with_the_same_form(browser, cambs):  # noqa: F811
    officer = make_officer()
    panel = invited_panel(officer)
    code = _code(panel)
    browser.sign_in(officer.email, PASSWORD)
    html = browser.submit(f"/panels/{panel.id}/responses/new", {**_details(), "code": code}).get_data(as_text=True)
    assert "Choose paper or telephone" in html
    html = browser.submit(f"/panels/{panel.id}/responses/new", {**_details(name="Bob"), "code": code, "channel": "phone"}).get_data(as_text=True)
    assert "Answer entered." in html
    r = db.session.execute(select(Respondent).where(Respondent.panel_id == panel.id)).scalar_one()
    assert r.channel == "phone" and r.entered_by_id == officer.id and r.name == "Bob"
    html = browser.submit(f"/panels/{panel.id}/responses/new", {**_details(), "code": code, "channel": "paper"}).get_data(as_text=True)
    assert "This code has already been used." in html
    # a code of another panel is not this panel's
    other = invited_panel(officer)
    html = browser.submit(f"/panels/{panel.id}/responses/new", {**_details(), "code": _code(other), "channel": "paper"}).get_data(as_text=True)
    assert "We do not recognise this code" in html
    listing = browser.get(f"/panels/{panel.id}/respondents").get_data(as_text=True)
    assert "Bob" in listing and "ada@example.org" in listing and "Telephone" in listing


def test_one_registration_per_invitation_is_a_database_rule(app, cambs):  # noqa: F811
    import pytest
    from sqlalchemy.exc import IntegrityError

    officer = make_officer()
    panel = invited_panel(officer)
    inv = db.session.execute(select(Invitation).where(Invitation.panel_id == panel.id).limit(1)).scalar_one()
    db.session.add_all([Respondent(panel_id=panel.id, invitation_id=inv.id, public_id="PAAAAAA"),
                        Respondent(panel_id=panel.id, invitation_id=inv.id, public_id="PBBBBBB")])
    with pytest.raises(IntegrityError):
        db.session.flush()
    db.session.rollback()
    assert inv_services.normalise_code("abcd efgh jklm") == "ABCD-EFGH-JKLM"
