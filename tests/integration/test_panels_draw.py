"""The verifiable draw through the real pages: quotas from target shares and their feasibility (with suggested
relaxations), the commitment published before the seed, the seed and the draw, the public draw page and its
files (re-run with ``python -m app.tally sortition`` to the same panel), confirmation, a replacement shown
publicly, and the panel's workspace with its members, timetable, evidence and a recommendation the council
answers (comply or explain)."""

from __future__ import annotations

import csv
import io
import json
import re
import subprocess
import sys
from pathlib import Path

from sqlalchemy import select

from app.auth.models import User
from app.core.models import AuditEntry
from app.deliberation import recommendations
from app.deliberation.models import Recommendation, SpaceMembership
from app.extensions import db
from app.panels.models import Panel, Replacement, Respondent
from tests.factories import PASSWORD
from tests.factories_budgets import cambs  # noqa: F401  (fixture)
from tests.factories_panels import fill_pool, invited_panel, make_officer, press, quota_form

ROOT = Path(__file__).resolve().parents[2]


def _actions() -> list[str]:
    return [e.action for e in db.session.execute(select(AuditEntry).order_by(AuditEntry.id)).scalars()]


def test_quotas_commitment_seed_draw_public_page_replacement_and_workspace(app, browser, cambs, tmp_path):  # noqa: F811
    officer = make_officer()
    panel = invited_panel(officer, households=200, invited=120)
    fill_pool(officer, panel, 80)
    browser.sign_in(officer.email, PASSWORD)

    # quotas: shares that do not add up are refused; then 12 seats from census-like shares
    bad = quota_form(12, shares={"gender": ["50", "40", "2"], "age_band": ["22", "25", "31", "22"],
                                 "district": ["21", "13", "15", "27", "24"], "climate_view": ["40", "42", "18"]})
    html = browser.submit(f"/panels/{panel.id}/quotas", bad).get_data(as_text=True)
    assert "add up to 92%; they must add up to 100%." in html
    html = browser.submit(f"/panels/{panel.id}/quotas", quota_form(12)).get_data(as_text=True)
    assert "Quotas saved." in html and "Can the pool meet the quotas?" in html
    db.session.refresh(panel)
    woman = next(q for q in panel.quotas if q.value == "Woman")
    assert (woman.share_permille, woman.min_count, woman.max_count) == (500, 5, 7)  # 6 seats, leeway 1
    if "Apply the suggested relaxations" in html:
        html = press(browser, f"/panels/{panel.id}/quotas", f"/panels/{panel.id}/quotas/relax").get_data(as_text=True)
        assert "The suggested relaxations are applied." in html
    assert "can meet every quota" in html

    # the commitment, before the seed
    html = browser.submit(f"/panels/{panel.id}/commit", {"seed_plan": "Dice thrown at the meeting of 2 March"}).get_data(as_text=True)
    assert "The commitment is published." in html
    db.session.refresh(panel)
    sel = panel.selection
    assert sel is not None and sel.seed is None and not panel.is_registration_open
    browser.sign_out()
    public = browser.get(f"/panels/{panel.id}/draw").get_data(as_text=True)
    assert sel.commitment_sha256 in public and sel.inputs_sha256 in public and "Not recorded yet." in public
    commitment = browser.get(f"/panels/{panel.id}/commitment.json").get_data(as_text=True)
    import hashlib

    assert hashlib.sha256(commitment.encode()).hexdigest() == sel.commitment_sha256
    pool_text = browser.get(f"/panels/{panel.id}/pool.csv").get_data(as_text=True)
    quotas_text = browser.get(f"/panels/{panel.id}/quotas.csv").get_data(as_text=True)
    assert json.loads(commitment)["pool_csv_sha256"] == hashlib.sha256(pool_text.encode()).hexdigest()
    rows = list(csv.DictReader(io.StringIO(pool_text)))
    assert len(rows) == 80 and set(rows[0]) == {"id", "gender", "age_band", "district", "climate_view"}
    assert "@" not in pool_text and "Demo Respondent" not in pool_text

    # the seed, then the draw
    browser.sign_in(officer.email, PASSWORD)
    html = browser.submit(f"/panels/{panel.id}/seed", {"seed": "55170"}).get_data(as_text=True)
    assert "The seed is recorded and the panel drawn." in html and "Reserves, in the order they would be used" in html
    db.session.refresh(sel)
    result = sel.result
    assert len(result["panel"]) == 12 and abs(sum(result["probabilities"].values()) - 12) < 1e-6
    assert result["min_probability"] == min(result["probabilities"].values()) > 0
    actions = _actions()
    assert actions.index("panels.draw_committed") < actions.index("panels.seed_recorded") < actions.index("panels.drawn")

    # anyone re-runs it from the public files and gets the same panel
    browser.sign_out()
    public = browser.get(f"/panels/{panel.id}/draw").get_data(as_text=True)
    command = re.search(r"<pre><code>(.*?)</code></pre>", public).group(1)
    assert command == "python -m app.tally sortition pool.csv quotas.csv --size 12 --seed 55170 --method leximin"
    assert f"{result['min_probability']:.6f}" in public
    (tmp_path / "pool.csv").write_text(pool_text, encoding="utf-8")
    (tmp_path / "quotas.csv").write_text(quotas_text, encoding="utf-8")
    run = subprocess.run([sys.executable, *command.split()[1:], "--json"], cwd=tmp_path, capture_output=True, text=True,
                         env={"PYTHONPATH": str(ROOT), "PATH": ""}, check=False)
    assert run.returncode == 0, run.stderr
    rerun = json.loads(run.stdout)
    assert sorted(rerun["panel"]) == result["panel"] and rerun["input_sha256"] == sel.inputs_sha256
    assert abs(rerun["min_probability"] - result["min_probability"]) < 1e-9

    # confirmation: one declines and is replaced; the replacement is public and audited
    browser.sign_in(officer.email, PASSWORD)
    members = list(db.session.execute(select(Respondent).where(Respondent.panel_id == panel.id, Respondent.status == "selected")
                                      .order_by(Respondent.public_id)).scalars())
    gone = members[0]
    html = browser.submit(f"/panels/{panel.id}/members/{gone.id}", {"status": "declined", "comment": "Moving away"}).get_data(as_text=True)
    assert "Answer recorded." in html
    html = press(browser, f"/panels/{panel.id}/selection", f"/panels/{panel.id}/members/{gone.id}/replace").get_data(as_text=True)
    assert "A replacement is drawn." in html
    repl = db.session.execute(select(Replacement)).scalar_one()
    assert repl.withdrawn_public_id == gone.public_id and repl.seed == "55170/replacement-1"
    newcomer = db.session.execute(select(Respondent).where(Respondent.public_id == repl.replacement_public_id)).scalar_one()
    assert newcomer.status == "selected"
    html = press(browser, f"/panels/{panel.id}/selection", f"/panels/{panel.id}/members/{gone.id}/replace").get_data(as_text=True)
    assert "This person has already been replaced." in html
    assert "panels.replacement_drawn" in _actions()
    public = browser.client.get(f"/panels/{panel.id}/draw").get_data(as_text=True)
    assert repl.replacement_public_id in public and "55170/replacement-1" in public
    # everyone else confirms: the panel is final
    for r in db.session.execute(select(Respondent).where(Respondent.panel_id == panel.id, Respondent.status == "selected")).scalars():
        browser.submit(f"/panels/{panel.id}/members/{r.id}", {"status": "confirmed", "comment": ""})
    html = browser.get(f"/panels/{panel.id}/selection").get_data(as_text=True)
    assert "The panel is final" in html

    # the workspace: confirmed members get accounts (or are linked to theirs) and join the panel's space
    outbox = app.extensions["mail_outbox"]
    outbox.clear()
    html = press(browser, f"/panels/{panel.id}/selection", f"/panels/{panel.id}/workspace/open").get_data(as_text=True)
    assert "The panel&#39;s space is open" in html or "The panel's space is open" in html
    db.session.refresh(panel)
    assert panel.space is not None and panel.space.kind == "panel" and panel.space.is_restricted
    members_now = db.session.execute(select(SpaceMembership).where(SpaceMembership.space_id == panel.space_id)).scalars().all()
    assert len(members_now) == 12 and len(outbox) == 12
    html = browser.submit(f"/panels/{panel.id}/workspace/meetings", {"title": "First session", "starts_at": "2030-03-03T18:30",
                                                                      "location": "Shire Hall"}).get_data(as_text=True)
    assert "Meeting added" in html and "First session" in html
    html = browser.submit(f"/panels/{panel.id}/workspace/evidence", {"title": "Emissions data", "url": "javascript:alert(1)",
                                                                      "source": "DESNZ", "summary": ""}).get_data(as_text=True)
    assert "Enter a web address starting with https://" in html
    html = browser.submit(f"/panels/{panel.id}/workspace/evidence", {"title": "Emissions data", "url": "https://www.gov.uk/",
                                                                      "source": "DESNZ", "summary": "Tables"}).get_data(as_text=True)
    assert "Added to the evidence library." in html and "source: DESNZ" in html
    browser.sign_out()

    # a member sets their password from the e-mail, opens the workspace and publishes a recommendation
    message = outbox[0]
    link = re.search(r"http://localhost(/auth/reset/\S+)", message.get_content()).group(1)
    member_user = db.session.execute(select(User).where(User.email == message["To"])).scalar_one()
    browser.submit(link, {"password": "a panel member's password", "confirm": "a panel member's password"})
    browser.sign_in(member_user.email, "a panel member's password")
    html = browser.get(f"/panels/{panel.id}/workspace").get_data(as_text=True)
    assert "First session" in html and "Emissions data" in html
    html = browser.submit(f"/panels/{panel.id}/workspace/recommendations/new", {
        "title": "Insulate schools first", "text": "Start with the oldest."}).get_data(as_text=True)
    assert "It goes out to the council when enough of them agree." in html
    rec = db.session.execute(select(Recommendation)).scalar_one()
    assert rec.space_id == panel.space_id and rec.is_draft  # one member cannot speak for the panel
    others = [m.user for m in rec.space.memberships if m.user_id != member_user.id]
    for other in others:  # the other members agree, one vote each, until the share the space sets is reached
        if not rec.is_draft:
            break
        recommendations.vote_on_recommendation(db.session, other, rec, True)
    db.session.commit()
    assert not rec.is_draft and rec.published_on is not None
    assert browser.get(f"/panels/{panel.id}/respondents").status_code == 403  # members never see others' answers
    browser.sign_out()
    # the council responds: comply or explain
    browser.sign_in(officer.email, PASSWORD)
    html = browser.submit(f"/deliberation/recommendations/{rec.id}/respond", {
        "outcome": "adopted_in_part", "explanation": "Schools first, then libraries.", "responded_on": "2030-05-01"}).get_data(as_text=True)
    assert "Schools first, then libraries." in html
    assert "Adopted in part" in browser.get(f"/panels/{panel.id}/workspace").get_data(as_text=True)


def test_impossible_quotas_show_relaxations_and_block_the_commitment(browser, cambs):  # noqa: F811
    officer = make_officer()
    panel = invited_panel(officer)
    fill_pool(officer, panel, 30)
    browser.sign_in(officer.email, PASSWORD)
    # "Another way" at 30% of 10 seats needs 3 people, and the pool has (almost) none
    shares = {"gender": ["35", "35", "30"], "age_band": ["22", "25", "31", "22"],
              "district": ["21", "13", "15", "27", "24"], "climate_view": ["40", "42", "18"]}
    html = browser.submit(f"/panels/{panel.id}/quotas", quota_form(10, shares=shares, leeway=0)).get_data(as_text=True)
    assert "Not yet." in html and "gender = Another way needs at least 3 members" in html
    html = browser.submit(f"/panels/{panel.id}/commit", {"seed_plan": "Dice"}).get_data(as_text=True)
    assert "The pool cannot meet the quotas yet" in html
    db.session.refresh(panel)
    assert panel.selection is None
    assert "Apply the suggested relaxations" in browser.get(f"/panels/{panel.id}/quotas").get_data(as_text=True)
    html = press(browser, f"/panels/{panel.id}/quotas", f"/panels/{panel.id}/quotas/relax").get_data(as_text=True)
    assert "The suggested relaxations are applied." in html and "can meet every quota" in html
    assert "panels.quotas_relaxed" in _actions()
    html = browser.submit(f"/panels/{panel.id}/commit", {"seed_plan": "Dice"}).get_data(as_text=True)
    assert "The commitment is published." in html
    # registration cannot reopen, the quotas cannot change
    html = browser.submit(f"/panels/{panel.id}/quotas", quota_form(10)).get_data(as_text=True)
    assert "can no longer change" in html
    assert db.session.execute(select(Panel.is_registration_open).where(Panel.id == panel.id)).scalar_one() is False


def test_demo_panels(demo, browser):
    from app.panels.demo import CLIMATE, ELY, TRANSPORT, seed

    climate = db.session.execute(select(Panel).where(Panel.title == CLIMATE)).scalar_one()
    transport = db.session.execute(select(Panel).where(Panel.title == TRANSPORT)).scalar_one()
    assert db.session.query(Respondent).filter(Respondent.panel_id == climate.id).count() == 300
    assert climate.selection is not None and climate.selection.result["panel"] and climate.selection.replacements
    assert climate.space is not None and len(climate.space.memberships) >= 30
    assert transport.is_registration_open and transport.selection is None
    ely = db.session.execute(select(Panel).where(Panel.title == ELY)).scalar_one()
    assert ely.selection is not None and ely.selection.lottery_size == 1000 and ely.selection.result["ticket"] == 704
    html = browser.get(f"/panels/{ely.id}/draw").get_data(as_text=True)
    assert "--lottery 1000 --ticket 704" in html and ely.selection.lottery_sha256 in html and "Show all 1,000 panels" in html
    assert "python -m app.tally invitations addresses.csv" in browser.get(f"/panels/{ely.id}/invitations/draw").get_data(as_text=True)
    html = browser.get(f"/panels/{climate.id}/draw").get_data(as_text=True)
    assert "python -m app.tally sortition pool.csv quotas.csv --size 30" in html
    assert seed(db.session) == ["Panels: already present."]
    # the place pages list the panels for people living there (Wisbech is in Fenland, in Cambridgeshire)
    page = browser.get("/places/DEMO-PAR-WIS").get_data(as_text=True)
    assert "Citizens&#39; panels for people living here" in page or "Citizens' panels for people living here" in page
    assert CLIMATE in page and TRANSPORT in page
