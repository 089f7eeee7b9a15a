"""The invitation lottery through the officer's pages: the address upload (and its refusals), the commitment
published before the seed, the seed and the draw, and the printable letters with unique single-use codes."""

from __future__ import annotations

import io
import re

from sqlalchemy import select

from app.core.models import AuditEntry
from app.extensions import db
from app.panels.models import Invitation, Panel
from app.tally.invitations import Address, draw_invitations
from tests.factories import PASSWORD
from tests.factories_budgets import cambs  # noqa: F401  (fixture)
from tests.factories_panels import make_officer, make_panel, postcodes


def _upload(browser, panel_id: int, text: str):  # type: ignore[no-untyped-def]
    from tests.conftest import csrf_from

    page = browser.get(f"/panels/{panel_id}/addresses")
    return browser.client.post(f"/panels/{panel_id}/addresses", data={
        "csrf_token": csrf_from(page.get_data(as_text=True)), "file": (io.BytesIO(text.encode()), "addresses.csv")},
        content_type="multipart/form-data", follow_redirects=True)


def test_officer_creates_a_panel_uploads_addresses_and_draws_invitations(browser, cambs):  # noqa: F811
    officer = make_officer()
    browser.sign_in(officer.email, PASSWORD)
    html = browser.submit("/panels/new", {"title": "Wisbech Panel", "description": "Buses.", "place": "0",
                                          "retention_until": "2099-01-01"}).get_data(as_text=True)
    assert "Panel created" in html
    panel = db.session.execute(select(Panel).where(Panel.title == "Wisbech Panel")).scalar_one()

    # refusals: no header, a bad postcode, an unknown postcode, a duplicate id, a bad decile
    for text, message in [
        ("ref,pc\n1,CB3 0AP\n", "address_id and postcode"),
        ("address_id,postcode\nA1,NOT A POSTCODE\n", "Row 2: “NOT A POSTCODE” is not a UK postcode."),
        ("address_id,postcode\nA1,SW1A 1AA\n", "not in any area this site covers"),
        ("address_id,postcode\nA1,CB3 0AP\nA1,CB3 0DS\n", "Row 3: the address id A1 appears twice."),
        ("address_id,postcode,decile\nA1,CB3 0AP,11\n", "from 1 to 10"),
    ]:
        html = _upload(browser, panel.id, text).get_data(as_text=True)
        assert "There is a problem" in html and message in html, message
    assert db.session.execute(select(AuditEntry).where(AuditEntry.action == "panels.addresses_uploaded")).first() is None

    codes = postcodes()
    rows = "".join(f"H{i:03d},{codes[i % len(codes)].lower().replace(' ', '')},{1 + i % 10}\n" for i in range(200))
    html = _upload(browser, panel.id, "address_id,postcode,decile\n" + rows).get_data(as_text=True)
    assert "Address list uploaded." in html and "200 households on the list." in html

    # the commitment: published before the seed exists
    html = browser.submit(f"/panels/{panel.id}/invitations", {"households": "500", "is_stratified": "yes", "weights": "",
                                                              "seed_plan": "Dice"}).get_data(as_text=True)
    assert "You cannot invite more households than the 200 on the list" in html
    html = browser.submit(f"/panels/{panel.id}/invitations", {"households": "50", "is_stratified": "yes", "weights": "1=x",
                                                              "seed_plan": "Dice"}).get_data(as_text=True)
    assert "Write the weights as decile=weight" in html
    html = browser.submit(f"/panels/{panel.id}/invitations", {
        "households": "50", "is_stratified": "yes", "weights": "1=3, 2=2",
        "seed_plan": "Ten-sided dice at the public meeting"}).get_data(as_text=True)
    assert "The invitation lottery is committed and published" in html
    public = browser.client.get(f"/panels/{panel.id}").get_data(as_text=True)
    db.session.refresh(panel)
    draw = panel.invitation_draw
    assert draw is not None and draw.seed is None
    assert draw.inputs_sha256 in public and "Ten-sided dice at the public meeting" in public
    assert "decile 1: 3" in public and "Not yet recorded" in public
    # the address list is frozen once committed
    assert "can no longer change" in _upload(browser, panel.id, "address_id,postcode\nZ,CB3 0AP\n").get_data(as_text=True)

    html = browser.submit(f"/panels/{panel.id}/invitations/seed", {"seed": "93817"}).get_data(as_text=True)
    assert "Households drawn." in html
    invites = list(db.session.execute(select(Invitation).where(Invitation.panel_id == panel.id)).scalars())
    assert len(invites) == 50
    assert len({i.code for i in invites}) == 50 and all(re.fullmatch(r"[A-Z2-9]{4}-[A-Z2-9]{4}-[A-Z2-9]{4}", i.code) for i in invites)
    db.session.refresh(panel)
    # anyone can re-run the lottery from its published inputs: same households
    assert panel.invitation_draw.strata and sum(panel.invitation_draw.strata.values()) == 50
    from app.panels.services.invitations import _lottery_inputs, public_ids

    published = {a.id: pid for pid, a in public_ids(db.session, panel)}
    tally_addresses, weights = _lottery_inputs(db.session, panel, panel.invitation_draw.weights)
    again = draw_invitations([Address(a.id, a.stratum) for a in tally_addresses], 50, "93817", stratified=True, weights=weights)
    assert sorted(again.selected) == sorted(published[i.address_id] for i in invites)
    assert again.inputs_sha256 == panel.invitation_draw.inputs_sha256
    # a second seed is refused
    html = browser.submit(f"/panels/{panel.id}/invitations/seed", {"seed": "11111"}).get_data(as_text=True)
    assert "The seed is already recorded" in html

    letters = browser.get(f"/panels/{panel.id}/letters").get_data(as_text=True)
    assert letters.count('class="letter"') == 50
    assert all(i.code in letters for i in invites) and "/panels/respond" in letters
    actions = [e.action for e in db.session.execute(select(AuditEntry).order_by(AuditEntry.id)).scalars()]
    for action in ("panels.created", "panels.addresses_uploaded", "panels.invitations_committed",
                   "panels.invitations_seed_recorded", "panels.invitations_drawn"):
        assert action in actions
    assert actions.index("panels.invitations_committed") < actions.index("panels.invitations_seed_recorded")


def test_uniform_draw_and_letters_are_for_the_panels_officers_only(browser, cambs):  # noqa: F811
    officer, other = make_officer(), make_officer()
    panel = make_panel(officer)
    browser.sign_in(officer.email, PASSWORD)
    codes = postcodes()
    _upload(browser, panel.id, "address_id,postcode\n" + "".join(f"U{i},{codes[i % 20]}\n" for i in range(30)))
    browser.submit(f"/panels/{panel.id}/invitations", {"households": "10", "is_stratified": "no", "seed_plan": "Lottery"})
    browser.submit(f"/panels/{panel.id}/invitations/seed", {"seed": "7"})
    db.session.refresh(panel)
    assert panel.invitation_draw.method_text.startswith("uniform draw without replacement")
    browser.sign_out()
    browser.sign_in(other.email, PASSWORD)  # an officer, but not running this panel
    assert browser.get(f"/panels/{panel.id}/letters").status_code == 403
    assert browser.get(f"/panels/{panel.id}/addresses").status_code == 403
    browser.sign_out()
    assert browser.get(f"/panels/{panel.id}/letters").status_code == 302
    assert browser.get(f"/panels/{panel.id}").status_code == 200
