"""Words for chains and histories (kept out of the views and services)."""

from __future__ import annotations

from flask_babel import gettext as _
from sqlalchemy.orm import Session

from app.delegation import services
from app.delegation.models import EventKind, ScopeKind
from app.delegation.resolution import KIND_OF_CODE, BallotScope, Step
from app.extensions import db


def step_reason(step: Step, scope: BallotScope, session: Session | None = None) -> str:
    """Why this delegation applies: its scope, how specific it is, and its rank."""
    kind = KIND_OF_CODE[step.row.kind]
    what = services.scope_name(session or db.session, kind.value, step.row.scope_key)
    if kind is ScopeKind.PLACE:
        why = _("It is a delegation for %(scope)s, where this vote is held: a place delegation is the most specific kind.", scope=what)
    elif kind is ScopeKind.TOPIC:
        why = _("It is a delegation for %(scope)s, which this vote is about, and there is no delegation for its place.", scope=what)
    else:
        why = _("It is a delegation for everything, and there is no more specific one for this vote's place or topic.")
    if step.row.rank > 1:
        why += " " + _("It is backup number %(num)d.", num=step.row.rank - 1)
    if step.row.max_depth:
        why += " " + _("Its depth cap is %(num)d.", num=step.row.max_depth)
    return why


STATUS_TEXT = {
    "voted": lambda: _("You voted yourself, so your own ballot counts."),
    "delegated": lambda: _("Your vote is cast by the last person in the chain, who voted."),
    "no-vote": lambda: _("You have neither voted nor delegated, so your vote is not cast."),
    "dead-end": lambda: _("Nobody in the chain has voted yet, so your vote is not cast at the moment."),
    "cycle": lambda: _("Your delegations form a circle: nobody in it votes, so your vote counts as an abstention until someone in the circle votes or changes their delegation."),
    "delegate-not-eligible": lambda: _("The chain reaches a delegate who cannot vote in this vote (they live outside its area), so your vote stops there and is not cast."),
    "not-eligible": lambda: _("You cannot vote in this vote (you live outside its area)."),
}


def status_text(status: str) -> str:
    return STATUS_TEXT[status]()


def hypothetical_text(status: str) -> str:
    if status == "cycle":
        return status_text("cycle")
    if status == "no-vote":
        return _("You have no delegation that applies here: only your own vote counts.")
    return _("Your vote is cast by the first person along this chain who votes.")


EVENT_TEXT = {
    EventKind.SET.value: lambda: _("Delegated"),
    EventKind.REVOKED.value: lambda: _("Revoked"),
    EventKind.DELEGATE_WITHDREW.value: lambda: _("Ended: the delegate stopped being a delegate"),
}


def event_text(kind: str) -> str:
    return EVENT_TEXT[kind]()
