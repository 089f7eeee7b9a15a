"""The marked register: one person, one ballot, across online, paper and assisted voting.

Online then paper is refused, paper then online is refused, a spoilt paper issue is cancelled (audited) and
reissued, a batch larger than the papers issued is refused, an online vote can still be replaced, and an
online cast racing a paper issue for one resident on PostgreSQL leaves exactly one mark and at most one ballot.
"""

from __future__ import annotations

import threading

import pytest
from sqlalchemy import func, select

from app.auth.models import Role, User
from app.budgets import queries, services
from app.budgets.models import (
    BallotChannel,
    BudgetBallot,
    BudgetHeading,
    BudgetRegister,
    Phase,
    RegisterCancellation,
)
from app.core.errors import DomainError
from app.core.models import AuditEntry
from app.extensions import db
from app.voting import queries as vote_queries
from app.voting import services as vote_services
from tests.factories import PASSWORD, make_user
from tests.factories_budgets import advance, cambs, issue_papers, make_budget  # noqa: F401  (cambs is a fixture)

pytestmark = pytest.mark.usefixtures("cambs")


def _marks(heading_id: int) -> list[tuple[int, str]]:
    return [tuple(r) for r in db.session.execute(  # type: ignore[misc]
        select(BudgetRegister.voter_id, BudgetRegister.channel).where(BudgetRegister.heading_id == heading_id)).all()]


def _ballots(heading_id: int) -> int:
    return db.session.execute(select(func.count(BudgetBallot.id)).where(BudgetBallot.heading_id == heading_id)).scalar_one()


def test_online_then_paper_is_refused_with_the_reason_and_online_can_still_be_replaced(app):  # type: ignore[no-untyped-def]
    _, heading = make_budget()
    voter, officer = make_user(postcode="PE13 1AG"), make_user(Role.OFFICER)
    a, b = heading.projects[0].id, heading.projects[1].id
    services.cast_ballot(db.session, voter, heading, {a: 1})
    db.session.commit()
    assert _marks(heading.id) == [(voter.id, "online")]
    with pytest.raises(DomainError, match="already voted online"):
        services.issue_paper(db.session, officer, heading, voter)
    db.session.rollback()
    services.cast_ballot(db.session, voter, heading, {b: 1})  # replaced until close
    db.session.commit()
    assert _marks(heading.id) == [(voter.id, "online")] and _ballots(heading.id) == 1
    assert [c.project_id for c in services.ballot_of(db.session, voter, heading).choices] == [b]


def test_paper_then_online_is_refused_and_the_ballot_page_says_why(browser):  # type: ignore[no-untyped-def]
    _, heading = make_budget()
    voter, officer = make_user(postcode="PE13 1AG"), make_user(Role.OFFICER)
    services.issue_paper(db.session, officer, heading, voter)
    db.session.commit()
    with pytest.raises(DomainError, match="issued a paper ballot"):
        services.cast_ballot(db.session, voter, heading, {heading.projects[0].id: 1})
    db.session.rollback()
    assert _ballots(heading.id) == 0 and _marks(heading.id) == [(voter.id, "paper")]
    browser.sign_in(voter.email, PASSWORD)
    page = browser.get(f"/budgets/headings/{heading.id}/ballot").get_data(as_text=True)
    assert "You were issued a paper ballot for this vote" in page and "cannot vote online" in page
    assert 'name="cast"' not in page
    # a second paper for the same resident is refused too
    with pytest.raises(DomainError, match="already issued a paper ballot"):
        services.issue_paper(db.session, make_user(Role.OFFICER), heading, voter)


def test_a_spoilt_paper_issue_is_cancelled_with_a_reason_and_reissued(app):  # type: ignore[no-untyped-def]
    _, heading = make_budget()
    voter, officer = make_user(postcode="PE13 1AG"), make_user(Role.OFFICER)
    services.issue_paper(db.session, officer, heading, voter, BallotChannel.ASSISTED)
    db.session.commit()
    with pytest.raises(DomainError, match="Give the reason"):
        services.cancel_issue(db.session, officer, heading, voter, "  ")
    services.cancel_issue(db.session, officer, heading, voter, "Torn at the counter and handed back")
    db.session.commit()
    assert _marks(heading.id) == []
    kept = db.session.execute(select(RegisterCancellation)).scalar_one()
    assert (kept.voter_id, kept.cancelled_by_id, kept.channel, kept.reason) == (voter.id, officer.id, "assisted", "Torn at the counter and handed back")
    entry = db.session.execute(select(AuditEntry).where(AuditEntry.action == "budget.paper_issue_cancelled")).scalar_one()
    assert "Torn at the counter" in entry.data_json
    services.issue_paper(db.session, officer, heading, voter)
    db.session.commit()
    assert _marks(heading.id) == [(voter.id, "paper")]
    # an online mark is not an issue an officer can cancel
    online = make_user(postcode="PE13 1AG")
    services.cast_ballot(db.session, online, heading, {heading.projects[0].id: 1})
    with pytest.raises(DomainError, match="no paper ballot issue"):
        services.cancel_issue(db.session, officer, heading, online, "mistake")


def test_a_batch_larger_than_the_papers_issued_is_refused(app):  # type: ignore[no-untyped-def]
    _, heading = make_budget()
    a, b = make_user(Role.OFFICER), make_user(Role.OFFICER)
    for resident in (make_user(postcode="PE13 1AG"), make_user(postcode="PE13 2NN")):
        services.issue_paper(db.session, a, heading, resident)
    batch = services.create_batch(db.session, a, heading, 1, 3)
    rows = [services.PaperRow({heading.projects[0].id: 1}), services.PaperRow({}), services.PaperRow({}, spoilt=True)]
    services.key_batch(db.session, a, batch, rows)
    services.key_batch(db.session, b, batch, rows)
    db.session.commit()
    with pytest.raises(DomainError, match=r"more papers \(3\) than .* \(2 of 2 issued\)"):
        services.accept_batch(db.session, a, batch)
    db.session.rollback()
    assert _ballots(heading.id) == 0
    services.issue_paper(db.session, a, heading, make_user(postcode="PE15 8AH"))
    assert services.accept_batch(db.session, a, batch) == 3
    db.session.commit()
    # nothing is left for a further batch
    second = services.create_batch(db.session, a, heading, 2, 1)
    services.key_batch(db.session, a, second, rows[:1])
    services.key_batch(db.session, b, second, rows[:1])
    with pytest.raises(DomainError, match=r"\(0 of 3 issued\)"):
        services.accept_batch(db.session, a, second)
    db.session.rollback()
    # and an issue whose paper may already be in an accepted batch cannot be cancelled
    some = db.session.execute(select(BudgetRegister).where(BudgetRegister.heading_id == heading.id)).scalars().first()
    with pytest.raises(DomainError, match="already in an accepted batch"):
        services.cancel_issue(db.session, a, heading, db.session.get(User, some.voter_id), "lost")


def test_paper_voters_do_not_also_count_through_a_delegate(app):  # type: ignore[no-untyped-def]
    from tests.factories_votes import delegate, offer

    process, heading = make_budget()
    officer = make_user(Role.OFFICER)
    carrier = offer(make_user(postcode="PE13 1AG"))
    on_paper, silent = make_user(postcode="PE13 1AG"), make_user(postcode="PE13 2NN")
    delegate(on_paper, carrier)
    delegate(silent, carrier)
    services.cast_ballot(db.session, carrier, heading, {heading.projects[0].id: 1})
    services.issue_paper(db.session, officer, heading, on_paper)  # votes on paper themself: overrides the delegation
    db.session.commit()
    advance(process, Phase.REVIEWING_BALLOTS)
    assert services.ballot_of(db.session, carrier, heading).weight == 2  # own vote and the silent member's only


def test_officer_pages_find_issue_refuse_and_cancel(browser):  # type: ignore[no-untyped-def]
    _, heading = make_budget()
    officer = make_user(Role.OFFICER)
    paper = make_user(postcode="PE13 1AG", name="Margaret Paperwright")
    paper.poll_card_number = "FEN-00123"
    online = make_user(postcode="PE13 2NN", name="Oliver Onliner")
    services.cast_ballot(db.session, online, heading, {heading.projects[0].id: 1})
    db.session.commit()
    url = f"/budgets/headings/{heading.id}/register"
    # residents and the public never see the register
    browser.sign_in(online.email, PASSWORD)
    assert browser.get(url).status_code == 403
    browser.sign_out()
    assert browser.get(url).status_code in (302, 403)
    public = browser.get(f"/budgets/headings/{heading.id}").get_data(as_text=True)
    assert "Oliver Onliner" not in public
    browser.sign_in(officer.email, PASSWORD)
    html = browser.get(url, query_string={"poll_card": "fen-00123"}).get_data(as_text=True)
    assert "Margaret Paperwright" in html and "Not marked" in html
    html = browser.get(url, query_string={"name": "oliver", "postcode": "pe13"}).get_data(as_text=True)
    assert "Oliver Onliner" in html and "Voted online: no paper ballot" in html
    html = browser.get(url, query_string={"name": "oliver"}).get_data(as_text=True)
    assert "There is a problem" in html and "start of their postcode" in html
    page = browser.get(url, query_string={"poll_card": "FEN-00123"}).get_data(as_text=True)
    from tests.conftest import csrf_from

    done = browser.client.post(f"/budgets/headings/{heading.id}/register/{paper.id}/issue",
                               data={"csrf_token": csrf_from(page), "channel": "paper"}, follow_redirects=True).get_data(as_text=True)
    assert "Paper ballot issued to Margaret Paperwright" in done and "Margaret Paperwright" in done
    refused = browser.client.post(f"/budgets/headings/{heading.id}/register/{online.id}/issue",
                                  data={"csrf_token": csrf_from(page), "channel": "paper"}, follow_redirects=True)
    assert refused.status_code == 200 and "already voted online" in refused.get_data(as_text=True)
    cancel_url = f"/budgets/headings/{heading.id}/register/{paper.id}/cancel"
    html = browser.submit(cancel_url, {"reason": ""}).get_data(as_text=True)
    assert "There is a problem" in html and "Give the reason" in html
    html = browser.submit(cancel_url, {"reason": "Spoilt: ticked too many and handed back"}).get_data(as_text=True)
    assert "is cancelled" in html and "Spoilt: ticked too many" in html
    assert _marks(heading.id) == [(online.id, "online")]


def test_turnout_counts_by_channel_for_committee_packs(app):  # type: ignore[no-untyped-def]
    from tests.factories_votes import make_vote, resident

    _, heading = make_budget()
    services.cast_ballot(db.session, make_user(postcode="PE13 1AG"), heading, {heading.projects[0].id: 1})
    issue_papers(heading, 2)
    assert queries.register_counts_by_channel(db.session, [heading.id, 999_999]) == {heading.id: {"online": 1, "paper": 2}, 999_999: {}}
    vote = make_vote()
    officer = make_user(Role.OFFICER)
    vote_services.cast_ballot(db.session, resident(), vote, {vote.options[0].id: 1})
    vote_services.cast_assisted(db.session, officer, resident("Assisted"), vote, {vote.options[1].id: 1})
    db.session.commit()
    assert vote_queries.register_counts_by_channel(db.session, [vote.id]) == {vote.id: {"online": 1, "assisted": 1}}


def test_concurrent_online_cast_and_paper_issue_leave_exactly_one(app):  # type: ignore[no-untyped-def]
    if db.engine.dialect.name != "postgresql":
        pytest.skip("SQLite serialises writers on one file, so an online cast and a paper issue cannot truly race; "
                    "run with TEST_DATABASE_URL=postgresql://… (the unique register mark is the guard either way)")
    _, heading = make_budget()
    officer = make_user(Role.OFFICER)
    people = [make_user(postcode="PE13 1AG") for _ in range(8)]
    heading_id, officer_id, project = heading.id, officer.id, heading.projects[0].id
    outcomes: dict[tuple[int, str], str] = {}
    errors: list[BaseException] = []
    barrier = threading.Barrier(2 * len(people))

    def run(voter_id: int, how: str) -> None:
        with app.app_context():
            try:
                barrier.wait(timeout=30)
                h = db.session.get(BudgetHeading, heading_id)
                v = db.session.get(User, voter_id)
                if how == "online":
                    services.cast_ballot(db.session, v, h, {project: 1})
                else:
                    services.issue_paper(db.session, db.session.get(User, officer_id), h, v)
                db.session.commit()
                outcomes[(voter_id, how)] = "ok"
            except DomainError:
                db.session.rollback()
                outcomes[(voter_id, how)] = "refused"
            except BaseException as exc:  # noqa: BLE001 - reported below
                db.session.rollback()
                errors.append(exc)
            finally:
                db.session.remove()

    threads = [threading.Thread(target=run, args=(p.id, how)) for p in people for how in ("online", "paper")]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert errors == []
    db.session.expire_all()
    marks = dict(_marks(heading_id))
    for p in people:
        won = [how for how in ("online", "paper") if outcomes.get((p.id, how)) == "ok"]
        assert len(won) == 1, (p.id, outcomes)
        assert marks[p.id] == won[0]
        ballot = services.ballot_of(db.session, p, db.session.get(BudgetHeading, heading_id))
        assert (ballot is not None) is (won[0] == "online")
    online = sum(1 for p in people if marks[p.id] == "online")
    assert _ballots(heading_id) == online and len(marks) == len(people)
