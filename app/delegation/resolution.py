"""The bridge between delegation rows and ``app.tally.delegation``: which members are eligible for a vote,
the graph (live, or a vote's frozen snapshot), resolving it, the weight cap, and explaining one member's chain.

Member ids are used directly as the tally's member indices (``n`` = largest id + 1; ids that are not
eligible simply count for nothing), so no id mapping is needed.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.auth.models import User
from app.delegation.models import Delegation, ScopeKind
from app.places.models import Place
from app.places.queries import descendant_ids
from app.tally import delegation as tally
from app.tally.delegation import BallotScope, DelegationResult, Status

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

    def rows_of(self, member: int) -> list[Row]:
        idx = np.nonzero(self.delegator == member)[0]
        return [
            Row(member, int(self.delegate[i]), int(self.kind[i]), int(self.scope_key[i]), int(self.rank[i]),
                int(self.max_depth[i]) or None)
            for i in idx
        ]


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
    """Members eligible in ``place``'s votes: home place there or below, account neither deleted nor suspended."""
    ids = descendant_ids(session, place)
    rows = session.execute(
        select(User.id).where(User.home_place_id.in_(ids), User.is_deleted.is_(False), User.is_suspended.is_(False))
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
    """A resolved graph for one ballot: the tally's result, and the weights after the cap.

    ``capped`` is each member's counted weight (``min(weight, cap)``); ``removed`` the weight the cap turned
    into abstentions.  ``counted + abstained == total`` (eligible members represented).
    """

    result: DelegationResult
    capped: IntArray
    cap: int | None
    removed: int
    voted: npt.NDArray[np.bool_] = field(repr=False)

    @property
    def counted(self) -> int:
        return int(self.capped.sum())

    @property
    def abstained(self) -> int:
        return int(self.result.uncast) + self.removed

    @property
    def total(self) -> int:
        return int(self.result.total)


def resolve(
    graph: Graph, scope: BallotScope, eligible: IntArray, voted: IntArray, n: int, weight_cap: int | None = None
) -> Resolution:
    """Resolve ``graph`` for a ballot (``voted``: ids of direct voters, all eligible) with the vote's cap.

    The counting library applies each member's first-ranked delegation in the most specific scope; backup
    ranks and depth caps are stored with every delegation and passed on when the library takes them.
    """
    n = max(n, int(graph.delegator.max(initial=-1)) + 1, int(graph.delegate.max(initial=-1)) + 1,
            int(eligible.max(initial=-1)) + 1, int(voted.max(initial=-1)) + 1)
    first = graph.rank == 1
    delegations = tally.Delegations(graph.delegator[first], graph.delegate[first], graph.kind[first],
                                    graph.scope_key[first])
    voted_mask = np.zeros(n, dtype=np.bool_)
    voted_mask[voted] = True
    elig_mask = np.zeros(n, dtype=np.bool_)
    elig_mask[eligible] = True
    result = tally.resolve(n, delegations, scope, voted_mask, elig_mask)
    weight = result.weight
    if weight_cap is not None:
        capped = np.minimum(weight, weight_cap)
        removed = int((weight - capped).sum())
    else:
        capped, removed = weight, 0
    return Resolution(result=result, capped=capped, cap=weight_cap, removed=removed, voted=voted_mask)


# ------------------------------------------------------------------------------------------- one member's chain


@dataclass(frozen=True)
class Step:
    """One step of a chain: ``frm`` passes the vote to ``to`` because of ``row``."""

    frm: int
    to: int
    row: Row
    to_voted: bool


@dataclass(frozen=True)
class Chain:
    member: int
    steps: list[Step]
    status: str  # one of app.tally.delegation.STATUS
    cast_by: int | None


def _applied_row(graph: Graph, member: int, to: int, scope: BallotScope) -> Row | None:
    """The member's delegation to ``to`` that applies to ``scope`` (most specific, then lowest rank)."""
    best: tuple[int, int, Row] | None = None
    n_places, n_topics = len(scope.places), len(scope.topics)
    for row in graph.rows_of(member):
        if row.delegate != to:
            continue
        kind = KIND_OF_CODE[row.kind]
        if kind is ScopeKind.PLACE and row.scope_key in scope.places:
            spec = scope.places.index(row.scope_key)
        elif kind is ScopeKind.TOPIC and row.scope_key in scope.topics:
            spec = n_places + scope.topics.index(row.scope_key)
        elif kind is ScopeKind.GLOBAL:
            spec = n_places + n_topics
        else:
            continue
        if best is None or (spec, row.rank) < best[:2]:
            best = (spec, row.rank, row)
    return best[2] if best else None


def explain(graph: Graph, scope: BallotScope, res: Resolution, member: int) -> Chain:
    """Where ``member``'s vote goes: each step with the delegation that applies, and how it ends."""
    result = res.result
    if member >= len(result.status):
        return Chain(member, [], "not-eligible", None)
    steps: list[Step] = []
    seen = {member}
    x = member
    while True:
        to = int(result.delegate[x])
        if to < 0:
            break
        row = _applied_row(graph, x, to, scope)
        if row is None:  # pragma: no cover - the resolver only applies delegations the graph holds
            break
        voted = bool(res.voted[to])
        steps.append(Step(x, to, row, voted))
        if voted or to in seen:
            break
        seen.add(to)
        x = to
    cast_by = int(result.cast_by[member])
    return Chain(member, steps, result.reason(member), cast_by if cast_by >= 0 else None)


__all__ = ["Chain", "Graph", "Resolution", "Row", "Status", "Step", "eligible_ids", "explain", "live_graph", "resolve",
           "scope_for"]
