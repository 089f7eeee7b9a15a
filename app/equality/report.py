"""The equality-monitoring figures of a process, as results pages and committee packs publish them.

Only aggregates, and only safe ones: when fewer than 10 people answered nothing is given but that; otherwise
each question's cells (its answers, and "not answered", which together add up to the people who answered) go
through :func:`app.equality.suppression.suppress`, so a cell under 10 shows as "fewer than 10" and cannot be
recovered by subtracting the others from the total.  Channels are added together and never published apart.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.equality import questions as q
from app.equality.models import EqualityCount, EqualityMonitor, EqualityResponder
from app.equality.suppression import MIN_CELL, publishable, suppress

NOT_ANSWERED = "not_answered"


@dataclass(frozen=True)
class Cell:
    key: str
    label: str
    people: int | None  # None: fewer than 10 (or hidden so that such a cell cannot be worked out)
    share: float | None  # of the people who answered the monitoring questions


@dataclass(frozen=True)
class QuestionTable:
    key: str
    title: str
    text: str
    cells: list[Cell]


@dataclass
class EqualityReport:
    participants: int  # people on the register of the process (each person once)
    responders: int  # people who answered at least one question (published only when at least MIN_CELL)
    tables: list[QuestionTable] = field(default_factory=list)
    collecting: bool = False  # monitoring is switched on now

    @property
    def published(self) -> bool:
        return publishable(self.responders)

    @property
    def share_answered(self) -> float | None:
        return self.responders / self.participants if self.participants and self.published else None

    min_cell: int = MIN_CELL


def participants(session: Session, kind: str, obj: Any) -> int:
    """People on the process's marked register, each counted once (a budget's headings together)."""
    if kind == "budget":
        from app.budgets.models import BudgetHeading, BudgetRegister

        return int(session.scalar(select(func.count(func.distinct(BudgetRegister.voter_id)))
                                  .join(BudgetHeading, BudgetHeading.id == BudgetRegister.heading_id)
                                  .where(BudgetHeading.process_id == obj.id)) or 0)
    from app.voting.models import VoteRegister

    return int(session.scalar(select(func.count(VoteRegister.id)).where(VoteRegister.vote_id == obj.id)) or 0)


def equality_report(session: Session, kind: str, obj: Any) -> EqualityReport | None:
    """The figures of a budget process or ranked vote; None when it never asked the questions."""
    if kind not in q.KINDS:
        return None
    monitor = session.execute(select(EqualityMonitor).where(EqualityMonitor.kind == kind, EqualityMonitor.object_id == obj.id)
                              ).scalar_one_or_none()
    if monitor is None:
        return None
    responders = int(session.scalar(select(func.count(EqualityResponder.id)).where(
        EqualityResponder.kind == kind, EqualityResponder.object_id == obj.id)) or 0)
    report = EqualityReport(participants=participants(session, kind, obj), responders=responders, collecting=monitor.is_on)
    if not report.published:
        return report
    counts: Counter[tuple[str, str]] = Counter()
    for question, answer, people in session.execute(
        select(EqualityCount.question, EqualityCount.answer, func.sum(EqualityCount.people))
        .where(EqualityCount.kind == kind, EqualityCount.object_id == obj.id)
        .group_by(EqualityCount.question, EqualityCount.answer)
    ):
        counts[(question, answer)] += int(people or 0)
    for question in q.chosen(monitor.questions_csv):
        keys = list(question.keys)
        raw = [counts[(question.key, k)] for k in keys]
        raw.append(max(0, responders - sum(raw)))
        shown = suppress(raw)
        labels = [str(a.label) for a in question.answers] + [_("Not answered")]
        report.tables.append(QuestionTable(
            key=question.key, title=str(question.title), text=str(question.text),
            cells=[Cell(k, label, n, n / responders if n is not None else None)
                   for k, label, n in zip([*keys, NOT_ANSWERED], labels, shown, strict=True)]))
    return report
