"""Folkmoot's MAXIMIN/LEXIMIN minimum probability against sortition-algorithms' maximin (GPL; dev extra only).

Both solve on HiGHS.  sortition-algorithms stops its column generation when no panel beats the bound by more
than 5e-4 (its ``EPS``); for an exact comparison its tolerance is tightened to 1e-9 here, so both run to the
optimum and must agree within 1e-6.
"""

from __future__ import annotations

import pytest

from app.tally.sortition import select
from bench.sortition import reference_maximin, synthetic_pool

pytest.importorskip(
    "sortition_algorithms",
    reason="sortition-algorithms (the reference, GPL) is not installed; pip install -e '.[dev]' installs it",
)

FIVE = {"gender": 2, "age": 4, "region": 4, "education": 3, "attitude": 3}


@pytest.mark.slow
@pytest.mark.parametrize(("n", "k", "seed"), [(300, 30, 1), (240, 24, 5)])
def test_same_minimum_probability_as_sortition_algorithms(n: int, k: int, seed: int) -> None:
    problem = synthetic_pool(n, FIVE, k, seed=seed)
    reference, _ = reference_maximin(problem, eps=1e-9)
    ours = select(problem, method="maximin", seed="ref")
    lex = select(problem, method="leximin", seed="ref")
    assert ours.min_probability == pytest.approx(reference, abs=1e-6)
    assert lex.min_probability == pytest.approx(reference, abs=1e-6)
    assert reference < k / n  # the quotas bind, so the comparison is not the trivial uniform k/n
