"""Read-side queries for votes (``select()`` style)."""

from __future__ import annotations

from flask import abort
from sqlalchemy import func, select
from sqlalchemy.orm import Session, joinedload

from app.auth.models import User
from app.extensions import db
from app.places.models import Place
from app.places.queries import descendant_ids
from app.proposals.models import Proposal, ProposalState
from app.voting.models import Vote, VoteBallot, VoteRegister


def vote_or_404(vote_id: int) -> Vote:
    """The vote with its options (every vote page lists or checks them): one statement instead of two."""
    vote = db.session.get(Vote, vote_id, options=[joinedload(Vote.options)])
    if vote is None:
        abort(404)
    return vote


def votes(session: Session) -> list[Vote]:
    return list(session.execute(select(Vote).order_by(Vote.closes_at.desc(), Vote.id.desc())).scalars())


def votes_in(session: Session, place: Place) -> list[Vote]:
    """Votes its residents vote in: held in the place or in an area containing it."""
    ids = [p.id for p in place.lineage()]
    return list(session.execute(select(Vote).where(Vote.place_id.in_(ids)).order_by(Vote.closes_at.desc())).scalars())


def ballot_count(session: Session, vote: Vote) -> int:
    return int(session.execute(select(func.count(VoteBallot.id)).where(VoteBallot.vote_id == vote.id)).scalar_one())


def shortlisted(session: Session) -> list[Proposal]:
    return list(session.execute(
        select(Proposal).where(Proposal.state == ProposalState.SHORTLISTED.value, Proposal.hidden_at.is_(None)).order_by(Proposal.title)
    ).scalars())


def place_choices(session: Session) -> list[tuple[int, str]]:
    return [(p.id, f"{p.name} ({p.kind_label})") for p in session.execute(select(Place).order_by(Place.name)).scalars()]


def member_by_email(session: Session, email: str) -> User | None:
    return session.execute(select(User).where(func.lower(User.email) == (email or "").strip().lower(),
                                              User.is_deleted.is_(False))).unique().scalar_one_or_none()


def electorate_size(session: Session, vote: Vote) -> int:
    ids = descendant_ids(session, vote.place)
    return int(session.execute(select(func.count(User.id)).where(User.home_place_id.in_(ids), User.is_deleted.is_(False),
                                                                 User.is_suspended.is_(False))).scalar_one())


def register_counts_by_channel(session: Session, vote_ids: list[int]) -> dict[int, dict[str, int]]:
    """vote id -> {channel: people marked on the vote's register} (``online``, ``assisted``); every vote asked
    about is present.  Counts only, never names (safe for public figures and committee packs)."""
    out: dict[int, dict[str, int]] = {int(v): {} for v in vote_ids}
    if not out:
        return out
    for vote_id, channel, n in session.execute(
        select(VoteRegister.vote_id, VoteRegister.channel, func.count(VoteRegister.id))
        .where(VoteRegister.vote_id.in_(list(out))).group_by(VoteRegister.vote_id, VoteRegister.channel)
    ):
        out[int(vote_id)][str(channel)] = int(n)
    return out
