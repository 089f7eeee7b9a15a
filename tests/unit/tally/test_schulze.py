"""Schulze method (winning votes): Wikipedia's 45-voter example and ties by lot."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from app.tally.ranked import RankedBallot, RankedElection
from app.tally.schulze import count_schulze

# Wikipedia, "Schulze method", example with 45 voters and 5 candidates.
WIKIPEDIA = [
    ("ACBED", 5),
    ("ADECB", 5),
    ("BEDAC", 8),
    ("CABED", 3),
    ("CAEBD", 7),
    ("CBADE", 2),
    ("DCEBA", 7),
    ("EBADC", 8),
]


def test_wikipedia_45_voters() -> None:
    e = RankedElection.from_rankings(
        list("ABCDE"), [list(r) for r, _ in WIKIPEDIA], weights=[w for _, w in WIKIPEDIA]
    )
    r = count_schulze(e)
    assert r.d == (
        (0, 20, 26, 30, 22),
        (25, 0, 16, 33, 18),
        (19, 29, 0, 17, 24),
        (15, 12, 28, 0, 14),
        (23, 27, 21, 31, 0),
    )
    assert r.p == (
        (0, 28, 28, 30, 24),
        (25, 0, 28, 33, 24),
        (25, 29, 0, 29, 24),
        (25, 28, 28, 0, 24),
        (25, 28, 28, 31, 0),
    )
    assert r.ranking == ("E", "A", "C", "B", "D")
    assert r.winner == "E"
    assert r.lots == ()


def test_unranked_candidates_rank_below_ranked_ones() -> None:
    e = RankedElection.from_rankings(["A", "B", "C"], [["A"], ["B"]], weights=[3, 2])
    r = count_schulze(e)
    assert r.d == ((0, 3, 3), (2, 0, 2), (0, 0, 0))
    assert r.ranking == ("A", "B", "C")


def test_full_tie_broken_by_recorded_lot() -> None:
    e = RankedElection.from_rankings(["A", "B", "C"], [["A", "B", "C"], ["B", "C", "A"], ["C", "A", "B"]])
    r = count_schulze(e, seed=2)
    assert r.tiers == (("A", "B", "C"),)
    assert len(r.lots) == 2 and r.lots[0].purpose == "rank"
    assert r == count_schulze(e, seed=2)
    assert {count_schulze(e, seed=s).winner for s in range(20)} == {"A", "B", "C"}


def test_withdrawn_left_out() -> None:
    e = RankedElection.from_rankings(["A", "B", "C"], [["B", "A"], ["A"]], weights=[2, 1], withdrawn=["B"])
    r = count_schulze(e)
    assert r.candidates == ("A", "C")
    assert r.winner == "A"


@settings(max_examples=100, deadline=None)
@given(
    st.integers(min_value=2, max_value=6).flatmap(
        lambda n: st.tuples(
            st.just(n),
            st.lists(st.tuples(st.permutations(list(range(n))), st.integers(1, 5)), min_size=1, max_size=20),
        )
    )
)
def test_condorcet_winner_wins(data: tuple[int, list[tuple[list[int], int]]]) -> None:
    n, raw = data
    e = RankedElection(tuple(f"C{i}" for i in range(n)), tuple(RankedBallot(tuple(r), w) for r, w in raw))
    r = count_schulze(e)
    for i in range(n):
        if all(r.d[i][j] > r.d[j][i] for j in range(n) if j != i):
            assert r.winner == f"C{i}" and r.tiers[0] == (f"C{i}",)
