"""The selection library (app.tally.sortition): quotas, fairness, determinism, compression, households."""

from __future__ import annotations

import itertools
from collections import Counter

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from app.tally.records import InputError
from app.tally.sortition import (
    InfeasibleQuotas,
    NoReplacement,
    Person,
    Problem,
    Quota,
    check_quotas,
    draw_replacement,
    inputs_sha256,
    normalise_address,
    rank_reserves,
    select,
)


def meets(problem: Problem, panel: tuple[str, ...]) -> bool:
    features = {p.id: p.features for p in problem.people}
    counts = Counter((q.category, features[pid][q.category]) for pid in panel for q in problem.quotas)
    cats = {q.category for q in problem.quotas}
    counts = Counter((c, features[pid][c]) for pid in panel for c in cats)
    return len(panel) == problem.size and all(q.min <= counts[(q.category, q.value)] <= q.max for q in problem.quotas)


@st.composite
def problems(draw: st.DrawFn, max_people: int = 12, households: bool = False) -> Problem:
    n_cats = draw(st.integers(1, 3))
    cats = {f"c{i}": [f"v{j}" for j in range(draw(st.integers(2, 3)))] for i in range(n_cats)}
    n = draw(st.integers(3, max_people))
    people = []
    for i in range(n):
        features = {c: draw(st.sampled_from(vs)) for c, vs in cats.items()}
        house = f"h{draw(st.integers(0, n // 2))}" if households else None
        people.append(Person(f"p{i:02d}", features, house))
    k = draw(st.integers(1, max(1, n // 2)))
    quotas = []
    for c, vs in cats.items():
        for v in vs:
            have = sum(1 for p in people if p.features[c] == v)
            lo = draw(st.integers(0, min(have, k)))
            hi = draw(st.integers(lo, k))
            quotas.append(Quota(c, v, lo, hi))
    return Problem(tuple(people), tuple(quotas), k, household_rule=households)


def feasible(problem: Problem) -> bool:
    try:
        return check_quotas(problem) is None
    except InputError:
        return False


SETTINGS = settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.filter_too_much])


@SETTINGS
@given(problems(), st.sampled_from(["leximin", "maximin"]))
def test_panel_meets_quotas_and_probabilities_sum_to_k(problem: Problem, method: str) -> None:
    if not feasible(problem):
        with pytest.raises(InputError):
            select(problem, method=method, seed="s")
        return
    s = select(problem, method=method, seed="s")
    assert meets(problem, s.panel)
    assert sum(s.probabilities.values()) == pytest.approx(problem.size, abs=1e-6)
    assert all(meets(problem, panel) for panel, _ in s.distribution)
    assert sum(w for _, w in s.distribution) == pytest.approx(1.0)
    again = select(problem, method=method, seed="s")
    assert again.panel == s.panel and again.probabilities == s.probabilities


@SETTINGS
@given(problems())
def test_leximin_minimum_is_the_maximin_optimum(problem: Problem) -> None:
    if not feasible(problem):
        return
    lex = select(problem, method="leximin", seed="x")
    mm = select(problem, method="maximin", seed="x")
    assert lex.min_probability == pytest.approx(mm.min_probability, abs=1e-6)
    # leximin never leaves anyone below the maximin optimum, and its sorted vector dominates
    assert sorted(lex.probabilities.values())[0] >= mm.min_probability - 1e-6


@SETTINGS
@given(problems(max_people=9))
def test_type_compression_gives_the_same_probabilities(problem: Problem) -> None:
    if not feasible(problem):
        return
    a = select(problem, method="leximin", seed="c")
    b = select(problem, method="leximin", seed="c", compress=False)
    for pid in a.probabilities:
        assert a.probabilities[pid] == pytest.approx(b.probabilities[pid], abs=1e-6)


@SETTINGS
@given(problems(max_people=10, households=True))
def test_household_rule(problem: Problem) -> None:
    if not feasible(problem):
        return
    s = select(problem, method="leximin", seed="h", lottery=20)
    house = {p.id: p.household for p in problem.people}
    for panel, _ in s.distribution:
        assert meets(problem, panel)
        houses = [house[pid] for pid in panel]
        assert len(houses) == len(set(houses))
    assert s.household_report is not None and "one person per household" in s.household_report


def brute_force_maximin(problem: Problem) -> float:
    """Maximin by enumerating every panel (an LP over all of them, solved with HiGHS)."""
    from app.tally.sortition.solver import Model

    ids = [p.id for p in problem.people]
    panels = [c for c in itertools.combinations(ids, problem.size) if meets(problem, c)]
    lp = Model()
    lam = [lp.add_var(0.0, 1.0) for _ in panels]
    z = lp.add_var(-1.0, 1.0)
    lp.add_row(1.0, 1.0, lam, [1.0] * len(lam))
    for pid in ids:
        cols = [lam[i] for i, p in enumerate(panels) if pid in p]
        if cols:  # people on no panel have probability 0 and are left out, as in FGGHP
            lp.add_row(0.0, 1e30, [*cols, z], [1.0] * len(cols) + [-1.0])
    lp.set_objective([z], [1.0], maximise=True)
    assert lp.solve() == "optimal"
    return lp.objective()


def test_maximin_matches_enumeration() -> None:
    people = tuple(
        Person(f"p{i}", {"g": "f" if i < 3 else "m", "a": "young" if i % 3 == 0 else "old"}) for i in range(8)
    )
    quotas = (Quota("g", "f", 2, 3), Quota("g", "m", 1, 2), Quota("a", "young", 2, 4), Quota("a", "old", 0, 2))
    problem = Problem(people, quotas, 4)
    s = select(problem, method="maximin", seed="e")
    expected = brute_force_maximin(problem)
    coverable = {pid for panel, _ in select(problem, method="leximin", seed="e").distribution for pid in panel}
    assert min(s.probabilities[p] for p in coverable) == pytest.approx(expected, abs=1e-7)


def small_problem() -> Problem:
    people = tuple(
        Person(str(i), {"gender": ["f", "m"][i % 2], "age": ["16-29", "30-59", "60+"][i % 3]}, f"house {i // 2}")
        for i in range(1, 31)
    )
    quotas = (
        Quota("gender", "f", 4, 5),
        Quota("gender", "m", 4, 5),
        Quota("age", "16-29", 2, 4),
        Quota("age", "30-59", 3, 4),
        Quota("age", "60+", 2, 3),
    )
    return Problem(people, quotas, 9)


def test_seed_determinism_and_lottery() -> None:
    problem = small_problem()
    a = select(problem, seed="123", lottery=1000)
    b = select(problem, seed="123", lottery=1000)
    c = select(problem, seed="124", lottery=1000)
    assert a.panel == b.panel and a.lottery_index == b.lottery_index
    assert a.distribution == c.distribution  # the lottery does not depend on the seed, only the ticket does
    assert a.panels == 1000 and a.lottery_index is not None and 1 <= a.lottery_index <= 1000
    assert a.panel == a.distribution[a.lottery_index - 1][0]
    assert a.rounding_max_change is not None and a.rounding_max_change <= 0.01
    assert sum(a.probabilities.values()) == pytest.approx(9)
    exact = select(problem, seed="123")
    assert a.min_probability >= exact.min_probability - a.rounding_max_change - 1e-9


def test_legacy_meets_quotas_and_estimates() -> None:
    problem = small_problem()
    s = select(problem, method="legacy", seed="7", legacy_runs=100)
    assert meets(problem, s.panel)
    assert all(meets(problem, p) for p, _ in s.distribution)
    assert sum(s.probabilities.values()) == pytest.approx(9)
    assert select(problem, method="legacy", seed="7", legacy_runs=100).panel == s.panel


def test_infeasible_quotas_name_them_and_relax_them() -> None:
    problem = small_problem()
    bad = Problem(
        problem.people,
        (Quota("gender", "f", 6, 7), Quota("gender", "m", 5, 6), *problem.quotas[2:]),
        9,
    )
    info = check_quotas(bad)
    assert info is not None
    assert {q.value for q in info.quotas} <= {"f", "m"} and info.quotas
    relaxed = {(q.category, q.value): (lo, hi) for q, lo, hi in info.relaxations}
    fixed = tuple(
        Quota(q.category, q.value, *relaxed.get((q.category, q.value), (q.min, q.max))) for q in bad.quotas
    )
    assert sum(abs(lo - q.min) + abs(hi - q.max) for q, lo, hi in info.relaxations) == 2
    assert check_quotas(Problem(bad.people, fixed, 9)) is None
    with pytest.raises(InfeasibleQuotas) as exc:
        select(bad, seed="1")
    assert exc.value.infeasibility == info
    assert "gender=" in str(exc.value)


@SETTINGS
@given(problems())
def test_relaxations_are_feasible(problem: Problem) -> None:
    try:
        info = check_quotas(problem)
    except InputError:
        return
    if info is None:
        return
    relaxed = {(q.category, q.value): (lo, hi) for q, lo, hi in info.relaxations}
    fixed = tuple(
        Quota(q.category, q.value, *relaxed.get((q.category, q.value), (q.min, q.max))) for q in problem.quotas
    )
    assert check_quotas(Problem(problem.people, fixed, problem.size, problem.household_rule)) is None


def test_bad_problems() -> None:
    problem = small_problem()
    with pytest.raises(InputError, match="pool of 30"):
        select(Problem(problem.people, problem.quotas, 31), seed="1")
    with pytest.raises(InputError, match="duplicate id"):
        select(Problem(problem.people + problem.people[:1], problem.quotas, 9), seed="1")
    with pytest.raises(InputError, match="unknown value"):
        odd = Person("99", {"gender": "x", "age": "60+"})
        select(Problem(problem.people + (odd,), problem.quotas, 9), seed="1")
    with pytest.raises(InputError, match="greater than max"):
        select(Problem(problem.people, (Quota("gender", "f", 3, 2), *problem.quotas[1:]), 9), seed="1")
    with pytest.raises(InputError, match="households"):
        select(Problem(problem.people, problem.quotas, 17, household_rule=True), seed="1")
    with pytest.raises(InputError, match="unknown method"):
        select(problem, method="random", seed="1")


def test_inputs_sha256_is_canonical() -> None:
    problem = small_problem()
    reordered = Problem(tuple(reversed(problem.people)), tuple(reversed(problem.quotas)), 9)
    assert inputs_sha256(problem, "leximin") == inputs_sha256(reordered, "leximin")
    assert inputs_sha256(problem, "leximin") != inputs_sha256(problem, "maximin")
    renamed = Problem(
        tuple(Person(p.id, p.features, f"other {p.household}") for p in problem.people), problem.quotas, 9, True
    )
    ruled = Problem(problem.people, problem.quotas, 9, True)
    # only the partition into households is committed to, not the addresses
    assert inputs_sha256(renamed, "leximin") == inputs_sha256(ruled, "leximin")
    assert inputs_sha256(ruled, "leximin") != inputs_sha256(problem, "leximin")
    assert select(problem, seed="1").inputs_sha256 == inputs_sha256(problem, "leximin")


def test_normalise_address() -> None:
    assert normalise_address("12 Mill Rd,", "CB1 1PT") == normalise_address("12 mill road cb11pt")
    assert normalise_address("Flat 2, St. Andrew's St") == normalise_address("flat 2 st andrews street")
    assert normalise_address("12 Mill Rd") != normalise_address("14 Mill Rd")


def test_replacement_keeps_quotas() -> None:
    problem = small_problem()
    s = select(problem, seed="r")
    withdrawn = s.panel[0]
    r = draw_replacement(problem, s.panel, withdrawn, [], "r")
    new_panel = tuple(sorted(set(s.panel) - {withdrawn} | {r.id}))
    assert r.id not in s.panel and meets(problem, new_panel)
    gone = next(p for p in problem.people if p.id == withdrawn)
    got = next(p for p in problem.people if p.id == r.id)
    assert dict(got.features) == dict(gone.features) and "identical" in r.method_text
    assert draw_replacement(problem, s.panel, withdrawn, [], "r") == r
    others = [p.id for p in problem.people if p.features == gone.features and p.id not in s.panel]
    with pytest.raises(NoReplacement):
        lone = Problem(problem.people, problem.quotas, 9)
        blocked = [p.id for p in problem.people if p.id not in s.panel]
        draw_replacement(lone, s.panel, withdrawn, blocked, "r")
    assert r.candidates == len(others)
    reserves = rank_reserves(problem, s.panel, "r")
    assert set(reserves) == {p.id for p in problem.people} - set(s.panel)
    assert reserves == rank_reserves(problem, s.panel, "r")
