"""Setting a budget up: funding pots edited and removed in place, headings removed, all while the budget is
being set up (guarded by phase and audited); the process page invites proposals only while it accepts them;
every phase change is audited and only officers make them."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import select

from app.auth.models import Role
from app.budgets import services
from app.budgets.models import BudgetHeading, BudgetProject, FundingPot, Phase
from app.core.errors import DomainError
from app.core.models import AuditEntry
from app.extensions import db
from tests.conftest import csrf_from
from tests.factories import PASSWORD, make_user
from tests.factories_budgets import CAMBRIDGESHIRE, FENLAND, SOUTH_CAMBS, advance, cambs, make_budget, place  # noqa: F401  (cambs is a fixture)

pytestmark = pytest.mark.usefixtures("cambs")


def _audit(action: str) -> list[dict]:  # type: ignore[type-arg]
    rows = db.session.execute(select(AuditEntry).where(AuditEntry.action == action).order_by(AuditEntry.id)).scalars()
    return [json.loads(r.data_json) for r in rows]


def test_officer_edits_and_removes_funding_pots_in_place(browser):  # type: ignore[no-untyped-def]
    process, heading = make_budget(phase=Phase.DRAFTING)  # one pot, "Council grant", £10,000 = the heading
    pot = heading.pots[0]
    officer = make_user(Role.OFFICER)
    browser.sign_in(officer.email, PASSWORD)
    page = browser.get(f"/budgets/headings/{heading.id}/edit").get_data(as_text=True)
    assert f"/budgets/pots/{pot.id}/edit" in page
    form = browser.get(f"/budgets/pots/{pot.id}/edit").get_data(as_text=True)
    assert 'value="Council grant"' in form and 'value="10000"' in form and "<h1>Edit funding pot: Council grant</h1>" in form

    # correcting the amount: saved and audited; the heading page then says the pots no longer add up
    html = browser.submit(f"/budgets/pots/{pot.id}/edit", {"source": "Council grant 2027", "amount": "6,000"}).get_data(as_text=True)
    assert "Funding pot saved." in html
    assert "is set at £10,000.00 but its funding pots add up to £6,000.00" in html
    db.session.refresh(pot)
    assert (pot.source, pot.amount_pence) == ("Council grant 2027", 6_000_00)
    assert _audit("budget.pot_updated")[-1] == {
        "pot_id": pot.id, "from": {"source": "Council grant", "amount_pence": 10_000_00},
        "to": {"source": "Council grant 2027", "amount_pence": 6_000_00},
    }
    # opening the vote is refused while they differ
    with pytest.raises(DomainError, match="add up to £6,000.00"):
        advance(process, Phase.BALLOTING, officer)
    db.session.rollback()
    db.session.refresh(process)
    assert process.phase == Phase.DRAFTING.value

    # a second pot makes them add up
    page = browser.get(f"/budgets/headings/{heading.id}/edit").get_data(as_text=True)
    html = browser.client.post(f"/budgets/headings/{heading.id}/pots", follow_redirects=True, data={
        "csrf_token": csrf_from(page), "pot-source": "Community Infrastructure Levy", "pot-amount": "4000"}).get_data(as_text=True)
    assert "Funding pot added." in html and "funding pots add up to" not in html

    # refusals, each shown in the error summary linking to its field
    for data, message, field_id in (
        ({"source": "", "amount": "100"}, "Enter where the money comes from", "source"),
        ({"source": "Grant", "amount": "0"}, "Enter an amount of more than £0.", "amount"),
        ({"source": "Grant", "amount": "ten pounds"}, "Enter an amount in pounds", "amount"),
        ({"source": "community infrastructure levy", "amount": "100"}, "already has a pot from", "source"),
    ):
        html = browser.submit(f"/budgets/pots/{pot.id}/edit", data).get_data(as_text=True)
        assert "There is a problem" in html and message in html and f'href="#{field_id}"' in html, message
        assert 'aria-invalid="true"' in html
    db.session.refresh(pot)
    assert (pot.source, pot.amount_pence) == ("Council grant 2027", 6_000_00)
    with pytest.raises(DomainError, match="more than £0"):
        services.add_pot(db.session, officer, heading, "Empty pot", 0)
    db.session.rollback()

    # removing a pot from its own page: audited, and the heading page flags the gap again
    pot_id = pot.id
    form = browser.get(f"/budgets/pots/{pot_id}/edit").get_data(as_text=True)
    html = browser.client.post(f"/budgets/pots/{pot_id}/remove", data={"csrf_token": csrf_from(form)}, follow_redirects=True).get_data(as_text=True)
    assert "Funding pot removed." in html and "funding pots add up to £4,000.00" in html
    assert db.session.get(FundingPot, pot_id) is None
    assert _audit("budget.pot_removed")[-1] == {"pot_id": pot_id, "source": "Council grant 2027", "amount_pence": 6_000_00}


def test_pots_are_locked_once_voting_opens(browser):  # type: ignore[no-untyped-def]
    process, heading = make_budget(phase=Phase.REVIEWING)
    pot = heading.pots[0]
    officer = make_user(Role.OFFICER)
    browser.sign_in(officer.email, PASSWORD)
    page = browser.get(f"/budgets/pots/{pot.id}/edit").get_data(as_text=True)  # still editable while reviewing
    advance(process, Phase.BALLOTING, officer)
    assert browser.get(f"/budgets/pots/{pot.id}/edit").status_code == 403
    assert browser.client.post(f"/budgets/pots/{pot.id}/edit", data={"csrf_token": csrf_from(page), "source": "X", "amount": "1"}).status_code == 403
    assert browser.client.post(f"/budgets/pots/{pot.id}/remove", data={"csrf_token": csrf_from(page)}).status_code == 403
    with pytest.raises(DomainError, match="cannot change once voting has started"):
        services.update_pot(db.session, officer, pot, "X", 100)
    with pytest.raises(DomainError, match="cannot change once voting has started"):
        services.remove_pot(db.session, officer, pot)
    db.session.rollback()
    db.session.refresh(pot)
    assert (pot.source, pot.amount_pence) == ("Council grant", 10_000_00)
    # residents: a public process's pot page is forbidden, a draft's is not found
    _, draft = make_budget(phase=Phase.DRAFTING, title="Draft fund")
    resident = make_user(postcode="PE13 1AG")
    browser.sign_out()
    browser.sign_in(resident.email, PASSWORD)
    assert browser.get(f"/budgets/pots/{pot.id}/edit").status_code == 403
    assert browser.get(f"/budgets/pots/{draft.pots[0].id}/edit").status_code == 404


def test_officer_removes_a_heading_while_setting_up(browser):  # type: ignore[no-untyped-def]
    process, county = make_budget(phase=Phase.REVIEWING, place_code=CAMBRIDGESHIRE, title="County fund")
    officer = make_user(Role.OFFICER)
    fenland = services.add_heading(db.session, officer, process, place(FENLAND), "", 5_000_00)
    services.add_pot(db.session, officer, fenland, "District grant", 5_000_00)
    services.add_project(db.session, officer, fenland, services.ProjectData("Fen path", "", 1_000_00))
    db.session.commit()
    fenland_id = fenland.id
    browser.sign_in(officer.email, PASSWORD)
    page = browser.get(f"/budgets/headings/{fenland_id}/edit").get_data(as_text=True)
    assert "Remove Fenland" in page
    html = browser.client.post(f"/budgets/headings/{fenland_id}/remove", data={"csrf_token": csrf_from(page)}, follow_redirects=True).get_data(as_text=True)
    assert "Heading removed." in html and f"/budgets/headings/{fenland_id}\"" not in html
    assert db.session.get(BudgetHeading, fenland_id) is None
    assert db.session.execute(select(BudgetProject).where(BudgetProject.heading_id == fenland_id)).first() is None
    entry = _audit("budget.heading_removed")[-1]
    assert entry["heading_id"] == fenland_id and entry["place"] == FENLAND and entry["amount_pence"] == 5_000_00
    # the county heading is untouched, and once voting opens headings stay
    advance(process, Phase.BALLOTING, officer)
    page = browser.get(f"/budgets/headings/{county.id}").get_data(as_text=True)
    assert browser.client.post(f"/budgets/headings/{county.id}/remove", data={"csrf_token": csrf_from(page)}).status_code == 403
    with pytest.raises(DomainError, match="cannot change once voting has started"):
        services.remove_heading(db.session, officer, county)
    db.session.rollback()
    assert db.session.get(BudgetHeading, county.id) is not None


def test_process_page_invites_proposals_only_while_accepting_them(browser):  # type: ignore[no-untyped-def]
    process, _ = make_budget(phase=Phase.ACCEPTING_PROPOSALS)
    html = browser.get(f"/budgets/{process.id}").get_data(as_text=True)
    assert "This budget is accepting proposals" in html and 'href="/proposals/new"' in html
    advance(process, Phase.REVIEWING)
    html = browser.get(f"/budgets/{process.id}").get_data(as_text=True)
    assert "This budget is accepting proposals" not in html and 'href="/proposals/new"' not in html


def test_every_phase_change_is_audited_and_made_only_by_officers(browser):  # type: ignore[no-untyped-def]
    process, heading = make_budget(phase=Phase.DRAFTING)
    officer = make_user(Role.OFFICER)
    resident = make_user(postcode="PE13 1AG")
    advance(process, Phase.BALLOTING, officer)
    browser.sign_in(resident.email, PASSWORD)
    page = browser.get(f"/budgets/{process.id}").get_data(as_text=True)
    assert "Move to the next stage" not in page
    resp = browser.client.post(f"/budgets/{process.id}/phase", data={"csrf_token": csrf_from(page), "to_phase": "reviewing_ballots"})
    assert resp.status_code == 403
    db.session.refresh(process)
    assert process.phase == Phase.BALLOTING.value
    # a stage cannot be skipped, nor gone back to
    for to in (Phase.FINISHED, Phase.REVIEWING, Phase.BALLOTING):
        with pytest.raises(DomainError, match="cannot move"):
            services.advance_phase(db.session, officer, process, to)
        db.session.rollback()
    services.cast_ballot(db.session, resident, heading, {heading.projects[0].id: 1})
    advance(process, Phase.REVIEWING_BALLOTS, officer)
    services.run_count(db.session, officer, heading)
    services.advance_phase(db.session, officer, process, Phase.FINISHED, reason="Committee approved")
    db.session.commit()
    moves = [(e["from"], e["to"]) for e in _audit("budget.phase")]
    order = [p.value for p in Phase]
    assert moves == list(zip(order, order[1:], strict=False))
    assert _audit("budget.phase")[-1]["reason"] == "Committee approved"
    entries = db.session.execute(select(AuditEntry).where(AuditEntry.action == "budget.phase")).scalars().all()
    assert {e.actor_id for e in entries} == {officer.id}
    html = browser.get(f"/budgets/{process.id}").get_data(as_text=True)
    assert "<th scope=\"col\">Happened</th>" in html and "Not yet" not in html


def _process_form(process, **changes):  # type: ignore[no-untyped-def]
    data = {"title": process.title, "description": process.description, "place": str(process.place_id),
            "ballot_type": process.ballot_type, "rule": process.rule, "completion": process.completion,
            "max_choices": str(process.max_choices or ""), "max_points": str(process.max_points or "")}
    return {**data, **changes}


def test_process_edits_keep_headings_inside_the_area_and_rules_fixed_once_voting_opens(browser):  # type: ignore[no-untyped-def]
    process, _county = make_budget(phase=Phase.DRAFTING, place_code=CAMBRIDGESHIRE, title="County fund")
    officer = make_user(Role.OFFICER)
    fenland = services.add_heading(db.session, officer, process, place(FENLAND), "", 1_000_00)
    db.session.commit()
    browser.sign_in(officer.email, PASSWORD)
    url = f"/budgets/{process.id}/edit"
    # the area cannot shrink to one that leaves a heading outside it
    html = browser.submit(url, _process_form(process, place=str(place(FENLAND).id))).get_data(as_text=True)
    assert "There is a problem" in html and 'href="#place"' in html
    assert "The heading Cambridgeshire is for Cambridgeshire, which is not within Fenland." in html
    db.session.refresh(process)
    assert process.place.code == CAMBRIDGESHIRE
    # while it is set up the rule may change, and the audit log says from what to what
    html = browser.submit(url, _process_form(process, rule="equal-shares", completion="add1")).get_data(as_text=True)
    assert "Budget saved." in html
    assert _audit("budget.updated")[-1]["changed"] == {"rule": {"from": "greedy", "to": "equal-shares"},
                                                       "completion": {"from": "none", "to": "add1"}}
    services.remove_heading(db.session, officer, db.session.get(BudgetHeading, fenland.id))  # no pots or projects yet
    db.session.commit()
    advance(process, Phase.BALLOTING, officer)
    # once voting is open: the title may still be corrected (a stray limit for another ballot type is ignored) ...
    html = browser.submit(url, _process_form(process, title="County fund 2027", max_choices="3")).get_data(as_text=True)
    assert "Budget saved." in html
    db.session.refresh(process)
    assert process.title == "County fund 2027" and process.max_choices is None
    assert _audit("budget.updated")[-1]["changed"] == {}
    # ... but not the rule
    html = browser.submit(url, _process_form(process, rule="greedy", completion="none")).get_data(as_text=True)
    assert "cannot change once voting has started" in html
    db.session.refresh(process)
    assert (process.rule, process.completion) == ("equal-shares", "add1")


def test_a_proposal_becomes_one_project_in_its_area_and_hidden_ones_stop_the_vote(browser):  # type: ignore[no-untyped-def]
    from app.core.db import utcnow
    from app.proposals.models import Proposal, ProposalState

    wisbech = place("DEMO-PAR-WIS")
    cambourne_area = place(SOUTH_CAMBS)
    lido = Proposal(title="Wisbech lido repairs", summary="Fix the lido", place_id=wisbech.id, state=ProposalState.SHORTLISTED.value, costing_pence=2_000_00)
    elsewhere = Proposal(title="Cambourne trees", summary="Trees", place_id=cambourne_area.id, state=ProposalState.SHORTLISTED.value, costing_pence=1_000_00)
    db.session.add_all([lido, elsewhere])
    db.session.commit()
    officer = make_user(Role.OFFICER)
    county_process, county = make_budget(phase=Phase.REVIEWING, place_code=CAMBRIDGESHIRE, title="County fund")
    district_process, district = make_budget(phase=Phase.REVIEWING, title="District fund")
    services.add_projects_from_proposals(db.session, officer, county, [lido])
    db.session.commit()
    # the same proposal is not offered, nor accepted, for a second heading
    browser.sign_in(officer.email, PASSWORD)
    page = browser.get(f"/budgets/headings/{district.id}/from-proposals").get_data(as_text=True)
    assert "Wisbech lido repairs" not in page and "Cambourne trees" not in page  # taken; and outside Fenland
    with pytest.raises(DomainError, match="already a project in County fund: Cambridgeshire"):
        services.add_projects_from_proposals(db.session, officer, district, [lido])
    db.session.rollback()
    with pytest.raises(DomainError, match="is about a place outside Fenland"):
        services.add_projects_from_proposals(db.session, officer, district, [elsewhere])
    db.session.rollback()
    # moderators hide the proposal: the county budget cannot open its vote with it on the ballot
    db.session.get(Proposal, lido.id).hidden_at = utcnow()
    db.session.commit()
    html = browser.get(f"/budgets/{county_process.id}").get_data(as_text=True)
    assert "The project “Wisbech lido repairs” comes from a proposal that moderators have hidden." in html
    with pytest.raises(DomainError, match="moderators have hidden"):
        advance(county_process, Phase.BALLOTING, officer)
    db.session.rollback()
    advance(district_process, Phase.BALLOTING, officer)  # the other budget is unaffected


def test_timetable_shows_when_each_stage_happened(browser):  # type: ignore[no-untyped-def]
    process, _ = make_budget(phase=Phase.BALLOTING)
    html = browser.get(f"/budgets/{process.id}").get_data(as_text=True)
    rows = html.split("<caption class=\"visually-hidden\">Timetable</caption>", 1)[1].split("</table>", 1)[0]
    assert rows.count("Not yet") == 2  # voting has not closed; no results
    assert rows.count("<td><span class=\"muted\">") == 2 and rows.count("<tr>") == 6


def test_moving_to_the_next_stage_is_confirmed_on_its_own_page(browser):  # type: ignore[no-untyped-def]
    process, heading = make_budget(phase=Phase.REVIEWING)
    officer = make_user(Role.OFFICER)
    browser.sign_in(officer.email, PASSWORD)
    html = browser.get(f"/budgets/{process.id}/phase").get_data(as_text=True)
    assert "<h1>Move to the next stage: Voting open</h1>" in html
    assert "Voting opens. From now on, headings, funding pots and projects cannot change." in html
    assert "The move will be refused until" not in html and 'name="to_phase" value="balloting"' in html
    advance(process, Phase.BALLOTING, officer)
    services.cast_ballot(db.session, make_user(postcode="PE13 1AG"), heading, {heading.projects[0].id: 1})
    advance(process, Phase.REVIEWING_BALLOTS, officer)
    html = browser.get(f"/budgets/{process.id}/phase").get_data(as_text=True)
    assert "The results of every heading are published to everyone" in html
    assert "The move will be refused until these are put right:" in html and "Fenland has no count" in html
    services.run_count(db.session, officer, heading)
    db.session.commit()
    html = browser.submit(f"/budgets/{process.id}/phase", {"to_phase": "finished", "reason": "Approved by committee"}).get_data(as_text=True)
    assert "The budget is now in the “Finished” stage." in html
    assert browser.get(f"/budgets/{process.id}/phase").status_code == 302  # nothing after "finished"
    browser.sign_out()
    resident = make_user(postcode="PE13 1AG")
    browser.sign_in(resident.email, PASSWORD)
    assert browser.get(f"/budgets/{process.id}/phase").status_code == 403
