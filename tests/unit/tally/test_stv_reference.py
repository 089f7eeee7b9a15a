"""The NumPy Scottish STV engine against a plain, separately written per-paper reference count."""

from __future__ import annotations

import random

from hypothesis import given, settings
from hypothesis import strategies as st

from app.tally.ranked import RankedBallot, RankedElection
from app.tally.stv import SCALE, count_stv_scottish


def reference_stv(
    n: int, ballots: list[tuple[tuple[int, ...], int]], seats: int, seed: int
) -> tuple[list[int], list[int], list[list[int]]]:
    """SSI 2007/42 sch. 1 rr. 45-52, one Python dict per ballot group; returns elected, excluded, totals."""
    rng = random.Random(seed)
    papers = [{"ranking": r, "count": w, "value": SCALE, "at": 0} for r, w in ballots if r]
    valid = sum(p["count"] for p in papers)
    quota = (valid // (seats + 1) + 1) * SCALE
    continuing = set(range(n))
    votes = [0] * n
    elected: list[int] = []
    excluded: list[int] = []
    pending: list[int] = []
    history: list[list[int]] = []
    memo: dict[tuple[int, frozenset[int]], list[int]] = {}

    def holder(p: dict) -> int:  # type: ignore[type-arg]
        return p["ranking"][p["at"]] if p["at"] < len(p["ranking"]) else -1

    def move_on(p: dict) -> None:  # type: ignore[type-arg]
        while p["at"] < len(p["ranking"]) and p["ranking"][p["at"]] not in continuing:
            p["at"] += 1

    def order(cands: list[int], stage: int) -> list[int]:
        out: list[int] = []
        for v in sorted({votes[c] for c in cands}, reverse=True):
            group = sorted(c for c in cands if votes[c] == v)
            key = (stage, frozenset(group))
            if key not in memo:
                chosen: list[int] = []
                left = list(group)
                while len(left) > 1:
                    cand = list(left)
                    for past in reversed(history[:-1]):
                        vals = [past[c] for c in cand]
                        if len(set(vals)) > 1:
                            cand = [c for c in cand if past[c] == max(vals)]
                            if len(cand) == 1:
                                break
                    pick = cand[0] if len(cand) == 1 else cand[rng.randrange(len(cand))]
                    chosen.append(pick)
                    left.remove(pick)
                memo[key] = chosen + left
            out.extend(memo[key])
        return out

    def end_stage(stage: int) -> None:
        history.append(list(votes))
        reached = [c for c in continuing if votes[c] >= quota]
        for c in order(reached, stage)[: seats - len(elected)]:
            continuing.discard(c)
            elected.append(c)
            if votes[c] > quota:
                pending.append(c)

    for p in papers:
        votes[holder(p)] += p["count"] * SCALE
    stage = 1
    end_stage(stage)
    while len(elected) < seats:
        if len(continuing) <= seats - len(elected):
            elected.extend(order(sorted(continuing), stage))
            continuing.clear()
            break
        stage += 1
        if pending:
            best = max(votes[c] for c in pending)
            top = [c for c in pending if votes[c] == best]
            src = order(top, stage - 1)[0]
            pending.remove(src)
            total, surplus = votes[src], votes[src] - quota
            for p in papers:
                if holder(p) == src:
                    p["value"] = surplus * p["value"] // total
                    p["at"] += 1
                    move_on(p)
                    if holder(p) >= 0:
                        votes[holder(p)] += p["count"] * p["value"]
            votes[src] = quota
        else:
            low = min(votes[c] for c in continuing)
            tied = sorted(c for c in continuing if votes[c] == low)
            for past in reversed(history[:-1]):
                if len(tied) == 1:
                    break
                vals = [past[c] for c in tied]
                if len(set(vals)) > 1:
                    tied = [c for c in tied if past[c] == min(vals)]
            loser = tied[0] if len(tied) == 1 else tied[rng.randrange(len(tied))]
            continuing.discard(loser)
            excluded.append(loser)
            for p in papers:
                if holder(p) == loser:
                    p["at"] += 1
                    move_on(p)
                    if holder(p) >= 0:
                        votes[holder(p)] += p["count"] * p["value"]
            votes[loser] = 0
        end_stage(stage)
    return elected, excluded, history


@st.composite
def stv_elections(draw: st.DrawFn) -> RankedElection:
    n = draw(st.integers(min_value=2, max_value=7))
    ranking = st.permutations(list(range(n))).flatmap(
        lambda perm: st.integers(min_value=1, max_value=n).map(lambda k: tuple(perm[:k]))
    )
    raw = draw(st.lists(st.tuples(ranking, st.integers(min_value=1, max_value=60)), min_size=1, max_size=30))
    seats = draw(st.integers(min_value=1, max_value=max(1, n - 1)))
    return RankedElection(
        candidates=tuple(f"C{i}" for i in range(n)),
        ballots=tuple(RankedBallot(r, w) for r, w in raw),
        seats=seats,
    )


@settings(max_examples=300, deadline=None)
@given(stv_elections(), st.integers(min_value=0, max_value=10**6))
def test_engine_equals_reference(e: RankedElection, seed: int) -> None:
    result = count_stv_scottish(e, seed=seed)
    elected, excluded, history = reference_stv(
        len(e.candidates), [(b.ranking, b.weight) for b in e.ballots], e.seats, seed
    )
    names = e.candidates
    assert result.elected == tuple(names[c] for c in elected)
    assert result.excluded == tuple(names[c] for c in excluded)
    assert len(result.stages) == len(history)
    for stage, totals in zip(result.stages, history, strict=True):
        assert dict(stage.totals) == {names[c]: totals[c] for c in range(len(names))}
