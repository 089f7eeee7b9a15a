"""The bridge between delegation rows and ``app.tally.delegation``: which members are eligible for a vote,
the graph (live, or a vote's frozen snapshot), resolving it, the weight cap, and explaining one member's chain.

Member ids are used directly as the tally's member indices (``n`` = largest id + 1; ids that are not
eligible simply count for nothing), so no id mapping is needed.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt
from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from app.auth.models import User
from app.delegation.models import Delegation, ScopeKind
from app.places.models import Place
from app.places.queries import descendant_ids
from app.tally import delegation as tally
from app.tally.delegation import BallotScope, DelegationResult, Status
from app.tally.delegation import Step as TallyStep

IntArray = npt.NDArray[np.int64]
CODE = {k.value: k.code for k in ScopeKind}
KIND_OF_CODE = {k.code: k for k in ScopeKind}


@dataclass(frozen=True)
class Row:
    """One delegation: who, to whom, for which scope (kind code, topic or place id), rank and depth cap."""

    delegator: int
    delegate: int
    kind: int
    scope_key: int
    rank: int = 1
    max_depth: int | None = None


@dataclass(frozen=True)
class Graph:
    delegator: IntArray
    delegate: IntArray
    kind: IntArray
    scope_key: IntArray
    rank: IntArray
    max_depth: IntArray  # 0 = no cap

    @classmethod
    def from_arrays(cls, arr: npt.NDArray[np.int64]) -> Graph:
        arr = arr.reshape(-1, 6)
        return cls(*(arr[:, i].copy() for i in range(6)))

    @classmethod
    def from_rows(cls, rows: list[Row]) -> Graph:
        data = np.array(
            [(r.delegator, r.delegate, r.kind, r.scope_key, r.rank, r.max_depth or 0) for r in rows], dtype=np.int64
        )
        return cls.from_arrays(data)

    def __len__(self) -> int:
        return len(self.delegator)

    def as_tally(self) -> tally.Delegations:
        return tally.Delegations(self.delegator, self.delegate, self.kind, self.scope_key, self.rank, self.max_depth)



def graph_of(rows: list[tuple[int, int, str, int, int, int | None]]) -> Graph:
    """A graph from (delegator, delegate, scope kind, scope key, rank, max depth) rows."""
    if not rows:
        return Graph.from_arrays(np.zeros((0, 6), dtype=np.int64))
    data = np.array(
        [(a, b, CODE[c], d, e, f or 0) for a, b, c, d, e, f in rows], dtype=np.int64
    )
    return Graph.from_arrays(data)


def live_graph(session: Session) -> Graph:
    """Every delegation in force now."""
    cols = (Delegation.delegator_id, Delegation.delegate_id, Delegation.scope_kind, Delegation.scope_key,
            Delegation.rank, Delegation.max_depth)
    return graph_of([tuple(r) for r in session.execute(select(*cols)).all()])  # type: ignore[misc]


def eligible_ids(session: Session, place: Place) -> IntArray:
    """Members eligible in ``place``'s votes: home place there or below (confirmed, when the resident chose it
    themself), account neither deleted nor suspended, and an identity confirmed by e-mail or by an officer (as
    ``app.auth.policy.participation_refusal`` asks of a direct ballot, so a delegation carries no more)."""
    ids = descendant_ids(session, place)
    rows = session.execute(
        select(User.id).where(User.home_place_id.in_(ids), User.is_deleted.is_(False), User.is_suspended.is_(False),
                              User.is_area_unconfirmed.is_(False),
                              or_(User.email_confirmed_at.is_not(None), User.verified_at.is_not(None)))
    ).scalars().all()
    return np.array(rows, dtype=np.int64)


def scope_for(place: Place | None, topic_id: int | None) -> BallotScope:
    """A vote's scope: its topic, and its place with everything above it (most specific first)."""
    return BallotScope(
        topics=(topic_id,) if topic_id else (),
        places=tuple(p.id for p in place.lineage()) if place is not None else (),
    )


def max_user_id(session: Session) -> int:
    return int(session.execute(select(func.max(User.id))).scalar_one() or 0)


@dataclass(frozen=True)
class Resolution:
    """A resolved graph for one ballot.  ``result.weight`` is each direct voter's counted weight (after the
    vote's cap); ``carried`` their weight before it; ``removed`` what the cap turned into abstentions.
    ``counted + abstained == total`` (the eligible members represented)."""

    result: DelegationResult
    cap: int | None
    voted: npt.NDArray[np.bool_] = field(repr=False)

    @property
    def carried(self) -> IntArray:
        return self.result.weight + self.result.capped

    @property
    def removed(self) -> int:
        return self.result.capped_total

    @property
    def counted(self) -> int:
        return int(self.result.weight.sum())

    @property
    def abstained(self) -> int:
        return int(self.result.uncast)

    @property
    def total(self) -> int:
        return int(self.result.total)


def resolve(
    graph: Graph, scope: BallotScope, eligible: IntArray, voted: IntArray, n: int, weight_cap: int | None = None
) -> Resolution:
    """Resolve ``graph`` for a ballot (``voted``: ids of direct voters, all eligible) with the vote's weight cap:
    ranked backups, depth caps and the cap are applied by ``app.tally.delegation.resolve``."""
    n = max(n, int(graph.delegator.max(initial=-1)) + 1, int(graph.delegate.max(initial=-1)) + 1,
            int(eligible.max(initial=-1)) + 1, int(voted.max(initial=-1)) + 1)
    delegations = graph.as_tally()
    voted_mask = np.zeros(n, dtype=np.bool_)
    voted_mask[voted] = True
    elig_mask = np.zeros(n, dtype=np.bool_)
    elig_mask[eligible] = True
    result = tally.resolve(n, delegations, scope, voted_mask, elig_mask, weight_cap=weight_cap)
    return Resolution(result=result, cap=weight_cap, voted=voted_mask)


# ------------------------------------------------------------------------------------------- one member's route


@dataclass(frozen=True)
class Chain:
    """Where one member's vote goes: the library's steps (each with why it applies), how it ends, who casts it."""

    member: int
    steps: list[TallyStep]
    status: str  # one of app.tally.delegation.STATUS
    cast_by: int | None
    circle: list[int] = field(default_factory=list)  # for a cycle: the members along the first choices, in order

    @property
    def people(self) -> set[int]:
        return ({self.member} | {s.member for s in self.steps if s.member >= 0} | {s.delegate for s in self.steps if s.delegate >= 0}
                | set(self.circle))


def explain(res: Resolution, member: int) -> Chain:
    """Where ``member``'s vote goes and why each step applies."""
    result = res.result
    if not 0 <= member < len(result.status):
        return Chain(member, [], "not-eligible", None)
    cast_by = int(result.cast_by[member])
    circle: list[int] = []
    if result.reason(member) == "cycle":  # follow the first choices until someone comes round again
        x = member
        while x >= 0 and x not in circle and len(circle) < len(result.delegate):
            circle.append(x)
            x = int(result.delegate[x])
        circle.append(x)
    return Chain(member, result.explain(member), result.reason(member), cast_by if cast_by >= 0 else None, circle)


__all__ = ["Chain", "Graph", "Resolution", "Row", "Status", "eligible_ids", "explain", "live_graph", "resolve", "scope_for"]
