"""Counting, what-if, publishing, proposals moving with the budget, results reasons and receipts."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import select

from app.auth.models import Role
from app.budgets import services
from app.budgets.models import BallotType, BudgetCount, Completion, Phase, Rule
from app.core.errors import DomainError
from app.core.models import AuditEntry
from app.extensions import db
from app.proposals.models import Proposal, ProposalState
from tests.conftest import csrf_from
from tests.factories import PASSWORD, make_user
from tests.factories_budgets import FENLAND, advance, cambs, issue_papers, make_budget, place, voters  # noqa: F401  (cambs is a fixture)

pytestmark = pytest.mark.usefixtures("cambs")


def _cast(heading, sets):  # type: ignore[no-untyped-def]
    """One new Fenland voter per set of project indexes; returns the receipt codes."""
    ids = [p.id for p in heading.projects]
    codes = []
    for s, v in zip(sets, voters(len(sets)), strict=True):
        codes.append(services.cast_ballot(db.session, v, heading, {ids[i]: 1 for i in s}))
    db.session.commit()
    return codes


def test_count_is_identical_when_repeated_and_audited(app):  # type: ignore[no-untyped-def]
    # equal votes and equal costs everywhere: every order is decided by lot, with the process's seed
    projects = [(f"Project {i}", 1_000_00) for i in range(6)]
    process, heading = make_budget(projects=projects, amount=3_000_00, rule=Rule.GREEDY, seed=99)
    _cast(heading, [[0, 1, 2, 3, 4, 5]] * 3)
    officer = make_user(Role.OFFICER)
    advance(process, Phase.REVIEWING_BALLOTS)
    first = services.run_count(db.session, officer, heading)
    second = services.run_count(db.session, officer, heading)
    db.session.commit()
    assert first.id != second.id
    assert first.result_json == second.result_json and first.inputs_hash == second.inputs_hash
    result = json.loads(first.result_json)
    assert len(result["selected"]) == 3 and result["lots"], "the tie was drawn by lot"
    assert first.seed == 99 and first.software_version
    entries = list(db.session.execute(select(AuditEntry).where(AuditEntry.action == "budget.count")).scalars())
    data = json.loads(entries[-1].data_json)
    assert data["inputs_hash"] == first.inputs_hash and data["seed"] == 99 and data["rule"] == "greedy"
    assert data["software_version"] == first.software_version


def test_phase_guards(app):  # type: ignore[no-untyped-def]
    officer = make_user(Role.OFFICER)
    process, heading = make_budget()
    with pytest.raises(DomainError, match="only when voting has closed"):
        services.run_count(db.session, officer, heading)
    with pytest.raises(DomainError, match="cannot move"):
        services.advance_phase(db.session, officer, process, Phase.FINISHED)
    advance(process, Phase.REVIEWING_BALLOTS)
    with pytest.raises(DomainError, match="Fenland has no ballots. Results cannot be published while a heading has no ballots."):
        services.advance_phase(db.session, officer, process, Phase.FINISHED)
    db.session.rollback()
    services.run_count(db.session, officer, heading)
    # a paper batch accepted after the count changes the inputs: publishing then needs a new count
    a, b = make_user(Role.OFFICER), make_user(Role.OFFICER)
    batch = services.create_batch(db.session, a, heading, 1, 1)
    row = [services.PaperRow({heading.projects[0].id: 1})]
    services.key_batch(db.session, a, batch, row)
    services.key_batch(db.session, b, batch, row)
    issue_papers(batch.heading, batch.size)
    services.accept_batch(db.session, a, batch)
    db.session.commit()
    with pytest.raises(DomainError, match="changed after its count"):
        services.advance_phase(db.session, officer, process, Phase.FINISHED)
    db.session.rollback()
    services.run_count(db.session, officer, heading)
    services.advance_phase(db.session, officer, process, Phase.FINISHED)
    db.session.commit()
    assert services.published_count(db.session, heading).paper_ballots == 1
    with pytest.raises(DomainError, match="cannot change once voting has started"):
        services.add_project(db.session, officer, heading, services.ProjectData("Late", "", 100))


def test_what_if_page_compares_every_rule(browser):  # type: ignore[no-untyped-def]
    # it all fits in the budget: the Add1 completions end at once
    process, heading = make_budget(projects=[("Benches", 2_000_00), ("Bins", 1_000_00)], amount=3_000_00,
                                   rule=Rule.EQUAL_SHARES, completion=Completion.ADD1)
    _cast(heading, [[0, 1], [0, 1], [0]])
    advance(process, Phase.REVIEWING_BALLOTS)
    officer = make_user(Role.OFFICER)
    browser.sign_in(officer.email, PASSWORD)
    html = browser.get(f"/budgets/headings/{heading.id}/count?compare=1").get_data(as_text=True)
    for label in ("Most votes first, skipping projects that no longer fit", "stopping at the first project that does not fit",
                  "Method of Equal Shares (with Add1, then most votes first)", "Method of Equal Shares (with Add1 and the comparison step)",
                  "this budget"):
        assert label in html, label
    # both projects under every rule but plain Equal Shares, where the two Bins supporters have only £666.66
    # left after paying their shares of the Benches
    assert html.count(">Funded<") == 11
    resident = make_user(postcode="PE13 1AG")
    browser.sign_out()
    browser.sign_in(resident.email, PASSWORD)
    assert browser.get(f"/budgets/headings/{heading.id}/count").status_code == 403


def test_equal_shares_reasons_and_receipts(browser):  # type: ignore[no-untyped-def]
    # six voters with £1,500 each: the four who want the £7,000 roof have only £6,000 between them, while the
    # two who want the small projects can pay for both (greedy by votes would fund the roof instead)
    process, heading = make_budget(
        projects=[("Sports hall roof", 7_000_00), ("Reading corner", 1_500_00), ("Allotment water", 1_500_00)],
        amount=9_000_00, rule=Rule.EQUAL_SHARES, completion=Completion.NONE,
    )
    codes = _cast(heading, [[0], [0], [0], [0], [1, 2], [1, 2]])
    html = browser.get("/budgets/receipt", query_string={"code": codes[0]}).get_data(as_text=True)
    assert "Yes, on" in html and "The results have not been published yet." in html
    advance(process, Phase.REVIEWING_BALLOTS)
    officer = make_user(Role.OFFICER)
    services.run_count(db.session, officer, heading)
    db.session.commit()
    assert browser.get(f"/budgets/headings/{heading.id}/results").status_code == 404
    assert browser.get(f"/budgets/headings/{heading.id}/results.pb").status_code == 404
    advance(process, Phase.FINISHED)
    html = browser.get(f"/budgets/headings/{heading.id}/results").get_data(as_text=True)
    result = json.loads(services.published_count(db.session, heading).result_json)
    titles = {str(p.id): p.title for p in heading.projects}
    funded = {titles[p] for p in result["selected"]}
    assert funded == {"Reading corner", "Allotment water"}
    assert "Under Equal Shares each voter controls an equal share of the money." in html
    assert "less than the £7,000.00 it needed" in html
    html = browser.get("/budgets/receipt", query_string={"code": codes[5]}).get_data(as_text=True)
    assert "Yes, it was counted in the published result." in html
    assert "Reading corner" not in html.split("<main")[1]


def test_projects_from_proposals_move_with_the_budget(browser):  # type: ignore[no-untyped-def]
    fenland = place(FENLAND)
    wisbech = db.session.execute(select(type(fenland)).where(type(fenland).code == "DEMO-PAR-WIS")).scalar_one()
    made = []
    for title, cost in (("Wisbech lido repairs", 6_000_00), ("March market stalls", 2_000_00), ("Not costed", None)):
        p = Proposal(title=title, summary=f"{title} summary", place_id=wisbech.id, state=ProposalState.SHORTLISTED.value, costing_pence=cost)
        db.session.add(p)
        made.append(p)
    db.session.commit()
    process, heading = make_budget(phase=Phase.REVIEWING, projects=[("Officer project", 1_000_00)], amount=8_000_00)
    officer = make_user(Role.OFFICER)
    browser.sign_in(officer.email, PASSWORD)
    page = browser.get(f"/budgets/headings/{heading.id}/from-proposals").get_data(as_text=True)
    assert "Wisbech lido repairs" in page and "not costed yet" in page
    html = browser.client.post(f"/budgets/headings/{heading.id}/from-proposals",
                               data={"csrf_token": csrf_from(page), f"prop{made[2].id}": "y"}, follow_redirects=True).get_data(as_text=True)
    assert "has no cost yet" in html
    html = browser.client.post(f"/budgets/headings/{heading.id}/from-proposals",
                               data={"csrf_token": csrf_from(page), f"prop{made[0].id}": "y", f"prop{made[1].id}": "y"},
                               follow_redirects=True).get_data(as_text=True)
    assert "2 projects added from proposals" in html
    advance(process, Phase.BALLOTING)
    db.session.expire_all()
    assert [p.state for p in made[:2]] == ["on_ballot", "on_ballot"]
    ids = {p.title: p.id for p in heading.projects}
    _cast(heading, [[1], [2]])  # indexes into heading.projects: lido, stalls
    advance(process, Phase.REVIEWING_BALLOTS)
    services.run_count(db.session, make_user(Role.OFFICER), heading)
    db.session.commit()
    advance(process, Phase.FINISHED)
    db.session.expire_all()
    result = json.loads(services.published_count(db.session, heading).result_json)
    assert str(ids["Wisbech lido repairs"]) in result["selected"] and str(ids["March market stalls"]) in result["selected"]
    assert [p.state for p in made] == ["selected", "selected", "shortlisted"]


def test_only_counts_of_this_heading_are_published(app):  # type: ignore[no-untyped-def]
    process, heading = make_budget(ballot_type=BallotType.CUMULATIVE, max_points=5)
    ids = [p.id for p in heading.projects]
    for v, pts in zip(voters(3), ([5, 0, 0, 0], [2, 3, 0, 0], [0, 0, 4, 1]), strict=True):
        services.cast_ballot(db.session, v, heading, dict(zip(ids, pts, strict=True)))
    db.session.commit()
    advance(process, Phase.REVIEWING_BALLOTS)
    services.run_count(db.session, make_user(Role.OFFICER), heading)
    db.session.commit()
    advance(process, Phase.FINISHED)
    published = db.session.execute(select(BudgetCount).where(BudgetCount.heading_id == heading.id)).scalar_one()
    assert published.is_published
    result = json.loads(published.result_json)
    assert result["scores"][str(ids[0])] == 7 and result["votes"][str(ids[0])] == 2


def test_place_page_and_cli_edges(browser, tmp_path):  # type: ignore[no-untyped-def]
    process, heading = make_budget(title="Fenland Community Fund 2027")
    for code in ("E07000010", "DEMO-PAR-WIS"):  # the district and a parish within it
        html = browser.get(f"/places/{code}").get_data(as_text=True)
        assert "Participatory budgets for people living here" in html and f"/budgets/headings/{heading.id}" in html
        assert "Fenland Community Fund 2027: Fenland (Voting open)" in html
    assert f"/budgets/headings/{heading.id}" not in browser.get("/places/E07000012").get_data(as_text=True)
    runner = browser.client.application.test_cli_runner()
    missing = runner.invoke(args=["budgets", "export", "999999", str(tmp_path / "x.pb")])
    assert missing.exit_code == 1 and "No heading with id 999999" in missing.output
    uncounted = runner.invoke(args=["budgets", "export", str(heading.id), str(tmp_path / "x.pb")])
    assert uncounted.exit_code == 1 and "has not been counted yet" in uncounted.output
    advance(process, Phase.REVIEWING_BALLOTS)
    services.run_count(db.session, make_user(Role.OFFICER), heading)
    db.session.commit()
    preview = runner.invoke(args=["budgets", "export", str(heading.id), "--format", "pabulib", str(tmp_path / "x.pb")])
    assert preview.exit_code == 0 and "not published" in preview.output
    assert (tmp_path / "x.pb").read_text(encoding="utf-8").startswith("META\n")
    results = runner.invoke(args=["budgets", "export", str(heading.id), "--format", "results-csv", str(tmp_path / "r.csv")])
    assert results.exit_code == 0, results.output
    lines = (tmp_path / "r.csv").read_text(encoding="utf-8").splitlines()
    assert lines[0].startswith("project_id,") and lines[0].endswith(",votes,selected")
    assert len(lines) == 1 + len(heading.projects)
    ballots = runner.invoke(args=["budgets", "export", str(heading.id), "--format", "ballots-csv", str(tmp_path / "b.csv")])
    assert ballots.exit_code == 0 and (tmp_path / "b.csv").read_text(encoding="utf-8").startswith("voter_id,")
    wrong = runner.invoke(args=["budgets", "export", str(heading.id), "--format", "csv", str(tmp_path / "c.csv")])
    assert wrong.exit_code == 2 and "results-csv" in wrong.output and "ballots-csv" in wrong.output
    process.title = "Fenland Community Fund 2027: parks, play areas and footpaths in the market towns"
    db.session.commit()
    listing = runner.invoke(args=["budgets", "list"])
    assert process.title in listing.output  # whole names, not cut short
    # ballots added after the count (a paper batch while reviewing): the old count cannot be exported
    a, b = make_user(Role.OFFICER), make_user(Role.OFFICER)
    batch = services.create_batch(db.session, a, heading, 1, 1)
    row = [services.PaperRow({heading.projects[0].id: 1})]
    services.key_batch(db.session, a, batch, row)
    services.key_batch(db.session, b, batch, row)
    issue_papers(batch.heading, batch.size)
    services.accept_batch(db.session, a, batch)
    db.session.commit()
    stale = runner.invoke(args=["budgets", "export", str(heading.id), str(tmp_path / "y.pb")])
    assert stale.exit_code == 1 and "changed after this count" in stale.output and not (tmp_path / "y.pb").exists()


def test_a_ballot_weight_counts_as_that_many_votes(app, tmp_path):  # type: ignore[no-untyped-def]
    """Delegation (a later issue) gives a delegate's ballot the weight delegated to them: the count, the stored
    votes and the exported file already carry a ballot's weight, with no change of schema; turnout still
    counts ballots."""
    from app.budgets.models import BudgetBallot
    from app.tally.__main__ import main as tally_main
    from app.tally.formats import pabulib

    process, heading = make_budget(projects=[("Bridge", 6_000_00), ("Hall", 6_000_00)], amount=10_000_00, seed=5)
    codes = _cast(heading, [[0], [1], [1]])  # the Hall has two ballots to the Bridge's one ...
    advance(process, Phase.REVIEWING_BALLOTS)  # the close stores each ballot's delegated weight (none here) ...
    ballot = db.session.execute(select(BudgetBallot).where(BudgetBallot.receipt_hash == services.receipt_hash(codes[0]))).scalar_one()
    ballot.weight = 3  # ... but the Bridge's ballot carries three votes
    db.session.commit()
    count = services.run_count(db.session, make_user(Role.OFFICER), heading)
    db.session.commit()
    bridge, hall = (str(p.id) for p in heading.projects)
    result = json.loads(count.result_json)
    assert result["selected"] == [bridge] and result["votes"] == {bridge: 3, hall: 2}
    assert count.online_ballots == 3
    advance(process, Phase.FINISHED)
    text = services.export_pabulib(db.session, heading, services.published_count(db.session, heading))
    path = tmp_path / "weighted.pb"
    path.write_text(text, encoding="utf-8")
    pb = pabulib.read(path)
    assert sorted(b.weight for b in pb.election.ballots) == [1, 1, 3] and pb.official_selected() == {bridge}
    assert tally_main(["pb", str(path), "--check", "--seed", str(process.seed)]) == 0


def test_county_process_with_district_headings(browser):  # type: ignore[no-untyped-def]
    """A county-wide process with a county heading and one per district: a Wisbech resident votes in the
    county's and Fenland's, not South Cambridgeshire's; each heading is counted on its own ballots, and the
    process publishes only once every heading is counted."""
    from app.budgets.models import BudgetHeading
    from tests.factories_budgets import CAMBRIDGESHIRE, SOUTH_CAMBS

    officer = make_user(Role.OFFICER)
    process, county = make_budget(place_code=CAMBRIDGESHIRE, phase=Phase.REVIEWING, title="Cambridgeshire fund", actor=officer)
    districts: dict[str, BudgetHeading] = {}
    for code in (FENLAND, SOUTH_CAMBS):
        h = services.add_heading(db.session, officer, process, place(code), "", 2_000_00)
        services.add_pot(db.session, officer, h, "District grant", 2_000_00)
        for title, cost in ((f"{code} benches", 1_500_00), (f"{code} bins", 1_000_00)):
            services.add_project(db.session, officer, h, services.ProjectData(title, "", cost))
        districts[code] = h
    db.session.commit()
    advance(process, Phase.BALLOTING, officer)
    resident = make_user(postcode="PE13 1AG")
    browser.sign_in(resident.email, PASSWORD)
    place_page = browser.get("/places/DEMO-PAR-WIS").get_data(as_text=True)
    assert f"/budgets/headings/{county.id}\"" in place_page and f"/budgets/headings/{districts[FENLAND].id}\"" in place_page
    assert f"/budgets/headings/{districts[SOUTH_CAMBS].id}\"" not in place_page
    for heading in (county, districts[FENLAND]):
        page = browser.get(f"/budgets/headings/{heading.id}/ballot").get_data(as_text=True)
        html = browser.client.post(f"/budgets/headings/{heading.id}/ballot",
                                   data={"csrf_token": csrf_from(page), f"p{heading.projects[0].id}": "y", "cast": "1"}).get_data(as_text=True)
        assert "Your ballot is recorded" in html
    south = districts[SOUTH_CAMBS]
    html = browser.get(f"/budgets/headings/{south.id}/ballot").get_data(as_text=True)
    assert "This vote is for people who live in South Cambridgeshire. Your home area, Wisbech, is not in it." in html
    advance(process, Phase.REVIEWING_BALLOTS, officer)
    services.run_count(db.session, officer, county)
    services.run_count(db.session, officer, districts[FENLAND])
    db.session.commit()
    with pytest.raises(DomainError, match="South Cambridgeshire has no ballots"):
        services.advance_phase(db.session, officer, process, Phase.FINISHED)
    db.session.rollback()
    second = make_user(Role.OFFICER)  # a paper ballot for South Cambridgeshire, keyed twice
    batch = services.create_batch(db.session, officer, south, 1, 1)
    for keyer in (officer, second):
        services.key_batch(db.session, keyer, batch, [services.PaperRow({south.projects[1].id: 1})])
    issue_papers(batch.heading, batch.size)
    services.accept_batch(db.session, officer, batch)
    db.session.commit()
    with pytest.raises(DomainError, match="South Cambridgeshire has no count"):
        services.advance_phase(db.session, officer, process, Phase.FINISHED)
    db.session.rollback()
    services.run_count(db.session, officer, south)
    db.session.commit()
    advance(process, Phase.FINISHED, officer)
    fen = json.loads(services.published_count(db.session, districts[FENLAND]).result_json)
    assert fen["selected"] == [str(districts[FENLAND].projects[0].id)]
    assert services.published_count(db.session, south).online_ballots == 0 and services.published_count(db.session, south).paper_ballots == 1
    assert services.published_count(db.session, county).online_ballots == 1
    for heading in (county, *districts.values()):
        assert browser.get(f"/budgets/headings/{heading.id}/results").status_code == 200


def test_results_chart_and_table_show_the_same_figures(browser):  # type: ignore[no-untyped-def]
    import re

    process, heading = make_budget(rule=Rule.GREEDY)  # Play area 4,000, Bus shelter 3,000, Library hub 5,000, Planters 1,000
    _cast(heading, [[0, 1], [0, 2], [0, 3], [2], [2], [1]])
    advance(process, Phase.REVIEWING_BALLOTS)
    services.run_count(db.session, make_user(Role.OFFICER), heading)
    db.session.commit()
    advance(process, Phase.FINISHED)
    html = browser.get(f"/budgets/headings/{heading.id}/results").get_data(as_text=True)
    svg = html.split("<svg", 1)[1].split("</svg>", 1)[0]
    labels = [label.removesuffix(" ✓") for label in re.findall(r'<text x="0"[^>]*>([^<]*)</text>', svg)]
    values = re.findall(r'<text x="(?!0")\d+"[^>]*>([^<]*)</text>', svg)
    funded_in_chart = [label.removesuffix(" ✓") for label in re.findall(r'<text x="0"[^>]*>([^<]*✓)</text>', svg)]
    table = html.split("<table", 1)[1].split("</table>", 1)[0]
    rows = re.findall(r'<th scope="row">([^<]*)</th>\s*<td class="num">[^<]*</td>\s*<td class="num">([^<]*)</td>\s*<td>(<strong>)?', table)
    assert [(t, v) for t, v, _ in rows] == list(zip(labels, values, strict=True))
    assert [(t, v) for t, v, _ in rows] == [("Play area", "3"), ("Library hub", "3"), ("Planters", "1"), ("Bus shelter", "2")]  # funded first
    assert funded_in_chart == [t for t, _, strong in rows if strong] == ["Play area", "Library hub", "Planters"]


def test_renaming_the_budget_or_its_area_after_the_count_changes_nothing_counted(browser):  # type: ignore[no-untyped-def]
    """The inputs hash covers what is counted (projects, costs, money, ballots, rule), not names: correcting
    the budget's title or the area's name after the count neither blocks publishing nor the recount file."""
    process, heading = make_budget(title="Old title")
    _cast(heading, [[0], [1]])
    officer = make_user(Role.OFFICER)
    advance(process, Phase.REVIEWING_BALLOTS)
    count = services.run_count(db.session, officer, heading)
    db.session.commit()
    data = services.ProcessData(title="New title", description="", place=process.place, ballot_type=process.ballot_type_enum,
                                rule=process.rule_enum, completion=process.completion_enum)
    services.update_process(db.session, officer, process, data)
    db.session.commit()
    advance(process, Phase.FINISHED)  # not "ballots changed after its count"
    heading.place.name = "Fenland District"
    db.session.commit()
    download = browser.get(f"/budgets/headings/{heading.id}/results.pb")
    assert download.status_code == 200
    text = download.get_data(as_text=True)
    assert "New title" in text and "Fenland District" in text and count.inputs_hash in text
    # a count stored before names were left out of the hash still matches its ballots
    legacy = services._legacy_election_hash(heading, services.count_inputs(db.session, heading).election)
    count.inputs_hash = legacy
    db.session.commit()
    assert legacy in browser.get(f"/budgets/headings/{heading.id}/results.pb").get_data(as_text=True)


def test_count_and_preview_say_when_ballots_changed_since_the_count(browser):  # type: ignore[no-untyped-def]
    process, heading = make_budget()
    _cast(heading, [[0], [1]])
    advance(process, Phase.REVIEWING_BALLOTS)
    a, b = make_user(Role.OFFICER), make_user(Role.OFFICER)
    services.run_count(db.session, a, heading)
    db.session.commit()
    browser.sign_in(a.email, PASSWORD)
    stale = "Ballots have been added or changed since this count."
    for url in (f"/budgets/headings/{heading.id}/count", f"/budgets/headings/{heading.id}/results"):
        assert stale not in browser.get(url).get_data(as_text=True)
    batch = services.create_batch(db.session, a, heading, 1, 1)
    row = [services.PaperRow({heading.projects[2].id: 1})]
    services.key_batch(db.session, a, batch, row)
    services.key_batch(db.session, b, batch, row)
    issue_papers(batch.heading, batch.size)
    services.accept_batch(db.session, a, batch)
    db.session.commit()
    for url in (f"/budgets/headings/{heading.id}/count", f"/budgets/headings/{heading.id}/results"):
        assert stale in browser.get(url).get_data(as_text=True), url
    html = browser.submit(f"/budgets/headings/{heading.id}/count", {}).get_data(as_text=True)
    assert "Count stored." in html and stale not in html


def test_results_say_which_ties_were_decided_by_lot(browser):  # type: ignore[no-untyped-def]
    process, heading = make_budget(projects=[("Bench", 1_000_00), ("Bin", 1_000_00), ("Mural", 3_000_00)], amount=2_000_00, seed=3)
    _cast(heading, [[0, 1, 2]] * 2)
    advance(process, Phase.REVIEWING_BALLOTS)
    services.run_count(db.session, make_user(Role.OFFICER), heading)
    db.session.commit()
    advance(process, Phase.FINISHED)
    html = browser.get(f"/budgets/headings/{heading.id}/results").get_data(as_text=True)
    result = json.loads(services.published_count(db.session, heading).result_json)
    (lot,) = result["lots"]
    titles = {str(p.id): p.title for p in heading.projects}
    order = ", ".join(f"“{titles[i]}”" for i in lot["chosen"].split(","))
    assert "Ties decided by lot" in html
    assert f"“Bench”, “Bin” had the same votes and cost. A draw by lot with the seed 3 put them in this order: {order}." in html.replace("&#34;", '"')
    process2, plain = make_budget(projects=[("Bench", 1_000_00), ("Mural", 3_000_00)], title="No ties")
    _cast(plain, [[0], [0, 1]])
    advance(process2, Phase.REVIEWING_BALLOTS)
    services.run_count(db.session, make_user(Role.OFFICER), plain)
    db.session.commit()
    advance(process2, Phase.FINISHED)
    assert "Ties decided by lot" not in browser.get(f"/budgets/headings/{plain.id}/results").get_data(as_text=True)
