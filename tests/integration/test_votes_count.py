"""Counting with delegation: chains, cycles, a direct vote overriding a delegation, ineligible delegates,
revocation before and after the close, the snapshot, the weight cap, and weight conservation."""

from __future__ import annotations

import json

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from app.delegation import services as delegation
from app.delegation.models import ScopeKind
from app.extensions import db
from app.voting import counting
from app.voting.models import DelegationSnapshot, VoteState
from tests.factories_votes import (
    OUTSIDE_POSTCODE,
    cambs,  # noqa: F401
    cast,
    close,
    delegate,
    make_vote,
    offer,
    resident,
)

pytestmark = pytest.mark.usefixtures("cambs")


def _figures(count) -> dict:  # type: ignore[no-untyped-def]
    return json.loads(count.figures_json)


def _first_round(count) -> dict:  # type: ignore[no-untyped-def]
    return json.loads(count.result_json)["rounds"][0]["votes"]


def test_a_chain_of_three_carries_every_vote_to_the_delegate_who_voted():
    a, b, c, d = resident("A"), offer(resident("B")), offer(resident("C")), offer(resident("D"))
    delegate(a, b)
    delegate(b, c)
    delegate(c, d)
    vote = make_vote()
    cast(d, vote, "Bus shelter", "Play area")
    count = close(vote)
    figures = _figures(count)
    assert _first_round(count)["Bus shelter"] == 4
    assert figures["direct"] == 1 and figures["delegated"] == 3 and figures["counted_weight"] == 4
    assert figures["top_weights"] == [{"weight": 4, "counted": 4, "name": None}]
    assert figures["counted_weight"] + figures["abstained"] == figures["electorate"]


def test_a_direct_vote_overrides_the_voters_own_delegation():
    a, b = offer(resident("A")), offer(resident("B"))
    delegate(a, b)
    vote = make_vote()
    cast(a, vote, "Library hub")
    cast(b, vote, "Play area")
    count = close(vote)
    votes = _first_round(count)
    assert votes["Library hub"] == 1 and votes["Play area"] == 1


def test_a_cycle_counts_as_abstentions():
    a, b, c = offer(resident("A")), offer(resident("B")), resident("C")
    delegate(a, b)
    delegate(b, a)
    delegate(c, a)
    voter = resident("V")
    vote = make_vote()
    cast(voter, vote, "Play area")
    figures = _figures(close(vote))
    assert figures["uncast"]["cycle"] == 3
    assert figures["counted_weight"] == 1
    # the members in the circle are told
    from app.deliberation.models import Notification

    told = {n.user_id for n in db.session.query(Notification).filter_by(subject_type="vote_cycle", subject_id=vote.id)}
    assert told == {a.id, b.id, c.id}


def test_a_delegate_living_outside_the_area_passes_nothing_on():
    outsider = offer(resident("Out", postcode=OUTSIDE_POSTCODE))
    member = resident("M")
    delegate(member, outsider)
    vote = make_vote()
    cast(resident("V"), vote, "Play area")
    figures = _figures(close(vote))
    assert figures["uncast"]["delegate-not-eligible"] == 1
    assert figures["counted_weight"] == 1


def test_revoking_before_the_close_counts_and_after_the_close_does_not():
    a, b = resident("A"), offer(resident("B"))
    late = resident("L")
    delegate(a, b)
    delegate(late, b)
    vote = make_vote()
    cast(b, vote, "Play area")
    delegation.revoke(db.session, a, ScopeKind.GLOBAL, 0)  # before the close: A's vote is no longer B's
    db.session.commit()
    count = close(vote)
    assert _first_round(count)["Play area"] == 2  # B and Late
    delegation.revoke(db.session, late, ScopeKind.GLOBAL, 0)  # after the close: the frozen snapshot decides
    db.session.commit()
    res = counting.snapshot_resolution(db.session, vote)
    assert int(res.result.weight[b.id]) == 2
    assert count.snapshot_size == 1
    assert db.session.query(DelegationSnapshot).filter_by(vote_id=vote.id).count() == 1
    # the history keeps both revocations
    assert [e.kind for e in delegation.history(db.session, a)] == ["revoked", "set"]


def test_the_weight_cap_turns_weight_over_it_into_abstentions():
    hub = offer(resident("Hub"))
    for i in range(4):
        delegate(resident(f"D{i}"), hub)
    vote = make_vote(weight_cap=3)
    cast(hub, vote, "Library hub")
    cast(resident("Other"), vote, "Play area")
    count = close(vote)
    figures = _figures(count)
    assert _first_round(count)["Library hub"] == 3
    assert figures["cap_removed"] == 2 and figures["capped_delegates"] == 1
    assert figures["top_weights"][0] == {"weight": 5, "counted": 3, "name": None}
    assert figures["counted_weight"] + figures["abstained"] == figures["electorate"]


def test_a_vote_is_counted_once():
    from app.core.errors import DomainError

    vote = make_vote()
    cast(resident(), vote, "Play area")
    close(vote)
    assert vote.state == VoteState.CLOSED.value
    with pytest.raises(DomainError):
        close(vote)


SCENARIO = st.lists(
    st.tuples(st.sampled_from(["PE15 8AH", "PE13 1AG", OUTSIDE_POSTCODE]), st.one_of(st.none(), st.integers(0, 8)), st.booleans()),
    min_size=2, max_size=7,
)


@settings(max_examples=10, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(scenario=SCENARIO, cap=st.one_of(st.none(), st.integers(min_value=1, max_value=4)))
def test_counted_weight_plus_abstentions_is_the_electorate(scenario, cap):
    """Property, through the services: whatever the delegations and ballots, every eligible member is either
    counted (on some ballot's weight, capped) or an abstention."""
    from app.auth.models import User
    from app.delegation.models import DelegateProfile, Delegation, DelegationEvent
    from app.voting.models import Vote, VoteBallot, VoteCount, VoteOption, VoteReceipt

    try:
        members = [offer(resident(f"P{i}", postcode=postcode)) for i, (postcode, _t, _v) in enumerate(scenario)]
        for m, (_p, target, _v) in zip(members, scenario, strict=True):
            if target is not None and target < len(members) and members[target].id != m.id:
                delegate(m, members[target])
        vote = make_vote(weight_cap=cap)
        for m, (postcode, _t, votes) in zip(members, scenario, strict=True):
            if votes and postcode != OUTSIDE_POSTCODE:
                cast(m, vote, "Play area")
        count = close(vote)
        figures = _figures(count)
        electorate = sum(1 for postcode, _t, _v in scenario if postcode != OUTSIDE_POSTCODE)
        assert figures["electorate"] == electorate
        assert figures["counted_weight"] + figures["abstained"] == electorate
        assert json.loads(count.result_json)["total_weight"] == figures["counted_weight"]
    finally:
        db.session.rollback()
        for model in (DelegationSnapshot, VoteReceipt, VoteBallot, VoteCount, VoteOption, Vote, Delegation, DelegationEvent, DelegateProfile):
            db.session.query(model).delete()
        db.session.query(User).update({"is_deleted": True})  # the next example's electorate starts empty
        db.session.commit()


def test_a_backup_delegate_is_used_when_the_first_neither_votes_nor_passes_on(browser):
    first, second = offer(resident("First")), offer(resident("Second"))
    member = resident("Member")
    delegate(member, first, second)
    vote = make_vote()
    cast(second, vote, "Library hub")
    count = close(vote)
    assert _first_round(count)["Library hub"] == 2
    from tests.factories import PASSWORD

    browser.sign_in(member.email, PASSWORD)
    html = browser.get(f"/votes/{vote.id}/delegate").get_data(as_text=True)
    assert "Your vote is cast by Second" in html


def test_a_depth_cap_stops_the_vote_travelling_further(browser):
    a, b = offer(resident("A")), offer(resident("B"))
    only_mine, two_steps = resident("Only mine"), resident("Two steps")
    delegate(a, b)
    delegate(only_mine, a, max_depth=1)
    delegate(two_steps, a, max_depth=2)
    vote = make_vote()
    cast(b, vote, "Bus shelter")
    from tests.factories import PASSWORD

    browser.sign_in(only_mine.email, PASSWORD)
    html = browser.get(f"/votes/{vote.id}").get_data(as_text=True)
    assert "further than your depth cap allows" in html
    count = close(vote)
    figures = _figures(count)
    assert _first_round(count)["Bus shelter"] == 3  # B, A and "two steps"
    assert figures["uncast"]["depth-exceeded"] == 1
