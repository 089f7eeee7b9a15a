"""Delegation resolution: hand-made cases, naive references on random graphs, backup delegates, depth caps,
the weight cap, explanations, and a million members."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from app.tally.delegation import (
    STATUS,
    BallotScope,
    DelegationResult,
    Delegations,
    ScopeKind,
    Status,
    Step,
    applicable_delegate,
    explain,
    resolve,
)
from app.tally.delegation.reference import applicable_options, reference_resolve
from app.tally.records import InputError

G, T, P = ScopeKind.GLOBAL, ScopeKind.TOPIC, ScopeKind.PLACE


def test_chain_cycle_dead_end() -> None:
    # 0 -> 1 -> 2 (voted); 3 -> 4 -> 3 cycle; 5 -> 6 (no vote, no delegation); 7 alone; 2 -> 0 ignored (voted)
    d = Delegations.from_rows(
        [(0, 1, G, 0), (1, 2, G, 0), (3, 4, G, 0), (4, 3, G, 0), (5, 6, G, 0), (2, 0, G, 0)]
    )
    r = resolve(8, d, BallotScope(), voted=[2])
    assert [r.reason(i) for i in range(8)] == [
        "delegated",
        "delegated",
        "voted",
        "cycle",
        "cycle",
        "dead-end",
        "no-vote",
        "no-vote",
    ]
    assert r.cast_by.tolist() == [2, 2, 2, -1, -1, -1, -1, -1]
    assert r.weight[2] == 3 and r.voter_weights.tolist() == [3]
    assert r.uncast == 5 and r.total == 8
    assert r.delegate[2] == -1  # the direct vote overrides 2's own delegation


def test_scope_specificity_place_over_topic_over_global() -> None:
    # member 0 delegates globally to 1, on topic 7 to 2, for place 30 (a ward) to 3, for place 10 (county) to 4
    rows = [(0, 1, G, 0), (0, 2, T, 7), (0, 3, P, 30), (0, 4, P, 10)]
    d = Delegations.from_rows(rows)
    voted = [1, 2, 3, 4]
    assert resolve(5, d, BallotScope(topics=(7,), places=(30, 20, 10)), voted).cast_by[0] == 3
    assert resolve(5, d, BallotScope(topics=(7,), places=(31, 20, 10)), voted).cast_by[0] == 4
    assert resolve(5, d, BallotScope(topics=(7,), places=(99,)), voted).cast_by[0] == 2
    assert resolve(5, d, BallotScope(topics=(8,), places=(99,)), voted).cast_by[0] == 1
    # several topics: the first listed wins
    d2 = Delegations.from_rows([(0, 1, T, 5), (0, 2, T, 6)])
    assert resolve(3, d2, BallotScope(topics=(6, 5)), [1, 2]).cast_by[0] == 2


def test_ineligible() -> None:
    d = Delegations.from_rows([(0, 1, G, 0), (1, 2, G, 0), (3, 2, G, 0)])
    r = resolve(4, d, BallotScope(), voted=[2], eligible=[0, 2, 3])
    assert r.reason(0) == "delegate-not-eligible"
    assert r.reason(1) == "not-eligible"
    assert r.reason(3) == "delegated"
    assert r.total == 3 and r.weight[2] == 2 and r.uncast == 1
    with pytest.raises(InputError, match="not eligible"):
        resolve(4, d, BallotScope(), voted=[1], eligible=[0, 2, 3])


def test_self_delegation_is_a_cycle_and_bad_input() -> None:
    r = resolve(2, Delegations.from_rows([(0, 0, G, 0), (1, 0, G, 0)]), BallotScope(), voted=[])
    assert r.reason(0) == "cycle" and r.reason(1) == "cycle"
    with pytest.raises(InputError, match="outside"):
        resolve(2, Delegations.from_rows([(0, 5, G, 0)]), BallotScope(), voted=[])
    with pytest.raises(InputError, match="same scope"):
        resolve(3, Delegations.from_rows([(0, 1, G, 0), (0, 2, G, 0)]), BallotScope(), voted=[])


def naive(
    n: int, rows: list[tuple[int, int, int, int]], scope: BallotScope, voted: set[int], elig: set[int]
) -> list[tuple[int, str]]:
    best: dict[int, tuple[int, int]] = {}
    for a, b, k, s in rows:
        if k == P and s in scope.places:
            rank = scope.places.index(s)
        elif k == T and s in scope.topics:
            rank = len(scope.places) + scope.topics.index(s)
        elif k == G:
            rank = len(scope.places) + len(scope.topics)
        else:
            continue
        if a not in best or rank < best[a][0]:
            best[a] = (rank, b)
    out = []
    for i in range(n):
        if i not in elig:
            out.append((-1, "not-eligible"))
            continue
        if i in voted:
            out.append((i, "voted"))
            continue
        seen = {i}
        cur = i
        while True:
            if cur in voted:
                out.append((cur, "delegated"))
                break
            if cur not in best:
                out.append((-1, "no-vote" if cur == i else "dead-end"))
                break
            nxt = best[cur][1]
            if nxt not in elig:
                out.append((-1, "delegate-not-eligible"))
                break
            if nxt in seen:
                out.append((-1, "cycle"))
                break
            seen.add(nxt)
            cur = nxt
    return out


@settings(max_examples=300, deadline=None)
@given(st.data())
def test_matches_naive(data: st.DataObject) -> None:
    n = data.draw(st.integers(1, 25))
    member = st.integers(0, n - 1)
    rows_raw = data.draw(
        st.lists(st.tuples(member, member, st.sampled_from([0, 1, 2]), st.integers(0, 3)), max_size=2 * n)
    )
    # at most one delegation per (member, kind, scope id) -- the database guarantees it
    seen: set[tuple[int, int, int]] = set()
    rows = []
    for a, b, k, s in rows_raw:
        key = (a, k, 0 if k == G else s)
        if key not in seen:
            seen.add(key)
            rows.append((a, b, k, 0 if k == G else s))
    topics = tuple(data.draw(st.lists(st.integers(0, 3), unique=True, max_size=2)))
    places = tuple(data.draw(st.lists(st.integers(0, 3), unique=True, max_size=3)))
    elig = set(data.draw(st.sets(member))) if data.draw(st.booleans()) else set(range(n))
    voted = {v for v in data.draw(st.sets(member)) if v in elig}
    scope = BallotScope(topics, places)
    d = Delegations.from_rows(rows)
    r = resolve(n, d, scope, np.array(sorted(voted), dtype=np.int64), np.array(sorted(elig), dtype=np.int64))
    expected = naive(n, rows, scope, voted, elig)
    assert [(int(r.cast_by[i]), r.reason(i)) for i in range(n)] == expected
    assert int(r.voter_weights.sum()) + r.uncast == len(elig)
    assert r.total == len(elig)
    assert sum(r.counts().values()) == n


def test_status_names() -> None:
    assert [STATUS[s] for s in Status] == list(STATUS)


def test_million_members_conserve_weight() -> None:
    """A million members resolve with every vote accounted for.  The speed goal (< 1 s) is measured by
    ``python -m bench.delegation``, not here: a timed test only measures how busy the machine is."""
    rng = np.random.default_rng(1)
    n = 1_000_000
    frm = rng.permutation(n)[: n * 7 // 10]
    to = rng.integers(0, n, len(frm))
    kinds = rng.integers(0, 3, len(frm))
    d = Delegations(
        frm.astype(np.int64), to.astype(np.int64), kinds.astype(np.int64), rng.integers(0, 50, len(frm))
    )
    voted = rng.random(n) < 0.2
    scope = BallotScope(topics=(3, 4), places=(10, 20, 30))
    resolve(1000, Delegations.from_rows([]), scope, voted[:1000])  # warm up
    r = resolve(n, d, scope, voted)
    assert int(r.voter_weights.sum()) + r.uncast == n
    assert len(r.voter_weights) == int(voted.sum()) and int(r.voter_weights.min()) >= 1


@pytest.mark.parametrize("seed", range(5))
def test_larger_random_graphs_match_naive(seed: int) -> None:
    """Long chains, tails into cycles, self-loops: 3,000 members, every member delegating somewhere."""
    rng = np.random.default_rng(seed)
    n = 3000
    to = rng.integers(0, n, n)
    to[: n // 10] = np.arange(1, n // 10 + 1)  # one long chain 0 -> 1 -> 2 -> ... -> 300
    rows = [(i, int(to[i]), int(G), 0) for i in range(n)]
    voted = {int(v) for v in rng.choice(n, size=n // 20, replace=False)}
    elig = set(range(n)) - {int(v) for v in rng.choice(n, size=n // 50, replace=False)}
    voted &= elig
    scope = BallotScope()
    r = resolve(n, Delegations.from_rows(rows), scope, sorted(voted), sorted(elig))
    expected = naive(n, rows, scope, voted, elig)
    assert [(int(r.cast_by[i]), r.reason(i)) for i in range(n)] == expected
    assert int(r.voter_weights.sum()) + r.uncast == len(elig)


# ----------------------------------------------------------------------------------------------------
# Backup delegates, depth caps, the weight cap and explanations.


def routes(r: DelegationResult) -> list[tuple[int, str]]:
    return [(int(r.cast_by[i]), r.reason(i)) for i in range(len(r.status))]


def test_backup_used_when_the_first_neither_votes_nor_passes_on() -> None:
    # 0 ranks 1 (dead end) then 2 (voted); 3 ranks 4 (ineligible) then 2; 5 ranks 6 (cycle 6 <-> 7) then 2
    rows = [(0, 1, G, 0, 1), (0, 2, G, 0, 2), (3, 4, G, 0, 1), (3, 2, G, 0, 2)]
    rows += [(5, 6, G, 0, 1), (5, 2, G, 0, 2), (6, 7, G, 0, 1), (7, 6, G, 0, 1)]
    r = resolve(8, Delegations.from_rows(rows), BallotScope(), voted=[2], eligible=[0, 1, 2, 3, 5, 6, 7])
    assert routes(r)[:6] == [(2, "delegated"), (-1, "no-vote"), (2, "voted"), (2, "delegated")] + [
        (-1, "not-eligible"),
        (2, "delegated"),
    ]
    assert r.rank[[0, 3, 5]].tolist() == [2, 2, 2] and r.delegate[[0, 3, 5]].tolist() == [2, 2, 2]
    assert r.reason(6) == r.reason(7) == "cycle"
    assert r.weight[2] == 4 and r.uncast == 3


def test_the_first_is_used_when_they_pass_the_vote_on_through_their_own_backup() -> None:
    # 0 -> [1, 9]; 1 -> [2 (dead end), 3 (voted)]: 1 passes the vote on, so 0's vote goes 0 -> 1 -> 3
    rows = [(0, 1, G, 0, 1), (0, 9, G, 0, 2), (1, 2, G, 0, 1), (1, 3, G, 0, 2)]
    r = resolve(10, Delegations.from_rows(rows), BallotScope(), voted=[3, 9])
    assert int(r.cast_by[0]) == 3 and int(r.steps[0]) == 2 and int(r.rank[0]) == 1


def test_a_vote_never_visits_anyone_twice_and_each_vote_has_its_own_route() -> None:
    # 0 -> [1, 8]; 1 -> [0, 9]: 0's vote goes 0 -> 1 -> 9 (1 cannot hand it back to 0), 1's goes 1 -> 0 -> 8
    rows = [(0, 1, G, 0, 1), (0, 8, G, 0, 2), (1, 0, G, 0, 1), (1, 9, G, 0, 2)]
    r = resolve(10, Delegations.from_rows(rows), BallotScope(), voted=[8, 9])
    assert r.cast_by[:2].tolist() == [9, 8]
    assert r.explain(0)[-1] == Step(9, -1, -1, -1, 0, "voted", "", 2)


def test_backups_stay_within_the_scope_that_applies() -> None:
    # 0 delegates for place 30 to 1 (who does not vote) and globally to 2 (who votes): the place scope wins
    rows = [(0, 1, P, 30, 1), (0, 2, G, 0, 1)]
    r = resolve(3, Delegations.from_rows(rows), BallotScope(places=(30,)), voted=[2])
    assert r.reason(0) == "dead-end" and int(r.delegate[0]) == 1 and int(r.scope_kind[0]) == P
    assert resolve(3, Delegations.from_rows(rows), BallotScope(places=(31,)), voted=[2]).cast_by[0] == 2


def test_depth_caps() -> None:
    # chain 0 -> 1 -> 2 -> 3 (voted); 0's backup 4 votes
    rows = [(0, 1, G, 0, 1), (1, 2, G, 0, 1), (2, 3, G, 0, 1), (0, 4, G, 0, 2), (5, 1, G, 0, 1)]
    d = Delegations.from_rows(rows)
    for cap, expected in [(None, 3), (3, 3), (2, 4), (1, 4)]:
        r = resolve(6, d, BallotScope(), voted=[3, 4], max_depth={0: cap} if cap else None)
        assert int(r.cast_by[0]) == expected
    # only my delegate, not theirs: 5's delegate 1 does not vote
    r = resolve(6, d, BallotScope(), voted=[3, 4], max_depth={5: 1})
    assert r.reason(5) == "depth-exceeded" and int(r.cast_by[5]) == -1
    assert int(r.cast_by[1]) == 3  # 5's cap limits only 5's own vote, not the votes 1 carries
    assert resolve(6, d, BallotScope(), voted=[3, 4], max_depth={5: 3}).reason(5) == "delegated"
    assert resolve(6, d, BallotScope(), voted=[3, 4], max_depth={5: 2}).reason(5) == "depth-exceeded"
    # a cap stored on the delegation rows, and the stricter of the two
    capped_rows = Delegations.from_rows([(*row, 1 if row[0] == 5 else 0) for row in rows])
    assert resolve(6, capped_rows, BallotScope(), voted=[3, 4]).reason(5) == "depth-exceeded"
    caps = np.zeros(6, dtype=np.int64)
    caps[5] = 3
    assert resolve(6, capped_rows, BallotScope(), voted=[3, 4], max_depth=caps).reason(5) == "depth-exceeded"


def test_weight_cap() -> None:
    rows = [(i, 0, G, 0) for i in range(1, 6)] + [(6, 7, G, 0)]
    r = resolve(9, Delegations.from_rows(rows), BallotScope(), voted=[0, 7], weight_cap=4)
    assert r.weight[0] == 4 and r.capped[0] == 2 and r.capped_voters() == {0: 2} and r.capped_total == 2
    assert r.weight[7] == 2 and r.capped[7] == 0
    assert [r.reason(i) for i in range(9)] == ["voted"] + ["capped"] * 5 + ["delegated", "voted", "no-vote"]
    assert int(r.voter_weights.sum()) + r.uncast == r.total == 9 and r.uncast == 3
    assert r.explain(3)[-1] == Step(0, -1, -1, -1, 0, "capped", "capped", 1)
    with pytest.raises(InputError, match="at least 1"):
        resolve(2, Delegations.from_rows([]), BallotScope(), voted=[0], weight_cap=0)


def test_explain_shows_each_step_and_why() -> None:
    # 0 -> [1 (dead end), 2]; 2 -> [3 (not eligible), 0 (already on the route), 4]; 4 votes
    rows = [(0, 1, T, 7, 1), (0, 2, T, 7, 2), (2, 3, G, 0, 1), (2, 0, G, 0, 2), (2, 4, G, 0, 3)]
    r = resolve(5, Delegations.from_rows(rows), BallotScope(topics=(7,)), voted=[4], eligible=[0, 1, 2, 4])
    assert r.explain(0) == [
        Step(0, 1, T, 7, 1, "skipped", "dead-end", 0),
        Step(0, 2, T, 7, 2, "passed-on", "", 0),
        Step(2, 3, G, 0, 1, "skipped", "delegate-not-eligible", 1),
        Step(2, 0, G, 0, 2, "skipped", "cycle", 1),
        Step(2, 4, G, 0, 3, "passed-on", "", 1),
        Step(4, -1, -1, -1, 0, "voted", "", 2),
    ]
    assert r.explain(4) == [Step(4, -1, -1, -1, 0, "voted")]
    assert r.explain(3) == [Step(3, -1, -1, -1, 0, "not-eligible", "not-eligible")]
    assert r.explain(1) == [Step(1, -1, -1, -1, 0, "not-cast", "no-vote")]
    assert explain(
        0, 5, Delegations.from_rows(rows), BallotScope(topics=(7,)), [4], [0, 1, 2, 4]
    ) == r.explain(0)
    # a vote nobody casts: every delegate skipped, then why
    r2 = resolve(
        3, Delegations.from_rows([(0, 1, G, 0, 1), (0, 2, G, 0, 2), (1, 0, G, 0, 1)]), BallotScope(), []
    )
    assert r2.explain(0) == [
        Step(0, 1, G, 0, 1, "skipped", "cycle"),
        Step(0, 2, G, 0, 2, "skipped", "dead-end"),
        Step(0, -1, G, 0, 0, "not-cast", "cycle"),
    ]


def test_ranked_input_errors() -> None:
    with pytest.raises(InputError, match="same scope and rank"):
        resolve(3, Delegations.from_rows([(0, 1, G, 0, 1), (0, 2, G, 0, 1)]), BallotScope(), voted=[])
    with pytest.raises(InputError, match="twice"):
        resolve(3, Delegations.from_rows([(0, 1, G, 0, 1), (0, 1, G, 0, 2)]), BallotScope(), voted=[])
    with pytest.raises(InputError, match="start at 1"):
        resolve(3, Delegations.from_rows([(0, 1, G, 0, 0)]), BallotScope(), voted=[])
    with pytest.raises(InputError, match="depth cap"):
        resolve(3, Delegations.from_rows([(0, 1, G, 0, 1, -1)]), BallotScope(), voted=[])
    with pytest.raises(InputError, match="length 3"):
        resolve(3, Delegations.from_rows([]), BallotScope(), voted=[], max_depth=[1])
    with pytest.raises(InputError, match="same number of fields"):
        Delegations.from_rows([(0, 1, G, 0), (0, 1, G, 0, 1)])


def check_explanations(r: DelegationResult, caps: dict[int, int]) -> None:
    """Every explanation agrees with the result: the route ends at the caster, each step's delegate is the
    next member, a vote never visits anyone twice, and the route respects the member's depth cap."""
    for m in range(len(r.status)):
        steps = r.explain(m)
        last = steps[-1] if steps[-1].why != "capped" else steps[-2]
        if r.cast_by[m] >= 0:
            assert last.why == "voted" and last.member == r.cast_by[m]
            taken = [s for s in steps if s.why == "passed-on"]
            members = [m] + [s.delegate for s in taken]
            assert [s.member for s in taken] + [last.member] == members
            assert len(set(members)) == len(members) == int(r.steps[m]) + 1
            assert not caps.get(m) or len(taken) <= caps[m]
            assert (steps[-1].why == "capped") == bool(r.capped[int(r.cast_by[m])])
        else:
            assert last.reason == r.reason(m)


@settings(max_examples=400, deadline=None)
@given(st.data())
def test_matches_reference_with_backups_caps_and_weight_cap(data: st.DataObject) -> None:
    n = data.draw(st.integers(1, 10))
    member = st.integers(0, n - 1)
    raw = data.draw(
        st.lists(
            st.tuples(member, member, st.sampled_from([0, 1, 2]), st.integers(0, 2), st.integers(1, 3)),
            max_size=3 * n,
        )
    )
    # the database keeps one row per (member, scope, rank) and per (member, scope, delegate)
    rows: list[tuple[int, int, int, int, int, int]] = []
    ranks: set[tuple[int, int, int, int]] = set()
    pairs: set[tuple[int, int, int, int]] = set()
    row_caps = data.draw(st.dictionaries(member, st.integers(0, 3)))
    for a, b, k, s, rank in raw:
        s = 0 if k == G else s
        if (a, k, s, rank) in ranks or (a, k, s, b) in pairs:
            continue
        ranks.add((a, k, s, rank))
        pairs.add((a, k, s, b))
        rows.append((a, b, k, s, rank, row_caps.get(a, 0)))
    scope = BallotScope(
        tuple(data.draw(st.lists(st.integers(0, 2), unique=True, max_size=2))),
        tuple(data.draw(st.lists(st.integers(0, 2), unique=True, max_size=2))),
    )
    elig = set(data.draw(st.sets(member))) if data.draw(st.booleans()) else set(range(n))
    voted = {v for v in data.draw(st.sets(member)) if v in elig}
    caps = data.draw(st.dictionaries(member, st.integers(0, 4)))
    weight_cap = data.draw(st.none() | st.integers(1, 4))
    d = Delegations.from_rows(rows) if rows else Delegations.from_rows([])
    r = resolve(n, d, scope, sorted(voted), sorted(elig), max_depth=caps, weight_cap=weight_cap)
    ref = reference_resolve(n, rows, scope, voted, elig, caps, weight_cap)
    assert routes(r) == ref.outcome
    assert {int(v): int(r.weight[v]) for v in r.voters} == ref.weight
    assert r.capped_voters() == ref.capped
    assert int(r.voter_weights.sum()) + r.uncast == r.total == len(elig)
    assert sum(r.counts().values()) == n
    options, row_cap = applicable_options(rows, scope)
    effective = {
        m: min(c for c in (caps.get(m, 0), row_cap.get(m, 0)) if c)
        for m in range(n)
        if caps.get(m) or row_cap.get(m)
    }
    check_explanations(r, effective)


@pytest.mark.parametrize("seed", range(4))
def test_larger_graphs_with_backups_match_reference(seed: int) -> None:
    """2,000 members, a third with one to three ranked delegates, some with depth caps, a weight cap."""
    rng = np.random.default_rng(seed)
    n = 2000
    rows = []
    for a in rng.choice(n, size=n // 3, replace=False).tolist():
        for rank, b in enumerate(rng.choice(n, size=int(rng.integers(1, 4)), replace=False).tolist(), 1):
            rows.append((a, b, int(G), 0, rank))
    voted = {int(v) for v in rng.choice(n, size=n // 4, replace=False)}
    elig = set(range(n)) - {int(v) for v in rng.choice(n, size=n // 40, replace=False)}
    voted &= elig
    caps = {int(m): int(rng.integers(1, 4)) for m in rng.choice(n, size=n // 10, replace=False)}
    r = resolve(
        n,
        Delegations.from_rows(rows),
        BallotScope(),
        sorted(voted),
        sorted(elig),
        max_depth=caps,
        weight_cap=3,
    )
    ref = reference_resolve(n, rows, BallotScope(), voted, elig, caps, 3)
    assert routes(r) == ref.outcome
    assert r.capped_voters() == ref.capped
    assert int(r.voter_weights.sum()) + r.uncast == len(elig)
    counts = r.counts()
    assert counts["delegated"] and counts["depth-exceeded"] and counts["capped"] and counts["dead-end"]
    check_explanations(r, caps)


def test_applicable_delegate_is_the_first_ranked_of_the_most_specific_scope() -> None:
    rows = [(0, 1, G, 0, 1), (0, 2, P, 5, 2), (0, 3, P, 5, 1), (1, 0, T, 9, 1)]
    assert applicable_delegate(4, Delegations.from_rows(rows), BallotScope((9,), (5,))).tolist() == [
        3,
        0,
        -1,
        -1,
    ]
