"""Delegation in budgets: a resident who casts no ballot in a heading is represented by their delegate for that
place (the heading's place or an area above it) or for everything, if the delegate voted online in that heading.

The graph is resolved by :mod:`app.delegation.resolution` (ranked backups, depth caps, cycles) among the members
eligible in the heading (home place in its area, identity confirmed: the same electorate as a ranked vote), at
the close of voting, like a vote's snapshot.  Each online ballot's weight becomes 1 + the votes delegated to
its voter and is stored on the ballot row, so the stored ballots are the snapshot: the count, the what-if
table, the pabulib export and any recount read the same weights, and a delegation changed after the close
changes nothing.  Reopening voting sets the weights back to 1; the next close resolves again.  The direct
voters are read from the register, not the ballot box (which holds no voter ids): a ballot is found by its
keyed token (:mod:`app.core.secrecy`).

Paper ballots and delegation.  A resident issued a paper ballot voted directly, so their own delegation is
overridden.  But a paper ballot is not linked to its voter (ballot secrecy: the ballot box holds no voter id
and a paper carries no token), so it can carry no delegated votes: in that heading every delegation *to* a
resident marked on paper is set aside before resolving (:func:`without_delegates`).  Their delegators' votes
then go to a ranked backup delegate whose route reaches an online voter, or else are not cast: those delegators
count as not voting unless they vote themselves before the close.  They are told so when the paper ballot is
issued (:func:`carried_by`, ``app/budgets/paper_notices.py``), and the officer issuing it is shown how many.
So nobody is counted twice and nobody is counted through a ballot that cannot carry them: each eligible
member is exactly one of an online voter, a paper voter, a vote delegated to an online voter, or an abstention
(``Frozen``: ``direct + paper + delegated + abstained == electorate``).

Ballot secrecy: what is stored and shown is each ballot's weight and the totals; the audit entry of the close
records the graph's size and fingerprint and the figures, never who carried whose vote.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import Any

import numpy as np
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from app.budgets.models import BallotChannel, BudgetBallot, BudgetHeading, BudgetProcess, BudgetRegister
from app.core import audit, secrecy
from app.delegation.resolution import (
    Graph,
    Resolution,
    eligible_ids,
    live_graph,
    max_user_id,
    resolve,
    scope_for,
)
from app.tally.delegation import STATUS, Status
from app.tally.delegation import resolve as resolve_ids

UNCAST = ("no-vote", "dead-end", "cycle", "delegate-not-eligible", "depth-exceeded")
PAPER_DELEGATE = "delegate-voted-on-paper"  # not cast: the delegate (on their route) voted on paper, no backup voted online


def _register_voters(session: Session, heading: BudgetHeading, online: bool) -> np.ndarray:
    channel = BudgetRegister.channel == BallotChannel.ONLINE.value
    ids = session.execute(
        select(BudgetRegister.voter_id).where(BudgetRegister.heading_id == heading.id, channel if online else ~channel)
        .order_by(BudgetRegister.voter_id)
    ).scalars().all()
    return np.array(ids, dtype=np.int64)


def _online_voters(session: Session, heading: BudgetHeading) -> np.ndarray:
    return _register_voters(session, heading, online=True)


def without_delegates(graph: Graph, ids: np.ndarray) -> Graph:
    """``graph`` without the delegations whose delegate is one of ``ids`` (residents who voted on paper)."""
    if not len(ids) or not len(graph):
        return graph
    keep = ~np.isin(graph.delegate, ids)
    return Graph(*(a[keep] for a in (graph.delegator, graph.delegate, graph.kind, graph.scope_key, graph.rank, graph.max_depth)))


def _resolve(session: Session, heading: BudgetHeading, graph: Graph, online: np.ndarray, paper: np.ndarray) -> Resolution:
    direct = np.union1d(online, paper)
    # a ballot cast while the voter lived in the area counts even if they moved before the close
    eligible = np.union1d(eligible_ids(session, heading.place), direct)
    return resolve(without_delegates(graph, paper), scope_for(heading.place, None), eligible, direct, max_user_id(session) + 1)


def resolve_heading(session: Session, heading: BudgetHeading, graph: Graph | None = None) -> tuple[Resolution, np.ndarray]:
    """The heading's delegations resolved with its direct voters (online and paper; delegations to paper voters
    set aside): the resolution and the online voters' ids.  ``graph`` defaults to the delegations in force now.
    Budget headings have no topic, so the scope is the heading's place and every area above it (and global
    delegations)."""
    graph = graph if graph is not None else live_graph(session)
    voters = _online_voters(session, heading)
    return _resolve(session, heading, graph, voters, _register_voters(session, heading, online=False)), voters


def carried_by(session: Session, heading: BudgetHeading, member_id: int, graph: Graph | None = None) -> list[int]:
    """The other members whose votes ``member_id``'s ballot in ``heading`` would carry if they voted online now:
    those a paper ballot of theirs leaves without a delegate there (sorted ids; empty for most residents)."""
    graph = graph if graph is not None else live_graph(session)
    if not len(graph) or not (graph.delegate == member_id).any():
        return []  # nobody delegates to them, so nobody's vote can reach them
    online = np.union1d(_online_voters(session, heading), np.array([member_id], dtype=np.int64))
    paper = _register_voters(session, heading, online=False)
    res = _resolve(session, heading, graph, online, paper[paper != member_id])
    return [int(m) for m in np.nonzero(res.result.cast_by == member_id)[0] if int(m) != member_id]


def graph_sha256(graph: Graph) -> str:
    """A fingerprint of the delegation graph used (its rows sorted), recorded in the audit log."""
    rows = sorted(zip(*(a.tolist() for a in (graph.delegator, graph.delegate, graph.kind, graph.scope_key, graph.rank,
                                             graph.max_depth)), strict=True))
    text = "\n".join(",".join(str(x) for x in row) for row in rows)
    return hashlib.sha256(text.encode("ascii")).hexdigest()


@dataclass(frozen=True)
class Frozen:
    """What freezing one heading found: direct voters, delegated votes, and why other votes were not cast."""

    heading_id: int
    direct: int  # online voters
    delegated: int
    carriers: int  # ballots carrying delegated votes
    electorate: int
    abstained: int
    uncast: dict[str, int]
    paper: int = 0  # residents issued a paper ballot (each carries their own vote only)

    def as_dict(self) -> dict[str, Any]:
        return {"heading_id": self.heading_id, "direct": self.direct, "paper": self.paper, "delegated": self.delegated,
                "carriers": self.carriers, "electorate": self.electorate, "abstained": self.abstained, "uncast": self.uncast}


def freeze_heading(session: Session, heading: BudgetHeading, graph: Graph) -> Frozen:
    """Store each online ballot's weight (1 + the votes delegated to its voter) for ``heading``."""
    res, voters = resolve_heading(session, heading, graph)
    paper = _register_voters(session, heading, online=False)
    key = secrecy.ballot_key()
    weights = res.result.weight[voters] if len(voters) else np.zeros(0, dtype=np.int64)
    session.execute(update(BudgetBallot).where(BudgetBallot.heading_id == heading.id, BudgetBallot.paper_batch_id.is_(None))
                    .values(weight=1))
    for w in sorted({int(x) for x in weights if x != 1}):
        tokens = [secrecy.token(secrecy.BUDGET, heading.id, int(v), key) for v, x in zip(voters, weights, strict=True) if x == w]
        session.execute(update(BudgetBallot).where(BudgetBallot.heading_id == heading.id, BudgetBallot.token.in_(tokens)).values(weight=w))
    session.expire_all()
    counts = res.result.counts()
    uncast = {k: int(counts[k]) for k in UNCAST}
    uncast[PAPER_DELEGATE] = 0
    if len(paper) and len(graph):
        # whose votes would have ended with a paper voter, were delegations to them not set aside, and are now uncast
        whole = resolve_ids(len(res.result.status), graph.as_tally(), scope_for(heading.place, None), np.union1d(voters, paper),
                            res.result.status != Status.NOT_ELIGIBLE)
        lost = np.isin(whole.cast_by, paper) & (res.result.cast_by < 0)
        lost[paper] = False
        for status in res.result.status[lost]:
            uncast[STATUS[int(status)]] -= 1
            uncast[PAPER_DELEGATE] += 1
    return Frozen(heading.id, direct=len(voters), delegated=int(weights.sum()) - len(voters), carriers=int((weights > 1).sum()),
                  electorate=res.total, abstained=res.abstained, uncast=uncast, paper=len(paper))


def freeze(session: Session, actor: Any, process: BudgetProcess) -> list[Frozen]:
    """At the close of voting: resolve every heading with one copy of the graph and store the weights (audited
    with the graph's size and fingerprint, so the published figures can be traced to the graph used)."""
    graph = live_graph(session)
    out = [freeze_heading(session, h, graph) for h in process.headings]
    audit.record(session, "budget.delegation_frozen", actor=actor, obj=process,
                 data={"delegations": len(graph), "graph_sha256": graph_sha256(graph), "headings": [f.as_dict() for f in out]})
    return out


def unfreeze(session: Session, process: BudgetProcess) -> None:
    """Reopening voting: every online ballot counts 1 again until the next close resolves the graph anew."""
    ids = [h.id for h in process.headings]
    session.execute(update(BudgetBallot).where(BudgetBallot.heading_id.in_(ids), BudgetBallot.paper_batch_id.is_(None))
                    .values(weight=1))
