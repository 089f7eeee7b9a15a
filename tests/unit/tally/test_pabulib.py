"""pabulib ``.pb`` reader/writer, and the six real files reproducing their official ``selected`` column.

Data: Pabulib (pabulib.org; files from the public pabulib/pabulib_files repository), see
../shared/data/README.md.  Format: arXiv:2305.11035.
"""

from __future__ import annotations

import functools
import random
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from app.tally import budget
from app.tally.budget import Ballot, BallotKind, BudgetElection, Project
from app.tally.formats import pabulib
from app.tally.records import InputError

DATA = Path(__file__).resolve().parents[3].parent / "shared" / "data" / "pabulib"
FILES = sorted(DATA.glob("*.pb")) if DATA.is_dir() else []
needs_data = pytest.mark.skipif(not FILES, reason=f"pabulib sample data not found at {DATA}")

SMALL = """META
key;value
description;test
num_projects;3
num_votes;3
budget;100
vote_type;approval
rule;greedy
PROJECTS
project_id;cost;votes;name;selected
a;60;2;"Park; phase 1";1
b;50;2;Bench;0
c;30;1;Tree;1
VOTES
voter_id;vote;age
1;a,b;30
2;a,b,c;41
3;;22
"""


def test_parse_small() -> None:
    pb = pabulib.parse(SMALL, source="small.pb")
    e = pb.election
    assert e.budget == 100 and e.kind is BallotKind.APPROVAL
    assert [p.id for p in e.projects] == ["a", "b", "c"]
    assert e.projects[0].name == "Park; phase 1"
    assert e.ballots[2].projects == ()
    assert pb.rule == "greedy"
    assert pb.official_selected() == frozenset({"a", "c"})
    # b (50) and a (60) both have 2 votes: lower cost first -> b, then a does not fit (60 > 50), c fits.
    assert budget.greedy(e).selected == ("b", "c")
    # file order instead (how pabulib's checker verifies greedy): a first, then b does not fit, c fits
    assert budget.greedy(e, tiebreak=("order",)).selected == ("a", "c")


def test_greedy_tie_lower_cost_first() -> None:
    pb = pabulib.parse(SMALL)
    r = budget.greedy(pb.election)
    assert r.selected == ("b", "c")
    assert r.reasons["a"].to_dict() == {"code": "did-not-fit", "needed": 60, "left": 50}


def test_roundtrip_small() -> None:
    pb = pabulib.parse(SMALL)
    text = pabulib.dumps(pb)
    assert pabulib.parse(text) == pb
    assert '"Park; phase 1"' in text


def test_decimal_money_scaled() -> None:
    text = SMALL.replace("budget;100", "budget;100.50").replace("c;30;1", "c;30.25;1")
    pb = pabulib.parse(text)
    assert pb.election.currency_unit == 100
    assert pb.election.budget == 10050
    assert pb.election.projects[2].cost == 3025
    assert pabulib.parse(pabulib.dumps(pb)) == pb


@pytest.mark.parametrize(
    ("text", "line", "needle"),
    [
        (SMALL.replace("3;;22", "3;z;22"), 18, "unknown project 'z'"),
        (SMALL.replace("b;50;2", "b;fifty;2"), 12, "expected a number"),
        (SMALL.replace("vote_type;approval", "vote_type;magic"), 7, "vote_type"),
        (SMALL.replace("1;a,b;30", "1;a,b;30;extra"), 16, "expected 3 fields"),
        (SMALL.replace("project_id;cost;votes", "project_id;price;votes"), 10, "cost"),
        (SMALL.replace("PROJECTS\n", "VOTES\n", 1), 9, "expected section PROJECTS"),
    ],
)
def test_malformed_input_names_line(text: str, line: int, needle: str) -> None:
    with pytest.raises(InputError) as info:
        pabulib.parse(text, source="bad.pb")
    assert info.value.line == line, str(info.value)
    assert needle in info.value.message
    assert info.value.source == "bad.pb"


def test_duplicate_in_approval_vote_counts_once() -> None:
    e = pabulib.parse(SMALL.replace("2;a,b,c;41", "2;a,a,c;41")).election
    assert e.ballots[1].projects == ("a", "c")


def test_ordinal_positional_points_when_score_column() -> None:
    text = SMALL.replace("vote_type;approval", "vote_type;ordinal").replace(
        "project_id;cost;votes;name;selected", "project_id;cost;votes;score;name;selected"
    )
    text = (
        text.replace("a;60;2;", "a;60;2;4;").replace("b;50;2;", "b;50;2;3;").replace("c;30;1;", "c;30;1;1;")
    )
    pb = pabulib.parse(text)
    assert pb.election.ballots[1].points == (3, 2, 1)
    assert budget.project_scores(pb.election) == {"a": 5, "b": 3, "c": 1}
    assert pabulib.parse(pabulib.dumps(pb)) == pb


def test_missing_budget_and_section() -> None:
    with pytest.raises(InputError, match="budget"):
        pabulib.parse(SMALL.replace("budget;100\n", ""))
    with pytest.raises(InputError, match="VOTES"):
        pabulib.parse(SMALL.split("VOTES")[0])


def test_cumulative_points_and_writer_from_election() -> None:
    e = BudgetElection(
        projects=(Project("x", 10, "X"), Project("y", 20)),
        budget=25,
        ballots=(Ballot(("x", "y"), (3, 2)), Ballot(("y",), (5,), weight=2)),
        kind=BallotKind.CUMULATIVE,
        max_points=5,
    )
    text = pabulib.dumps(e)
    back = pabulib.parse(text).election
    assert back.ballots[0].points == (3, 2) and back.ballots[1].weight == 2
    assert back.max_points == 5
    assert budget.project_scores(back) == {"x": 3, "y": 12}
    with pytest.raises(InputError, match="points"):
        pabulib.parse(text.replace("x,y;3,2", "x,y;3"))


def test_ordinal_and_choose1() -> None:
    text = SMALL.replace("vote_type;approval", "vote_type;ordinal")
    e = pabulib.parse(text).election
    assert e.kind is BallotKind.ORDINAL and e.ballots[1].projects == ("a", "b", "c")
    assert budget.greedy(e).selected == ("b", "c")
    with pytest.raises(InputError, match="choose-1"):
        pabulib.parse(SMALL.replace("vote_type;approval", "vote_type;choose-1"))


@settings(max_examples=60, deadline=None)
@given(
    st.lists(st.integers(0, 10**6), min_size=1, max_size=6),
    st.lists(st.lists(st.integers(0, 5), max_size=6), max_size=8),
    st.integers(0, 10**7),
)
def test_roundtrip_random(costs: list[int], votes: list[list[int]], limit: int) -> None:
    ids = [f"P{i}" for i in range(len(costs))]
    ballots = tuple(
        Ballot(tuple(dict.fromkeys(ids[k % len(ids)] for k in v)), voter_id=str(n))
        for n, v in enumerate(votes, 1)
    )
    names = ["Park; phase 1", 'The "big" bench', "Trees,\nmany", "", "Ścieżka", "x"]
    e = BudgetElection(
        tuple(Project(i, c, names[k % len(names)]) for k, (i, c) in enumerate(zip(ids, costs, strict=True))),
        limit,
        ballots,
    )
    pb = pabulib.parse(pabulib.dumps(e))
    assert pb.election == e
    assert pabulib.parse(pabulib.dumps(pb)) == pb


# ---------------------------------------------------------------------------------------------- real files


@functools.cache
def _recount(path: Path, ties: str) -> tuple[pabulib.PabulibFile, budget.BudgetResult]:
    pb = pabulib.read(path)
    return pb, pabulib.recount(pb, greedy_ties=ties, rng=random.Random(0))


@needs_data
@pytest.mark.parametrize("path", FILES, ids=[p.stem for p in FILES])
def test_real_file_reproduces_selected(path: Path) -> None:
    pb = pabulib.read(path)
    rule, completion = pb.rule_and_completion()
    if rule == "equal-shares":  # budget.count with the library defaults is this same count: count it once
        result = _recount(path, "cost-then-lot")[1]
    else:
        result = budget.count(pb.election, rule, completion, rng=random.Random(0))
        assert result == _recount(path, "cost-then-lot")[1]
    assert frozenset(result.selected) == pb.official_selected()
    assert result.total_cost <= pb.election.budget
    assert not result.lots  # no tie had to be drawn


@needs_data
@pytest.mark.parametrize("path", FILES, ids=[p.stem for p in FILES])
def test_real_file_recount_file_order(path: Path) -> None:
    pb, result = _recount(path, "file-order")
    assert frozenset(result.selected) == pb.official_selected()


@needs_data
@pytest.mark.parametrize("path", FILES, ids=[p.stem for p in FILES])
def test_real_file_roundtrip(path: Path) -> None:
    pb = pabulib.read(path)
    assert pabulib.parse(pabulib.dumps(pb)) == pb


@needs_data
def test_real_files_match_pabutools_parser() -> None:
    from pabutools.election import parse_pabulib  # type: ignore[import-untyped]

    for path in FILES:
        inst, prof = parse_pabulib(str(path))
        e = pabulib.read(path).election
        assert int(inst.budget_limit) == e.budget
        assert {p.name: int(p.cost) for p in inst} == {p.id: p.cost for p in e.projects}
        assert len(prof) == len(e.ballots)


@needs_data
def test_wieliczka_details() -> None:
    """Wieliczka 2023: Equal Shares with Add1 and the comparison step (README); MES is kept."""
    path = DATA / "Poland_Wieliczka_2023_Green_Budget.pb"
    pb, r = _recount(path, "cost-then-lot")
    assert r.rule == "equal-shares" and r.completion == "add1-comparison"
    assert r.comparison is not None and r.comparison.used == "equal-shares"
    assert r.comparison.prefer_equal_shares > r.comparison.prefer_greedy
    assert r.add1_raises > 0
    # stopping Add1 at the first exhaustive outcome would not reproduce the published result
    assert frozenset(r.selected) == pb.official_selected()


def test_sentinel_cost_project_is_withdrawn() -> None:
    text = SMALL.replace("b;50;2", "b;999999999;2").replace("budget;100", "budget;90")
    e = pabulib.parse(text).election
    assert e.withdrawn == {"b"}
    r = budget.greedy(e, skip=False)
    assert r.selected == ("a", "c")  # b is passed over without stopping
    assert r.reasons["b"].code == "withdrawn"
    from app.tally import equal_shares

    assert equal_shares.equal_shares(e).reasons["b"].code == "withdrawn"
