"""The whole journey through the real pages: an officer sets up a budget, residents vote (and are refused
where they should be), paper ballots are keyed twice, the count runs, results are published, receipts
confirm, and the export recounts to the published selection."""

from __future__ import annotations

import re

from sqlalchemy import func, select

from app.auth.models import Role, User
from app.budgets import services
from app.budgets.models import BudgetBallot, BudgetHeading, BudgetProcess, BudgetProject, Phase
from app.core.models import AuditEntry
from app.extensions import db, limiter
from app.proposals import services as proposals
from app.proposals.models import Proposal, ProposalState
from tests.conftest import csrf_from
from tests.factories import PASSWORD, make_user
from tests.factories_budgets import FENLAND, issue_papers, place

PW = "folkmoot-demo"
RECEIPT_RE = re.compile(r"<code>([A-Z2-9]{4}-[A-Z2-9]{4}-[A-Z2-9]{4}-[A-Z2-9]{4})</code>")


def _as(browser, email, password=PW):  # type: ignore[no-untyped-def]
    """Sign in as ``email`` (signing out whoever was signed in); the journey signs in more often than the
    sign-in rate limit allows in a minute, so the limiter's memory is cleared first."""
    limiter.reset()
    browser.sign_in(email, password)


def _phase(browser, process_id, to):  # type: ignore[no-untyped-def]
    """Follow the "next stage" button on the process page to its confirmation page, and confirm."""
    assert f'href="/budgets/{process_id}/phase"' in browser.get(f"/budgets/{process_id}").get_data(as_text=True)
    page = browser.get(f"/budgets/{process_id}/phase").get_data(as_text=True)
    assert "<h1>Move to the next stage:" in page and f'name="to_phase" value="{to}"' in page
    return browser.client.post(f"/budgets/{process_id}/phase", data={"csrf_token": csrf_from(page), "to_phase": to}, follow_redirects=True)


def _ballot_post(browser, heading_id, data, button="cast"):  # type: ignore[no-untyped-def]
    return browser.submit(f"/budgets/headings/{heading_id}/ballot", {**data, button: "1"})


def test_full_journey(browser, demo, tmp_path):  # type: ignore[no-untyped-def]
    fenland = place(FENLAND)
    _as(browser, "officer@demo.example.org", PW)
    # --- set up through the forms
    html = browser.submit("/budgets/new", {
        "title": "Fenland Community Fund 2027", "description": "Community projects", "place": str(fenland.id),
        "ballot_type": "knapsack", "rule": "greedy", "completion": "none",
    }).get_data(as_text=True)
    assert "Budget created" in html
    process = db.session.execute(select(BudgetProcess).where(BudgetProcess.title == "Fenland Community Fund 2027")).scalar_one()
    html = browser.submit(f"/budgets/{process.id}/headings/new", {"place": str(fenland.id), "name": "", "amount": "10,000"}).get_data(as_text=True)
    assert "Heading added" in html
    heading = db.session.execute(select(BudgetHeading).where(BudgetHeading.process_id == process.id)).scalar_one()
    assert heading.amount_pence == 1_000_000 and heading.name == "Fenland"
    # opening the vote is refused while pots and projects are missing
    html = _phase(browser, process.id, "accepting_proposals").get_data(as_text=True)
    assert "Accepting proposals" in html and "This budget is accepting proposals" in html
    # --- a resident proposes a project; the officer reviews, costs and shortlists it (the proposals feature)
    agnieszka = db.session.execute(select(User).where(User.email == "agnieszka@demo.example.org")).scalar_one()
    proposal = proposals.create_proposal(db.session, agnieszka, proposals.ProposalData(
        title="Wisbech river clean-up kit", summary="Litter pickers and a trailer for river clean-ups.", need="Litter",
        solution="Buy the kit", place_id=agnieszka.home_place_id, cost_estimate_pence=2_000_00))
    proposals.transition(db.session, agnieszka, proposal, ProposalState.PUBLISHED)
    officer = db.session.execute(select(User).where(User.email == "officer@demo.example.org")).scalar_one()
    proposals.transition(db.session, officer, proposal, ProposalState.UNDER_REVIEW)
    proposals.record_review(db.session, officer, proposal, feasibility="Feasible", costing_pence=3_000_00, responsible_service="Parks")
    proposals.transition(db.session, officer, proposal, ProposalState.SHORTLISTED)
    db.session.commit()
    proposal_id = proposal.id
    for to in ("reviewing", "balloting"):
        html = _phase(browser, process.id, to).get_data(as_text=True)
    assert "has no funding pots" in html and "has no projects" in html
    # the officer puts the shortlisted proposal on the ballot at its costing (not the resident's estimate)
    page = browser.get(f"/budgets/headings/{heading.id}/from-proposals").get_data(as_text=True)
    assert "Wisbech river clean-up kit" in page and "£3,000.00" in page
    html = browser.client.post(f"/budgets/headings/{heading.id}/from-proposals", follow_redirects=True,
                               data={"csrf_token": csrf_from(page), f"prop{proposal_id}": "y"}).get_data(as_text=True)
    assert "1 project added from a proposal." in html and "(from a resident's proposal)" in html
    html = browser.submit(f"/budgets/headings/{heading.id}/edit", {"pot-source": "Community grants", "pot-amount": "6,000"}).get_data(as_text=True)
    # the pot form posts to its own URL
    page = browser.get(f"/budgets/headings/{heading.id}/edit").get_data(as_text=True)
    for source, amount in (("Community grants", "6,000"), ("Community Infrastructure Levy", "3,000")):
        resp = browser.client.post(f"/budgets/headings/{heading.id}/pots", data={"csrf_token": csrf_from(page), "pot-source": source, "pot-amount": amount}, follow_redirects=True)
        assert "Funding pot added" in resp.get_data(as_text=True)
    for title, cost in (("Wisbech play area", "4,000"), ("March path lighting", "3,500"), ("Chatteris minibus", "2,500"), ("Whittlesey fridge", "900")):
        assert "Project added" in browser.submit(f"/budgets/headings/{heading.id}/projects/new", {"title": title, "description": "Details", "cost": cost}).get_data(as_text=True)
    html = _phase(browser, process.id, "balloting").get_data(as_text=True)
    assert "add up to £9,000.00" in html  # pots (9,000) differ from the heading (10,000): refused, clearly
    page = browser.get(f"/budgets/headings/{heading.id}/edit").get_data(as_text=True)
    browser.client.post(f"/budgets/headings/{heading.id}/pots", data={"csrf_token": csrf_from(page), "pot-source": "Parish top-up", "pot-amount": "1000"})
    html = _phase(browser, process.id, "balloting").get_data(as_text=True)
    assert "Voting open" in html
    projects = {p.title: p for p in db.session.execute(select(BudgetProject).where(BudgetProject.heading_id == heading.id)).scalars()}
    play, path, bus, fridge = (projects[t].id for t in ("Wisbech play area", "March path lighting", "Chatteris minibus", "Whittlesey fridge"))
    browser.sign_out()

    # --- refusals: anonymous, wrong place
    html = browser.get(f"/budgets/headings/{heading.id}/ballot").get_data(as_text=True)
    assert "Sign in to vote" in html and "Cast ballot" not in html
    _as(browser, "tom@demo.example.org", PW)  # Ely, East Cambridgeshire
    html = browser.get(f"/budgets/headings/{heading.id}/ballot").get_data(as_text=True)
    assert "is not in it" in html and "Ely" in html
    resp = browser.client.post(f"/budgets/headings/{heading.id}/ballot", data={"csrf_token": csrf_from(html), f"p{play}": "y", "cast": "1"})
    assert "is not in it" in resp.get_data(as_text=True)
    browser.sign_out()

    # --- Agnieszka (Wisbech, Fenland) checks, is refused over budget, casts, then replaces
    _as(browser, "agnieszka@demo.example.org", PW)
    html = _ballot_post(browser, heading.id, {f"p{play}": "y", f"p{path}": "y", f"p{bus}": "y"}, button="check").get_data(as_text=True)
    assert "Total cost: £10,000.00 of £10,000.00 available" in html and "Your choices are valid" in html
    html = _ballot_post(browser, heading.id, {f"p{play}": "y", f"p{path}": "y", f"p{bus}": "y", f"p{fridge}": "y"}).get_data(as_text=True)
    assert "which is £900.00 more than the £10,000.00 available" in html and "There is a problem" in html
    assert db.session.execute(select(func.count(BudgetBallot.id)).where(BudgetBallot.heading_id == heading.id)).scalar_one() == 0
    html = _ballot_post(browser, heading.id, {f"p{play}": "y", f"p{fridge}": "y"}).get_data(as_text=True)
    first_code = RECEIPT_RE.search(html).group(1)
    html = browser.get(f"/budgets/headings/{heading.id}/ballot").get_data(as_text=True)
    assert "You have already voted here" in html and re.search(rf'id="p{play}"[^>]*checked|checked[^>]*id="p{play}"', html)
    html = _ballot_post(browser, heading.id, {f"p{play}": "y", f"p{path}": "y"}).get_data(as_text=True)
    assert "Replace your ballot?" in html and "Your ballot now" in html and "Your new ballot" in html
    html = _ballot_post(browser, heading.id, {f"p{play}": "y", f"p{path}": "y"}, button="confirm").get_data(as_text=True)
    assert "replaces your earlier ballot" in html
    code = RECEIPT_RE.search(html).group(1)
    assert code != first_code
    ballots = list(db.session.execute(select(BudgetBallot).where(BudgetBallot.heading_id == heading.id)).scalars())
    assert len(ballots) == 1 and sorted(c.project_id for c in ballots[0].choices) == sorted([play, path])
    browser.sign_out()

    # more online voters (Fenland residents)
    for choice in ([play, bus], [play], [path, bus, fridge]):
        voter = make_user(postcode="PE15 8AH")
        _as(browser, voter.email, PASSWORD)
        assert RECEIPT_RE.search(_ballot_post(browser, heading.id, {f"p{p}": "y" for p in choice}).get_data(as_text=True))
        browser.sign_out()

    # --- paper batch keyed twice; mismatch shown, corrected, accepted
    second = make_user(Role.OFFICER)
    _as(browser, "officer@demo.example.org", PW)
    html = browser.submit(f"/budgets/headings/{heading.id}/paper", {"number": "1", "size": "3"}).get_data(as_text=True)
    assert "Batch 1 created" in html
    batch_id = int(re.search(r"/budgets/batches/(\d+)", html).group(1))
    keyed = {f"b1_p{bus}": "y", f"b1_p{fridge}": "y", f"b2_p{play}": "y", "b3_spoilt": "y"}
    html = browser.submit(f"/budgets/batches/{batch_id}/key", keyed).get_data(as_text=True)
    assert "needs keying by two different officers" in html
    html = browser.submit(f"/budgets/batches/{batch_id}/key", keyed).get_data(as_text=True)  # same officer again: a correction
    assert len(db.session.execute(select(BudgetBallot).where(BudgetBallot.heading_id == heading.id, BudgetBallot.channel == "paper")).all()) == 0
    accept = browser.client.post(f"/budgets/batches/{batch_id}/accept", data={"csrf_token": csrf_from(html)}, follow_redirects=True)
    assert "needs keying twice, by two different officers" in accept.get_data(as_text=True)
    _as(browser, second.email, PASSWORD)
    wrong = {f"b1_p{bus}": "y", f"b2_p{play}": "y", f"b2_p{path}": "y", "b3_spoilt": "y"}
    html = browser.submit(f"/budgets/batches/{batch_id}/key", wrong).get_data(as_text=True)
    assert "The keyings disagree" in html and "2 ballots differ" in html
    assert "Accept batch" not in html
    html = browser.submit(f"/budgets/batches/{batch_id}/key", keyed).get_data(as_text=True)
    assert "Both keyings agree" in html
    issue_papers(heading, 3)
    html = browser.client.post(f"/budgets/batches/{batch_id}/accept", data={"csrf_token": csrf_from(html)}, follow_redirects=True).get_data(as_text=True)
    assert "3 paper ballots added" in html
    browser.sign_out()

    # --- close the vote; a late ballot is refused
    _as(browser, "officer@demo.example.org", PW)
    assert "Reviewing ballots" in _phase(browser, process.id, "reviewing_ballots").get_data(as_text=True)
    _as(browser, "agnieszka@demo.example.org", PW)
    html = browser.get(f"/budgets/headings/{heading.id}/ballot").get_data(as_text=True)
    assert "Voting is not open" in html
    assert browser.get(f"/budgets/headings/{heading.id}/results").status_code == 404  # not public yet
    browser.sign_out()

    # --- count, what-if, publish
    _as(browser, "officer@demo.example.org", PW)
    html = browser.get(f"/budgets/headings/{heading.id}/count").get_data(as_text=True)
    assert "Compare every rule on these ballots" in html  # the what-if table is computed on request (test_budgets_count)
    html = browser.submit(f"/budgets/headings/{heading.id}/count", {}).get_data(as_text=True)
    assert "Preview for officers" in html
    assert db.session.execute(select(AuditEntry).where(AuditEntry.action == "budget.count", AuditEntry.object_type == "budget_counts").order_by(AuditEntry.id.desc()).limit(1)).scalar_one().data_json.count(str(heading.id))
    html = _phase(browser, process.id, "finished").get_data(as_text=True)
    assert "Finished" in html
    browser.sign_out()

    # --- public results
    html = browser.get(f"/budgets/headings/{heading.id}/results").get_data(as_text=True)
    # votes: play 4 (3 online + 1 paper), path 2, bus 3 (2 online + 1 paper), fridge 2 (1 online + 1 paper)
    # greedy by votes within £10,000: play (4,000), bus (2,500), then the tie at 2 votes goes to the cheaper
    # fridge (900); path (3,500) no longer fits in the £2,600 left
    assert '<svg role="img" aria-labelledby="chart-title"' in html and "<title id=\"chart-title\">" in html
    assert "style=" not in html and "<script" not in html
    assert "Funded: £4,000.00" in html and "Funded: £2,500.00" in html and "Funded: £900.00" in html
    assert "It needed £3,500.00 and £2,600.00 was left when its turn came." in html
    assert "Nobody voted for it, and a project with no votes is never funded." in html  # the resident’s proposal, no votes
    assert db.session.get(Proposal, proposal_id).state == ProposalState.NOT_SELECTED.value
    assert "Money left</dt><dd>£2,600.00" in html
    assert "6 (4 online, 2 on paper)" in html and "1 spoilt paper not counted" in html
    # --- receipts
    html = browser.get("/budgets/receipt", query_string={"code": code.lower()}).get_data(as_text=True)
    assert "Yes, it was counted" in html and "Wisbech play area" not in html
    html = browser.get("/budgets/receipt", query_string={"code": first_code}).get_data(as_text=True)
    assert "This ballot was replaced by a later ballot on" in html and "No ballot has this receipt code" not in html
    # --- export: download, CLI, recount
    download = browser.get(f"/budgets/headings/{heading.id}/results.pb")
    assert download.status_code == 200 and download.headers["Content-Disposition"].startswith("attachment")
    text = download.get_data(as_text=True)
    assert "rule;greedy" in text
    runner = browser.client.application.test_cli_runner()
    listing = runner.invoke(args=["budgets", "list"])
    row = next(line for line in listing.output.splitlines() if line.split()[0] == str(heading.id))
    assert "Fenland Community Fund 2027" in row and row.endswith("greedy")
    out = tmp_path / "fenland.pb"
    result = runner.invoke(args=["budgets", "export", str(heading.id), "--format", "pabulib", str(out)])
    assert result.exit_code == 0, result.output
    assert out.read_text(encoding="utf-8") == text
    from app.tally.__main__ import main

    assert main(["pb", str(out), "--check", "--seed", str(process.seed)]) == 0
    from app.tally.formats import pabulib

    pb = pabulib.read(out)
    assert pb.official_selected() == {str(play), str(bus), str(fridge)}
    assert [b.voter_id for b in pb.election.ballots] == [str(n) for n in range(1, 7)]
    assert services.published_count(db.session, heading) is not None


def test_drafts_are_not_found_for_residents(browser, demo):  # type: ignore[no-untyped-def]
    from tests.factories_budgets import make_budget

    process, heading = make_budget(phase=Phase.DRAFTING)
    assert browser.get(f"/budgets/{process.id}").status_code == 404
    assert browser.get(f"/budgets/headings/{heading.id}").status_code == 404
    assert "Test Community Fund" not in browser.get("/budgets/").get_data(as_text=True)
    _as(browser, "officer@demo.example.org", PW)
    assert browser.get(f"/budgets/{process.id}").status_code == 200
    _as(browser, "priya@demo.example.org", PW)
    assert browser.get(f"/budgets/{process.id}/edit").status_code == 404
    assert browser.get("/budgets/new").status_code == 403
