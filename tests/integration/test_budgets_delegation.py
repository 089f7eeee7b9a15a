"""Delegation in budgets: a resident who casts no ballot in a heading is represented by their delegate for that
place (or for everything) if the delegate voted online there.  The weights are resolved at the close of voting
and stored on the ballots, so the count, the results page and the recount file all carry them."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import select

from app.auth.models import Role
from app.budgets import services
from app.budgets.models import Phase
from app.core.models import AuditEntry
from app.delegation import services as delegation
from app.delegation.models import ScopeKind
from app.deliberation.models import Notification
from app.extensions import db
from tests.factories import PASSWORD, make_user
from tests.factories_budgets import SOUTH_CAMBS, advance, issue_papers, make_budget, place
from tests.factories_votes import cambs, delegate, offer, resident  # noqa: F401  (cambs is a fixture)

pytestmark = pytest.mark.usefixtures("cambs")

PROJECTS = [("Bridge", 6_000_00), ("Hall", 6_000_00)]


def _budget():  # type: ignore[no-untyped-def]
    return make_budget(projects=PROJECTS, amount=10_000_00, seed=5)


def _vote(voter, heading, index: int) -> str:  # type: ignore[no-untyped-def]
    code = services.cast_ballot(db.session, voter, heading, {heading.projects[index].id: 1})
    db.session.commit()
    return code


def _weight(heading, voter) -> int:  # type: ignore[no-untyped-def]
    ballot = services.ballot_of(db.session, voter, heading)
    assert ballot is not None
    return ballot.weight


def _count(process, heading):  # type: ignore[no-untyped-def]
    advance(process, Phase.REVIEWING_BALLOTS)
    count = services.run_count(db.session, make_user(Role.OFFICER), heading)
    db.session.commit()
    return count, json.loads(count.result_json)


def test_delegated_votes_count_with_the_delegates_ballot():
    a1, a2 = resident("A1"), resident("A2")
    b = offer(resident("B"))
    c, d = resident("C"), resident("D")
    delegate(a1, b)
    delegate(a2, b, scope=delegation.Scope(ScopeKind.PLACE, place=place("E07000010")))  # Fenland: this heading's place
    process, heading = _budget()
    _vote(b, heading, 0)  # the Bridge: one ballot, three votes
    _vote(c, heading, 1)
    _vote(d, heading, 1)  # the Hall: two ballots, two votes
    count, result = _count(process, heading)
    bridge, hall = (str(p.id) for p in heading.projects)
    assert _weight(heading, b) == 3 and _weight(heading, c) == 1
    assert result["votes"] == {bridge: 3, hall: 2} and result["selected"] == [bridge]
    assert result["delegation"] == {"direct": 3, "delegated": 2, "carriers": 1}
    assert count.online_ballots == 3  # turnout still counts ballots
    frozen = db.session.execute(select(AuditEntry).where(AuditEntry.action == "budget.delegation_frozen")).scalars().all()[-1]
    data = json.loads(frozen.data_json)
    assert data["delegations"] == 2 and len(data["graph_sha256"]) == 64
    assert data["headings"][0]["delegated"] == 2 and data["headings"][0]["direct"] == 3
    audit = json.loads(db.session.execute(select(AuditEntry).where(AuditEntry.action == "budget.count")).scalars().all()[-1].data_json)
    assert audit["delegated_votes"] == 2 and audit["ballots_carrying_delegated_votes"] == 1


def test_a_direct_ballot_overrides_the_delegation():
    a, b = resident("A"), offer(resident("B"))
    delegate(a, b)
    process, heading = _budget()
    _vote(b, heading, 0)
    _vote(a, heading, 1)
    _count_result = _count(process, heading)[1]
    assert _weight(heading, a) == 1 and _weight(heading, b) == 1
    assert _count_result["delegation"]["delegated"] == 0


def test_a_delegate_who_did_not_vote_passes_the_vote_on_along_the_chain_or_not_at_all():
    a, b, c = resident("A"), offer(resident("B")), offer(resident("C"))
    e, f = resident("E"), offer(resident("F"))  # F neither votes nor delegates: E's vote is not cast
    g, h, k = resident("G"), offer(resident("H")), offer(resident("K"))  # G ranks H then K; only K votes
    delegate(a, b)
    delegate(b, c)
    delegate(e, f)
    delegate(g, h, k)
    voter = resident("V")
    process, heading = _budget()
    _vote(c, heading, 0)
    _vote(k, heading, 1)
    _vote(voter, heading, 1)
    _c, result = _count(process, heading)
    assert _weight(heading, c) == 3  # C's own vote, B's, and A's through B
    assert _weight(heading, k) == 2  # the backup delegate carries G's vote
    assert result["delegation"] == {"direct": 3, "delegated": 3, "carriers": 2}
    headings = json.loads(db.session.execute(select(AuditEntry.data_json).where(AuditEntry.action == "budget.delegation_frozen")).scalars().all()[-1])["headings"]
    assert headings[0]["uncast"]["dead-end"] >= 1  # E's delegate neither voted nor passed it on


def test_only_delegations_for_the_headings_area_apply_and_paper_ballots_carry_none():
    a, b = resident("A"), offer(resident("B"))
    delegate(a, b, scope=delegation.Scope(ScopeKind.PLACE, place=place(SOUTH_CAMBS)))  # another district
    outsider = resident("O", postcode="CB23 6AA")  # lives outside Fenland: not in this heading's electorate
    delegate(outsider, b)
    process, heading = _budget()
    _vote(b, heading, 0)
    officer1, officer2 = make_user(Role.OFFICER), make_user(Role.OFFICER)
    advance(process, Phase.REVIEWING_BALLOTS)
    batch = services.create_batch(db.session, officer1, heading, 1, 1)
    row = [services.PaperRow({heading.projects[1].id: 1})]
    services.key_batch(db.session, officer1, batch, row)
    services.key_batch(db.session, officer2, batch, row)
    issue_papers(batch.heading, batch.size)
    services.accept_batch(db.session, officer1, batch)
    db.session.commit()
    count = services.run_count(db.session, officer1, heading)
    result = json.loads(count.result_json)
    assert _weight(heading, b) == 1
    assert result["delegation"] == {"direct": 2, "delegated": 0, "carriers": 0}


def test_the_weights_are_frozen_at_the_close_and_reopening_voting_resolves_them_again():
    a, b, c = resident("A"), offer(resident("B")), resident("C")
    delegate(a, b)
    process, heading = _budget()
    _vote(b, heading, 0)
    _vote(c, heading, 1)
    officer = make_user(Role.OFFICER)
    advance(process, Phase.REVIEWING_BALLOTS)
    assert _weight(heading, b) == 2
    delegation.revoke(db.session, a, ScopeKind.GLOBAL, 0)  # after the close: changes nothing
    db.session.commit()
    first = services.run_count(db.session, officer, heading)
    db.session.commit()
    assert json.loads(first.result_json)["delegation"]["delegated"] == 1
    services.step_back(db.session, officer, process, "A polling station reported a power cut.")
    db.session.commit()
    assert _weight(heading, b) == 1  # voting is open again: nothing is delegated until the next close
    advance(process, Phase.REVIEWING_BALLOTS)
    assert _weight(heading, b) == 1  # A's revocation now applies
    assert services.count_is_stale(db.session, heading, first)


def test_the_recount_file_carries_the_weights_and_recounts_to_the_published_result(tmp_path):  # type: ignore[no-untyped-def]
    from app.tally.__main__ import main as tally_main
    from app.tally.formats import pabulib

    a1, a2, b = resident("Ada Lovelace"), resident("Alan Turing"), offer(resident("Barbara Liskov"))
    c, d = resident("Claude Shannon"), resident("Donald Knuth")
    delegate(a1, b)
    delegate(a2, b)
    process, heading = _budget()
    _vote(b, heading, 0)
    _vote(c, heading, 1)
    _vote(d, heading, 1)
    _count(process, heading)
    advance(process, Phase.FINISHED)
    published = services.published_count(db.session, heading)
    text = services.export_pabulib(db.session, heading, published)
    path = tmp_path / "delegated.pb"
    path.write_text(text, encoding="utf-8")
    pb = pabulib.read(path)
    assert "weight" in pb.vote_columns and sorted(b.weight for b in pb.election.ballots) == [1, 1, 3]
    assert pb.meta_dict["folkmoot_delegated_votes"] == "2" and pb.meta_dict["folkmoot_direct_votes"] == "3"
    assert pb.official_selected() == set(json.loads(published.result_json)["selected"]) == {str(heading.projects[0].id)}
    assert tally_main(["pb", str(path), "--check", "--seed", str(process.seed)]) == 0
    # no voter, receipt or delegate is named in the file
    for person in (a1, a2, b, c, d):
        assert person.display_name not in text and person.email not in text


def test_the_results_page_shows_direct_and_delegated_votes_without_naming_anyone(browser):  # type: ignore[no-untyped-def]
    a1, a2, b, c = resident("Alice Delegator"), resident("Amir Delegator"), offer(resident("Beatrice Delegate")), resident("Carl")
    delegate(a1, b)
    delegate(a2, b)
    process, heading = _budget()
    _vote(b, heading, 0)
    _vote(c, heading, 1)
    _count(process, heading)
    advance(process, Phase.FINISHED)
    page = browser.get(f"/budgets/headings/{heading.id}/results").get_data(as_text=True)
    assert "Direct and delegated votes" in page and "Votes counted, direct and delegated" in page
    assert "2 votes were cast that way" in page and "1 ballot carried delegated votes" in page
    for name in ("Alice Delegator", "Amir Delegator", "Beatrice Delegate"):
        assert name not in page
    import re

    cells = re.findall(r'<th scope="row">([^<]+)</th><td class="num">([^<]+)</td>', page)
    figures = {label.split(":")[0]: value for label, value in cells}
    assert figures["Direct"] == "2" and figures["Delegated"] == "2" and figures["Total votes counted"] == "4"


def test_delegators_who_opted_in_hear_that_their_delegate_voted(browser):  # type: ignore[no-untyped-def]
    a, quiet, b = resident("A"), resident("Q"), offer(resident("B"))
    delegate(a, b)
    delegate(quiet, b)
    delegation.update_prefs(db.session, a, True, False, False)
    db.session.commit()
    process, heading = _budget()
    _vote(b, heading, 0)
    _vote(b, heading, 1)  # replacing the ballot does not tell them twice
    told = db.session.execute(select(Notification.user_id).where(Notification.subject_type == "budget_delegate",
                                                                  Notification.subject_id == heading.id)).scalars().all()
    assert told == [a.id]
    browser.sign_in(a.email, PASSWORD)
    page = browser.get("/deliberation/notifications").get_data(as_text=True)
    assert "Your delegate voted in" in page
    assert "Bridge" not in page and "Hall" not in page  # it says that the delegate voted, not how


def test_where_my_vote_goes_lists_open_budget_headings(browser):  # type: ignore[no-untyped-def]
    a, b = resident("Alma"), offer(resident("Bertram Delegate"))
    delegate(a, b)
    _process, heading = _budget()
    _vote(b, heading, 0)
    browser.sign_in(a.email, PASSWORD)
    page = browser.get("/delegation/where").get_data(as_text=True)
    assert f"Test Community Fund: {heading.name}" in page and f'href="/budgets/headings/{heading.id}"' in page
    assert "Bertram Delegate" in page  # the chain names the delegate the member chose, as for a vote
