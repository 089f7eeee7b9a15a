"""LEXIMIN through its fractional relaxation (app.tally.sortition.relaxed, .decompose) against the exact column
generation: when the relaxation's profile is reached by panels it must be the exact LEXIMIN profile."""

from __future__ import annotations

from collections import Counter

import pytest
from hypothesis import given

from app.tally.sortition import Person, Problem, Quota
from app.tally.sortition.decompose import decompose
from app.tally.sortition.fair import fair_distribution
from app.tally.sortition.units import PanelModel, build_units
from bench.sortition import synthetic_pool
from tests.unit.tally.test_sortition import SETTINGS, feasible, meets, problems


def both_routes(problem: Problem, *, compress: bool = True) -> tuple[list[float], list[float], str]:
    units = build_units(problem, compress=compress)
    pm = PanelModel(units, problem.quotas, problem.size)
    fast = fair_distribution(units, pm, "leximin")
    exact = fair_distribution(units, PanelModel(units, problem.quotas, problem.size), "leximin", relaxed=False)
    return list(fast.unit_probability), list(exact.unit_probability), fast.route


def panels_meet_quotas(problem: Problem) -> None:
    units = build_units(problem)
    dist = fair_distribution(units, PanelModel(units, problem.quotas, problem.size), "leximin")
    assert sum(dist.weights) == pytest.approx(1.0, abs=1e-12)
    assert all(w > 0 for w in dist.weights)
    for comp in dist.comps:
        assert all(0 <= x <= units.size(u) for u, x in comp)
        panel = tuple(m for u, x in comp for m in units.units[u].members[:x])
        assert meets(problem, panel)


@SETTINGS
@given(problems())
def test_relaxed_route_gives_the_exact_leximin_profile(problem: Problem) -> None:
    if not feasible(problem):
        return
    fast, exact, _ = both_routes(problem)
    assert fast == pytest.approx(exact, abs=1e-6)
    panels_meet_quotas(problem)


@SETTINGS
@given(problems(max_people=10, households=True))
def test_relaxed_route_with_households(problem: Problem) -> None:
    if not feasible(problem):
        return
    fast, exact, _ = both_routes(problem)
    assert fast == pytest.approx(exact, abs=1e-6)


@pytest.mark.parametrize(("n", "categories", "k", "seed"), [
    (120, {"gender": 2, "age": 4}, 12, 3),
    (150, {"gender": 2, "age": 3, "region": 3}, 15, 4),
    (200, {"gender": 2, "age": 4, "region": 3, "education": 3, "attitude": 3}, 20, 5),
])
def test_relaxed_route_on_binding_quotas(n: int, categories: dict[str, int], k: int, seed: int) -> None:
    problem = synthetic_pool(n, categories, k, seed=seed)
    fast, exact, route = both_routes(problem)
    assert route == "relaxation"  # these pools' relaxations are reached, so the fast route is the one tested
    assert fast == pytest.approx(exact, abs=1e-6)
    assert min(fast) < k / n  # the quotas bind
    panels_meet_quotas(problem)


def test_two_categories_are_always_reached() -> None:
    # One or two categories give a totally unimodular quota matrix: every relaxed profile is reached.
    people = tuple(
        Person(str(i), {"g": "fm"[i % 2], "a": "xyz"[(i * 7) % 3 if i % 5 else 0]}) for i in range(40)
    )
    have = Counter(p.features["a"] for p in people)
    quotas = (Quota("g", "f", 3, 4), Quota("g", "m", 4, 5), *(Quota("a", v, 2, min(4, have[v])) for v in "xyz"))
    fast, exact, route = both_routes(Problem(people, quotas, 8))
    assert route == "relaxation"
    assert fast == pytest.approx(exact, abs=1e-6)


def test_unreachable_target_is_refused() -> None:
    # Three categories over four people with panels of two: the point giving every person 1/2 meets the
    # quotas fractionally (each value exactly once on average) but no panel of two meets all of them.
    people = tuple(Person(str(i), {"a": a, "b": b, "c": c}) for i, (a, b, c) in enumerate(
        [("0", "0", "0"), ("0", "1", "1"), ("1", "0", "1"), ("1", "1", "0")]
    ))
    quotas = tuple(Quota(cat, v, 1, 1) for cat in "abc" for v in "01")
    problem = Problem(people, quotas, 2)
    units = build_units(problem)
    assert decompose(units, quotas, 2, [0.5] * 4) is None


def test_falls_back_to_column_generation_when_the_relaxation_is_not_reached(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    problem = synthetic_pool(120, {"gender": 2, "age": 4, "region": 3}, 12, seed=6)
    fast, exact, route = both_routes(problem)
    assert route == "relaxation"
    import app.tally.sortition.fair as fair

    monkeypatch.setattr(fair, "decompose", lambda *args, **kwargs: None)
    units = build_units(problem)
    dist = fair_distribution(units, PanelModel(units, problem.quotas, problem.size), "leximin")
    assert dist.route == "column generation"
    assert list(dist.unit_probability) == pytest.approx(fast, abs=1e-6)
