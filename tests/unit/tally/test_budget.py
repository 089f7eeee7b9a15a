"""Greedy rules (pabulib ``greedy`` / ``greedy-no-skip``), validation and the rule dispatcher."""

from __future__ import annotations

import random
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from app.tally import budget
from app.tally.budget import Ballot, BallotKind, BudgetElection, Project
from app.tally.records import InputError


def election(costs: dict[str, int], ballots: list[tuple[str, ...]], limit: int, **kw: Any) -> BudgetElection:
    return BudgetElection(
        tuple(Project(pid, c) for pid, c in costs.items()), limit, tuple(Ballot(b) for b in ballots), **kw
    )


def test_greedy_hand_checked() -> None:
    # votes: A 3, B 2, C 2, D 1.  Budget 100: A (50) fits, B (60) does not, C (40) fits, D (20) does not.
    e = election({"A": 50, "B": 60, "C": 40, "D": 20}, [("A", "B"), ("A", "C"), ("A", "B", "C"), ("D",)], 100)
    r = budget.greedy(e)
    assert r.selected == ("A", "C")  # B and C tie on 2 votes: lower cost (C) first, then B does not fit
    assert r.money_left == 10
    assert r.reasons["B"].to_dict() == {"code": "did-not-fit", "needed": 60, "left": 10}
    assert r.reasons["D"].to_dict() == {"code": "did-not-fit", "needed": 20, "left": 10}
    assert [x.project for x in r.rounds] == ["A", "C"]
    assert r.rounds[1].money_left == 10


def test_greedy_no_skip_stops() -> None:
    e = election({"A": 50, "B": 60, "C": 10}, [("A", "B"), ("A", "B"), ("C",)], 100)
    assert budget.greedy(e).selected == ("A", "C")
    r = budget.greedy(e, skip=False)
    assert r.selected == ("A",)
    assert r.reasons["B"].code == "did-not-fit"
    assert r.reasons["C"].to_dict()["code"] == "stopped" and r.reasons["C"].at == "B"


def test_threshold_and_points_and_weights() -> None:
    e = BudgetElection(
        (Project("A", 10), Project("B", 10), Project("C", 10)),
        100,
        (Ballot(("A", "B"), (1, 4), weight=2), Ballot(("C",), (3,))),
        BallotKind.CUMULATIVE,
        max_points=5,
        min_score=3,
    )
    assert budget.project_scores(e) == {"A": 2, "B": 8, "C": 3}
    r = budget.greedy(e)
    assert r.selected == ("B", "C")
    assert r.reasons["A"].to_dict() == {"code": "below-threshold", "score": 2}


def test_greedy_lot_recorded() -> None:
    e = election({"A": 10, "B": 10, "C": 10}, [("A", "B", "C")], 20)
    r1 = budget.greedy(e, rng=random.Random(5))
    r2 = budget.greedy(e, rng=random.Random(5))
    assert r1.selected == r2.selected and len(r1.selected) == 2
    assert len(r1.lots) == 1 and set(r1.lots[0].tied) == {"A", "B", "C"}
    assert r1.lots[0].chosen.split(",")[:2] == list(r1.selected)


@pytest.mark.parametrize(
    ("kw", "ballots", "needle"),
    [
        ({"kind": BallotKind.CHOOSE_1}, [("A", "B")], "choose-1"),
        ({"kind": BallotKind.K_APPROVAL, "max_approvals": 1}, [("A", "B")], "at most 1"),
        ({"kind": BallotKind.KNAPSACK}, [("A", "B")], "more than the budget"),
        ({}, [("Z",)], "unknown project"),
        ({}, [("A", "A")], "twice"),
    ],
)
def test_validation(kw: dict[str, Any], ballots: list[tuple[str, ...]], needle: str) -> None:
    e = election({"A": 10, "B": 15}, ballots, 20, **kw)
    with pytest.raises(InputError, match=needle):
        budget.greedy(e)


def test_parse_rule() -> None:
    assert budget.parse_rule("equalshares/add1-comparison") == ("equal-shares", "add1-comparison")
    assert budget.parse_rule("greedy") == ("greedy", "none")
    assert budget.parse_rule("Greedy-No-Skip") == ("greedy-no-skip", "none")
    with pytest.raises(InputError):
        budget.parse_rule("unknown")


def test_result_to_dict_is_json() -> None:
    import json

    e = election({"A": 60, "B": 25, "D": 30}, [("A", "D"), ("A", "B"), ("A", "B")], 90)
    for rule, comp in [
        ("greedy", "none"),
        ("equal-shares", "add1-comparison"),
        ("equal-shares", "add1-greedy"),
    ]:
        d = budget.count(e, rule, comp).to_dict()
        json.dumps(d)
        assert d["rule"] == rule and isinstance(d["rounds"], list)


@st.composite
def elections(draw: st.DrawFn) -> BudgetElection:
    m = draw(st.integers(1, 8))
    ids = [f"p{i}" for i in range(m)]
    costs = draw(st.lists(st.integers(1, 10**4), min_size=m, max_size=m, unique=True))
    ballots = tuple(
        Ballot(tuple(sorted(draw(st.sets(st.sampled_from(ids))))), weight=draw(st.integers(1, 3)))
        for _ in range(draw(st.integers(0, 12)))
    )
    limit = draw(st.integers(0, sum(costs)))
    return BudgetElection(tuple(Project(i, c) for i, c in zip(ids, costs, strict=True)), limit, ballots)


@settings(max_examples=150, deadline=None)
@given(elections())
def test_greedy_matches_pabutools(e: BudgetElection) -> None:
    pytest.importorskip("pabutools")
    from pabutools.election import ApprovalBallot, ApprovalProfile, Cost_Sat, Instance  # type: ignore[import-untyped]
    from pabutools.election import Project as PProject
    from pabutools.rules import greedy_utilitarian_welfare  # type: ignore[import-untyped]
    from pabutools.tiebreaking import min_cost_tie_breaking  # type: ignore[import-untyped]

    projects = {p.id: PProject(p.id, p.cost) for p in e.projects}
    inst = Instance(projects.values(), budget_limit=e.budget)
    prof = ApprovalProfile(
        [ApprovalBallot({projects[p] for p in b.projects}) for b in e.ballots for _ in range(b.weight)],
        instance=inst,
    )
    # greedy by votes = greedy by (votes * cost) / cost with cost utilities; costs are distinct here, so
    # "lower cost first" settles every tie in both.
    theirs = greedy_utilitarian_welfare(inst, prof, sat_class=Cost_Sat, tie_breaking=min_cost_tie_breaking)
    ours = budget.greedy(e)
    assert sorted(ours.selected) == sorted(p.name for p in theirs)
    assert ours.total_cost <= e.budget


@settings(max_examples=100, deadline=None)
@given(elections(), st.booleans())
def test_greedy_properties(e: BudgetElection, skip: bool) -> None:
    r = budget.greedy(e, skip=skip)
    assert r.total_cost <= e.budget
    assert set(r.selected) | set(r.reasons) == {p.id for p in e.projects}
    if skip:  # every unfunded project that was eligible did not fit at the end
        for pid, why in r.reasons.items():
            cost = next(p.cost for p in e.projects if p.id == pid)
            assert why.code == "did-not-fit" and cost > r.money_left
