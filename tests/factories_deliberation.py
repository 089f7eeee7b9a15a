"""Test data builders for deliberation.  Debates, spaces, memberships and comments go through the services;
proposals and places are inserted directly (a published proposal is all a thread needs)."""

from __future__ import annotations

import itertools

from app.auth.models import User
from app.core.db import utcnow
from app.deliberation import services
from app.deliberation.models import Comment, Debate, Space, SpaceKind, SpaceRole
from app.extensions import db
from app.places.models import Place
from app.proposals.models import Proposal, ProposalState

_seq = itertools.count(1)


def make_place() -> Place:
    n = next(_seq)
    place = Place(code=f"TEST-{n}", name=f"Testford {n}", kind="district")
    db.session.add(place)
    db.session.commit()
    return place


def make_proposal(author: User | None, state: ProposalState = ProposalState.PUBLISHED, title: str | None = None) -> Proposal:
    n = next(_seq)
    proposal = Proposal(
        title=title or f"Benches for the green {n}", summary="Two benches by the pond.", place=make_place(),
        author_id=author.id if author else None, state=state.value,
        published_at=utcnow() if state is not ProposalState.DRAFT else None,
    )
    db.session.add(proposal)
    db.session.commit()
    return proposal


def make_space(officer: User, kind: SpaceKind = SpaceKind.PANEL, members: list[User] | None = None,
               name: str | None = None, restricted: bool = True) -> Space:
    space = services.create_space(db.session, officer, services.SpaceData(
        name=name or f"Space {next(_seq)}", description="", kind=kind, is_restricted=restricted))
    for user in members or []:
        services.add_member(db.session, officer, space, user.email or "", SpaceRole.MEMBER, utcnow().date(), None)
    db.session.commit()
    return space


def make_debate(author: User, space: Space | None = None, title: str = "Should the High Street close on Sundays?") -> Debate:
    debate = services.start_debate(db.session, author, space, services.DebateData(title, "What do you think?"))
    db.session.commit()
    return debate


def make_comment(author: User, target: Proposal | Debate, body: str = "A comment.", stance: str | None = None,
                 parent: Comment | None = None) -> Comment:
    posted = services.add_comment(db.session, author, target, body, stance, parent=parent)
    db.session.commit()
    return posted.comment
