"""The transparent lottery and the invitation lottery's public page, through the real pages: the M panels and
their SHA-256 are published with the commitment, the officer records the number drawn in public, the draw page
shows the list, the number and how far the rounding moved any probability, and the re-run commands shown on the
public pages give the same panel and the same households from the published files."""

from __future__ import annotations

import csv
import hashlib
import html as htmllib
import io
import json
import re
import subprocess
import sys
from pathlib import Path

from sqlalchemy import select

from app.core.models import AuditEntry
from app.extensions import db
from app.panels.models import Respondent
from app.tally.sortition.transparent import parse_lottery_csv
from tests.factories import PASSWORD
from tests.factories_budgets import cambs  # noqa: F401  (fixture)
from tests.factories_panels import fill_pool, invited_panel, make_officer, press, quota_form

ROOT = Path(__file__).resolve().parents[2]


def _command(page: str) -> str:
    return htmllib.unescape(re.search(r"<pre><code>(.*?)</code></pre>", page, re.S).group(1))


def _run(command: str, cwd: Path) -> dict:  # type: ignore[type-arg]
    assert command.startswith("python -m app.tally ")
    run = subprocess.run([sys.executable, *command.split()[1:], "--json"], cwd=cwd, capture_output=True, text=True,
                         env={"PYTHONPATH": str(ROOT), "PATH": ""}, check=False)
    assert run.returncode == 0, run.stderr
    return json.loads(run.stdout)  # type: ignore[no-any-return]


def test_transparent_lottery_from_commitment_to_public_rerun(browser, cambs, tmp_path):  # noqa: F811
    officer = make_officer()
    panel = invited_panel(officer, households=160, invited=100)
    fill_pool(officer, panel, 60)
    browser.sign_in(officer.email, PASSWORD)
    html = browser.submit(f"/panels/{panel.id}/quotas", quota_form(10)).get_data(as_text=True)
    if "Apply the suggested relaxations" in html:
        press(browser, f"/panels/{panel.id}/quotas", f"/panels/{panel.id}/quotas/relax")

    # the commitment with a lottery of 500 panels; a lottery of 1 or of letters is refused
    html = browser.submit(f"/panels/{panel.id}/commit", {"seed_plan": "Dice", "lottery": "1"}).get_data(as_text=True)
    assert "Enter a number of panels from 2 to 10000" in html
    html = browser.submit(f"/panels/{panel.id}/commit", {
        "seed_plan": "Three ten-sided dice at the meeting of 2 March; 000 counts as 500 (rolls above 500 are thrown again)",
        "lottery": "500"}).get_data(as_text=True)
    assert "The commitment is published." in html
    db.session.refresh(panel)
    sel = panel.selection
    assert sel is not None and sel.lottery_size == 500 and sel.seed is None
    browser.sign_out()

    # published before the number is drawn: the list, its SHA-256 in the commitment, the rounding's effect
    page = browser.get(f"/panels/{panel.id}/draw").get_data(as_text=True)
    listing = browser.get(f"/panels/{panel.id}/lottery.csv").get_data(as_text=True)
    commitment = json.loads(browser.get(f"/panels/{panel.id}/commitment.json").get_data(as_text=True))
    assert hashlib.sha256(listing.encode()).hexdigest() == sel.lottery_sha256 == commitment["lottery_csv_sha256"]
    assert commitment["lottery_panels"] == 500 and sel.lottery_sha256 in page
    assert f"{sel.lottery_max_change:.6f}" in page and "Show all 500 panels" in page
    panels = parse_lottery_csv(listing)
    assert len(panels) == 500 and all(len(p) == 10 for p in panels)
    assert "Not recorded yet." in page and "The number drawn" in page

    # the officer records the number drawn; out-of-range numbers are refused
    browser.sign_in(officer.email, PASSWORD)
    form = browser.get(f"/panels/{panel.id}/seed").get_data(as_text=True)
    assert "The number drawn" in form and "transparent lottery of 500 published panels" in form
    html = browser.submit(f"/panels/{panel.id}/seed", {"ticket": "501"}).get_data(as_text=True)
    assert "Enter the number drawn, a whole number from 1 to 500" in html
    html = browser.submit(f"/panels/{panel.id}/seed", {"ticket": "417"}).get_data(as_text=True)
    assert "The number drawn is recorded and the panel drawn." in html
    db.session.refresh(sel)
    result = sel.result
    assert result["panel"] == sorted(panels[416]) and result["ticket"] == 417 and result["panels"] == 500
    assert abs(sum(result["probabilities"].values()) - 10) < 1e-9
    chosen = set(db.session.execute(select(Respondent.public_id).where(Respondent.panel_id == panel.id,
                                                                       Respondent.status == "selected")).scalars())
    assert chosen == set(result["panel"])
    actions = [e.action for e in db.session.execute(select(AuditEntry).order_by(AuditEntry.id)).scalars()]
    assert actions.index("panels.draw_committed") < actions.index("panels.ticket_recorded") < actions.index("panels.drawn")
    committed = db.session.execute(select(AuditEntry).where(AuditEntry.action == "panels.draw_committed")).scalar_one()
    assert sel.lottery_sha256 in committed.data_json
    html = browser.submit(f"/panels/{panel.id}/seed", {"ticket": "3"}).get_data(as_text=True)
    assert "already recorded" in html
    browser.sign_out()

    # the public page and the re-run: the CLI on the published files gives the same panel and the same list
    page = browser.get(f"/panels/{panel.id}/draw").get_data(as_text=True)
    assert "Yes: the number drawn" in page and "Ticket drawn" in page
    command = _command(page)
    assert command == "python -m app.tally sortition pool.csv quotas.csv --size 10 --method leximin --lottery 500 --ticket 417"
    (tmp_path / "pool.csv").write_text(browser.get(f"/panels/{panel.id}/pool.csv").get_data(as_text=True), encoding="utf-8")
    (tmp_path / "quotas.csv").write_text(browser.get(f"/panels/{panel.id}/quotas.csv").get_data(as_text=True), encoding="utf-8")
    rerun = _run(command, tmp_path)
    assert rerun["panel"] == result["panel"] and rerun["lottery_sha256"] == sel.lottery_sha256
    assert rerun["input_sha256"] == sel.inputs_sha256 and rerun["ticket"] == 417
    assert abs(rerun["rounding_max_change"] - sel.lottery_max_change) < 1e-9
    assert all(abs(rerun["probabilities"][k] - v) < 1e-12 for k, v in result["probabilities"].items())


def test_legacy_method_cannot_use_a_lottery(browser, cambs):  # noqa: F811
    officer = make_officer()
    panel = invited_panel(officer)
    fill_pool(officer, panel, 40)
    browser.sign_in(officer.email, PASSWORD)
    html = browser.submit(f"/panels/{panel.id}/quotas", quota_form(8, method="legacy", leeway=2)).get_data(as_text=True)
    if "Apply the suggested relaxations" in html:
        press(browser, f"/panels/{panel.id}/quotas", f"/panels/{panel.id}/quotas/relax")
    html = browser.submit(f"/panels/{panel.id}/commit", {"seed_plan": "Dice", "lottery": "100"}).get_data(as_text=True)
    assert "A transparent lottery needs the LEXIMIN or maximin method" in html
    db.session.refresh(panel)
    assert panel.selection is None


def test_invitation_lottery_public_page_reruns_to_the_same_households(browser, cambs, tmp_path):  # noqa: F811
    officer = make_officer()
    from tests.factories_panels import make_panel, postcodes

    panel = make_panel(officer, "Weighted Panel")
    codes = postcodes()
    browser.sign_in(officer.email, PASSWORD)
    rows = "".join(f"UPRN10009{i:05d},{codes[i % len(codes)]},{1 + i % 10}\n" for i in range(240))
    page = browser.get(f"/panels/{panel.id}/addresses").get_data(as_text=True)
    from tests.conftest import csrf_from

    browser.client.post(f"/panels/{panel.id}/addresses", data={
        "csrf_token": csrf_from(page), "file": (io.BytesIO(("address_id,postcode,decile\n" + rows).encode()), "a.csv")},
        content_type="multipart/form-data", follow_redirects=True)
    assert browser.get(f"/panels/{panel.id}/invitations/draw").status_code == 404  # nothing committed yet
    browser.submit(f"/panels/{panel.id}/invitations", {"households": "60", "is_stratified": "yes", "weights": "1=2, 2=1.5",
                                                       "seed_plan": "Dice at the public meeting"})
    browser.sign_out()
    page = browser.get(f"/panels/{panel.id}/invitations/draw").get_data(as_text=True)
    assert "Not recorded yet." in page and "Dice at the public meeting" in page
    assert browser.get(f"/panels/{panel.id}/invited.csv").status_code == 404  # not drawn yet
    addresses = browser.get(f"/panels/{panel.id}/addresses.csv").get_data(as_text=True)
    db.session.refresh(panel)
    assert hashlib.sha256(addresses.encode()).hexdigest() == panel.invitation_draw.addresses_sha256
    # anonymised: no property reference, no postcode; the area and the decile only
    assert "UPRN" not in addresses and not any(c.split()[0] in addresses for c in codes)
    listed = list(csv.DictReader(io.StringIO(addresses)))
    assert len(listed) == 240 and set(listed[0]) == {"address_id", "area", "decile"} and listed[0]["address_id"] == "H000001"

    browser.sign_in(officer.email, PASSWORD)
    browser.submit(f"/panels/{panel.id}/invitations/seed", {"seed": "40371"})
    browser.sign_out()
    page = browser.get(f"/panels/{panel.id}/invitations/draw").get_data(as_text=True)
    command = _command(page)
    assert command == ("python -m app.tally invitations addresses.csv --households 60 --seed 40371 --stratify area "
                       "--weights 1=2,2=1.5")
    invited = browser.get(f"/panels/{panel.id}/invited.csv").get_data(as_text=True).split()[1:]
    assert len(invited) == 60 and ", ".join(invited) in page
    (tmp_path / "addresses.csv").write_text(addresses, encoding="utf-8")
    rerun = _run(command, tmp_path)
    assert rerun["selected"] == invited and rerun["input_sha256"] == panel.invitation_draw.inputs_sha256
    assert rerun["per_stratum"] == panel.invitation_draw.strata
    assert f"/panels/{panel.id}/invitations/draw" in browser.get(f"/panels/{panel.id}").get_data(as_text=True)
