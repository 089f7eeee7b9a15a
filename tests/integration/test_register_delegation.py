"""Paper ballots and liquid delegation.  A paper ballot is not linked to its voter (ballot secrecy), so it cannot
carry delegated votes.  Before this rule the delegators of a delegate who voted on paper were resolved as
"delegated" to them: their votes silently vanished (the paper ballot counts 1), the close's audit counted them
as represented, their ranked backups were never tried and nobody told them.  Now delegations to a paper voter
are set aside in that heading: the votes go to a backup delegate who voted online, or are not cast (the
delegators count as not voting unless they vote themselves); the delegators are told when the paper is
issued, and the officer issuing it is told how many they are.  Nothing is counted twice and the figures add up:
online + paper + delegated + abstained == electorate."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import select

from app.auth.models import Role
from app.budgets import paper_notices, services
from app.budgets.models import Phase
from app.budgets.services.delegation import PAPER_DELEGATE, resolve_heading
from app.core.models import AuditEntry
from app.deliberation.models import Notification
from app.extensions import db
from tests.factories import PASSWORD, make_user
from tests.factories_budgets import advance, make_budget
from tests.factories_votes import cambs, delegate, offer, resident  # noqa: F401  (cambs is a fixture)

pytestmark = pytest.mark.usefixtures("cambs")


def _budget():  # type: ignore[no-untyped-def]
    return make_budget(projects=[("Bridge", 6_000_00), ("Hall", 6_000_00)], amount=10_000_00, seed=5)


def _vote(voter, heading, index: int) -> None:  # type: ignore[no-untyped-def]
    services.cast_ballot(db.session, voter, heading, {heading.projects[index].id: 1})
    db.session.commit()


def _issue(heading, voter, officer=None) -> services.PaperIssue:  # type: ignore[no-untyped-def]
    issued = services.issue_paper_ballot(db.session, officer or make_user(Role.OFFICER), heading, voter)
    db.session.commit()
    return issued


def _told(heading) -> set[int]:  # type: ignore[no-untyped-def]
    return set(db.session.execute(select(Notification.user_id).where(
        Notification.subject_type == paper_notices.SUBJECT, Notification.subject_id == heading.id)).scalars())


def _cast_by(heading, member) -> int:  # type: ignore[no-untyped-def]
    res, _voters = resolve_heading(db.session, heading)
    return int(res.result.cast_by[member.id])


def _close_and_count(process, heading, papers: int):  # type: ignore[no-untyped-def]
    """Close voting (which freezes the weights), key and accept ``papers`` paper ballots, count."""
    officer1, officer2 = make_user(Role.OFFICER), make_user(Role.OFFICER)
    advance(process, Phase.REVIEWING_BALLOTS)
    frozen = json.loads(db.session.execute(select(AuditEntry.data_json).where(
        AuditEntry.action == "budget.delegation_frozen")).scalars().all()[-1])["headings"][0]
    if papers:
        batch = services.create_batch(db.session, officer1, heading, 1, papers)
        rows = [services.PaperRow({heading.projects[1].id: 1})] * papers
        services.key_batch(db.session, officer1, batch, rows)
        services.key_batch(db.session, officer2, batch, rows)
        services.accept_batch(db.session, officer1, batch)
        db.session.commit()
    count = services.run_count(db.session, officer1, heading)
    db.session.commit()
    return frozen, count, json.loads(count.result_json)


def _adds_up(frozen: dict) -> None:
    assert frozen["direct"] + frozen["paper"] + frozen["delegated"] + frozen["abstained"] == frozen["electorate"]
    assert sum(frozen["uncast"].values()) <= frozen["abstained"]


def test_a_delegate_on_paper_carries_no_votes_and_their_delegators_are_told_and_count_as_not_voting():
    a1, a2, b, c = resident("A1"), resident("A2"), offer(resident("B")), resident("C")
    delegate(a1, b)
    delegate(a2, b)
    process, heading = _budget()
    _vote(c, heading, 0)
    assert services.carried_by(db.session, heading, b.id) == sorted([a1.id, a2.id])
    assert services.carried_by(db.session, heading, c.id) == []  # nobody delegates to C
    issued = _issue(heading, b)
    assert issued.delegators == 2 and issued.mark.voter_id == b.id
    assert _told(heading) == {a1.id, a2.id}  # not opt-in: it changes whether their vote counts
    assert _cast_by(heading, a1) == -1 and _cast_by(heading, a2) == -1 and _cast_by(heading, b) == b.id
    entry = db.session.execute(select(AuditEntry).where(AuditEntry.action == "budget.paper_issued")).scalars().all()[-1]
    assert json.loads(entry.data_json)["delegators"] == 2
    frozen, count, result = _close_and_count(process, heading, papers=1)
    assert (frozen["direct"], frozen["paper"], frozen["delegated"]) == (1, 1, 0)
    assert frozen["uncast"][PAPER_DELEGATE] == 2
    _adds_up(frozen)
    assert result["delegation"] == {"direct": 2, "delegated": 0, "carriers": 0}
    bridge, hall = (str(p.id) for p in heading.projects)
    assert result["votes"] == {bridge: 1, hall: 1}  # B's paper counts once, with nobody else's vote
    turnout = services.turnout(db.session, heading, count)
    assert turnout["represented"] == turnout["total"] == 2 and turnout["delegated"] == 0


def test_a_ranked_backup_who_voted_online_carries_the_vote_instead():
    a, b, k = resident("A"), offer(resident("B")), offer(resident("K"))
    delegate(a, b, k)  # B first, K as backup
    process, heading = _budget()
    _vote(k, heading, 0)
    assert _cast_by(heading, a) == k.id  # B has not voted yet: the backup applies
    _issue(heading, b)
    assert _told(heading) == {a.id}  # told all the same: B no longer carries it, and they may prefer to vote
    assert _cast_by(heading, a) == k.id  # not B (B counted as the carrier before this rule, and the vote was lost)
    frozen, _count, result = _close_and_count(process, heading, papers=1)
    assert services.ballot_of(db.session, k, heading).weight == 2
    assert (frozen["direct"], frozen["paper"], frozen["delegated"], frozen["uncast"][PAPER_DELEGATE]) == (1, 1, 1, 0)
    _adds_up(frozen)
    assert result["delegation"] == {"direct": 2, "delegated": 1, "carriers": 1}


def test_a_delegator_who_then_votes_counts_once_and_a_chain_through_a_paper_voter_stops_there():
    a, x, b, d = resident("A"), offer(resident("X")), offer(resident("B")), resident("D")
    delegate(a, x)
    delegate(x, b)  # A -> X -> B: X does not vote, B votes on paper
    delegate(d, b)
    process, heading = _budget()
    assert services.carried_by(db.session, heading, b.id) == sorted([a.id, x.id, d.id])
    _issue(heading, b)
    assert _told(heading) == {a.id, x.id, d.id}
    assert {_cast_by(heading, m) for m in (a, x, d)} == {-1}
    _vote(d, heading, 0)  # D reads the notice and votes online
    assert _cast_by(heading, d) == d.id
    frozen, _count, result = _close_and_count(process, heading, papers=1)
    assert services.ballot_of(db.session, d, heading).weight == 1
    assert (frozen["direct"], frozen["paper"], frozen["delegated"], frozen["uncast"][PAPER_DELEGATE]) == (1, 1, 0, 2)
    _adds_up(frozen)
    assert result["delegation"] == {"direct": 2, "delegated": 0, "carriers": 0}


def test_cancelling_the_paper_issue_lets_the_delegation_follow_an_online_vote_again():
    a, b = resident("A"), offer(resident("B"))
    delegate(a, b)
    process, heading = _budget()
    officer = make_user(Role.OFFICER)
    _issue(heading, b, officer)
    services.cancel_issue(db.session, officer, heading, b, "Spoilt: handed back")
    db.session.commit()
    _vote(b, heading, 0)  # B votes online after all
    assert _cast_by(heading, a) == b.id
    frozen, _count, result = _close_and_count(process, heading, papers=0)
    assert services.ballot_of(db.session, b, heading).weight == 2
    assert (frozen["direct"], frozen["paper"], frozen["delegated"]) == (1, 0, 1)
    _adds_up(frozen)


def test_the_officer_is_told_before_and_after_issuing_and_the_delegator_sees_the_notice(browser):  # type: ignore[no-untyped-def]
    from tests.conftest import csrf_from

    a1, a2 = resident("Ada Delegator"), resident("Alan Delegator")
    b = offer(make_user(postcode="PE15 8AH", name="Bridget Delegate"))
    plain = make_user(postcode="PE15 8AH", name="Bridget Plain")
    delegate(a1, b)
    delegate(a2, b)
    _, heading = _budget()
    officer = make_user(Role.OFFICER)
    browser.sign_in(officer.email, PASSWORD)
    url = f"/budgets/headings/{heading.id}/register"
    page = browser.get(url, query_string={"name": "bridget", "postcode": "pe15"}).get_data(as_text=True)
    assert page.count("votes go with this resident's as their delegate") == 1  # Bridget Delegate only
    assert "2 residents' votes go with this resident's as their delegate. A paper ballot cannot carry them" in page
    assert f'id="delegate-{b.id}"' in page and f'id="delegate-{plain.id}"' not in page
    done = browser.client.post(f"/budgets/headings/{heading.id}/register/{b.id}/issue",
                               data={"csrf_token": csrf_from(page), "channel": "paper"}, follow_redirects=True).get_data(as_text=True)
    assert "Paper ballot issued to Bridget Delegate" in done
    assert "so the 2 residents whose votes they would have carried have been told to vote themselves" in done
    browser.sign_out()
    browser.sign_in(a1.email, PASSWORD)
    notices = browser.get("/deliberation/notifications").get_data(as_text=True)
    assert "Your delegate voted on paper in" in notices and f"/budgets/headings/{heading.id}/ballot" in notices
