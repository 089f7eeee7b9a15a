"""The server's ballot check agrees with the counting library: any choices the ballot page accepts are a
valid tally ballot, and any it refuses the library refuses too (property test over random choices)."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from app.budgets import services
from app.budgets.models import BallotType, BudgetHeading, BudgetProcess, BudgetProject
from app.tally import budget as tally
from app.tally.records import InputError

COSTS = [4_000_00, 3_000_00, 5_000_00, 1_000_00, 2_500_00]


def _heading(kind: BallotType) -> BudgetHeading:
    process = BudgetProcess(
        title="Check", phase="balloting", ballot_type=kind.value, rule="greedy", completion="none",
        max_choices=2 if kind is BallotType.K_APPROVAL else None, max_points=10 if kind is BallotType.CUMULATIVE else None,
    )
    heading = BudgetHeading(process=process, name="Fenland", amount_pence=10_000_00)
    heading.projects = [BudgetProject(id=i + 1, title=f"P{i + 1}", cost_pence=c) for i, c in enumerate(COSTS)]
    return heading


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    kind=st.sampled_from(list(BallotType)),
    choices=st.dictionaries(st.integers(1, 5), st.integers(0, 12), max_size=5),
)
def test_ballot_check_matches_the_tally(app, kind: BallotType, choices: dict[int, int]) -> None:  # type: ignore[no-untyped-def]
    heading = _heading(kind)
    if kind is not BallotType.CUMULATIVE:
        choices = {k: min(v, 1) for k, v in choices.items()}  # checkboxes: ticked or not
    with app.test_request_context():
        check = services.check_choices(heading, choices)
    chosen = sorted(check.choices)
    ballot = tally.Ballot(
        projects=tuple(str(p) for p in chosen),
        points=tuple(check.choices[p] for p in chosen) if kind is BallotType.CUMULATIVE else None,
    )
    election = tally.BudgetElection(
        projects=tuple(tally.Project(str(p.id), p.cost_pence) for p in heading.projects), budget=heading.amount_pence,
        ballots=(ballot,), kind=services.TALLY_KIND[kind], max_approvals=heading.process.max_choices,
        max_points=heading.process.max_points,
    )
    if check.ok:
        tally.validate(election)
    else:
        with pytest.raises(InputError):
            tally.validate(election)
