"""Vote rules: creating a vote, checking a ranking, casting and replacing ballots (online and officer-keyed
for a member), receipts, and the ballot that casts a member's delegated vote.

Services take the acting user explicitly, raise DomainError, flush and never commit; views commit.  Counting
is in :mod:`app.voting.counting`.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

import numpy as np
from flask_babel import gettext as _
from sqlalchemy import select, update
from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import set_committed_value

from app.auth.models import User
from app.budgets.services import new_receipt_code, receipt_hash
from app.core import audit, secrecy
from app.core.db import insert_new, utcnow
from app.core.errors import DomainError
from app.delegation.resolution import Resolution, eligible_ids, live_graph, max_user_id, resolve, scope_for
from app.places.models import Place
from app.proposals.models import Proposal, Topic
from app.voting import notices, policy
from app.voting.models import (
    BallotChannel,
    Vote,
    VoteBallot,
    VoteOption,
    VoteReceipt,
    VoteRegister,
    VoteRule,
    VoteState,
)

MAX_OPTIONS = 20
MAX_TITLE = 200


# --------------------------------------------------------------------------------------------- creating a vote


@dataclass(frozen=True)
class VoteData:
    title: str
    description: str
    rule: VoteRule
    seats: int
    place: Place
    opens_at: datetime
    closes_at: datetime
    options: list[str] = field(default_factory=list)  # free-text options
    proposals: list[Proposal] = field(default_factory=list)  # shortlisted proposals as options
    topic: Topic | None = None
    weight_cap: int | None = None
    language: str | None = None


def create_vote(session: Session, actor: Any, data: VoteData, seed: int | None = None) -> Vote:
    title = (data.title or "").strip()
    if not title:
        raise DomainError(_("Enter the question."), field="title")
    if len(title) > MAX_TITLE:
        raise DomainError(_("Keep the question to %(max)d characters or fewer.", max=MAX_TITLE), field="title")
    if data.closes_at <= data.opens_at:
        raise DomainError(_("The vote must close after it opens."), field="closes_at")
    names = [p.title.strip() for p in data.proposals] + [o.strip() for o in data.options if o.strip()]
    if len(names) < 2:
        raise DomainError(_("A vote needs at least two options."), field="options")
    if len(names) > MAX_OPTIONS:
        raise DomainError(_("A vote can have at most %(max)d options.", max=MAX_OPTIONS), field="options")
    if len({n.casefold() for n in names}) != len(names):
        raise DomainError(_("Each option needs a different name."), field="options")
    if any(len(n) > MAX_TITLE for n in names):
        raise DomainError(_("Keep each option to %(max)d characters or fewer.", max=MAX_TITLE), field="options")
    seats = data.seats if data.rule is VoteRule.STV else 1
    if not 1 <= seats < len(names):
        raise DomainError(_("The number of seats must be at least 1 and fewer than the number of options."), field="seats")
    if data.weight_cap is not None and data.weight_cap < 1:
        raise DomainError(_("The cap on a delegate's weight must be 1 or more."), field="weight_cap")
    vote = Vote(title=title, description=(data.description or "").strip(), language=data.language, rule=data.rule.value,
                seats=seats, place_id=data.place.id, topic_id=data.topic.id if data.topic else None, opens_at=data.opens_at,
                closes_at=data.closes_at, weight_cap=data.weight_cap,
                seed=seed if seed is not None else random.SystemRandom().randrange(1, 2**31 - 1),
                state=VoteState.OPEN.value, created_by_id=getattr(actor, "id", None))
    position = 1
    for proposal in data.proposals:
        vote.options.append(VoteOption(position=position, title=proposal.title.strip(), description=proposal.summary,
                                       proposal_id=proposal.id))
        position += 1
    for name in (o.strip() for o in data.options if o.strip()):
        vote.options.append(VoteOption(position=position, title=name))
        position += 1
    session.add(vote)
    session.flush()
    audit.record(session, "vote.created", actor=actor, obj=vote,
                 data={"rule": vote.rule, "seats": seats, "place_id": data.place.id, "options": names, "seed": vote.seed,
                       "opens_at": vote.opens_at, "closes_at": vote.closes_at, "weight_cap": vote.weight_cap})
    return vote


# --------------------------------------------------------------------------------------------- checking a ranking


@dataclass
class RankCheck:
    """A ballot as submitted (option id -> rank number or None) made into a ranking, with its problems."""

    ranking: list[int]
    problems: list[str] = field(default_factory=list)
    field_problems: dict[int, str] = field(default_factory=dict)  # option id -> message for that select
    gaps_closed: bool = False
    blank: bool = False

    @property
    def ok(self) -> bool:
        return not self.problems and not self.field_problems

    @property
    def text(self) -> str:
        return ",".join(str(o) for o in self.ranking)


def check_ranking(vote: Vote, ranks: dict[int, int | None], blank_confirmed: bool = False) -> RankCheck:
    """Validate a ranking: every rank at most once, ranks within 1..number of options; gaps are closed in order
    (1st, 3rd → 1st, 2nd); a partial ranking is allowed; a blank ballot only when ``blank_confirmed``."""
    options = {o.id: o for o in vote.options}
    given = {oid: r for oid, r in ranks.items() if r}
    check = RankCheck(ranking=[])
    if any(oid not in options for oid in given):
        check.problems.append(_("Your ballot names an option that is not in this vote."))
        return check
    for oid, r in given.items():
        if not 1 <= r <= len(options):
            check.field_problems[oid] = _("Choose a rank from the list.")
    by_rank: dict[int, list[int]] = {}
    for oid, r in given.items():
        by_rank.setdefault(r, []).append(oid)
    for oids in by_rank.values():
        if len(oids) > 1:
            names = [options[o].title for o in sorted(oids, key=lambda o: options[o].position)]
            for o in oids:
                check.field_problems[o] = _("You gave the same rank to %(options)s. Give each rank to one option only.",
                                            options=", ".join(names))
    if check.field_problems:
        return check
    ordered = sorted(given.items(), key=lambda item: item[1])
    check.ranking = [oid for oid, _r in ordered]
    check.gaps_closed = [r for _o, r in ordered] != list(range(1, len(ordered) + 1))
    if not check.ranking:
        check.blank = True
        if not blank_confirmed:
            check.problems.append(_("You have not ranked any option. To cast a blank ballot on purpose, tick “I want to cast a blank ballot”."))
    return check


def ranking_titles(vote: Vote, ranking: list[int]) -> list[str]:
    titles = {o.id: o.title for o in vote.options}
    return [titles[o] for o in ranking if o in titles]


# --------------------------------------------------------------------------------------------- casting


def ballot_token(vote: Vote | int, voter_id: int) -> str:
    return secrecy.token(secrecy.VOTE, vote if isinstance(vote, int) else vote.id, voter_id)


def ballot_of(session: Session, voter: Any, vote: Vote) -> VoteBallot | None:
    """The member's own ballot, found by its keyed token (the box holds no voter id)."""
    if voter is None or not getattr(voter, "is_authenticated", False):
        return None
    return ballot_by_voter(session, vote, voter.id)


def ballot_by_voter(session: Session, vote: Vote, voter_id: int, *, lock: bool = False) -> VoteBallot | None:
    stmt = select(VoteBallot).where(VoteBallot.vote_id == vote.id, VoteBallot.token == ballot_token(vote, voter_id))
    return session.execute(stmt.with_for_update() if lock else stmt).scalar_one_or_none()


def register_mark(session: Session, vote: Vote, voter_id: int) -> VoteRegister | None:
    return session.execute(select(VoteRegister).where(VoteRegister.vote_id == vote.id, VoteRegister.voter_id == voter_id)).scalar_one_or_none()


def _lock_vote(session: Session, vote: Vote) -> None:
    """Casting takes a shared lock on the vote row and closing an exclusive one (PostgreSQL), so no ballot is
    recorded after the count has read them."""
    state = session.execute(select(Vote.state).where(Vote.id == vote.id).with_for_update(read=True)).scalar_one()
    set_committed_value(vote, "state", state)  # the locked row's state, read in the same statement


def _store(session: Session, voter: User, vote: Vote, check: RankCheck, channel: BallotChannel, now: datetime,
           officer: User | None = None) -> tuple[str, bool]:
    """Store the ballot under the voter's token and mark the register (in one transaction): the first ballot
    adds the mark, a replacement updates its channel and keeps the time of the first vote.  Returns the new
    receipt code and whether a ballot was replaced."""
    code = new_receipt_code()
    # the first ballot: the mark, then the ballot, each INSERT … ON CONFLICT DO NOTHING (no SAVEPOINT); a mark
    # already there (an earlier ballot, or a racing one that has just committed) means a replacement
    marked = session.execute(
        insert_new(session, VoteRegister).values(vote_id=vote.id, voter_id=voter.id, channel=channel.value, marked_at=now,
                                                 issued_by_id=officer.id if officer is not None else None).returning(VoteRegister.id)
    ).scalar_one_or_none()
    if marked is not None:
        ballot_id = session.execute(
            insert_new(session, VoteBallot).values(vote_id=vote.id, token=ballot_token(vote, voter.id), ranking=check.text,
                                                   cast_on=now.date()).returning(VoteBallot.id)
        ).scalar_one_or_none()
        if ballot_id is not None:
            session.add(VoteReceipt(receipt_hash=receipt_hash(code), vote_id=vote.id, ballot_id=ballot_id, issued_on=now.date()))
            session.flush()
            return code, False
    existing = ballot_by_voter(session, vote, voter.id, lock=True)
    replaced = existing is not None
    if existing is None:  # marked, but no ballot of theirs in the box
        existing = VoteBallot(vote_id=vote.id, token=ballot_token(vote, voter.id), ranking=check.text, cast_on=now.date())
        session.add(existing)
        session.flush()
    else:
        existing.ranking, existing.cast_on = check.text, now.date()
        existing.replaced_count += 1
        session.execute(update(VoteReceipt).where(VoteReceipt.ballot_id == existing.id, VoteReceipt.replaced_on.is_(None))
                        .values(replaced_on=now.date()))
    if marked is None:
        mark = register_mark(session, vote, voter.id)
        if mark is not None:
            mark.channel = channel.value
            mark.issued_by_id = officer.id if officer is not None else None
    session.add(VoteReceipt(receipt_hash=receipt_hash(code), vote_id=vote.id, ballot_id=existing.id, issued_on=now.date()))
    session.flush()
    return code, replaced


def cast_ballot(session: Session, voter: User, vote: Vote, ranks: dict[int, int | None], blank_confirmed: bool = False,
                now: datetime | None = None) -> str:
    """Record (or replace) ``voter``'s ballot; returns the new receipt code.  One ballot per voter per vote is a
    database constraint.  Delegators who opted in hear that their delegate voted."""
    now = now or utcnow()
    _lock_vote(session, vote)
    refusal = policy.vote_refusal(voter, vote, now)
    if refusal:
        raise DomainError(refusal)
    check = check_ranking(vote, ranks, blank_confirmed)
    if not check.ok:
        raise DomainError(" ".join(check.problems + sorted(set(check.field_problems.values()))))
    code, _replaced = _store(session, voter, vote, check, BallotChannel.ONLINE, now)
    notices.delegate_voted(session, vote, voter)
    return code


def cast_assisted(session: Session, officer: User, member: User, vote: Vote, ranks: dict[int, int | None],
                  blank_confirmed: bool = False, now: datetime | None = None) -> str:
    """An officer keys a member's ballot for them (a paper form, a phone call, help at a library).  It is the
    member's own ballot (it replaces an earlier one and overrides their delegation).  The audit log records who
    keyed a ballot for whom, never its content."""
    now = now or utcnow()
    if not policy.is_officer(officer):
        raise DomainError(_("Only officers can key ballots for members."))
    if member.id == officer.id:
        raise DomainError(_("Officers cast their own ballot online, not as an assisted ballot."), field="member")
    _lock_vote(session, vote)
    refusal = policy.vote_refusal(member, vote, now)
    if refusal:
        raise DomainError(_("This member cannot vote here: %(why)s", why=refusal), field="member")
    check = check_ranking(vote, ranks, blank_confirmed)
    if not check.ok:
        raise DomainError(" ".join(check.problems + sorted(set(check.field_problems.values()))))
    code, replaced = _store(session, member, vote, check, BallotChannel.ASSISTED, now, officer)
    audit.record(session, "vote.assisted_ballot_keyed", actor=officer, obj=vote, data={"member_id": member.id, "replaced": replaced})
    notices.delegate_voted(session, vote, member)
    return code


@dataclass(frozen=True)
class ReceiptStatus:
    vote: Vote
    recorded_at: date  # the day only: a time would line the receipt up with the register
    replaced_at: date | None
    counted: bool | None  # None while the result is not published


def check_receipt(session: Session, code: str) -> ReceiptStatus | None:
    """What a receipt can confirm: the vote, when it was recorded, whether it was replaced by a later ballot,
    whether it was counted.  Never the ranking."""
    receipt = session.execute(select(VoteReceipt).where(VoteReceipt.receipt_hash == receipt_hash(code))).scalar_one_or_none()
    if receipt is None:
        return None
    vote = receipt.vote
    counted = None
    if vote.state == VoteState.PUBLISHED.value:
        counted = receipt.replaced_on is None
    return ReceiptStatus(vote, receipt.issued_on, receipt.replaced_on, counted)


# --------------------------------------------------------------------------------------------- the delegate's ballot


def live_resolution(session: Session, vote: Vote) -> Resolution:
    """The vote's delegations resolved as they stand now, with the ballots cast so far."""
    graph = live_graph(session)
    voters = np.array(session.execute(select(VoteRegister.voter_id).where(VoteRegister.vote_id == vote.id)).scalars().all(), dtype=np.int64)
    eligible = np.union1d(eligible_ids(session, vote.place), voters)
    return resolve(graph, scope_for(vote.place, vote.topic_id), eligible, voters, max_user_id(session) + 1, vote.weight_cap)


def representative(session: Session, vote: Vote, member: Any) -> tuple[int, VoteBallot] | None:
    """The delegate who casts ``member``'s vote and their ballot (see :func:`representative_ballot`)."""
    ballot = representative_ballot(session, vote, member)
    return None if ballot is None else (_cast_by(session, vote, member), ballot)


def _cast_by(session: Session, vote: Vote, member: Any) -> int:
    if vote.state == VoteState.OPEN.value:
        res = live_resolution(session, vote)
    else:
        from app.voting.counting import snapshot_resolution

        res = snapshot_resolution(session, vote)
    return int(res.result.cast_by[member.id])


def representative_ballot(session: Session, vote: Vote, member: Any) -> VoteBallot | None:
    """The ballot that casts ``member``'s vote through delegation, if any: the one exception to ballot secrecy
    (a delegate accepted that their delegators may see how they voted on what was delegated to them).  While the
    vote is open the delegations in force now decide; after the close, the frozen snapshot."""
    if member is None or not getattr(member, "is_authenticated", False):
        return None
    if vote.state == VoteState.OPEN.value:
        res = live_resolution(session, vote)
    else:
        from app.voting.counting import snapshot_resolution

        res = snapshot_resolution(session, vote)
    if member.id >= len(res.result.cast_by) or res.result.reason(member.id) not in ("delegated", "capped"):
        return None
    cast_by = int(res.result.cast_by[member.id])
    return ballot_by_voter(session, vote, cast_by)
