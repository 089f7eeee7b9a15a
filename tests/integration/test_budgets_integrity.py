"""Issue 13's integrity items through the real pages: counts with no votes, minimum support, publishing
without ballots or with low turnout, stage warnings and going back, blank and replacement ballots, hand-made
POSTs, repeated submissions, points errors, the recount file's hash, chart labels and over-budget projects."""

from __future__ import annotations

import hashlib
import json
import re
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from app.auth.models import Role
from app.budgets import services
from app.budgets.models import (
    BallotType,
    BudgetBallot,
    BudgetHeading,
    BudgetProcess,
    BudgetProject,
    Phase,
    Rule,
)
from app.core.db import utcnow
from app.core.models import AuditEntry
from app.extensions import db
from app.tally.formats import pabulib
from tests.conftest import csrf_from
from tests.factories import PASSWORD, make_user
from tests.factories_budgets import advance, cambs, make_budget, voters  # noqa: F401  (cambs is a fixture)

pytestmark = pytest.mark.usefixtures("cambs")
RECEIPT_RE = re.compile(r"<code>([A-Z2-9]{4}(?:-[A-Z2-9]{4}){3})</code>")
ONCE_RE = re.compile(r'<input[^>]*name="once_token"[^>]*value="([^"]+)"|<input[^>]*value="([^"]+)"[^>]*name="once_token"')


def _form(browser, url):  # type: ignore[no-untyped-def]
    """GET a form page: its CSRF token and one-time token, as a browser would send them back."""
    html = browser.get(url).get_data(as_text=True)
    match = ONCE_RE.search(html)
    return {"csrf_token": csrf_from(html), **({"once_token": next(g for g in match.groups() if g)} if match else {})}, html


def _ballots(heading: BudgetHeading) -> int:
    return db.session.execute(select(func.count(BudgetBallot.id)).where(BudgetBallot.heading_id == heading.id)).scalar_one()


def _officer(browser):  # type: ignore[no-untyped-def]
    officer = make_user(Role.OFFICER)
    browser.sign_in(officer.email, PASSWORD)
    return officer


# --------------------------------------------------------------------------------------------- item 1


def test_a_project_with_no_votes_is_never_funded_and_the_minimum_is_stated(browser, tmp_path):  # type: ignore[no-untyped-def]
    # £10,000: Play area 4,000, Bus shelter 3,000, Library hub 5,000, Planters 1,000; only Play area gets votes
    process, heading = make_budget(rule=Rule.GREEDY)
    for v in voters(2):
        services.cast_ballot(db.session, v, heading, {heading.projects[0].id: 1})
    db.session.commit()
    advance(process, Phase.REVIEWING_BALLOTS)
    officer = _officer(browser)
    html = browser.get(f"/budgets/headings/{heading.id}/count?compare=1").get_data(as_text=True)
    assert "A project needed at least one vote: a project with no votes is never funded." in html
    assert "each project needing at least 1 vote" in html
    assert html.count(">Funded<") == 6  # only Play area, under each of the six rules
    browser.submit(f"/budgets/headings/{heading.id}/count", {})
    count = services.latest_count(db.session, heading)
    assert json.loads(count.result_json)["selected"] == [str(heading.projects[0].id)] and count.min_support == 1
    page = browser.get(f"/budgets/headings/{heading.id}/results").get_data(as_text=True)
    assert "Nobody voted for it, and a project with no votes is never funded." in page
    assert "Minimum support" in page
    text = services.export_pabulib(db.session, heading, count)
    meta = pabulib.parse(text).meta_dict
    assert meta["min_project_score_threshold"] == "1" and meta["min_support"] == "1"
    path = tmp_path / "h.pb"
    path.write_text(text, encoding="utf-8")
    from app.tally.__main__ import main

    assert main(["pb", str(path), "--check", "--seed", str(count.seed)]) == 0
    assert officer


def test_heading_minimum_in_votes_and_share_of_ballots(browser):  # type: ignore[no-untyped-def]
    process, heading = make_budget(phase=Phase.REVIEWING)
    _officer(browser)
    url = f"/budgets/headings/{heading.id}/edit"
    html = browser.submit(url, {"name": heading.name, "amount": "10000", "min_votes": "2", "min_percent": "50"}).get_data(as_text=True)
    assert "Heading saved" in html
    page = browser.get(f"/budgets/headings/{heading.id}").get_data(as_text=True)
    assert "A project needs at least 2 votes and at least 50% of the valid ballots to be funded." in page
    a, b, c, _d = (p.id for p in heading.projects)
    advance(process, Phase.BALLOTING)
    for choice in ({a: 1, b: 1}, {a: 1, b: 1}, {a: 1, c: 1}, {a: 1}):  # 4 ballots: a 4 votes, b 2, c 1
        services.cast_ballot(db.session, make_user(postcode="PE13 1AG"), heading, choice)
    db.session.commit()
    advance(process, Phase.REVIEWING_BALLOTS)
    browser.submit(f"/budgets/headings/{heading.id}/count", {})
    count = services.latest_count(db.session, heading)
    assert count.min_support == 2 and set(json.loads(count.result_json)["selected"]) == {str(a), str(b)}
    page = browser.get(f"/budgets/headings/{heading.id}/results").get_data(as_text=True)
    assert "A project needed at least 2 votes and at least 50% of the valid ballots to be funded: 2 votes in this count." in page
    assert "It had 1 vote, fewer than the minimum support needed to be funded." in page
    meta = pabulib.parse(services.export_pabulib(db.session, heading, count)).meta_dict
    assert meta["min_project_score_threshold"] == "2" and meta["folkmoot_min_support_percent"] == "50"


def test_a_share_minimum_is_refused_on_points_ballots(browser):  # type: ignore[no-untyped-def]
    _, heading = make_budget(phase=Phase.REVIEWING, ballot_type=BallotType.CUMULATIVE, max_points=10)
    _officer(browser)
    html = browser.submit(f"/budgets/headings/{heading.id}/edit", {"name": heading.name, "amount": "10000", "min_percent": "5"}).get_data(as_text=True)
    assert "On a points ballot, set the minimum as a number of points, not a share of ballots." in html
    assert db.session.get(BudgetHeading, heading.id).min_support_percent is None


def test_results_cannot_be_published_while_a_heading_has_no_ballots(browser):  # type: ignore[no-untyped-def]
    process, heading = make_budget()
    advance(process, Phase.REVIEWING_BALLOTS)
    _officer(browser)
    browser.submit(f"/budgets/headings/{heading.id}/count", {})
    html = browser.get(f"/budgets/{process.id}/phase").get_data(as_text=True)
    assert "Fenland has no ballots. Results cannot be published while a heading has no ballots." in html
    html = browser.submit(f"/budgets/{process.id}/phase", {"to_phase": "finished"}).get_data(as_text=True)
    assert "has no ballots" in html
    assert db.session.get(BudgetProcess, process.id).phase == Phase.REVIEWING_BALLOTS.value


def test_low_turnout_needs_a_confirmation_naming_the_figure(browser):  # type: ignore[no-untyped-def]
    process, heading = make_budget(phase=Phase.REVIEWING)
    _officer(browser)
    html = browser.submit(f"/budgets/{process.id}/edit", {
        "title": process.title, "place": str(process.place_id), "ballot_type": "approval", "rule": "greedy", "completion": "none",
        "low_turnout": "2.5",
    }).get_data(as_text=True)
    assert "Budget saved" in html and db.session.get(BudgetProcess, process.id).low_turnout_permille == 25
    advance(process, Phase.BALLOTING)
    services.cast_ballot(db.session, make_user(postcode="PE13 1AG"), heading, {heading.projects[0].id: 1})
    db.session.commit()
    advance(process, Phase.REVIEWING_BALLOTS)
    browser.submit(f"/budgets/headings/{heading.id}/count", {})
    population = heading.place.population
    assert population, "Fenland has a population in the demo places"
    html = browser.get(f"/budgets/{process.id}/phase").get_data(as_text=True)
    figure = services.percent_text(100 / population)
    assert f"Publish although turnout is below 2.5%: Fenland {figure} (1 ballots, {population:,} residents)." in html
    html = browser.submit(f"/budgets/{process.id}/phase", {"to_phase": "finished"}).get_data(as_text=True)
    assert "Tick the box to confirm." in html and db.session.get(BudgetProcess, process.id).phase == Phase.REVIEWING_BALLOTS.value
    html = browser.submit(f"/budgets/{process.id}/phase", {"to_phase": "finished", "confirm_low_turnout": "y"}).get_data(as_text=True)
    assert "is now in the “Finished” stage" in html
    entry = db.session.execute(select(AuditEntry).where(AuditEntry.action == "budget.phase").order_by(AuditEntry.id.desc()).limit(1)).scalar_one()
    assert json.loads(entry.data_json)["low_turnout"] == [{"heading_id": heading.id, "ballots": 1, "population": population}]


# --------------------------------------------------------------------------------------------- item 2


def test_an_early_stage_change_warns_and_needs_a_confirmation(browser):  # type: ignore[no-untyped-def]
    process, heading = make_budget(phase=Phase.REVIEWING)
    process.voting_opens_on = (utcnow() + timedelta(days=30)).date()
    db.session.commit()
    _officer(browser)
    html = browser.get(f"/budgets/{process.id}/phase").get_data(as_text=True)
    assert "Before the planned date" in html and "30 days from today" in html
    html = browser.submit(f"/budgets/{process.id}/phase", {"to_phase": "balloting"}).get_data(as_text=True)
    assert "Tick the box to confirm moving early." in html and db.session.get(BudgetProcess, process.id).phase == Phase.REVIEWING.value
    html = browser.submit(f"/budgets/{process.id}/phase", {"to_phase": "balloting", "confirm_early": "y"}).get_data(as_text=True)
    assert "is now in the “Voting open” stage" in html


def test_back_to_setup_before_any_ballot_and_reopen_voting_with_a_reason(browser):  # type: ignore[no-untyped-def]
    process, heading = make_budget()
    _officer(browser)
    page = browser.get(f"/budgets/{process.id}").get_data(as_text=True)
    assert "Go back to set-up (no ballot has been cast)" in page
    html = browser.submit(f"/budgets/{process.id}/back", {"reason": ""}).get_data(as_text=True)
    assert "Enter the reason for going back" in html and db.session.get(BudgetProcess, process.id).phase == Phase.BALLOTING.value
    html = browser.submit(f"/budgets/{process.id}/back", {"reason": "Opened a month early by mistake"}).get_data(as_text=True)
    assert "back in the “Reviewing proposals” stage" in html
    advance(process, Phase.BALLOTING)
    services.cast_ballot(db.session, make_user(postcode="PE13 1AG"), heading, {heading.projects[0].id: 1})
    db.session.commit()
    html = browser.submit(f"/budgets/{process.id}/back", {"reason": "Again"}).get_data(as_text=True)
    assert "Voting cannot go back to set-up: ballots have been cast" in html
    advance(process, Phase.REVIEWING_BALLOTS)
    assert "Reopen voting" in browser.get(f"/budgets/{process.id}").get_data(as_text=True)
    html = browser.submit(f"/budgets/{process.id}/back", {"reason": "Closed a day early"}).get_data(as_text=True)
    assert "back in the “Voting open” stage" in html
    moves = [json.loads(e.data_json) for e in db.session.execute(select(AuditEntry).where(AuditEntry.action == "budget.phase_back").order_by(AuditEntry.id)).scalars()]
    assert [(m["from"], m["to"], m["reason"]) for m in moves] == [
        ("balloting", "reviewing", "Opened a month early by mistake"), ("reviewing_ballots", "balloting", "Closed a day early")]


# --------------------------------------------------------------------------------------------- items 3 and 4


def test_blank_ballot_only_on_its_own_confirmation_step(browser):  # type: ignore[no-untyped-def]
    _, heading = make_budget()
    voter = make_user(postcode="PE13 1AG")
    browser.sign_in(voter.email, PASSWORD)
    url = f"/budgets/headings/{heading.id}/ballot"
    form, _html = _form(browser, url)
    html = browser.client.post(url, data={**form, "cast": "1"}).get_data(as_text=True)
    assert "Cast a blank ballot?" in html and "You have not chosen any project." in html and _ballots(heading) == 0
    html = browser.client.post(url, data={**form, "confirm": "1"}).get_data(as_text=True)
    assert RECEIPT_RE.search(html) and "It is a blank ballot" in html and _ballots(heading) == 1


def test_replacing_shows_old_and_new_and_a_blank_does_not_silently_replace(browser):  # type: ignore[no-untyped-def]
    _, heading = make_budget()
    voter = make_user(postcode="PE13 1AG")
    play, bus, *_ = heading.projects
    services.cast_ballot(db.session, voter, heading, {play.id: 1})
    db.session.commit()
    browser.sign_in(voter.email, PASSWORD)
    url = f"/budgets/headings/{heading.id}/ballot"
    form, _html = _form(browser, url)
    html = browser.client.post(url, data={**form, "cast": "1"}).get_data(as_text=True)  # everything unticked
    assert "Replace your ballot?" in html and "It would take away the support your earlier ballot gave." in html
    now = html.split("Your ballot now")[1].split("Your new ballot")[0]
    assert "Play area" in now and "No project chosen: a blank ballot." in html.split("Your new ballot")[1]
    ballot = db.session.execute(select(BudgetBallot).where(BudgetBallot.heading_id == heading.id)).scalar_one()
    assert [c.project_id for c in ballot.choices] == [play.id]
    html = browser.client.post(url, data={**form, f"p{bus.id}": "y", "cast": "1"}).get_data(as_text=True)
    assert "Bus shelter" in html.split("Your new ballot")[1] and "Yes, replace my ballot" in html


def test_hand_made_posts_are_refused(browser):  # type: ignore[no-untyped-def]
    _, heading = make_budget()
    _, other = make_budget(title="Another fund")
    voter = make_user(postcode="PE13 1AG")
    browser.sign_in(voter.email, PASSWORD)
    url = f"/budgets/headings/{heading.id}/ballot"
    form, _html = _form(browser, url)
    html = browser.client.post(url, data={**form, f"p{other.projects[0].id}": "y", "cast": "1"}).get_data(as_text=True)
    assert "Your ballot names a project that is not on this ballot." in html and _ballots(heading) == 0
    html = browser.client.post(url, data={**form, f"p{heading.projects[0].id}": "-3", "cast": "1"}).get_data(as_text=True)
    assert "Tick the box for “Play area”, or leave it empty." in html and _ballots(heading) == 0


def test_a_create_form_sent_twice_creates_once_and_shows_the_first_result(browser):  # type: ignore[no-untyped-def]
    process, heading = make_budget(phase=Phase.REVIEWING)
    _officer(browser)
    url = f"/budgets/headings/{heading.id}/projects/new"
    form, _html = _form(browser, url)
    data = {**form, "title": "Skate park", "description": "", "cost": "2000"}
    first = browser.client.post(url, data=data)
    second = browser.client.post(url, data=data)
    assert first.status_code == second.status_code == 302 and first.location == second.location
    titles = db.session.execute(select(BudgetProject.title).where(BudgetProject.heading_id == heading.id)).scalars().all()
    assert titles.count("Skate park") == 1
    assert "already been sent" in browser.get(second.location).get_data(as_text=True)
    # a refused sending frees its token: corrected, the same form goes through
    form, _html = _form(browser, url)
    html = browser.client.post(url, data={**form, "title": "", "cost": "100"}).get_data(as_text=True)
    assert "Enter the project" in html
    assert browser.client.post(url, data={**form, "title": "Benches", "cost": "100"}).status_code == 302


def test_a_ballot_sent_twice_is_recorded_once_and_a_replaced_receipt_says_so(browser):  # type: ignore[no-untyped-def]
    _, heading = make_budget()
    voter = make_user(postcode="PE13 1AG")
    browser.sign_in(voter.email, PASSWORD)
    url = f"/budgets/headings/{heading.id}/ballot"
    form, _html = _form(browser, url)
    data = {**form, f"p{heading.projects[0].id}": "y", "cast": "1"}
    first = RECEIPT_RE.search(browser.client.post(url, data=data).get_data(as_text=True)).group(1)
    again = browser.client.post(url, data=data, follow_redirects=True).get_data(as_text=True)
    assert "already been sent" in again and not RECEIPT_RE.search(again)
    ballot = db.session.execute(select(BudgetBallot).where(BudgetBallot.heading_id == heading.id)).scalar_one()
    assert ballot.replaced_count == 0
    form, _html = _form(browser, url)
    data = {**form, f"p{heading.projects[1].id}": "y", "confirm": "1"}
    second = RECEIPT_RE.search(browser.client.post(url, data=data).get_data(as_text=True)).group(1)
    html = browser.get("/budgets/receipt", query_string={"code": first}).get_data(as_text=True)
    assert "This ballot was replaced by a later ballot on" in html and "No ballot has this receipt code" not in html
    html = browser.get("/budgets/receipt", query_string={"code": second}).get_data(as_text=True)
    assert "Yes, on" in html and "replaced by a later ballot" not in html


# --------------------------------------------------------------------------------------------- item 10


@pytest.mark.parametrize("value", ["11", "2.5", "ten"])
def test_points_errors_name_the_project_and_the_maximum(browser, value):  # type: ignore[no-untyped-def]
    _, heading = make_budget(ballot_type=BallotType.CUMULATIVE, max_points=10)
    voter = make_user(postcode="PE13 1AG")
    browser.sign_in(voter.email, PASSWORD)
    url = f"/budgets/headings/{heading.id}/ballot"
    form, _html = _form(browser, url)
    html = browser.client.post(url, data={**form, f"p{heading.projects[0].id}": value, "cast": "1"}).get_data(as_text=True)
    message = "Enter a whole number of points from 0 to 10 for “Play area”."
    assert message in html and "Not a valid integer" not in html and _ballots(heading) == 0
    error = html.split('class="error-message"')[1].split("</p>")[0]
    assert error.count("Enter a whole number") == 1


def test_points_error_in_polish(browser):  # type: ignore[no-untyped-def]
    _, heading = make_budget(ballot_type=BallotType.CUMULATIVE, max_points=10)
    voter = make_user(postcode="PE13 1AG")
    browser.sign_in(voter.email, PASSWORD)
    url = f"/budgets/headings/{heading.id}/ballot"
    headers = {"Accept-Language": "pl"}
    html = browser.client.get(url, headers=headers).get_data(as_text=True)
    data = {"csrf_token": csrf_from(html), f"p{heading.projects[0].id}": "2.5", "cast": "1"}
    html = browser.client.post(url, data=data, headers=headers).get_data(as_text=True)
    assert "Podaj liczbę całkowitą punktów od 0 do 10 dla „Play area”." in html and "Not a valid" not in html


# --------------------------------------------------------------------------------------------- items 12 and 14


def test_results_page_shows_the_recount_files_hash(app, browser, tmp_path, capsys):  # type: ignore[no-untyped-def]
    process, heading = make_budget(ballot_type=BallotType.CUMULATIVE, max_points=10)
    services.cast_ballot(db.session, make_user(postcode="PE13 1AG"), heading, {heading.projects[0].id: 6, heading.projects[1].id: 4})
    db.session.commit()
    advance(process, Phase.REVIEWING_BALLOTS)
    services.run_count(db.session, make_user(Role.OFFICER), heading)
    db.session.commit()
    advance(process, Phase.FINISHED)
    page = browser.get(f"/budgets/headings/{heading.id}/results").get_data(as_text=True)
    download = browser.get(f"/budgets/headings/{heading.id}/results.pb").get_data()
    digest = hashlib.sha256(download).hexdigest()
    assert digest in page and "The recount command prints the same fingerprint" in page
    path = tmp_path / "r.pb"
    path.write_bytes(download)
    assert pabulib.read(path).sha256 == digest  # what `python -m app.tally pb` prints as "input sha256"
    from app.tally.__main__ import main

    capsys.readouterr()
    assert main(["pb", str(path), "--check", "--seed", str(services.published_count(db.session, heading).seed)]) == 0
    printed = capsys.readouterr().out
    assert f"input sha256: {digest}" in printed and "matches the file's 'selected' column: yes" in printed
    exported = tmp_path / "cli.pb"
    out = app.test_cli_runner().invoke(args=["budgets", "export", str(heading.id), str(exported)]).output
    assert f"file sha256 {digest}" in out and exported.read_bytes() == download
    assert "<h2>Points for each project</h2>" in page and "Votes for each project" not in page


def test_a_project_costing_more_than_its_heading_is_warned_about(browser):  # type: ignore[no-untyped-def]
    process, heading = make_budget(phase=Phase.REVIEWING, amount=40_000_00)
    _officer(browser)
    html = browser.submit(f"/budgets/headings/{heading.id}/projects/new", {"title": "Sports hall", "cost": "50000"}).get_data(as_text=True)
    assert "Project added" in html
    assert "“Sports hall” costs £50,000.00, more than the £40,000.00 of Fenland. It cannot be funded unless the cost or the amount changes." in html
    assert "Projects that cost more than their heading:" in browser.get(f"/budgets/{process.id}").get_data(as_text=True)
