"""Equality monitoring: officers switch it on for a budget process or ranked vote; residents who took part may
answer once, only with their consent; officers may key a paper monitoring slip.

Services never read the request: the acting user is passed in.  They flush, never commit.  Nothing here writes
who answered what: answers go straight into counts (:class:`~app.equality.models.EqualityCount`), and the only
trace of the resident is a keyed token that says "answered" (:class:`~app.equality.models.EqualityResponder`).
The audit log records officers' switches and paper slips, never a resident's answers.
"""

from __future__ import annotations

from typing import Any

from flask_babel import gettext as _
from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from app.core import audit, secrecy
from app.core.db import utcnow
from app.core.errors import DomainError
from app.equality import questions as q
from app.equality.models import EqualityCount, EqualityMonitor, EqualityResponder

ONLINE, PAPER, ASSISTED = "online", "paper", "assisted"
SLIP_CHANNELS = (PAPER, ASSISTED)


def kind_of(obj: Any) -> str:
    from app.budgets.models import BudgetProcess
    from app.voting.models import Vote

    if isinstance(obj, BudgetProcess):
        return "budget"
    if isinstance(obj, Vote):
        return "vote"
    raise TypeError(f"equality monitoring is for budget processes and ranked votes, not {obj!r}")


def responder_token(kind: str, object_id: int, user_id: int, key: bytes | None = None) -> str:
    """The keyed token that marks ``user_id`` as having answered in the process (not their ballot token)."""
    return secrecy.token(f"equality:{kind}", object_id, user_id, key)


# --- state -------------------------------------------------------------------------------------------------------

def monitor_of(session: Session, obj: Any) -> EqualityMonitor | None:
    return session.execute(select(EqualityMonitor).where(EqualityMonitor.kind == kind_of(obj),
                                                         EqualityMonitor.object_id == obj.id)).scalar_one_or_none()


def asked(session: Session, obj: Any) -> list[q.Question]:
    """The questions the process asks now ([] when monitoring is off)."""
    monitor = monitor_of(session, obj)
    return q.chosen(monitor.questions_csv) if monitor is not None and monitor.is_on else []


def has_answers(session: Session, obj: Any) -> bool:
    return bool(session.scalar(select(func.count(EqualityResponder.id)).where(
        EqualityResponder.kind == kind_of(obj), EqualityResponder.object_id == obj.id)))


def is_collecting(obj: Any) -> bool:
    """Residents may answer while voting is open."""
    if kind_of(obj) == "budget":
        from app.budgets import policy

        return policy.phase_allows(obj, policy.VOTE)
    from app.voting.models import VoteState

    return bool(obj.state == VoteState.OPEN.value and utcnow() < obj.closes_at)


def may_switch(obj: Any) -> bool:
    """Officers may switch monitoring on or off, or change the questions, until voting closes."""
    if kind_of(obj) == "budget":
        from app.budgets.models import Phase

        return obj.phase_enum not in (Phase.REVIEWING_BALLOTS, Phase.FINISHED)
    from app.voting.models import VoteState

    return bool(obj.state == VoteState.OPEN.value and utcnow() < obj.closes_at)


def took_part(session: Session, obj: Any, user: Any) -> bool:
    """Is ``user`` on the process's marked register (voted online, or was issued a paper or assisted ballot)?"""
    if kind_of(obj) == "budget":
        from app.budgets.models import BudgetHeading, BudgetRegister

        found = session.scalar(select(BudgetRegister.id).join(BudgetHeading, BudgetHeading.id == BudgetRegister.heading_id)
                               .where(BudgetHeading.process_id == obj.id, BudgetRegister.voter_id == user.id).limit(1))
    else:
        from app.voting.models import VoteRegister

        found = session.scalar(select(VoteRegister.id).where(VoteRegister.vote_id == obj.id, VoteRegister.voter_id == user.id).limit(1))
    return found is not None


def has_answered(session: Session, obj: Any, user: Any) -> bool:
    if user is None or not getattr(user, "is_authenticated", False):
        return False
    kind = kind_of(obj)
    return session.scalar(select(EqualityResponder.id).where(
        EqualityResponder.kind == kind, EqualityResponder.object_id == obj.id,
        EqualityResponder.token == responder_token(kind, obj.id, user.id))) is not None


def answer_refusal(session: Session, obj: Any, user: Any) -> str | None:
    """Why ``user`` may not answer the equality questions of ``obj`` now; None when they may."""
    if not asked(session, obj):
        return _("This process does not ask equality-monitoring questions.")
    if not is_collecting(obj):
        return _("Equality-monitoring answers are taken only while voting is open.")
    if not took_part(session, obj, user):
        return _("The equality-monitoring questions are for people who have voted in this process. Vote first, then answer them if you wish.")
    if has_answered(session, obj, user):
        return _("You have already answered the equality-monitoring questions for this process. Thank you.")
    return None


# --- officers: switching on and off -------------------------------------------------------------------------------

def _officer(user: Any) -> bool:
    from app.budgets.policy import is_officer

    return is_officer(user)


def switch(session: Session, officer: Any, obj: Any, *, on: bool, question_keys: list[str]) -> EqualityMonitor:
    """Switch equality monitoring on (with these questions) or off for a budget process or ranked vote.

    The questions cannot change once someone has answered (the counts would no longer add up); monitoring can
    still be switched off, which stops new answers and keeps those given."""
    if not _officer(officer):
        raise DomainError(_("Only officers can change equality monitoring."))
    if not may_switch(obj):
        raise DomainError(_("Equality monitoring can be changed only until voting closes."))
    kind = kind_of(obj)
    monitor = monitor_of(session, obj)
    keys = [k for k in question_keys if k in q.BY_KEY]
    if on and not keys:
        raise DomainError(_("Choose at least one question to ask."), field="questions")
    if monitor is not None and (not on or not keys):
        stored = monitor.questions_csv  # switching off leaves the questions as they were
    else:
        stored = q.stored(keys or list(q.STANDARD))
    if monitor is not None and on and stored != monitor.questions_csv and has_answers(session, obj):
        raise DomainError(_("People have already answered, so the questions can no longer change. You can still switch monitoring off."),
                          field="questions")
    if monitor is None:
        monitor = EqualityMonitor(kind=kind, object_id=obj.id, questions_csv=stored)
        session.add(monitor)
    monitor.questions_csv, monitor.is_on = stored, on
    monitor.changed_by_id, monitor.changed_at = officer.id, utcnow()
    session.flush()
    audit.record(session, "equality.switched_on" if on else "equality.switched_off", actor=officer, obj=obj,
                 data={"questions": stored.split(",") if on else []})
    return monitor


# --- answers ------------------------------------------------------------------------------------------------------

def _clean(session: Session, obj: Any, answers: dict[str, str | None]) -> dict[str, str]:
    """The answers given to questions the process asks (blank ones dropped); an unknown answer is refused."""
    clean: dict[str, str] = {}
    for question in asked(session, obj):
        value = answers.get(question.key)
        if not value:
            continue
        if value not in question.keys:
            raise DomainError(_("Choose one of the answers listed."), field=question.key)
        clean[question.key] = value
    return clean


def _bump(session: Session, kind: str, object_id: int, question: str, answer: str, channel: str) -> None:
    """Add one to a count (created at one when missing; safe when two answers arrive at once)."""
    where = (EqualityCount.kind == kind, EqualityCount.object_id == object_id, EqualityCount.question == question,
             EqualityCount.answer == answer, EqualityCount.channel == channel)
    stmt = update(EqualityCount).where(*where).values(people=EqualityCount.people + 1).execution_options(synchronize_session=False)
    if session.execute(stmt).rowcount:
        return
    try:
        with session.begin_nested():
            session.add(EqualityCount(kind=kind, object_id=object_id, question=question, answer=answer, channel=channel, people=1))
            session.flush()
    except IntegrityError:
        session.execute(stmt)


def store_counts(session: Session, kind: str, object_id: int, channel: str, clean: dict[str, str]) -> None:
    """Add one to the count of each answer given (the only place answers are written)."""
    for question, answer in clean.items():
        _bump(session, kind, object_id, question, answer, channel)
    session.flush()


def record_answers(session: Session, resident: Any, obj: Any, *, consent: bool, answers: dict[str, str | None]) -> int:
    """Store a resident's answers, once per process, only with their consent; returns how many were stored.

    Without consent nothing at all is stored.  Answers count only; the resident is marked "answered" by a
    keyed token alone (so a replaced ballot, or a second visit, cannot count them twice)."""
    if not consent:
        raise DomainError(_("Tick the box to agree to your answers being used, or leave these questions: your vote counts either way."),
                          field="consent")
    refusal = answer_refusal(session, obj, resident)
    if refusal is not None:
        raise DomainError(refusal)
    clean = _clean(session, obj, answers)
    if not clean:
        raise DomainError(_("You have not chosen any answer. Choose at least one, or leave these questions."))
    kind = kind_of(obj)
    try:
        with session.begin_nested():
            session.add(EqualityResponder(kind=kind, object_id=obj.id, token=responder_token(kind, obj.id, resident.id), channel=ONLINE))
            session.flush()
    except IntegrityError:  # the same resident answered at the same moment in another tab
        raise DomainError(_("You have already answered the equality-monitoring questions for this process. Thank you.")) from None
    store_counts(session, kind, obj.id, ONLINE, clean)
    return len(clean)


def slip_refusal(session: Session, obj: Any, channel: str) -> str | None:
    """Why a paper (or assisted) monitoring slip may not be keyed now; None when it may."""
    if not asked(session, obj):
        return _("This process does not ask equality-monitoring questions.")
    if kind_of(obj) == "budget":
        from app.budgets import policy

        if not policy.phase_allows(obj, policy.KEY_PAPER):
            return _("Monitoring slips can be keyed only while paper ballots are being keyed.")
    elif not is_collecting(obj):
        return _("Equality-monitoring answers are taken only while voting is open.")
    keyed = session.scalar(select(func.count(EqualityResponder.id)).where(
        EqualityResponder.kind == kind_of(obj), EqualityResponder.object_id == obj.id, EqualityResponder.token.is_(None))) or 0
    if keyed >= offline_participants(session, obj):
        return _("Every paper or assisted participant already has a monitoring slip keyed, so no more can be added.")
    return None


def offline_participants(session: Session, obj: Any) -> int:
    """People on the register by paper or assisted ballot (each may return one monitoring slip)."""
    if kind_of(obj) == "budget":
        from app.budgets.models import BudgetHeading, BudgetRegister

        return int(session.scalar(select(func.count(func.distinct(BudgetRegister.voter_id)))
                                  .join(BudgetHeading, BudgetHeading.id == BudgetRegister.heading_id)
                                  .where(BudgetHeading.process_id == obj.id, BudgetRegister.channel != ONLINE)) or 0)
    from app.voting.models import VoteRegister

    return int(session.scalar(select(func.count(VoteRegister.id)).where(VoteRegister.vote_id == obj.id,
                                                                        VoteRegister.channel != ONLINE)) or 0)


def record_slip(session: Session, officer: Any, obj: Any, *, channel: str, answers: dict[str, str | None]) -> int:
    """An officer keys one paper (or assisted) monitoring slip: its answers are counted under that channel.
    A slip carries no name, so it has no token; there can be no more slips than offline participants."""
    if not _officer(officer):
        raise DomainError(_("Only officers can key monitoring slips."))
    if channel not in SLIP_CHANNELS:
        raise DomainError(_("Choose paper or assisted."), field="channel")
    refusal = slip_refusal(session, obj, channel)
    if refusal is not None:
        raise DomainError(refusal)
    clean = _clean(session, obj, answers)
    if not clean:
        raise DomainError(_("The slip has no answer chosen. Key at least one, or leave this page."))
    kind = kind_of(obj)
    session.add(EqualityResponder(kind=kind, object_id=obj.id, token=None, channel=channel))
    store_counts(session, kind, obj.id, channel, clean)
    audit.record(session, "equality.slip_keyed", actor=officer, obj=obj, data={"channel": channel})
    return len(clean)


def rekey(session: Session, old_key: bytes, new_key: bytes) -> int:
    """Move every responder token to a new key (with ``flask ballots rekey``): the register says who took part,
    the old token finds each one.  Tokens that match no participant are left as they are.  Returns how many moved."""
    from app.budgets.models import BudgetHeading, BudgetRegister
    from app.voting.models import VoteRegister

    people: dict[tuple[str, int], set[int]] = {}
    for pid, voter in session.execute(select(BudgetHeading.process_id, BudgetRegister.voter_id)
                                      .join(BudgetHeading, BudgetHeading.id == BudgetRegister.heading_id)):
        people.setdefault(("budget", int(pid)), set()).add(int(voter))
    for vid, voter in session.execute(select(VoteRegister.vote_id, VoteRegister.voter_id)):
        people.setdefault(("vote", int(vid)), set()).add(int(voter))
    moved = 0
    for row in session.execute(select(EqualityResponder).where(EqualityResponder.token.is_not(None))).scalars():
        olds = {responder_token(row.kind, row.object_id, v, old_key): v for v in people.get((row.kind, row.object_id), set())}
        voter = olds.get(row.token or "")
        if voter is not None:
            row.token = responder_token(row.kind, row.object_id, voter, new_key)
            moved += 1
    session.flush()
    return moved
