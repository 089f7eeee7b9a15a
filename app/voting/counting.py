"""Closing a vote: freeze the delegation graph (a snapshot stored with the vote), resolve it with
``app.tally.delegation``, count the weighted ballots with ``app.tally`` (IRV with the pyrankvote cross-check,
Scottish STV, Schulze), and store the result with its inputs' hash, seed and software version; then publish.

The ballots counted are exactly those in the stored ballot file (anonymised: no voter ids, shuffled with the
vote's seed, identical rankings merged), so ``python -m app.tally <rule> FILE --seed SEED --json`` on the
exported file gives the published result.
"""

from __future__ import annotations

import hashlib
import json
import random
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import numpy as np
from flask_babel import gettext as _
from sqlalchemy import insert, literal, select
from sqlalchemy.orm import Session

from app.budgets.services import software_version
from app.core import audit, secrecy
from app.core.db import utcnow
from app.core.errors import DomainError
from app.core.i18n import moment
from app.delegation.models import DelegateProfile, Delegation
from app.delegation.resolution import (
    Resolution,
    Status,
    eligible_ids,
    graph_of,
    max_user_id,
    resolve,
    scope_for,
)
from app.tally.cli_ranked import irv_record, schulze_record, stv_record
from app.tally.formats.blt import write_blt
from app.tally.ranked import RankedBallot, RankedElection, count_irv
from app.tally.schulze import count_schulze
from app.tally.stv import count_stv_scottish
from app.voting import notices
from app.voting.models import (
    DelegationSnapshot,
    Vote,
    VoteBallot,
    VoteCount,
    VoteRegister,
    VoteRule,
    VoteState,
)

TOP_WEIGHTS = 10


def blt_filename(vote: Vote) -> str:
    return f"folkmoot-vote-{vote.id}.blt"


def take_snapshot(session: Session, vote: Vote) -> list[tuple[int, int, str, int, int, int | None]]:
    """Copy every delegation in force into the vote's snapshot and return the copied rows (one INSERT … SELECT …
    RETURNING, so the graph counted is exactly the one stored)."""
    s = DelegationSnapshot
    cols = [Delegation.delegator_id, Delegation.delegate_id, Delegation.scope_kind, Delegation.scope_key, Delegation.rank,
            Delegation.max_depth]
    stmt = insert(s).from_select(
        ["vote_id", "delegator_id", "delegate_id", "scope_kind", "scope_key", "rank", "max_depth"], select(literal(vote.id), *cols),
    ).returning(s.delegator_id, s.delegate_id, s.scope_kind, s.scope_key, s.rank, s.max_depth)
    return [tuple(r) for r in session.execute(stmt).all()]  # type: ignore[misc]


def snapshot_rows(session: Session, vote: Vote) -> list[tuple[int, int, str, int, int, int | None]]:
    s = DelegationSnapshot
    return [tuple(r) for r in session.execute(  # type: ignore[misc]
        select(s.delegator_id, s.delegate_id, s.scope_kind, s.scope_key, s.rank, s.max_depth).where(s.vote_id == vote.id)
    ).all()]


def _voters(session: Session, vote: Vote) -> list[tuple[int, str]]:
    """(voter id, ranking) of every ballot, by voter id: the register (who voted) joined to the ballot box (what
    was chosen) through the keyed tokens, which only the server can compute (:mod:`app.core.secrecy`)."""
    ids = session.execute(select(VoteRegister.voter_id).where(VoteRegister.vote_id == vote.id)).scalars().all()
    by_token = secrecy.tokens(secrecy.VOTE, vote.id, list(ids))
    out = []
    for token, ranking in session.execute(select(VoteBallot.token, VoteBallot.ranking).where(VoteBallot.vote_id == vote.id)).all():
        voter = by_token.get(token)
        if voter is None:
            raise RuntimeError(f"vote {vote.id}: a ballot's token matches no one on the register (was the ballot secret changed?)")
        out.append((voter, ranking))
    return sorted(out)


def _resolve(session: Session, vote: Vote, rows: list[tuple[int, int, str, int, int, int | None]],
             ballots: list[tuple[int, str]]) -> Resolution:
    voters = np.array([v for v, _r in ballots], dtype=np.int64)
    # a ballot cast while the voter lived in the area counts even if they moved before the close
    eligible = np.union1d(eligible_ids(session, vote.place), voters)
    return resolve(graph_of(rows), scope_for(vote.place, vote.topic_id), eligible, voters, max_user_id(session) + 1,
                   vote.weight_cap)


def snapshot_resolution(session: Session, vote: Vote) -> Resolution:
    """The closed vote's frozen graph resolved again (for the delegators' view of their delegate's ballot)."""
    return _resolve(session, vote, snapshot_rows(session, vote), _voters(session, vote))


def build_election(vote: Vote, ballots: list[tuple[int, str]], weights: np.ndarray) -> RankedElection:
    """The anonymised election: option titles as candidates, each ballot at its weight, shuffled with the seed."""
    position = {o.id: i for i, o in enumerate(vote.options)}
    items = [(tuple(position[int(x)] for x in ranking.split(",") if x), int(weights[voter])) for voter, ranking in ballots]
    random.Random(vote.seed).shuffle(items)
    return RankedElection(candidates=tuple(o.title for o in vote.options), ballots=tuple(RankedBallot(r, w) for r, w in items),
                          seats=vote.seats, title=vote.title)


def count_election(rule: VoteRule, election: RankedElection, seed: int) -> dict[str, Any]:
    """The tally's JSON record for ``rule`` (the same as ``python -m app.tally`` prints)."""
    if rule is VoteRule.IRV:
        return irv_record(count_irv(election, seed=seed))
    if rule is VoteRule.STV:
        return stv_record(count_stv_scottish(election, seed=seed))
    return schulze_record(count_schulze(election, seed=seed))


def payload(vote: Vote, election: RankedElection, digest: str, record: dict[str, Any]) -> dict[str, Any]:
    """The result in the shape of ``python -m app.tally <rule> FILE --json`` for the exported file."""
    record = dict(record)
    return {"file": blt_filename(vote), "rule": record.pop("rule"), "title": election.title, "input_sha256": digest,
            "seed": vote.seed, "candidates": list(election.candidates),
            "withdrawn": [election.candidates[c] for c in sorted(election.withdrawn)], **record}


def figures(session: Session, vote: Vote, res: Resolution, ballots: list[tuple[int, str]]) -> dict[str, Any]:
    """Turnout (direct and delegated) against the electorate, how much was delegated, the largest weights (names
    only of delegates who chose to be named), what the cap removed, and why uncast votes were not cast."""
    result = res.result
    counts = result.counts()
    voters = np.array([v for v, _r in ballots], dtype=np.int64)
    weights = res.carried[voters] if len(voters) else np.zeros(0, dtype=np.int64)
    order = np.argsort(-weights, kind="stable")[:TOP_WEIGHTS]
    public = {p.user_id: p.shown_name for p in session.execute(
        select(DelegateProfile).where(DelegateProfile.name_in_results.is_(True), DelegateProfile.user_id.in_([int(voters[i]) for i in order]))
    ).scalars()}
    top = [{"weight": int(weights[i]), "counted": int(min(weights[i], vote.weight_cap or weights[i])),
            "name": public.get(int(voters[i]))} for i in order if weights[i] > 1]
    counted = res.counted
    return {
        "electorate": res.total, "direct": int(counts["voted"]), "delegated": int(counts["delegated"] + counts["capped"]),
        "blank": sum(1 for _v, r in ballots if not r), "counted_weight": counted, "abstained": res.abstained,
        "uncast": {k: int(counts[k]) for k in ("no-vote", "dead-end", "cycle", "delegate-not-eligible", "depth-exceeded")},
        "weight_cap": vote.weight_cap, "cap_removed": res.removed,
        "capped_delegates": int((weights > (vote.weight_cap or 2**62)).sum()),
        "top_weights": top, "delegates_voting": int((weights > 1).sum()),
        "top1_share": (int(top[0]["counted"]) / counted) if top and counted else 0.0,
        "top5_share": (sum(int(t["counted"]) for t in top[:5]) / counted) if top and counted else 0.0,
    }


@dataclass(frozen=True)
class Timing:
    read: float
    snapshot: float
    resolve: float
    count: float


def check_closable(vote: Vote, now: datetime) -> None:
    """Refuse (DomainError) to close ``vote`` at ``now`` when it is closed already or its closing time has not come."""
    if vote.state != VoteState.OPEN.value:
        raise DomainError(_("This vote is already closed."))
    if now < vote.closes_at:
        raise DomainError(_("This vote closes on %(when)s. It can be counted after that.", when=moment(vote.closes_at)))


def close_vote(session: Session, actor: Any, vote: Vote, now: datetime | None = None, timing: list[Timing] | None = None) -> VoteCount:
    """Close ``vote`` (after its closing time): snapshot, resolve, count, store; audited.  Refused twice (the
    count's ``vote_id`` is unique)."""
    import time

    now = now or utcnow()
    session.execute(select(Vote.id).where(Vote.id == vote.id).with_for_update())
    session.refresh(vote, ["state"])
    check_closable(vote, now)
    t0 = time.perf_counter()
    ballots = _voters(session, vote)
    t1 = time.perf_counter()
    rows = take_snapshot(session, vote)
    size = len(rows)
    t2 = time.perf_counter()
    res = _resolve(session, vote, rows, ballots)
    t3 = time.perf_counter()
    election = build_election(vote, ballots, res.result.weight)
    text = write_blt(election)
    digest = hashlib.sha256(text.encode("utf-8")).hexdigest()
    record = count_election(vote.rule_enum, election, vote.seed)
    t4 = time.perf_counter()
    result = payload(vote, election, digest, record)
    count = VoteCount(vote_id=vote.id, rule=vote.rule, seed=vote.seed, inputs_hash=digest, software_version=software_version(),
                      blt_text=text, result_json=json.dumps(result, ensure_ascii=False),
                      figures_json=json.dumps(figures(session, vote, res, ballots)), snapshot_size=size,
                      created_by_id=getattr(actor, "id", None), created_at=now)
    session.add(count)
    vote.state = VoteState.CLOSED.value
    vote.closed_at = now
    session.flush()
    audit.record(session, "vote.closed", actor=actor, obj=vote,
                 data={"inputs_hash": digest, "seed": vote.seed, "software_version": count.software_version, "rule": vote.rule,
                       "snapshot_delegations": size, "ballots": len(ballots), "elected": result.get("elected", [])})
    cycle = np.nonzero(res.result.status == Status.CYCLE)[0]
    notices.cycle_members(session, vote, [int(m) for m in cycle])
    if timing is not None:
        timing.append(Timing(t1 - t0, t2 - t1, t3 - t2, t4 - t3))
    return count


def publish(session: Session, actor: Any, vote: Vote, now: datetime | None = None) -> None:
    if vote.state != VoteState.CLOSED.value:
        raise DomainError(_("Only a counted vote can be published."))
    vote.state = VoteState.PUBLISHED.value
    vote.published_at = now or utcnow()
    session.flush()
    count = count_of(session, vote)
    audit.record(session, "vote.published", actor=actor, obj=vote, data={"inputs_hash": count.inputs_hash if count else None})


def count_of(session: Session, vote: Vote) -> VoteCount | None:
    return session.execute(select(VoteCount).where(VoteCount.vote_id == vote.id)).scalar_one_or_none()


def published_payload(session: Session, vote: Vote) -> dict[str, Any] | None:
    count = count_of(session, vote)
    if count is None or vote.state != VoteState.PUBLISHED.value:
        return None
    return json.loads(count.result_json)  # type: ignore[no-any-return]
