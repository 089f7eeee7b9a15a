"""Inputs and outputs of delegation resolution: scopes, delegation rows, statuses, steps and results."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from enum import IntEnum

import numpy as np
import numpy.typing as npt

from app.tally.records import InputError

IntArray = npt.NDArray[np.int64]
BoolArray = npt.NDArray[np.bool_]
Int8Array = npt.NDArray[np.int8]


class ScopeKind(IntEnum):
    GLOBAL = 0
    TOPIC = 1
    PLACE = 2


class Status(IntEnum):
    """What happened to a member's vote (index into :data:`STATUS`)."""

    VOTED = 0  # voted directly
    DELEGATED = 1  # cast by the direct voter at the end of the member's route
    NO_VOTE = 2  # neither voted nor delegated (for this ballot)
    DEAD_END = 3  # the first-choice chain ends at someone who neither voted nor delegated
    CYCLE = 4  # the first-choice chain runs into a cycle of delegations
    DELEGATE_NOT_ELIGIBLE = 5  # the first-choice chain reaches a delegate not eligible for this ballot
    NOT_ELIGIBLE = 6  # the member is not eligible for this ballot
    DEPTH_EXCEEDED = 7  # a route exists, but every route is longer than the member's depth cap
    CAPPED = 8  # delegated to a voter whose weight is over the cap: part of every such vote is an abstention


STATUS = (
    "voted",
    "delegated",
    "no-vote",
    "dead-end",
    "cycle",
    "delegate-not-eligible",
    "not-eligible",
    "depth-exceeded",
    "capped",
)


@dataclass(frozen=True)
class Delegations:
    """All delegations, one row each: ``delegator`` -> ``delegate`` for scope (``scope_kind``, ``scope_id``).

    ``scope_kind`` holds :class:`ScopeKind` values; ``scope_id`` is the topic or place id (ignored for global).
    ``rank`` (optional, default 1 for every row) orders a member's delegates within one scope: 1 is the first
    choice, 2 and 3 the backups.  ``max_depth`` (optional, 0 = no cap) is the depth cap the delegator set on
    that delegation; the strictest cap among the rows of the scope that applies is used.
    """

    delegator: IntArray
    delegate: IntArray
    scope_kind: IntArray
    scope_id: IntArray
    rank: IntArray | None = None
    max_depth: IntArray | None = None

    @classmethod
    def from_rows(cls, rows: Sequence[Sequence[int]]) -> Delegations:
        """Rows of ``(delegator, delegate, scope_kind, scope_id[, rank[, max_depth]])``, all the same length."""
        widths = {len(r) for r in rows}
        if len(widths) > 1:
            raise InputError("delegation rows must all have the same number of fields")
        width = widths.pop() if widths else 4
        if width not in (4, 5, 6):
            raise InputError("a delegation row has 4 to 6 fields: delegator, delegate, kind, id, rank, depth")
        arr = np.array(rows, dtype=np.int64).reshape(-1, width)
        cols = [arr[:, k].copy() for k in range(width)]
        return cls(
            cols[0],
            cols[1],
            cols[2],
            cols[3],
            cols[4] if width >= 5 else None,
            cols[5] if width == 6 else None,
        )


@dataclass(frozen=True)
class BallotScope:
    """What a ballot is about: its topics in priority order and its place's ancestry, most specific first."""

    topics: tuple[int, ...] = ()
    places: tuple[int, ...] = ()


@dataclass(frozen=True)
class Step:
    """One step of the explanation of where a member's vote goes (see :func:`explain`).

    ``member`` is the person at this point of the route, ``depth`` how many delegations the vote has followed
    to reach them.  ``why`` is one of:

    * ``"voted"``: ``member`` voted directly, so the vote is cast here (the last step of a route);
    * ``"passed-on"``: ``member`` passes the vote to ``delegate`` through the delegation of scope
      (``scope_kind``, ``scope_id``) with rank ``rank``;
    * ``"skipped"``: ``member``'s delegation to ``delegate`` (rank ``rank``) was not used; ``reason`` says
      why (``"delegate-not-eligible"``, ``"cycle"``: the vote would come back to someone already on the route,
      ``"dead-end"``: ``delegate`` neither votes nor passes the vote on, ``"depth-exceeded"``: every route
      through ``delegate`` is longer than the depth cap);
    * ``"not-cast"``: nobody casts the vote; ``reason`` is the member's status;
    * ``"not-eligible"``: the member is not eligible for this ballot;
    * ``"capped"``: the voter at the end carries more weight than the cap; ``reason`` is ``"capped"``.

    ``scope_kind`` and ``scope_id`` are ``-1`` and ``rank`` is ``0`` when no delegation is involved (for
    ``"voted"`` and ``"not-cast"`` steps they name the scope that applies to the member, if any).
    """

    member: int
    delegate: int
    scope_kind: int
    scope_id: int
    rank: int
    why: str
    reason: str = ""
    depth: int = 0


@dataclass(frozen=True)
class DelegationResult:
    """The resolution of one ballot.  Per member (index = member id):

    * ``cast_by``: the direct voter who casts the member's vote (``-1`` if nobody);
    * ``status``: :class:`Status`;
    * ``delegate``: the first delegate on the route of the member's vote, or, when the vote is not cast, the
      first-ranked delegate of the scope that applies (``-1`` for direct voters and members without one);
    * ``rank``: the rank of that delegation (``0`` if none); ``scope_kind``/``scope_id``: the scope that
      applies to the member (``-1`` if none);
    * ``steps``: how many delegations the vote follows (``0`` for direct voters, ``-1`` if not cast);
    * ``weight``: votes the member casts as counted (``0`` unless they voted directly), after the weight cap;
    * ``capped``: votes over the weight cap that the member carried and that count as abstentions.

    ``voters``/``voter_weights`` list the direct voters and their counted weights; ``uncast`` counts the votes
    of eligible members that nobody casts, those turned into abstentions by the weight cap included; ``total``
    is the number of eligible members, so ``voter_weights.sum() + uncast == total``.
    """

    cast_by: IntArray
    status: Int8Array
    delegate: IntArray
    weight: IntArray
    voters: IntArray
    voter_weights: IntArray
    uncast: int
    total: int
    rank: IntArray = field(default_factory=lambda: np.zeros(0, dtype=np.int64))
    steps: IntArray = field(default_factory=lambda: np.zeros(0, dtype=np.int64))
    scope_kind: IntArray = field(default_factory=lambda: np.zeros(0, dtype=np.int64))
    scope_id: IntArray = field(default_factory=lambda: np.zeros(0, dtype=np.int64))
    capped: IntArray = field(default_factory=lambda: np.zeros(0, dtype=np.int64))
    weight_cap: int | None = None
    explainer: Callable[[int, DelegationResult], list[Step]] | None = field(
        default=None, repr=False, compare=False
    )

    def reason(self, member: int) -> str:
        return STATUS[int(self.status[member])]

    def counts(self) -> dict[str, int]:
        c = np.bincount(self.status.astype(np.int64), minlength=len(STATUS))
        return {name: int(c[k]) for k, name in enumerate(STATUS)}

    def capped_voters(self) -> dict[int, int]:
        """Direct voters over the weight cap -> how many of the votes they carried count as abstentions."""
        who = np.nonzero(self.capped)[0]
        return {int(v): int(self.capped[v]) for v in who}

    @property
    def capped_total(self) -> int:
        return int(self.capped.sum())

    def explain(self, member: int) -> list[Step]:
        """Where ``member``'s vote goes and why each step applies (see :class:`Step`)."""
        if self.explainer is None:
            raise InputError("this result was not made by resolve(), so it cannot explain a route")
        if not 0 <= member < len(self.status):
            raise InputError(f"member ids must be in 0..{len(self.status) - 1}")
        return self.explainer(member, self)
