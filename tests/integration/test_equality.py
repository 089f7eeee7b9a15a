"""Equality monitoring: the officer's switch, the resident's optional questions after voting (consent first,
nothing stored when declined, once per process even when the ballot is replaced), paper slips, suppression on
the results pages and in the committee pack, and no link between answers and people or ballots at rest."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import func, inspect, select, text

from app.auth.models import Role
from app.budgets import services as budgets
from app.budgets.models import BudgetBallot, Phase
from app.core import secrecy
from app.core.errors import DomainError
from app.equality import questions as q
from app.equality import services
from app.equality.models import EqualityCount, EqualityMonitor, EqualityResponder
from app.equality.report import equality_report
from app.extensions import db
from tests.conftest import csrf_from
from tests.factories import PASSWORD, make_user
from tests.factories_budgets import advance, cambs, issue_papers, make_budget  # noqa: F401  (cambs is a fixture)
from tests.factories_votes import cast, close_and_publish, make_vote, resident

pytestmark = pytest.mark.usefixtures("cambs")
RECEIPT_RE = re.compile(r"<code>([A-Z2-9]{4}(?:-[A-Z2-9]{4}){3})</code>")
ONCE_RE = re.compile(r'name="once_token"[^>]*value="([^"]+)"|value="([^"]+)"[^>]*name="once_token"')


def _counts(obj) -> dict[tuple[str, str], int]:  # type: ignore[no-untyped-def]
    kind = services.kind_of(obj)
    return {(c.question, c.answer): c.people for c in db.session.execute(
        select(EqualityCount).where(EqualityCount.kind == kind, EqualityCount.object_id == obj.id)).scalars()}


def _responders(obj) -> int:  # type: ignore[no-untyped-def]
    return db.session.scalar(select(func.count(EqualityResponder.id)).where(
        EqualityResponder.kind == services.kind_of(obj), EqualityResponder.object_id == obj.id)) or 0


def _switch_on(obj, keys=q.STANDARD):  # type: ignore[no-untyped-def]
    services.switch(db.session, make_user(Role.OFFICER), obj, on=True, question_keys=list(keys))
    db.session.commit()


def _cast_budget(browser, heading, voter) -> str:  # type: ignore[no-untyped-def]
    """Sign ``voter`` in and cast a ballot for the first project through the page; the "recorded" page."""
    browser.sign_in(voter.email, PASSWORD)
    url = f"/budgets/headings/{heading.id}/ballot"
    page = browser.get(url).get_data(as_text=True)
    once = next(g for g in ONCE_RE.search(page).groups() if g)
    data = {"csrf_token": csrf_from(page), "once_token": once, f"p{heading.projects[0].id}": "y", "cast": "1"}
    done = browser.client.post(url, data=data).get_data(as_text=True)
    if "Replace your ballot?" in done:
        done = browser.client.post(url, data={**data, "confirm": "1"}).get_data(as_text=True)
    assert RECEIPT_RE.search(done), done[:3000]
    return done


# --- the switch ------------------------------------------------------------------------------------------------

def test_monitoring_is_off_by_default_and_an_officer_switches_it_on(browser) -> None:  # type: ignore[no-untyped-def]
    process, heading = make_budget()
    voter = make_user(postcode="PE13 1AG")
    done = _cast_budget(browser, heading, voter)
    assert "Optional: tell us about yourself" not in done
    assert browser.get(f"/equality/budgets/{process.id}").status_code == 404
    browser.sign_out()

    officer = make_user(Role.OFFICER)
    browser.sign_in(officer.email, PASSWORD)
    assert "Equality monitoring" in browser.get(f"/budgets/{process.id}").get_data(as_text=True)
    page = browser.get(f"/equality/budgets/{process.id}/settings").get_data(as_text=True)
    assert "Equality monitoring is off." in page
    # the standard questions are ticked; religion and sexual orientation are not
    assert re.search(r'<input[^>]*checked[^>]*value="age"|<input[^>]*value="age"[^>]*checked', page)
    assert not re.search(r'<input[^>]*value="religion"[^>]*checked', page)
    html = browser.submit(f"/equality/budgets/{process.id}/settings", {"questions": ["age", "ethnic_group"], "switch_on": "1"}
                          ).get_data(as_text=True)
    assert "Equality monitoring is on." in html
    monitor = services.monitor_of(db.session, process)
    assert monitor is not None and monitor.is_on and monitor.questions_csv == "age,ethnic_group"
    # no question chosen: refused, with the error on the field
    html = browser.submit(f"/equality/budgets/{process.id}/settings", {"switch_on": "1"}).get_data(as_text=True)
    assert "Choose at least one question to ask." in html and 'href="#questions"' in html


def test_a_resident_cannot_switch_it_on_and_it_cannot_change_after_voting_closes() -> None:
    process, _ = make_budget()
    with pytest.raises(DomainError):
        services.switch(db.session, make_user(postcode="PE13 1AG"), process, on=True, question_keys=["age"])
    advance(process, Phase.REVIEWING_BALLOTS)
    with pytest.raises(DomainError, match="until voting closes"):
        services.switch(db.session, make_user(Role.OFFICER), process, on=True, question_keys=["age"])


# --- consent, declining, once per process ------------------------------------------------------------------------

def test_answers_need_consent_declining_stores_nothing_and_a_resident_answers_once(browser) -> None:  # type: ignore[no-untyped-def]
    process, heading = make_budget()
    _switch_on(process)
    voter = make_user(postcode="PE13 1AG")
    done = _cast_budget(browser, heading, voter)
    assert "Optional: tell us about yourself" in done and "your vote counts the same either way" in done
    assert 'name="consent"' in done and "Prefer not to say" in done
    url = f"/equality/budgets/{process.id}"
    token = csrf_from(done)

    # answers without the consent box: refused, nothing stored
    html = browser.client.post(url, data={"csrf_token": token, "age": "25_34", "sex": "female", "submit": "1"}).get_data(as_text=True)
    assert "Tick the box to agree" in html and 'href="#consent"' in html
    assert _counts(process) == {} and _responders(process) == 0
    # declining (even with answers chosen): nothing stored, back to the process
    resp = browser.client.post(url, data={"csrf_token": token, "age": "25_34", "consent": "y", "decline": "1"}, follow_redirects=True)
    assert "Nothing was stored" in resp.get_data(as_text=True)
    assert _counts(process) == {} and _responders(process) == 0
    # an answer that is not one of the question's: refused
    html = browser.client.post(url, data={"csrf_token": token, "age": "101", "consent": "y", "submit": "1"}).get_data(as_text=True)
    assert _counts(process) == {} and "There is a problem" in html
    # consent and answers: counted
    resp = browser.client.post(url, data={"csrf_token": token, "age": "25_34", "ethnic_group": "prefer_not", "consent": "y", "submit": "1"},
                               follow_redirects=True)
    assert "Thank you" in resp.get_data(as_text=True)
    assert _counts(process) == {("age", "25_34"): 1, ("ethnic_group", "prefer_not"): 1} and _responders(process) == 1

    # a second answer is refused, and the page no longer offers the questions
    again = browser.client.post(url, data={"csrf_token": token, "age": "35_44", "consent": "y", "submit": "1"}).get_data(as_text=True)
    assert "already answered" in again
    assert _counts(process) == {("age", "25_34"): 1, ("ethnic_group", "prefer_not"): 1} and _responders(process) == 1
    # replacing the ballot: no questions offered, nothing counted twice
    page = browser.get(f"/budgets/headings/{heading.id}/ballot").get_data(as_text=True)
    once = next(g for g in ONCE_RE.search(page).groups() if g)
    data = {"csrf_token": csrf_from(page), "once_token": once, f"p{heading.projects[1].id}": "y", "cast": "1", "confirm": "1"}
    done = browser.client.post(f"/budgets/headings/{heading.id}/ballot", data=data).get_data(as_text=True)
    assert RECEIPT_RE.search(done) and "Optional: tell us about yourself" not in done
    assert _responders(process) == 1 and sum(_counts(process).values()) == 2


def test_only_people_who_voted_may_answer_and_only_while_voting_is_open() -> None:
    process, heading = make_budget()
    _switch_on(process)
    voter = make_user(postcode="PE13 1AG")
    with pytest.raises(DomainError, match="Vote first"):
        services.record_answers(db.session, voter, process, consent=True, answers={"age": "25_34"})
    budgets.cast_ballot(db.session, voter, heading, {heading.projects[0].id: 1})
    db.session.commit()
    with pytest.raises(DomainError, match="at least one"):
        services.record_answers(db.session, voter, process, consent=True, answers={"age": None})
    with pytest.raises(DomainError, match="Tick the box"):
        services.record_answers(db.session, voter, process, consent=False, answers={"age": "25_34"})
    advance(process, Phase.REVIEWING_BALLOTS)
    with pytest.raises(DomainError, match="only while voting is open"):
        services.record_answers(db.session, voter, process, consent=True, answers={"age": "25_34"})
    assert _responders(process) == 0


def test_one_answer_per_resident_per_budget_across_its_headings() -> None:
    """A county and a district heading of one budget: the resident votes in both, and answers once."""
    from tests.factories_budgets import CAMBRIDGESHIRE, FENLAND, place

    officer = make_user(Role.OFFICER)
    process, county = make_budget(place_code=CAMBRIDGESHIRE, phase=Phase.DRAFTING, actor=officer)
    district = budgets.add_heading(db.session, officer, process, place(FENLAND), "Fenland", 5_000_00)
    budgets.add_pot(db.session, officer, district, "District grant", 5_000_00)
    budgets.add_project(db.session, officer, district, budgets.ProjectData("Benches", "", 1_000_00))
    db.session.commit()
    advance(process, Phase.BALLOTING, officer)
    _switch_on(process)
    voter = make_user(postcode="PE13 1AG")
    budgets.cast_ballot(db.session, voter, county, {county.projects[0].id: 1})
    budgets.cast_ballot(db.session, voter, district, {district.projects[0].id: 1})
    db.session.commit()
    services.record_answers(db.session, voter, process, consent=True, answers={"sex": "male"})
    db.session.commit()
    with pytest.raises(DomainError, match="already answered"):
        services.record_answers(db.session, voter, process, consent=True, answers={"sex": "male"})
    assert _responders(process) == 1 and _counts(process) == {("sex", "male"): 1}
    assert equality_report(db.session, "budget", process).participants == 1  # one person, two headings


# --- secrecy at rest -----------------------------------------------------------------------------------------------

def test_a_database_dump_links_no_answer_to_a_person_or_a_ballot() -> None:
    process, heading = make_budget()
    _switch_on(process)
    people = [make_user(postcode="PE13 1AG") for _ in range(3)]
    for n, voter in enumerate(people):
        budgets.cast_ballot(db.session, voter, heading, {heading.projects[0].id: 1})
        services.record_answers(db.session, voter, process, consent=True, answers={"age": "25_34", "sex": ["female", "male", "female"][n]})
    db.session.commit()
    insp = inspect(db.engine)
    columns = {t: {c["name"] for c in insp.get_columns(t)} for t in ("equality_responders", "equality_counts")}
    assert columns["equality_responders"] == {"id", "kind", "object_id", "token", "channel"}
    assert columns["equality_counts"] == {"id", "kind", "object_id", "question", "answer", "channel", "people"}
    assert not any(fk for t in columns for fk in insp.get_foreign_keys(t))  # nothing points at users or ballots
    # the rows, as a dump shows them: counts only, no row per person, no user id, no ballot token or id
    dump = []
    for table in columns:
        dump += [tuple(map(str, row)) for row in db.session.execute(text(f"SELECT * FROM {table}")).all()]
    counts = {(r.question, r.answer): r.people for r in db.session.execute(select(EqualityCount)).scalars()}
    assert counts == {("age", "25_34"): 3, ("sex", "female"): 2, ("sex", "male"): 1}
    ballots = db.session.execute(select(BudgetBallot.id, BudgetBallot.token)).all()
    forbidden = {str(b.id) for b in ballots} | {b.token for b in ballots} | {p.email for p in people}
    forbidden |= {secrecy.token(secrecy.BUDGET, heading.id, p.id) for p in people}
    assert not forbidden & {cell for row in dump for cell in row}
    # the "answered" tokens are keyed on the process, not the ballot, and say nothing without the key
    tokens = set(db.session.execute(select(EqualityResponder.token)).scalars())
    assert tokens == {services.responder_token("budget", process.id, p.id) for p in people}
    assert not tokens & {b.token for b in ballots}
    assert "answered_on" not in columns["equality_counts"] and not any("_at" in c for c in columns["equality_responders"])


# --- paper slips -----------------------------------------------------------------------------------------------

def test_officers_key_paper_slips_up_to_the_paper_ballots_issued(browser) -> None:  # type: ignore[no-untyped-def]
    process, heading = make_budget()
    _switch_on(process, ["age", "disability"])
    issue_papers(heading, 2)
    officer = make_user(Role.OFFICER)
    browser.sign_in(officer.email, PASSWORD)
    url = f"/equality/budgets/{process.id}/slips"
    for _ in range(2):
        html = browser.submit(url, {"channel": "paper", "age": "75_over", "disability": "yes_a_lot"}).get_data(as_text=True)
        assert "The monitoring slip is keyed." in html
    assert _counts(process) == {("age", "75_over"): 2, ("disability", "yes_a_lot"): 2}
    assert db.session.scalar(select(func.count(EqualityCount.id)).where(EqualityCount.channel == "paper")) == 2
    page = browser.get(url).get_data(as_text=True)
    assert "no more can be added" in page
    with pytest.raises(DomainError):
        services.record_slip(db.session, officer, process, channel="paper", answers={"age": "16_24"})
    assert _responders(process) == 2
    browser.sign_out()
    browser.sign_in(make_user(postcode="PE13 1AG").email, PASSWORD)
    assert browser.get(url).status_code == 403


# --- reporting ---------------------------------------------------------------------------------------------------

def _answer_vote(vote, n: int, answers) -> None:  # type: ignore[no-untyped-def]
    for i in range(n):
        voter = resident()
        cast(voter, vote, "Play area")
        services.record_answers(db.session, voter, vote, consent=True, answers=answers(i))
        db.session.commit()


def test_fewer_than_ten_answers_publish_nothing_but_that() -> None:
    vote = make_vote()
    _switch_on(vote)
    _answer_vote(vote, 9, lambda i: {"sex": "female"})
    report = equality_report(db.session, "vote", vote)
    assert report is not None and not report.published and report.tables == [] and report.share_answered is None


def test_vote_results_page_shows_the_suppressed_tables(browser) -> None:  # type: ignore[no-untyped-def]
    vote = make_vote()
    _switch_on(vote, ["sex", "age"])
    # 25 answered: sex 24 female / 1 male; age 12 × 45–54, 11 × 25–34, 2 × 75+; 2 more voted without answering
    ages = ["45_54"] * 12 + ["25_34"] * 11 + ["75_over"] * 2
    _answer_vote(vote, 25, lambda i: {"sex": "male" if i == 0 else "female", "age": ages[i]})
    cast(resident(), vote, "Bus shelter")
    cast(resident(), vote, "Library hub")
    report = equality_report(db.session, "vote", vote)
    assert report is not None and report.published and report.responders == 25 and report.participants == 27
    sex = {c.key: c.people for c in report.tables[1].cells}
    assert report.tables[1].key == "sex"
    # "male" (1) is small and the other small cells are 0: alone they would be 25 − 24, so female is hidden too
    assert sex == {"female": None, "male": None, "prefer_not": None, "not_answered": None}
    age = {c.key: c.people for c in report.tables[0].cells}
    # 75+ (2) and the zeros add to 2: the next smallest, 25–34 (11), is hidden with them; 45–54 is shown
    assert age["45_54"] == 12 and all(v is None for k, v in age.items() if k != "45_54")
    assert [c.share for c in report.tables[0].cells if c.key == "45_54"] == [12 / 25]
    close_and_publish(vote)
    html = browser.get(f"/votes/{vote.id}/results").get_data(as_text=True)
    assert "Who took part, by group" in html
    assert "25 of the 27 people who took part answered" in html and "92.6%" in html
    section = html[html.index("Who took part, by group"):]
    assert "fewer than 10" in section and re.search(r"45 to 54</th><td>12</td>", section)
    assert not re.search(r"25 to 34</th><td>11</td>", section) and not re.search(r"Male</th><td>1</td>", section)


def test_switching_off_keeps_the_answers_and_the_questions_are_fixed_once_answered() -> None:
    vote = make_vote()
    _switch_on(vote, ["sex"])
    _answer_vote(vote, 1, lambda i: {"sex": "female"})
    officer = make_user(Role.OFFICER)
    with pytest.raises(DomainError, match="can no longer change"):
        services.switch(db.session, officer, vote, on=True, question_keys=["sex", "age"])
    services.switch(db.session, officer, vote, on=False, question_keys=[])
    db.session.commit()
    monitor = db.session.execute(select(EqualityMonitor)).scalar_one()
    assert not monitor.is_on and monitor.questions_csv == "sex" and _counts(vote) == {("sex", "female"): 1}
    assert services.asked(db.session, vote) == []
    with pytest.raises(DomainError, match="does not ask"):
        services.record_answers(db.session, resident(), vote, consent=True, answers={"sex": "male"})


def test_vote_ballot_page_offers_the_questions_after_casting(browser) -> None:  # type: ignore[no-untyped-def]
    vote = make_vote()
    _switch_on(vote, ["disability"])
    voter = resident()
    cast(voter, vote, "Play area")
    browser.sign_in(voter.email, PASSWORD)
    page = browser.get(f"/votes/{vote.id}/ballot").get_data(as_text=True)
    assert "Answer the optional equality-monitoring questions" in page
    html = browser.submit(f"/equality/votes/{vote.id}", {"disability": "no", "consent": "y", "submit": "1"}).get_data(as_text=True)
    assert "Thank you" in html and _counts(vote) == {("disability", "no"): 1}
    assert "Answer the optional equality-monitoring questions" not in browser.get(f"/votes/{vote.id}/ballot").get_data(as_text=True)


def test_rekeying_the_ballot_secret_moves_the_answered_marks_too(app, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    vote = make_vote()
    _switch_on(vote, ["sex"])
    voter = resident()
    _answer_vote(vote, 1, lambda i: {"sex": "female"})
    cast(voter, vote, "Play area")
    new = "a-new-ballot-secret-of-more-than-32-characters"
    monkeypatch.setenv("NEW_BALLOT_SECRET", new)
    result = app.test_cli_runner().invoke(args=["ballots", "rekey"])
    assert result.exit_code == 0 and "1 equality-monitoring marks moved" in result.output, result.output
    monkeypatch.setitem(app.config, "BALLOT_SECRET", new)
    db.session.expire_all()
    answered = db.session.execute(select(EqualityResponder)).scalar_one()
    assert answered.token == services.responder_token("vote", vote.id, _voters_of(vote)[0])
    assert services.answer_refusal(db.session, vote, voter) is None  # the one who did not answer still may


def _voters_of(vote) -> list[int]:  # type: ignore[no-untyped-def]
    from app.voting.models import VoteRegister

    return [v for v in db.session.execute(select(VoteRegister.voter_id).where(VoteRegister.vote_id == vote.id)
                                          .order_by(VoteRegister.id)).scalars()]


def test_an_officer_switches_a_vote_on_and_off_through_its_page(browser) -> None:  # type: ignore[no-untyped-def]
    vote = make_vote()
    officer = make_user(Role.OFFICER)
    browser.sign_in(officer.email, PASSWORD)
    assert f"/equality/votes/{vote.id}/settings" in browser.get(f"/votes/{vote.id}").get_data(as_text=True)
    url = f"/equality/votes/{vote.id}/settings"
    html = browser.submit(url, {"questions": ["religion", "sexual_orientation"], "switch_on": "1"}).get_data(as_text=True)
    assert "Equality monitoring is on." in html and "Key paper or assisted monitoring slips" in html
    assert [x.key for x in services.asked(db.session, vote)] == ["religion", "sexual_orientation"]
    html = browser.submit(url, {"questions": ["religion"], "switch_off": "1"}).get_data(as_text=True)
    assert "Equality monitoring is off." in html
    db.session.expire_all()
    assert services.asked(db.session, vote) == []
    assert services.monitor_of(db.session, vote).questions_csv == "religion,sexual_orientation"  # off leaves them as they were
