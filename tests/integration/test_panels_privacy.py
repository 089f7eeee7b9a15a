"""Who may use each panel page (every endpoint of the blueprint is in the table below, and the test fails if one
is added without a row), that residents, panel members and the public never see personal answers or contact
details, and the retention purge (``flask panels purge``, safe for cron) that deletes them and keeps anonymised
counts."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from app.auth.models import Role
from app.core.db import utcnow
from app.core.models import AuditEntry
from app.core.permissions import Permission, can
from app.extensions import db
from app.panels.models import Address, Invitation, Respondent
from app.panels.services import workspace
from tests.conftest import csrf_from
from tests.factories import PASSWORD, make_user
from tests.factories_budgets import cambs  # noqa: F401  (fixture)
from tests.factories_panels import drawn_panel, invited_panel, make_officer

# who: anon, resident, other (an officer not running the panel), runner (running it), member (of its space)
PUBLIC = {"anon": 200, "resident": 200, "other": 200, "runner": 200, "member": 200}
RUNNERS = {"anon": 302, "resident": 403, "other": 403, "runner": 200, "member": 403}
OFFICERS = {"anon": 302, "resident": 403, "other": 200, "runner": 200, "member": 403}
WORKSPACE = {"anon": 302, "resident": 403, "other": 403, "runner": 200, "member": 200}
MEMBERS = {"anon": 302, "resident": 403, "other": 403, "runner": 403, "member": 200}  # the panel speaks for itself
NO_CODE = {"anon": 302, "resident": 302, "other": 302, "runner": 302, "member": 302}
POST_ONLY = {"anon": 302, "resident": 403, "other": 403, "member": 403}

GET_TABLE = {
    "panels.index": ("/panels/", PUBLIC),
    "panels.show": ("/panels/{p}", PUBLIC),
    "panels.draw": ("/panels/{p}/draw", PUBLIC),
    "panels.pool_file": ("/panels/{p}/pool.csv", PUBLIC),
    "panels.quotas_file": ("/panels/{p}/quotas.csv", PUBLIC),
    "panels.commitment_file": ("/panels/{p}/commitment.json", PUBLIC),
    "panels.lottery_file": ("/panels/{p}/lottery.csv", PUBLIC),
    "panels.invitation_draw": ("/panels/{p}/invitations/draw", PUBLIC),
    "panels.addresses_file": ("/panels/{p}/addresses.csv", PUBLIC),
    "panels.invited_file": ("/panels/{p}/invited.csv", PUBLIC),
    "panels.respond": ("/panels/respond", PUBLIC),
    "panels.answer": ("/panels/respond/answer", NO_CODE),
    "panels.thanks": ("/panels/{p}/thanks", PUBLIC),
    "panels.new": ("/panels/new", OFFICERS),
    "panels.edit": ("/panels/{p}/edit", RUNNERS),
    "panels.officers": ("/panels/{p}/officers", RUNNERS),
    "panels.addresses": ("/panels/{p}/addresses", RUNNERS),
    "panels.invitation_plan": ("/panels/{p}/invitations", RUNNERS),
    "panels.invitation_seed": ("/panels/{p}/invitations/seed", RUNNERS),
    "panels.letters": ("/panels/{p}/letters", RUNNERS),
    "panels.questions": ("/panels/{p}/questions", RUNNERS),
    "panels.enter_response": ("/panels/{p}/responses/new", RUNNERS),
    "panels.respondents": ("/panels/{p}/respondents", RUNNERS),
    "panels.quotas": ("/panels/{p}/quotas", RUNNERS),
    "panels.commit": ("/panels/{p}/commit", RUNNERS),
    "panels.seed": ("/panels/{p}/seed", RUNNERS),
    "panels.selection_page": ("/panels/{p}/selection", RUNNERS),
    "panels.mark": ("/panels/{p}/members/{r}", RUNNERS),
    "panels.workspace_page": ("/panels/{p}/workspace", WORKSPACE),
    "panels.new_meeting": ("/panels/{p}/workspace/meetings", RUNNERS),
    "panels.new_evidence": ("/panels/{p}/workspace/evidence", RUNNERS),
    "panels.recommend": ("/panels/{p}/workspace/recommendations/new", MEMBERS),
}
POST_TABLE = {
    "panels.remove_question": "/panels/{p}/questions/{q}/remove",
    "panels.registration_switch": "/panels/{p}/registration",
    "panels.relax": "/panels/{p}/quotas/relax",
    "panels.replace": "/panels/{p}/members/{r}/replace",
    "panels.open_workspace": "/panels/{p}/workspace/open",
}


def test_every_panel_endpoint_is_in_the_table(app):
    endpoints = {r.endpoint for r in app.url_map.iter_rules() if r.endpoint.startswith("panels.")}
    assert endpoints == set(GET_TABLE) | set(POST_TABLE)


@pytest.fixture
def world(cambs):  # type: ignore[no-untyped-def]  # noqa: F811
    runner = make_officer()
    panel = drawn_panel(runner, lottery=50, ticket=7)
    for r in db.session.execute(select(Respondent).where(Respondent.panel_id == panel.id, Respondent.status == "selected")).scalars():
        r.status = "confirmed"
    workspace.open_workspace(db.session, runner, panel)
    db.session.commit()
    member = db.session.get(type(runner), panel.space.memberships[0].user_id)
    member.password_hash = runner.password_hash  # the member signs in with the test password
    db.session.commit()
    return {"panel": panel, "runner": runner, "other": make_officer(), "resident": make_user(), "member": member}


def _sign_in_as(browser, world, who: str) -> None:  # type: ignore[no-untyped-def]
    if who != "anon":
        browser.sign_in(world[who].email, PASSWORD)


@pytest.mark.parametrize("who", ["anon", "resident", "other", "runner", "member"])
def test_page_access_and_that_personal_data_stays_with_the_panels_officers(browser, world, who):
    panel = world["panel"]
    someone = db.session.execute(select(Respondent).where(Respondent.panel_id == panel.id).order_by(Respondent.id)).scalars().first()
    question = panel.questions[0]
    own = world[who].id if who != "anon" else None
    others = [r for r in db.session.execute(select(Respondent).where(Respondent.panel_id == panel.id)).scalars() if r.user_id != own]
    personal = [r.email for r in others] + [f"{r.name}<" for r in others] + ["01223 000000"]
    _sign_in_as(browser, world, who)
    for endpoint, (pattern, expected) in GET_TABLE.items():
        url = pattern.format(p=panel.id, r=someone.id)
        resp = browser.get(url)
        assert resp.status_code == expected[who], (who, endpoint, resp.status_code)
        if resp.status_code == 200 and endpoint not in ("panels.respondents", "panels.mark", "panels.letters", "panels.enter_response"):
            text = resp.get_data(as_text=True)
            leaked = [p for p in personal if p in text]
            assert not leaked, (who, endpoint, leaked[:3])
    if who == "runner":
        assert someone.email in browser.get(f"/panels/{panel.id}/respondents").get_data(as_text=True)
        return
    token = csrf_from(browser.get("/panels/respond").get_data(as_text=True))
    for endpoint, pattern in POST_TABLE.items():
        resp = browser.client.post(pattern.format(p=panel.id, r=someone.id, q=question.id), data={"csrf_token": token})
        assert resp.status_code == POST_ONLY[who], (who, endpoint, resp.status_code)


def test_policy_table_for_the_panel_permissions(cambs):  # noqa: F811
    runner = make_officer()
    panel = invited_panel(runner)
    admin, other, resident = make_user(Role.ADMINISTRATOR), make_officer(), make_user()
    assert can(Permission.PANEL_CREATE, user=other) and can(Permission.PANEL_CREATE, user=admin)
    assert not can(Permission.PANEL_CREATE, user=resident)
    for user, allowed in ((runner, True), (other, False), (admin, False), (resident, False)):
        assert can(Permission.PANEL_RUN, panel, user=user) is allowed
        assert can(Permission.PANEL_VIEW_PERSONAL, panel, user=user) is allowed
    assert not can(Permission.PANEL_VIEW_WORKSPACE, panel, user=runner)  # no space yet
    runner.is_suspended = True
    assert not can(Permission.PANEL_RUN, panel, user=runner)
    runner.is_suspended = False
    runner.role_rows.clear()  # no longer council staff: no longer runs the panel
    db.session.flush()
    assert not can(Permission.PANEL_RUN, panel, user=runner)
    db.session.rollback()


def test_purge_deletes_personal_data_on_the_retention_date_and_keeps_counts(app, browser, cambs):  # noqa: F811
    runner = make_officer()
    panel = drawn_panel(runner, lottery=40, ticket=3)
    respondents = db.session.execute(select(Respondent).where(Respondent.panel_id == panel.id)).scalars().all()
    runner_cli = app.test_cli_runner()
    result = runner_cli.invoke(args=["panels", "purge"])
    assert result.exit_code == 0 and "No panel is due for deletion." in result.output
    assert all(r.email for r in respondents)
    panel.retention_until = utcnow().date() - timedelta(days=1)
    db.session.commit()
    per_person = ["pool.csv", "lottery.csv", "addresses.csv", "invited.csv"]
    assert all(browser.get(f"/panels/{panel.id}/{name}").status_code == 200 for name in per_person)
    sel = panel.selection
    hashes = (sel.commitment_sha256, sel.inputs_sha256, sel.lottery_sha256, panel.invitation_draw.addresses_sha256,
              panel.invitation_draw.inputs_sha256)
    by_category_before = browser.get(f"/panels/{panel.id}/draw").get_data(as_text=True).split("Selection probabilities by category")[1].split("</table>")[0]
    quotas_before = browser.get(f"/panels/{panel.id}/quotas.csv").get_data(as_text=True)
    commitment_before = browser.get(f"/panels/{panel.id}/commitment.json").get_data(as_text=True)

    result = runner_cli.invoke(args=["panels", "purge"])
    assert result.exit_code == 0, result.output
    assert f"Panel {panel.id}" in result.output and "60 respondents" in result.output
    db.session.expire_all()
    for r in db.session.execute(select(Respondent).where(Respondent.panel_id == panel.id)).scalars():
        assert (r.name, r.email, r.phone, r.availability, r.answers_json, r.invitation_id) == (None, None, None, None, "{}", None)
        assert r.purged_at is not None
    assert db.session.execute(select(Invitation.id).where(Invitation.panel_id == panel.id)).first() is None
    assert db.session.execute(select(Address.id).where(Address.panel_id == panel.id)).first() is None
    db.session.refresh(panel)
    counts = panel.aggregates
    assert counts["respondents"] == 60 and counts["invited"] == 80 and sum(counts["by_status"].values()) == 60
    assert sum(v for k, v in counts["by_answer"].items() if k.startswith("gender=")) == 60
    entry = db.session.execute(select(AuditEntry).where(AuditEntry.action == "panels.personal_data_purged")).scalar_one()
    assert entry.object_id == str(panel.id) and "@" not in entry.data_json
    # the files about single people or households are gone (410); the hashes, the quotas and the aggregates stay
    for name in per_person:
        assert browser.get(f"/panels/{panel.id}/{name}").status_code == 410, name
    db.session.refresh(sel)
    assert sel.pool_csv == "" and sel.lottery_csv is None and "probabilities" not in sel.result
    assert browser.get(f"/panels/{panel.id}/quotas.csv").get_data(as_text=True) == quotas_before
    assert browser.get(f"/panels/{panel.id}/commitment.json").get_data(as_text=True) == commitment_before
    draw_page = browser.get(f"/panels/{panel.id}/draw").get_data(as_text=True)
    invitation_page = browser.get(f"/panels/{panel.id}/invitations/draw").get_data(as_text=True)
    assert all(h in draw_page + invitation_page for h in hashes)
    assert by_category_before in draw_page  # the probabilities by category answer are kept
    assert "deleted with the personal data" in draw_page and "deleted with the personal data" in invitation_page
    assert "Anonymised counts kept after deletion" in browser.get(f"/panels/{panel.id}").get_data(as_text=True)
    browser.sign_in(runner.email, PASSWORD)
    assert browser.get(f"/panels/{panel.id}/respondents").status_code == 403
    # running it again (cron, the next day) does nothing
    result = runner_cli.invoke(args=["panels", "purge"])
    assert "No panel is due for deletion." in result.output
    assert len(db.session.execute(select(AuditEntry).where(AuditEntry.action == "panels.personal_data_purged")).all()) == 1
