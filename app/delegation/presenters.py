"""Words for chains and histories (kept out of the views and services)."""

from __future__ import annotations

from dataclasses import dataclass

from flask_babel import gettext as _
from sqlalchemy.orm import Session

from app.delegation import services
from app.delegation.models import EventKind, ScopeKind
from app.delegation.resolution import KIND_OF_CODE, BallotScope, Chain, TallyStep
from app.extensions import db


def step_reason(step: TallyStep, scope: BallotScope | None = None, session: Session | None = None) -> str:
    """Why this delegation applies: its scope, how specific it is, and its rank."""
    kind = KIND_OF_CODE.get(step.scope_kind)
    if kind is None:
        return ""
    what = services.scope_name(session or db.session, kind.value, step.scope_id)
    if kind is ScopeKind.PLACE:
        why = _("It is a delegation for %(scope)s, where this vote is held: a place delegation is the most specific kind.", scope=what)
    elif kind is ScopeKind.TOPIC:
        why = _("It is a delegation for %(scope)s, which this vote is about, and there is no delegation for its place.", scope=what)
    else:
        why = _("It is a delegation for everything, and there is no more specific one for this vote's place or topic.")
    if step.rank > 1:
        why += " " + _("It is backup number %(num)d.", num=step.rank - 1)
    return why


SKIP_TEXT = {
    "delegate-not-eligible": lambda: _("they cannot vote in this vote (they live outside its area)"),
    "cycle": lambda: _("the vote would come back to someone it has already passed"),
    "dead-end": lambda: _("they neither vote nor pass the vote on"),
    "depth-exceeded": lambda: _("every way on from them is longer than the depth cap allows"),
}


@dataclass(frozen=True)
class Line:
    """One sentence of a route, and the reason under it."""

    text: str
    hint: str = ""


def route(chain: Chain, names: dict[int, str], you: int, scope: BallotScope | None = None, hypothetical: bool = False) -> list[Line]:
    """The steps of a member's route as sentences (``you``: the reader, named "you").  ``hypothetical``: before
    anyone votes, the delegates at the ends of chains are taken to vote."""

    def who(uid: int) -> str:
        return _("you") if uid == you else names.get(uid, _("Former member"))

    lines = []
    for frm, to in zip(chain.circle, chain.circle[1:], strict=False):
        if frm == you:
            lines.append(Line(_("You pass your vote to %(name)s.", name=who(to))))
        elif to in chain.circle[: chain.circle.index(frm)]:
            lines.append(Line(_("%(from)s passes it back to %(to)s, so it goes round in a circle.", **{"from": who(frm), "to": who(to)})))
        else:
            lines.append(Line(_("%(from)s passes it to %(to)s.", **{"from": who(frm), "to": who(to)})))
    if chain.circle:
        return lines
    for step in chain.steps:
        if step.why == "passed-on":
            text = (_("You pass your vote to %(name)s.", name=who(step.delegate)) if step.member == you
                    else _("%(from)s passes it to %(to)s.", **{"from": who(step.member), "to": who(step.delegate)}))
            lines.append(Line(text, step_reason(step, scope)))
        elif step.why == "skipped":
            why = SKIP_TEXT[step.reason]()
            if step.member == you:
                lines.append(Line(_("Your choice number %(rank)d, %(to)s, is passed over: %(why)s.", rank=step.rank, to=who(step.delegate), why=why)))
            else:
                lines.append(Line(_("The choice number %(rank)d of %(from)s, %(to)s, is passed over: %(why)s.",
                                    **{"rank": step.rank, "from": who(step.member), "to": who(step.delegate), "why": why})))
        elif step.why == "voted":
            if step.member == you:
                lines.append(Line(_("You voted yourself.")))
            elif hypothetical:
                lines.append(Line(_("%(name)s casts your vote, if they vote.", name=who(step.member))))
            else:
                lines.append(Line(_("%(name)s voted, so your vote is cast here.", name=who(step.member))))
        elif step.why == "capped":
            lines.append(Line(_("%(name)s carries more votes than this vote's cap allows, so part of each vote reaching them counts as an abstention.",
                                name=who(step.member))))
    return lines


STATUS_TEXT = {
    "voted": lambda: _("You voted yourself, so your own ballot counts."),
    "delegated": lambda: _("Your vote is cast by the last person in the chain, who voted."),
    "no-vote": lambda: _("You have neither voted nor delegated, so your vote is not cast."),
    "dead-end": lambda: _("Nobody in the chain has voted yet, so your vote is not cast at the moment."),
    "cycle": lambda: _("Your delegations form a circle: nobody in it votes, so your vote counts as an abstention until someone in the circle votes or changes their delegation."),
    "delegate-not-eligible": lambda: _("The chain reaches a delegate who cannot vote in this vote (they live outside its area), so your vote stops there and is not cast."),
    "not-eligible": lambda: _("You cannot vote in this vote (you live outside its area)."),
    "depth-exceeded": lambda: _("Your vote could only reach someone who voted by going further than your depth cap allows, so it is not cast."),
    "capped": lambda: _("Your vote is cast by a delegate who carries more votes than the cap allows: part of it counts as an abstention."),
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
