"""Ballots: each ballot type and each refusal through the real page, eligibility by place, replacing a
ballot, and one ballot per voter per heading even when casts race (PostgreSQL threads)."""

from __future__ import annotations

import re
import threading
import time

import pytest
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from app.auth.models import Role, User
from app.budgets import services
from app.budgets.models import BallotType, BudgetBallot, BudgetHeading, BudgetRegister, Phase
from app.core.errors import DomainError
from app.extensions import db
from tests.conftest import csrf_from
from tests.factories import PASSWORD, make_user
from tests.factories_budgets import (  # noqa: F401  (cambs is a fixture)
    CAMBRIDGESHIRE,
    SOUTH_CAMBS,
    advance,
    cambs,
    issue_papers,
    make_budget,
    place,
)

RECEIPT_RE = re.compile(r"<code>([A-Z2-9]{4}(?:-[A-Z2-9]{4}){3})</code>")

pytestmark = pytest.mark.usefixtures("cambs")


def _ids(heading: BudgetHeading) -> list[int]:
    return [p.id for p in heading.projects]


def _vote(browser, heading_id, data, button="cast"):  # type: ignore[no-untyped-def]
    return browser.submit(f"/budgets/headings/{heading_id}/ballot", {**data, button: "1"}).get_data(as_text=True)


def _once(html: str) -> str:
    match = re.search(r'name="once_token" type="hidden" value="([^"]+)"|type="hidden" name="once_token" value="([^"]+)"|id="once_token" name="once_token" type="hidden" value="([^"]+)"', html)
    assert match, "the form carries a one-time token"
    return next(g for g in match.groups() if g)


def _count(heading: BudgetHeading) -> int:
    return _count_ballots(heading.id)


def _count_ballots(heading_id: int) -> int:
    return db.session.execute(select(func.count(BudgetBallot.id)).where(BudgetBallot.heading_id == heading_id)).scalar_one()


def test_approval_ballot_any_number(browser):  # type: ignore[no-untyped-def]
    _, heading = make_budget(ballot_type=BallotType.APPROVAL)
    voter = make_user(postcode="PE13 1AG")
    browser.sign_in(voter.email, PASSWORD)
    html = browser.get(f"/budgets/headings/{heading.id}/ballot").get_data(as_text=True)
    assert 'type="checkbox"' in html and "Play area – £4,000.00" in html and 'name="check"' in html and 'name="cast"' in html
    html = _vote(browser, heading.id, {f"p{p}": "y" for p in _ids(heading)})  # all four: £13,000 > £10,000 is fine for approval
    assert RECEIPT_RE.search(html)
    assert len(db.session.execute(select(BudgetBallot).where(BudgetBallot.heading_id == heading.id)).scalar_one().choices) == 4


def test_k_approval_refuses_too_many(browser):  # type: ignore[no-untyped-def]
    _, heading = make_budget(ballot_type=BallotType.K_APPROVAL, max_choices=2)
    voter = make_user(postcode="PE13 1AG")
    browser.sign_in(voter.email, PASSWORD)
    a, b, c, _d = _ids(heading)
    html = _vote(browser, heading.id, {f"p{a}": "y", f"p{b}": "y", f"p{c}": "y"}, button="check")
    assert "You chose 3 projects. You can choose up to 2." in html and "3 projects chosen" in html
    html = _vote(browser, heading.id, {f"p{a}": "y", f"p{b}": "y", f"p{c}": "y"})
    assert "You chose 3 projects" in html and not RECEIPT_RE.search(html)
    assert _count(heading) == 0
    assert RECEIPT_RE.search(_vote(browser, heading.id, {f"p{a}": "y", f"p{c}": "y"}))
    assert _count(heading) == 1


def test_knapsack_refuses_over_budget(browser):  # type: ignore[no-untyped-def]
    _, heading = make_budget(ballot_type=BallotType.KNAPSACK)
    voter = make_user(postcode="PE13 1AG")
    browser.sign_in(voter.email, PASSWORD)
    a, b, c, d = _ids(heading)  # 4,000 3,000 5,000 1,000 of 10,000
    html = _vote(browser, heading.id, {f"p{a}": "y", f"p{b}": "y", f"p{c}": "y"})
    assert "Your choices cost £12,000.00, which is £2,000.00 more than the £10,000.00 available." in html
    assert _count(heading) == 0
    html = _vote(browser, heading.id, {f"p{a}": "y", f"p{c}": "y", f"p{d}": "y"})
    assert RECEIPT_RE.search(html)


def test_cumulative_points(browser):  # type: ignore[no-untyped-def]
    _, heading = make_budget(ballot_type=BallotType.CUMULATIVE, max_points=10)
    voter = make_user(postcode="PE13 1AG")
    browser.sign_in(voter.email, PASSWORD)
    a, b, c, _d = _ids(heading)
    html = browser.get(f"/budgets/headings/{heading.id}/ballot").get_data(as_text=True)
    assert 'type="number"' in html and "Points for Play area (costs £4,000.00)" in html
    html = _vote(browser, heading.id, {f"p{a}": "6", f"p{b}": "5"}, button="check")
    assert "You gave 11 points. You can give up to 10." in html and "Points given: 11 of 10" in html
    html = _vote(browser, heading.id, {f"p{a}": "-1"})
    assert "There is a problem" in html and _count(heading) == 0
    html = _vote(browser, heading.id, {f"p{a}": "6", f"p{c}": "4"})
    assert RECEIPT_RE.search(html)
    ballot = db.session.execute(select(BudgetBallot).where(BudgetBallot.heading_id == heading.id)).scalar_one()
    assert {(ch.project_id, ch.points) for ch in ballot.choices} == {(a, 6), (c, 4)}
    page = browser.get(f"/budgets/headings/{heading.id}/ballot").get_data(as_text=True)
    assert re.search(rf'id="p{a}"[^>]*value="6"|value="6"[^>]*id="p{a}"', page)


def test_eligibility_home_place_and_ancestors_only(app):  # type: ignore[no-untyped-def]
    from app.budgets.policy import vote_refusal

    _, county = make_budget(place_code=CAMBRIDGESHIRE, title="County fund")
    _, south = make_budget(place_code=SOUTH_CAMBS, title="South fund")
    wisbech = make_user(postcode="PE13 1AG")  # Wisbech parish < Wisbech East < Fenland < Cambridgeshire
    nowhere = make_user()
    assert vote_refusal(wisbech, county) is None
    assert "Your home area, Wisbech, is not in it" in vote_refusal(wisbech, south)
    assert "Add your home postcode" in vote_refusal(nowhere, county)
    assert "Sign in to vote" in vote_refusal(None, county)
    with pytest.raises(DomainError, match="is not in it"):
        services.cast_ballot(db.session, wisbech, south, {south.projects[0].id: 1})


def test_closed_phase_refuses_and_replacing_keeps_one_ballot(browser):  # type: ignore[no-untyped-def]
    process, heading = make_budget()
    voter = make_user(postcode="PE13 1AG")
    a, b, *_ = _ids(heading)
    first = services.cast_ballot(db.session, voter, heading, {a: 1})
    db.session.commit()
    second = services.cast_ballot(db.session, voter, heading, {b: 1})
    db.session.commit()
    assert first != second
    ballot = db.session.execute(select(BudgetBallot).where(BudgetBallot.heading_id == heading.id)).scalar_one()
    assert [c.project_id for c in ballot.choices] == [b] and ballot.replaced_count == 1
    assert ballot.receipt_hash == services.receipt_hash(second.lower().replace("-", " "))
    # the database, not only Python, refuses a second row for the same voter
    with pytest.raises(IntegrityError):
        with db.session.begin_nested():
            db.session.add(BudgetBallot(heading_id=heading.id, token=ballot.token))
            db.session.flush()
    db.session.rollback()
    advance(process, Phase.REVIEWING_BALLOTS)
    with pytest.raises(DomainError, match="Voting is not open"):
        services.cast_ballot(db.session, voter, heading, {a: 1})
    browser.sign_in(voter.email, PASSWORD)
    page = browser.get(f"/budgets/headings/{heading.id}/ballot").get_data(as_text=True)
    assert "Voting is not open for this budget" in page and 'name="cast"' not in page


def test_racing_insert_retries_as_an_update(app, monkeypatch):  # type: ignore[no-untyped-def]
    """The replace path taken when the voter's ballot appeared after we looked for it: the INSERT … ON CONFLICT
    DO NOTHING inserts nothing (no error, no SAVEPOINT) and the cast becomes an update of that row."""
    _, heading = make_budget()
    voter = make_user(postcode="PE13 1AG")
    a, b, *_ = _ids(heading)
    services.cast_ballot(db.session, voter, heading, {a: 1})
    db.session.commit()
    real = services.ballots._locked_ballot
    calls = []

    def blind_first_time(session, heading_id, token):  # type: ignore[no-untyped-def]
        calls.append(1)
        return None if len(calls) == 1 else real(session, heading_id, token)

    monkeypatch.setattr(services.ballots, "_locked_ballot", blind_first_time)
    services.cast_ballot(db.session, voter, heading, {b: 1})
    db.session.commit()
    assert len(calls) == 2
    ballot = db.session.execute(select(BudgetBallot).where(BudgetBallot.heading_id == heading.id)).scalar_one()
    assert [c.project_id for c in ballot.choices] == [b]


def test_a_mark_made_after_the_look_up_makes_the_cast_a_replacement(app, monkeypatch):  # type: ignore[no-untyped-def]
    """Another cast of the voter's committed its mark between our look-up of the register and our insert: the
    mark's INSERT … ON CONFLICT DO NOTHING inserts nothing, and the cast replaces that ballot (one mark, one
    ballot, the old receipt kept as replaced)."""
    _, heading = make_budget()
    voter = make_user(postcode="PE13 1AG")
    a, b, *_ = _ids(heading)
    first = services.cast_ballot(db.session, voter, heading, {a: 1})
    db.session.commit()
    monkeypatch.setattr(services.ballots, "_marks_in_budget", lambda session, heading, voter_id: [])
    services.cast_ballot(db.session, voter, heading, {b: 1})
    db.session.commit()
    assert db.session.scalar(select(func.count()).select_from(BudgetRegister).where(BudgetRegister.heading_id == heading.id)) == 1
    ballot = db.session.execute(select(BudgetBallot).where(BudgetBallot.heading_id == heading.id)).scalar_one()
    assert [c.project_id for c in ballot.choices] == [b] and ballot.replaced_count == 1
    assert services.check_receipt(db.session, first).replaced_at is not None


def test_a_paper_mark_made_after_the_look_up_refuses_the_cast(app, monkeypatch):  # type: ignore[no-untyped-def]
    officer = make_user(Role.OFFICER)
    _, heading = make_budget()
    voter = make_user(postcode="PE13 1AG")
    a, *_ = _ids(heading)
    services.issue_paper(db.session, officer, heading, voter)
    db.session.commit()
    monkeypatch.setattr(services.ballots, "_marks_in_budget", lambda session, heading, voter_id: [])
    with pytest.raises(DomainError, match="paper ballot"):
        services.cast_ballot(db.session, voter, heading, {a: 1})
    db.session.rollback()
    assert db.session.scalar(select(func.count()).select_from(BudgetBallot).where(BudgetBallot.heading_id == heading.id)) == 0


def test_fifty_concurrent_casts_leave_one_ballot(app):  # type: ignore[no-untyped-def]
    if db.engine.dialect.name != "postgresql":
        pytest.skip("SQLite serialises writers on one file, so casts cannot truly race; "
                    "the replace-after-conflict path is tested in test_racing_insert_retries_as_an_update")
    _, heading = make_budget()
    voter = make_user(postcode="PE13 1AG")
    ids = _ids(heading)
    heading_id, voter_id = heading.id, voter.id
    barrier = threading.Barrier(50)
    errors: list[BaseException] = []
    codes: list[str] = []

    def cast(i: int) -> None:
        with app.app_context():
            try:
                barrier.wait(timeout=30)  # start together; connections are taken after (the pool holds 15)
                h = db.session.get(BudgetHeading, heading_id)
                v = db.session.get(User, voter_id)
                codes.append(services.cast_ballot(db.session, v, h, {ids[i % len(ids)]: 1}))
                db.session.commit()
            except BaseException as exc:  # noqa: BLE001 - reported below
                db.session.rollback()
                errors.append(exc)
            finally:
                db.session.remove()

    threads = [threading.Thread(target=cast, args=(i,)) for i in range(50)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert errors == []
    assert len(codes) == 50
    db.session.expire_all()
    ballots = list(db.session.execute(select(BudgetBallot).where(BudgetBallot.heading_id == heading_id)).scalars())
    assert len(ballots) == 1
    assert len(ballots[0].choices) == 1 and ballots[0].replaced_count == 49
    # the last committed cast is the one whose receipt is on the row; the 49 others say they were replaced
    statuses = [services.check_receipt(db.session, c) for c in codes]
    assert sum(s is not None and s.replaced_at is None for s in statuses) == 1
    assert sum(s is not None and s.replaced_at is not None for s in statuses) == 49


@pytest.mark.parametrize("kind", list(BallotType))
def test_double_submit_wrong_place_and_closed_vote_for_each_ballot_type(browser, kind):  # type: ignore[no-untyped-def]
    """The same page sent twice (a double click, or the back button) is recorded once; replacing is a step of
    its own; someone from elsewhere and anyone after the close are refused, through the page, whatever the
    ballot type."""
    process, heading = make_budget(ballot_type=kind, max_choices=2 if kind is BallotType.K_APPROVAL else None,
                                   max_points=10 if kind is BallotType.CUMULATIVE else None)
    url = f"/budgets/headings/{heading.id}/ballot"
    a, b, *_ = _ids(heading)
    mark = "3" if kind is BallotType.CUMULATIVE else "y"
    outsider = make_user(postcode="CB23 6AA")  # Cambourne, South Cambridgeshire
    browser.sign_in(outsider.email, PASSWORD)
    page = browser.get(url).get_data(as_text=True)
    assert "is not in it" in page and 'name="cast"' not in page
    html = browser.client.post(url, data={"csrf_token": csrf_from(page), f"p{a}": mark, "cast": "1"}).get_data(as_text=True)
    assert "is not in it" in html and not RECEIPT_RE.search(html) and _count(heading) == 0
    browser.sign_out()

    voter = make_user(postcode="PE13 1AG")
    browser.sign_in(voter.email, PASSWORD)
    page = browser.get(url).get_data(as_text=True)
    data = {"csrf_token": csrf_from(page), "once_token": _once(page), f"p{a}": mark, f"p{b}": mark, "cast": "1"}
    first = RECEIPT_RE.search(browser.client.post(url, data=data).get_data(as_text=True))
    # the same form sent again (a double click, "resend") is acted on once: it shows the first result
    again = browser.client.post(url, data=data, follow_redirects=True).get_data(as_text=True)
    assert first and not RECEIPT_RE.search(again) and "already been sent" in again
    assert _count(heading) == 1 and services.check_receipt(db.session, first.group(1)).replaced_at is None
    # replacing it deliberately: a new form, the old and new choices side by side, then confirmed
    page = browser.get(url).get_data(as_text=True)
    data = {"csrf_token": csrf_from(page), "once_token": _once(page), f"p{a}": mark, "cast": "1"}
    step = browser.client.post(url, data=data).get_data(as_text=True)
    assert "Replace your ballot?" in step and not RECEIPT_RE.search(step) and _count(heading) == 1
    done = browser.client.post(url, data={**data, "confirm": "1"}).get_data(as_text=True)
    second = RECEIPT_RE.search(done)
    assert second and first.group(1) != second.group(1) and "replaces your earlier ballot" in done
    assert _count(heading) == 1
    assert services.check_receipt(db.session, first.group(1)).replaced_at is not None
    assert services.check_receipt(db.session, second.group(1)).replaced_at is None
    data = {**data, f"p{b}": mark}

    advance(process, Phase.REVIEWING_BALLOTS)
    html = browser.client.post(url, data={**data, f"p{b}": ""}).get_data(as_text=True)
    assert "Voting is not open for this budget" in html and not RECEIPT_RE.search(html)
    ballot = db.session.execute(select(BudgetBallot).where(BudgetBallot.heading_id == heading.id)).scalar_one()
    assert [c.project_id for c in ballot.choices] == [a]


def test_guards_read_the_phase_afresh_when_another_officer_has_moved_it(app):  # type: ignore[no-untyped-def]
    """A request loads the process early; if another officer closes the vote before this request casts a
    ballot, accepts a paper batch or adds a project, the guard must see the new phase, not the copy loaded."""
    from sqlalchemy.orm import Session
    from sqlalchemy.orm.attributes import set_committed_value

    from app.auth.models import Role
    from app.budgets.models import BudgetProcess

    process, heading = make_budget()
    voter = make_user(postcode="PE13 1AG")
    a, b = make_user(Role.OFFICER), make_user(Role.OFFICER)
    batch = services.create_batch(db.session, a, heading, 1, 1)
    row = [services.PaperRow({heading.projects[0].id: 1})]
    services.key_batch(db.session, a, batch, row)
    services.key_batch(db.session, b, batch, row)
    issue_papers(heading, 1, a)
    assert heading.process.phase == Phase.BALLOTING.value  # loaded in this session: the copy a request holds

    with Session(db.engine) as other:  # another officer's request closes the vote, then setup is long gone
        services.advance_phase(other, None, other.get(BudgetProcess, process.id), Phase.REVIEWING_BALLOTS)
        other.commit()
    with pytest.raises(DomainError, match="Voting is not open"):
        services.cast_ballot(db.session, voter, heading, {heading.projects[0].id: 1})
    db.session.rollback()
    assert _count(heading) == 0

    with Session(db.engine) as other:  # the other officer accepts the paper batch, counts and publishes
        p = other.get(BudgetProcess, process.id)
        services.accept_batch(other, other.get(type(a), a.id), other.get(type(batch), batch.id))
        services.run_count(other, None, p.headings[0])
        services.advance_phase(other, None, p, Phase.FINISHED)
        other.commit()
    # a stale copy, as a request that loaded the process before the other officer finished it holds
    set_committed_value(heading.process, "phase", Phase.REVIEWING_BALLOTS.value)
    with pytest.raises(DomainError, match="only when voting has closed"):
        services.run_count(db.session, a, heading)
    db.session.rollback()
    set_committed_value(heading.process, "phase", Phase.REVIEWING_BALLOTS.value)
    with pytest.raises(DomainError, match="only while voting is open"):
        services.create_batch(db.session, a, heading, 2, 1)
    db.session.rollback()
    assert _count(heading) == 1  # the accepted paper ballot only


def test_ballot_page_says_how_to_become_able_to_vote(browser):  # type: ignore[no-untyped-def]
    _, heading = make_budget()
    url = f"/budgets/headings/{heading.id}/ballot"
    html = browser.get(url).get_data(as_text=True)
    assert "Sign in to vote." in html and f'href="/auth/sign-in?next=/budgets/headings/{heading.id}/ballot"' in html
    homeless = make_user()
    browser.sign_in(homeless.email, PASSWORD)
    html = browser.get(url).get_data(as_text=True)
    assert "Add your home postcode to your account" in html and 'href="/auth/account#postcode"' in html
    assert 'id="postcode"' in browser.get("/auth/account").get_data(as_text=True)


def test_closing_the_vote_while_ballots_are_cast(app):  # type: ignore[no-untyped-def]
    """Ten residents cast while an officer closes the vote: each cast either lands before the close or is
    refused with the plain reason; none is recorded after it (PostgreSQL threads)."""
    if db.engine.dialect.name != "postgresql":
        pytest.skip("SQLite serialises writers on one file; the phase is re-read under the lock in "
                    "test_guards_read_the_phase_afresh_when_another_officer_has_moved_it")
    from app.auth.models import Role
    from app.budgets.models import BudgetProcess

    process, heading = make_budget()
    people = [make_user(postcode="PE13 1AG") for _ in range(10)]  # each holds a connection: the pool has 15
    officer = make_user(Role.OFFICER)
    heading_id, process_id, officer_id = heading.id, process.id, officer.id
    project = heading.projects[0].id
    barrier = threading.Barrier(11)
    outcomes: list[str] = []

    def cast(i: int, voter_id: int) -> None:
        with app.app_context():
            try:
                h = db.session.get(BudgetHeading, heading_id)
                assert h is not None and h.process.phase == Phase.BALLOTING.value  # loaded before the close
                barrier.wait(timeout=30)
                time.sleep(0.015 * i)  # spread the casts around the moment of closing
                services.cast_ballot(db.session, db.session.get(User, voter_id), h, {project: 1})
                db.session.commit()
                outcomes.append("cast")
            except DomainError as exc:
                db.session.rollback()
                outcomes.append("refused" if "Voting is not open" in exc.message else exc.message)
            except BaseException as exc:  # noqa: BLE001 - reported by the assertion below
                db.session.rollback()
                outcomes.append(repr(exc))
            finally:
                db.session.remove()

    def close() -> None:
        with app.app_context():
            try:
                p = db.session.get(BudgetProcess, process_id)
                barrier.wait(timeout=30)
                services.advance_phase(db.session, db.session.get(User, officer_id), p, Phase.REVIEWING_BALLOTS)
                db.session.commit()
            finally:
                db.session.remove()

    threads = [threading.Thread(target=cast, args=(i, u.id)) for i, u in enumerate(people)] + [threading.Thread(target=close)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert set(outcomes) <= {"cast", "refused"} and len(outcomes) == 10, outcomes
    db.session.expire_all()
    closed = db.session.get(BudgetProcess, process_id)
    assert closed.phase == Phase.REVIEWING_BALLOTS.value
    cast_at = list(db.session.execute(select(BudgetRegister.marked_at).where(BudgetRegister.heading_id == heading_id)).scalars())
    assert len(cast_at) == outcomes.count("cast") == _count_ballots(heading_id)
    assert all(t <= closed.phase_changed_at for t in cast_at)


def test_a_resident_who_moves_during_the_vote_votes_for_one_home_area(browser):  # type: ignore[no-untyped-def]
    from app.auth.models import Role
    from tests.factories_budgets import FENLAND

    officer = make_user(Role.OFFICER)
    process, county = make_budget(place_code=CAMBRIDGESHIRE, phase=Phase.REVIEWING, title="County fund", actor=officer)
    districts = {}
    for code in (FENLAND, SOUTH_CAMBS):
        h = services.add_heading(db.session, officer, process, place(code), "", 1_000_00)
        services.add_pot(db.session, officer, h, "Grant", 1_000_00)
        services.add_project(db.session, officer, h, services.ProjectData(f"{code} benches", "", 500_00))
        districts[code] = h
    db.session.commit()
    advance(process, Phase.BALLOTING, officer)
    _, elsewhere = make_budget(place_code=SOUTH_CAMBS, title="Another budget")
    voter = make_user(postcode="PE13 1AG")  # Wisbech, Fenland
    services.cast_ballot(db.session, voter, districts[FENLAND], {districts[FENLAND].projects[0].id: 1})
    services.cast_ballot(db.session, voter, county, {county.projects[0].id: 1})
    db.session.commit()
    voter.home_place_id = place(SOUTH_CAMBS).id  # they move to South Cambridgeshire and update their postcode
    db.session.commit()
    south = districts[SOUTH_CAMBS]
    with pytest.raises(DomainError, match="You have already voted in Fenland in this budget, for an area you no longer live in."):
        services.cast_ballot(db.session, voter, south, {south.projects[0].id: 1})
    db.session.rollback()
    browser.sign_in(voter.email, PASSWORD)
    html = browser.get(f"/budgets/headings/{south.id}/ballot").get_data(as_text=True)
    assert "You have already voted in Fenland in this budget" in html and 'name="cast"' not in html
    # the county-wide heading is still theirs (a replacement), and other budgets are unaffected
    services.cast_ballot(db.session, voter, county, {county.projects[1].id: 1})
    services.cast_ballot(db.session, voter, elsewhere, {elsewhere.projects[0].id: 1})
    db.session.commit()
    assert _count(south) == 0 and _count(county) == 1 and _count(elsewhere) == 1


def test_heading_page_says_whether_you_have_voted(browser):  # type: ignore[no-untyped-def]
    _, heading = make_budget()
    voter = make_user(postcode="PE13 1AG")
    browser.sign_in(voter.email, PASSWORD)
    html = browser.get(f"/budgets/headings/{heading.id}").get_data(as_text=True)
    assert ">Vote</a>" in html and "You have voted here." not in html
    services.cast_ballot(db.session, voter, heading, {heading.projects[0].id: 1})
    db.session.commit()
    html = browser.get(f"/budgets/headings/{heading.id}").get_data(as_text=True)
    assert "You have voted here." in html and "See or change your vote" in html
