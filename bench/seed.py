"""Data for a load run, and the count afterwards.

:func:`seed` creates the schema in an empty PostgreSQL database, the Cambridgeshire places, one budget with
a heading for each ballot type (approval, k-approval, knapsack, cumulative) and one ranked vote, all open in
Fenland, and N residents of Fenland with one password (hashed once, with the production argon2 parameters,
and copied: hashing it N times would only slow the set-up).  Each resident is given one ballot, in turn.

:func:`verify` counts what was stored three ways: rows in the ballot tables, the app's own count (the
inputs the budget count reads; the officers' ballot count of a vote), and every receipt a resident was
shown, looked up with the app's receipt check.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from sqlalchemy import func, insert, select, text

PASSWORD = "bench resident passphrase"
KINDS = ("approval", "k-approval", "knapsack", "cumulative", "ranked")


def _app(url: str, password_cost: tuple[int, int] | None = None):  # type: ignore[no-untyped-def]
    from app import create_app
    from config import Config, database_url

    time_cost, memory_cost = password_cost or (Config.ARGON2_TIME_COST, Config.ARGON2_MEMORY_COST)
    return create_app("testing", {"SQLALCHEMY_DATABASE_URI": database_url(url), "ARGON2_TIME_COST": time_cost,
                                  "ARGON2_MEMORY_COST": memory_cost})


def seed(url: str, residents: int, password_cost: tuple[int, int] | None = None) -> dict[str, Any]:
    """The plan the swarm follows: ``ballots`` (kind, url, the form fields of a valid choice) and
    ``accounts`` (email, index of the ballot).  The password is hashed with the production argon2
    parameters unless ``password_cost`` (time cost, memory cost in KiB) says otherwise: a stored hash carries
    its own parameters, so this sets what each sign-in costs the server."""
    from app.auth import services as accounts
    from app.auth.models import Role, User
    from app.budgets import services as budgets
    from app.budgets.models import BallotType, Completion, Phase, Rule
    from app.core.db import utcnow
    from app.core.demo import DATA
    from app.extensions import db
    from app.places import services as places
    from app.places.models import Place
    from app.voting import services as voting
    from app.voting.models import VoteRule

    app = _app(url, password_cost)
    with app.app_context():
        db.drop_all()
        db.create_all()
        with open(DATA / "cambridgeshire_places.csv", encoding="utf-8", newline="") as handle:
            places.import_places(db.session, handle)
        with open(DATA / "cambridgeshire_postcodes.csv", encoding="utf-8", newline="") as handle:
            places.import_postcodes(db.session, handle)
        officer = accounts.create_user(db.session, email="officer@bench.example.org", display_name="Bench officer",
                                       password=PASSWORD, roles=[Role.OFFICER])
        fenland = db.session.execute(select(Place).where(Place.code == "E07000010")).scalar_one()
        ballots: list[dict[str, Any]] = []
        projects = [("Play area", 4_000_00), ("Bus shelter", 3_000_00), ("Library hub", 5_000_00), ("Planters", 1_000_00)]
        for kind in KINDS[:4]:
            ballot_type = BallotType(kind)
            data = budgets.ProcessData(title=f"Bench {kind} budget", description="", place=fenland, ballot_type=ballot_type,
                                       rule=Rule.GREEDY, completion=Completion.NONE,
                                       max_choices=2 if ballot_type is BallotType.K_APPROVAL else None,
                                       max_points=10 if ballot_type is BallotType.CUMULATIVE else None)
            process = budgets.create_process(db.session, officer, data, seed=1)
            heading = budgets.add_heading(db.session, officer, process, fenland, fenland.name, 10_000_00)
            budgets.add_pot(db.session, officer, heading, "Council grant", 10_000_00)
            for title, cost in projects:
                budgets.add_project(db.session, officer, heading, budgets.ProjectData(title, "", cost))
            for step in list(Phase)[1 : list(Phase).index(Phase.BALLOTING) + 1]:
                budgets.advance_phase(db.session, officer, process, step, confirm_early=True)
            ids = {p.title: p.id for p in heading.projects}
            # a valid choice of each type: within k, within the budget, within the points
            fields = ({f"p{ids['Play area']}": "6", f"p{ids['Planters']}": "4"} if kind == "cumulative"
                      else {f"p{ids['Play area']}": "y", f"p{ids['Planters']}": "y"})
            ballots.append({"kind": kind, "id": heading.id, "url": f"/budgets/headings/{heading.id}/ballot", "fields": fields})
        now = utcnow()
        vote = voting.create_vote(db.session, officer, voting.VoteData(
            title="Bench ranked vote", description="", rule=VoteRule.IRV, seats=1, place=fenland,
            opens_at=now - timedelta(days=1), closes_at=now + timedelta(days=7),
            options=["Play area", "Bus shelter", "Library hub"]), seed=1)
        opts = {o.title: o.id for o in vote.options}
        ballots.append({"kind": "ranked", "id": vote.id, "url": f"/votes/{vote.id}/ballot",
                        "fields": {f"rank_{opts['Library hub']}": "1", f"rank_{opts['Play area']}": "2"}})
        template = accounts.create_user(db.session, email="r0@bench.example.org", display_name="Resident 0",
                                        password=PASSWORD, roles=[], postcode="PE13 1AG")
        db.session.flush()
        row = {c.key: getattr(template, c.key) for c in User.__table__.columns if c.key not in ("id", "email", "display_name")}
        db.session.execute(insert(User), [{**row, "email": f"r{n}@bench.example.org", "display_name": f"Resident {n}"}
                                          for n in range(1, residents)])
        db.session.commit()
        db.session.execute(text("ANALYZE"))
        db.session.commit()
        emails = [f"r{n}@bench.example.org" for n in range(residents)]
    return {"password": PASSWORD, "ballots": ballots,
            "accounts": [{"email": e, "ballot": n % len(ballots)} for n, e in enumerate(emails)]}


@dataclass
class Tally:
    """What was stored, against what the residents were told."""

    receipts: int = 0  # casts that showed a receipt (each resident casts once)
    stored: int = 0  # rows in the ballot tables
    counted: int = 0  # the app's own count
    receipts_found: int = 0  # receipts that the app's receipt check finds (and not replaced)
    attempted: int = 0  # residents who sent a cast (with or without an answer)
    half_written: int = 0  # ballots without their choices or their receipt
    by_kind: dict[str, tuple[int, int]] = field(default_factory=dict)

    @property
    def lost(self) -> int:
        return self.receipts - self.receipts_found

    @property
    def duplicated(self) -> int:
        """Ballots beyond one per resident who tried (each resident casts once, never replaces)."""
        return max(0, self.stored - self.attempted)

    @property
    def ok(self) -> bool:
        return self.lost == 0 and self.duplicated == 0 and self.half_written == 0 and self.stored == self.counted


def verify(url: str, plan: dict[str, Any], receipts: list[tuple[int, str]], attempted: int) -> Tally:
    """``receipts``: (ballot index, code) for every receipt shown."""
    from app.budgets import services as budgets
    from app.budgets.models import BallotChoice, BudgetBallot, BudgetHeading
    from app.extensions import db
    from app.voting import queries as vote_queries
    from app.voting import services as voting
    from app.voting.models import Vote, VoteBallot, VoteReceipt

    app = _app(url)
    out = Tally(receipts=len(receipts), attempted=attempted)
    with app.app_context():
        for n, ballot in enumerate(plan["ballots"]):
            if ballot["kind"] == "ranked":
                vote = db.session.get(Vote, ballot["id"])
                stored = db.session.execute(select(func.count()).select_from(VoteBallot).where(VoteBallot.vote_id == vote.id)).scalar_one()
                counted = vote_queries.ballot_count(db.session, vote)
                out.half_written += db.session.execute(
                    select(func.count()).select_from(VoteBallot).where(
                        VoteBallot.vote_id == vote.id,
                        (VoteBallot.ranking == "") | ~select(VoteReceipt.id).where(VoteReceipt.ballot_id == VoteBallot.id).exists())
                ).scalar_one()
                check = voting.check_receipt
            else:
                heading = db.session.get(BudgetHeading, ballot["id"])
                stored = db.session.execute(select(func.count()).select_from(BudgetBallot).where(BudgetBallot.heading_id == heading.id)).scalar_one()
                inputs = budgets.count_inputs(db.session, heading)
                counted = inputs.online + inputs.paper + inputs.spoilt
                out.half_written += db.session.execute(
                    select(func.count()).select_from(BudgetBallot).where(
                        BudgetBallot.heading_id == heading.id,
                        BudgetBallot.receipt_hash.is_(None) | ~select(BallotChoice.id).where(BallotChoice.ballot_id == BudgetBallot.id).exists())
                ).scalar_one()
                check = budgets.check_receipt
            found = 0
            mine = [code for i, code in receipts if i == n]
            for code in mine:
                status = check(db.session, code)
                found += status is not None and status.replaced_at is None
            out.stored += stored
            out.counted += counted
            out.receipts_found += found
            out.by_kind[ballot["kind"]] = (len(mine), stored)
        db.session.remove()
        db.engine.dispose()
    return out
