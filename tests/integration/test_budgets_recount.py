"""The exported pabulib file, recounted independently, gives exactly the published selection: by this project's
recount command (``python -m app.tally pb``) and by pabutools (a test-only reference), for the demonstration
data and for seeded random budgets of every ballot type and rule."""

from __future__ import annotations

import json
import random
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from app.auth.models import Role
from app.budgets import services
from app.budgets.demo import FENLAND, SOUTH_CAMBS
from app.budgets.models import BallotType, BudgetHeading, BudgetProcess, Completion, Phase, Rule
from app.core.errors import DomainError
from app.extensions import db
from app.tally.__main__ import main as tally_main
from app.tally.formats import pabulib
from tests.factories import make_user
from tests.factories_budgets import advance, cambs, make_budget, voters  # noqa: F401  (cambs is a fixture)


def _export(heading: BudgetHeading, tmp_path: Path) -> tuple[Path, frozenset[str]]:
    count = services.published_count(db.session, heading)
    assert count is not None
    path = tmp_path / f"heading-{heading.id}.pb"
    path.write_text(services.export_pabulib(db.session, heading, count), encoding="utf-8")
    return path, frozenset(json.loads(count.result_json)["selected"])


def _recount_cli(path: Path, seed: int, published: frozenset[str], rule: str | None = None, completion: str | None = None) -> None:
    """``python -m app.tally pb FILE --check`` (exit 1 on any difference from the 'selected' column), with the
    rule from the file's META and, when given, named on the command line as ``--rule R --completion C``."""
    pb = pabulib.read(path)
    assert pb.official_selected() == published
    assert tally_main(["pb", str(path), "--check", "--seed", str(seed)]) == 0
    if rule is not None:
        assert tally_main(["pb", str(path), "--rule", rule, "--completion", completion or "none", "--check", "--seed", str(seed)]) == 0


def _points_times_cost(instance: Any, profile: Any, ballot: Any, project: Any, precomputed_values: Any) -> Any:
    return ballot.get(project, 0) * project.cost


try:
    from pabutools.election.satisfaction.additivesatisfaction import AdditiveSatisfaction

    class _PointsTimesCost(AdditiveSatisfaction):
        """A voter's points for a project times its cost, so greedy welfare per pound orders projects by points."""

        def __init__(self, instance: Any, profile: Any, ballot: Any) -> None:
            AdditiveSatisfaction.__init__(self, instance, profile, ballot, _points_times_cost)
except ImportError:  # pragma: no cover - pabutools is a development dependency
    pass


def _pabutools(path: Path, rule: str, completion: str) -> frozenset[str] | None:
    """The selection pabutools finds for the file, or None where pabutools has no matching rule here."""
    pytest.importorskip("pabutools")
    from pabutools.election import Cost_Sat, parse_pabulib
    from pabutools.rules import greedy_utilitarian_welfare, method_of_equal_shares
    from pabutools.tiebreaking import TieBreakingRule, min_cost_tie_breaking

    text = path.read_text(encoding="utf-8")
    points = "\nvote_type;cumulative\n" in text
    if points:  # pabutools cannot parse a points ballot that gives no points; it changes nothing, so leave it out
        head, votes = text.split("\nVOTES\n", 1)
        kept = [line for line in votes.splitlines() if not line.split(";")[1:2] == [""]]
        path = path.with_suffix(".pabutools.pb")
        path.write_text(head + "\nVOTES\n" + "\n".join(kept) + "\n", encoding="utf-8")
    inst, prof = parse_pabulib(str(path))
    if rule == "greedy":
        # by votes (approvals, or points on cumulative ballots): satisfaction per pound = votes
        chosen = greedy_utilitarian_welfare(inst, prof, sat_class=_PointsTimesCost if points else Cost_Sat, tie_breaking=min_cost_tie_breaking)
        return frozenset(p.name for p in chosen)
    if points:
        return None  # Equal Shares on points ballots: no matching pabutools utility here

    def key(_inst: Any, profile: Any, proj: Any) -> tuple[Any, ...]:
        return (-sum(1 for b in profile if proj in b), proj.cost, proj.name)

    ties = TieBreakingRule(key)
    if rule == "equal-shares" and completion == "none":
        return frozenset(p.name for p in method_of_equal_shares(inst, prof, sat_class=Cost_Sat, tie_breaking=ties))
    if rule == "equal-shares" and completion in ("add1", "add1-greedy"):
        # the literal Add1 loop: raise every voter's share by one currency unit while the outcome still fits
        budget, n = inst.budget_limit, prof.num_ballots()
        supported = {p for b in prof for p in b}
        kept = method_of_equal_shares(inst, prof, sat_class=Cost_Sat, tie_breaking=ties)
        k = 0
        while sum(p.cost for p in kept) <= budget and set(kept) != supported:
            k += 1
            inst.budget_limit = budget + k * n
            nxt = method_of_equal_shares(inst, prof, sat_class=Cost_Sat, tie_breaking=ties)
            if sum(p.cost for p in nxt) > budget:
                break
            kept = nxt
        inst.budget_limit = budget
        if completion == "add1-greedy":
            kept = greedy_utilitarian_welfare(inst, prof, sat_class=Cost_Sat, tie_breaking=min_cost_tie_breaking, initial_budget_allocation=kept)
        return frozenset(p.name for p in kept)
    return None


def _every_unfunded_project_has_its_reason(app, heading: BudgetHeading) -> None:  # type: ignore[no-untyped-def]
    """Each project not funded gets a specific plain-language reason (never the catch-all)."""
    from app.budgets.presenters import reason_text

    count = services.published_count(db.session, heading)
    titles = {str(p.id): p.title for p in heading.projects}
    with app.test_request_context():
        for outcome in services.outcomes(heading, count):
            if not outcome.funded:
                text = reason_text(outcome.reason, titles)
                assert text and text != "It was not funded.", (outcome.project.title, outcome.reason)


def test_demo_budgets_recount_to_the_published_selection(app, demo, tmp_path):  # type: ignore[no-untyped-def]
    fenland = db.session.execute(select(BudgetProcess).where(BudgetProcess.title == FENLAND)).scalar_one()
    south = db.session.execute(select(BudgetProcess).where(BudgetProcess.title == SOUTH_CAMBS)).scalar_one()
    assert fenland.phase == Phase.FINISHED.value and south.phase == Phase.BALLOTING.value
    # paper ballots, keyed twice by two officers, in the finished budget; one batch awaiting its second keying
    fen_count = services.published_count(db.session, fenland.headings[0])
    assert fen_count.online_ballots == 300 and fen_count.paper_ballots + fen_count.spoilt_ballots == 45 and fen_count.paper_ballots >= 40
    from app.budgets import queries

    (waiting,) = queries.batches(db.session, south.headings[0])
    assert waiting.state == "keying" and len(waiting.keyings) == 1
    # finish the South Cambridgeshire vote as an officer would: close it, key the waiting batch a second time
    # (publishing is refused while it waits), accept it, count
    officer = make_user(Role.OFFICER)
    advance(south, Phase.REVIEWING_BALLOTS, officer)
    services.run_count(db.session, officer, south.headings[0])
    db.session.commit()
    with pytest.raises(DomainError, match="Paper batch 1 of South Cambridgeshire is still being keyed"):
        advance(south, Phase.FINISHED, officer)
    db.session.rollback()
    rows = [services.PaperRow.from_json(r) for r in json.loads(waiting.keyings[0].content_json)]
    services.key_batch(db.session, officer, waiting, rows)
    assert services.accept_batch(db.session, officer, waiting) == 12
    services.run_count(db.session, officer, south.headings[0])
    db.session.commit()
    advance(south, Phase.FINISHED, officer)
    for process in (fenland, south):
        heading = process.headings[0]
        path, published = _export(heading, tmp_path)
        pb = pabulib.read(path)
        assert len(pb.election.ballots) >= 200
        assert len(published) >= 3
        _recount_cli(path, process.seed, published, process.rule, process.completion)
        theirs = _pabutools(path, process.rule, process.completion)
        assert theirs == published, process.title
        _every_unfunded_project_has_its_reason(app, heading)
    # the demo is idempotent
    from app.budgets.demo import seed

    assert seed(db.session) == ["Budgets: demonstration budgets already present."]


KINDS = [BallotType.APPROVAL, BallotType.K_APPROVAL, BallotType.KNAPSACK, BallotType.CUMULATIVE]
RULES = [
    (Rule.GREEDY, Completion.NONE),
    (Rule.GREEDY_NO_SKIP, Completion.NONE),
    (Rule.EQUAL_SHARES, Completion.NONE),
    (Rule.EQUAL_SHARES, Completion.ADD1),
    (Rule.EQUAL_SHARES, Completion.ADD1_GREEDY),
    (Rule.EQUAL_SHARES, Completion.ADD1_COMPARISON),
]


def _random_choices(rng: random.Random, kind: BallotType, heading: BudgetHeading, k: int, points: int) -> dict[int, int]:
    projects = list(heading.projects)
    if kind is BallotType.CUMULATIVE:
        out: dict[int, int] = {}
        left = rng.randint(0, points)
        for p in rng.sample(projects, rng.randint(0, len(projects))):
            give = rng.randint(0, left)
            if give:
                out[p.id] = give
                left -= give
        return out
    chosen = [p for p in projects if rng.random() < 0.45]
    if kind is BallotType.K_APPROVAL:
        chosen = chosen[:k]
    if kind is BallotType.KNAPSACK:
        fitting, spent = [], 0
        for p in chosen:
            if spent + p.cost_pence <= heading.amount_pence:
                fitting.append(p)
                spent += p.cost_pence
        chosen = fitting
    return {p.id: 1 for p in chosen}


@pytest.mark.usefixtures("cambs")
def test_random_budgets_recount_to_the_published_selection(app, tmp_path):  # type: ignore[no-untyped-def]
    rng = random.Random(2026)
    officer = make_user(Role.OFFICER)
    people = voters(14)
    compared_with_pabutools = 0
    for case in range(15):
        kind = KINDS[case % len(KINDS)] if case < 12 else BallotType.CUMULATIVE
        rule, completion = RULES[case % len(RULES)] if case < 12 else (Rule.GREEDY, Completion.NONE)
        m = rng.randint(3, 7)
        costs = rng.sample(range(50, 600), m)  # whole pounds, all different (no ties decided by lot)
        amount = sum(costs) * rng.randint(35, 75) // 100 * 100
        process, heading = make_budget(
            ballot_type=kind, rule=rule, completion=completion, amount=amount,
            projects=[(f"Project {case}-{j}", c * 100) for j, c in enumerate(costs)],
            max_choices=2 if kind is BallotType.K_APPROVAL else None, max_points=10 if kind is BallotType.CUMULATIVE else None,
            title=f"Random budget {case}", seed=rng.randint(0, 10**6), actor=officer,
        )
        for person in people[: rng.randint(5, len(people))]:
            choices = _random_choices(rng, kind, heading, 2, 10)
            services.cast_ballot(db.session, person, heading, choices, blank=not any(choices.values()))
        db.session.commit()
        advance(process, Phase.REVIEWING_BALLOTS, officer)
        first = services.run_count(db.session, officer, heading)
        again = services.run_count(db.session, officer, heading)
        assert first.result_json == again.result_json
        db.session.commit()
        advance(process, Phase.FINISHED, officer)
        path, published = _export(heading, tmp_path)
        _recount_cli(path, process.seed, published, rule.value, completion.value)
        _every_unfunded_project_has_its_reason(app, heading)
        if kind is BallotType.KNAPSACK:
            assert f"\nmax_sum_cost;{services.meta_money(heading.amount_pence)}\n" in path.read_text(encoding="utf-8")
        theirs = _pabutools(path, rule.value, completion.value)
        if theirs is not None:
            assert theirs == published, (case, kind, rule, completion)
            compared_with_pabutools += 1
    assert compared_with_pabutools == 10  # all but greedy-no-skip, the comparison step and Equal Shares on points
