"""Equality-monitoring demonstration data: the finished Fenland budget asked the standard questions and about
two in three of its voters answered (a seeded ``random.Random(2026)``, so every run gives the same counts),
enough for the results page and the committee pack to show the tables, with a few small groups suppressed.
South Cambridgeshire's open budget and the open county vote ask them too, so a demo voter there is offered
the questions after casting.  Idempotent: a process that already has its switch is left alone."""

from __future__ import annotations

import random
from collections import Counter

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.auth.models import Role, User
from app.budgets.models import BudgetHeading, BudgetProcess, BudgetRegister
from app.equality import questions as q
from app.equality import services
from app.equality.models import EqualityCount, EqualityMonitor, EqualityResponder

# Rough shares for each answer (in the order of the question's answers), a little like a rural district.
WEIGHTS = {
    "age": [0, 6, 12, 15, 17, 19, 18, 10, 3],
    "sex": [52, 45, 3],
    "gender_identity": [95, 1, 4],
    "ethnic_group": [2, 1, 2, 90, 1, 4],
    "disability": [9, 14, 71, 6],
}
ANSWERING = 0.65  # share of voters who answer
SKIPPING = 0.06  # chance of leaving one question blank


def seed(session: Session) -> list[str]:
    from app.budgets.demo import FENLAND, SOUTH_CAMBS

    lines = []
    processes = {p.title: p for p in session.execute(select(BudgetProcess).where(BudgetProcess.title.in_([FENLAND, SOUTH_CAMBS]))).scalars()}
    fenland = processes.get(FENLAND)
    if fenland is not None and services.monitor_of(session, fenland) is None:
        answered = _finished(session, fenland)
        lines.append(f"Equality monitoring: {FENLAND} asked the standard questions; {answered} voters answered")
    south = processes.get(SOUTH_CAMBS)
    officer = session.execute(select(User).where(User.email == "officer@demo.example.org")).scalar_one_or_none()
    if south is not None and officer is not None and officer.has_role(Role.OFFICER) and services.monitor_of(session, south) is None \
            and services.may_switch(south):
        services.switch(session, officer, south, on=True, question_keys=list(q.STANDARD))
        lines.append(f"Equality monitoring: {SOUTH_CAMBS} asks the standard questions after each ballot")
    from app.voting.demo import COUNTY_VOTE
    from app.voting.models import Vote

    county = session.execute(select(Vote).where(Vote.title == COUNTY_VOTE)).scalar_one_or_none()
    if county is not None and officer is not None and services.monitor_of(session, county) is None and services.may_switch(county):
        services.switch(session, officer, county, on=True, question_keys=list(q.STANDARD))
        lines.append(f"Equality monitoring: the vote {COUNTY_VOTE!r} asks the standard questions after each ballot")
    return lines


def _finished(session: Session, process: BudgetProcess) -> int:
    """The switch (set while voting was open, as the story goes), then the answers of two in three voters."""
    session.add(EqualityMonitor(kind="budget", object_id=process.id, questions_csv=q.stored(q.STANDARD), is_on=False))
    rng = random.Random(2026)
    voters = sorted(set(session.execute(select(BudgetRegister.voter_id).join(BudgetHeading, BudgetHeading.id == BudgetRegister.heading_id)
                                        .where(BudgetHeading.process_id == process.id, BudgetRegister.channel == "online")).scalars()))
    counts: Counter[tuple[str, str]] = Counter()
    answered = 0
    for voter in voters:
        if rng.random() >= ANSWERING:
            continue
        for key, weights in WEIGHTS.items():
            if rng.random() >= SKIPPING:
                counts[(key, rng.choices(q.BY_KEY[key].keys, weights=weights)[0])] += 1
        session.add(EqualityResponder(kind="budget", object_id=process.id, token=services.responder_token("budget", process.id, voter),
                                      channel=services.ONLINE))
        answered += 1
    session.add_all([EqualityCount(kind="budget", object_id=process.id, question=question, answer=answer, channel=services.ONLINE, people=n)
                     for (question, answer), n in sorted(counts.items())])
    session.flush()
    return answered
