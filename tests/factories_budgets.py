"""Builders for budget tests: processes set up through the services, as an officer would."""

from __future__ import annotations

import pytest
from flask import Flask
from sqlalchemy import select

from app.auth.models import Role, User
from app.budgets import services
from app.budgets.models import BallotType, BudgetHeading, BudgetProcess, Completion, Phase, Rule
from app.extensions import db
from app.places.models import Place
from tests.factories import make_user

FENLAND = "E07000010"
CAMBRIDGESHIRE = "E10000003"
SOUTH_CAMBS = "E07000012"


@pytest.fixture
def cambs(app: Flask) -> None:
    """Only the Cambridgeshire places and postcodes (quicker than the whole ``demo`` fixture, which also seeds
    every feature's demonstration data).  Import it into a test module to use it."""
    from app.core.demo import DATA
    from app.places import services as places

    with open(DATA / "cambridgeshire_places.csv", encoding="utf-8", newline="") as handle:
        places.import_places(db.session, handle)
    with open(DATA / "cambridgeshire_postcodes.csv", encoding="utf-8", newline="") as handle:
        places.import_postcodes(db.session, handle)
    db.session.commit()


def place(code: str) -> Place:
    return db.session.execute(select(Place).where(Place.code == code)).scalar_one()


def user(email: str) -> User:
    return db.session.execute(select(User).where(User.email == email)).scalar_one()


def officer() -> User:
    return user("officer@demo.example.org")


def make_budget(
    *,
    ballot_type: BallotType = BallotType.APPROVAL,
    rule: Rule = Rule.GREEDY,
    completion: Completion = Completion.NONE,
    place_code: str = FENLAND,
    amount: int = 10_000_00,
    projects: list[tuple[str, int]] | None = None,
    max_choices: int | None = None,
    max_points: int | None = None,
    phase: Phase = Phase.BALLOTING,
    title: str = "Test Community Fund",
    seed: int = 7,
    actor: User | None = None,
) -> tuple[BudgetProcess, BudgetHeading]:
    """A process with one heading (one pot equal to ``amount``) and ``projects``, moved on to ``phase``."""
    actor = actor or make_user(Role.OFFICER)
    where = place(place_code)
    data = services.ProcessData(
        title=title, description="", place=where, ballot_type=ballot_type, rule=rule, completion=completion,
        max_choices=max_choices, max_points=max_points,
    )
    process = services.create_process(db.session, actor, data, seed=seed)
    heading = services.add_heading(db.session, actor, process, where, where.name, amount)
    services.add_pot(db.session, actor, heading, "Council grant", amount)
    for title_, cost in projects or [("Play area", 4_000_00), ("Bus shelter", 3_000_00), ("Library hub", 5_000_00), ("Planters", 1_000_00)]:
        services.add_project(db.session, actor, heading, services.ProjectData(title_, "", cost))
    for step in list(Phase)[1 : list(Phase).index(phase) + 1]:
        services.advance_phase(db.session, actor, process, step)
    db.session.commit()
    return process, heading


def advance(process: BudgetProcess, to: Phase, actor: User | None = None) -> None:
    actor = actor or make_user(Role.OFFICER)
    while process.phase_enum is not to:
        nxt = process.phase_enum.next
        assert nxt is not None
        services.advance_phase(db.session, actor, process, nxt, confirm_early=True, confirm_low_turnout=True)
    db.session.commit()


def voters(n: int, postcode: str = "PE13 1AG") -> list[User]:
    return [make_user(postcode=postcode) for _ in range(n)]


def issue_papers(heading: BudgetHeading, n: int, by: User | None = None, postcode: str = "PE13 1AG") -> list[User]:
    """``n`` new residents marked on ``heading``'s register as issued a paper ballot (as officers did while voting
    was open), so that keyed batches of up to ``n`` papers can be accepted.  Inserted directly, so it works in
    any phase; :func:`app.budgets.services.issue_paper` is tested on its own."""
    from app.budgets.models import BallotChannel, BudgetRegister

    by = by or make_user(Role.OFFICER)
    residents = voters(n, postcode)
    for resident in residents:
        db.session.add(BudgetRegister(heading_id=heading.id, voter_id=resident.id, channel=BallotChannel.PAPER.value, issued_by_id=by.id))
    db.session.commit()
    return residents
