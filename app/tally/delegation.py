"""Liquid-democracy delegation: who casts each member's vote on one ballot, vectorised with NumPy.

Rules (Folkmoot's delegation feature, ``app/delegation/``; the resolution follows the usual transitive
"liquid democracy" model, e.g. Kahng, Mackenzie & Procaccia, *Liquid Democracy: An Algorithmic Perspective*,
AAAI 2018, with scoped delegations as in LiquidFeedback's unit / area / issue delegations):

1. **Which delegation applies.**  A member may delegate globally, for a topic, or for a place.  For a ballot
   about topics ``T`` (in priority order) held in a place with ancestry ``A`` (the place first, then its parent,
   ... up to the root), a topic delegation applies if its topic is in ``T`` and a place delegation applies if
   its place is in ``A``.  The most specific applicable delegation wins: **place > topic > global**; among
   place delegations the one for the smaller (deeper) place wins; among topic delegations the one whose topic
   comes first in ``T``.  Two applicable delegations of the same member at the same rank are an input error
   (the database's uniqueness constraint prevents them).
2. **A direct vote always overrides** the member's own delegation (their own vote is cast, and they also carry
   whatever was delegated to them).
3. **Chains of any length** are followed until someone who voted directly.  Nobody casts the vote when the chain
   ends at a member who neither voted nor delegated (``dead-end``; ``no-vote`` when that is the member
   themself), runs into a ``cycle`` of delegations among non-voters, or would pass to a delegate who is not
   eligible for this ballot (``delegate-not-eligible``: the vote is not passed on beyond the ineligible
   delegate).  Members who are not eligible count for nothing (``not-eligible``).
4. **Weight is conserved**: the weights of direct voters plus the uncast votes equal the number of eligible
   members.

Resolution is pointer jumping (path doubling): ``root <- root[root]`` about ``log2(n)`` times, so there is no
Python loop over members.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from enum import IntEnum

import numpy as np
import numpy.typing as npt

from app.tally.records import InputError

__all__ = ["STATUS", "BallotScope", "DelegationResult", "Delegations", "ScopeKind", "Status", "resolve"]

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
    DELEGATED = 1  # cast by the direct voter at the end of the chain
    NO_VOTE = 2  # neither voted nor delegated
    DEAD_END = 3  # chain ends at someone who neither voted nor delegated
    CYCLE = 4  # chain runs into a cycle of delegations
    DELEGATE_NOT_ELIGIBLE = 5  # chain reaches a delegate not eligible for this ballot
    NOT_ELIGIBLE = 6  # the member is not eligible for this ballot


STATUS = ("voted", "delegated", "no-vote", "dead-end", "cycle", "delegate-not-eligible", "not-eligible")


@dataclass(frozen=True)
class Delegations:
    """All delegations, one row each: ``delegator`` -> ``delegate`` for scope (``scope_kind``, ``scope_id``).

    ``scope_kind`` holds :class:`ScopeKind` values; ``scope_id`` is the topic or place id (ignored for global).
    """

    delegator: IntArray
    delegate: IntArray
    scope_kind: IntArray
    scope_id: IntArray

    @classmethod
    def from_rows(cls, rows: Sequence[tuple[int, int, int, int]]) -> Delegations:
        arr = np.array(rows, dtype=np.int64).reshape(-1, 4)
        return cls(arr[:, 0].copy(), arr[:, 1].copy(), arr[:, 2].copy(), arr[:, 3].copy())


@dataclass(frozen=True)
class BallotScope:
    """What a ballot is about: its topics in priority order and its place's ancestry, most specific first."""

    topics: tuple[int, ...] = ()
    places: tuple[int, ...] = ()


@dataclass(frozen=True)
class DelegationResult:
    """Per member (index = member id): ``cast_by`` (the direct voter casting their vote, ``-1`` if nobody),
    ``status`` (:class:`Status`), ``delegate`` (the delegation that applied, ``-1`` if none or overridden) and
    ``weight`` (votes the member casts: 0 unless they voted directly).  ``voters``/``voter_weights`` list the
    direct voters and their weights; ``uncast`` counts eligible members whose vote nobody casts; ``total`` is
    the number of eligible members (``voter_weights.sum() + uncast == total``).
    """

    cast_by: IntArray
    status: Int8Array
    delegate: IntArray
    weight: IntArray
    voters: IntArray
    voter_weights: IntArray
    uncast: int
    total: int

    def reason(self, member: int) -> str:
        return STATUS[int(self.status[member])]

    def counts(self) -> dict[str, int]:
        c = np.bincount(self.status.astype(np.int64), minlength=len(STATUS))
        return {name: int(c[k]) for k, name in enumerate(STATUS)}


def _as_mask(values: npt.ArrayLike | None, n: int, what: str, default: bool) -> BoolArray:
    if values is None:
        return np.full(n, default, dtype=np.bool_)
    arr = np.asarray(values)
    if arr.dtype == np.bool_:
        if arr.shape != (n,):
            raise InputError(f"{what}: expected a boolean array of length {n}, got shape {arr.shape}")
        return arr.astype(np.bool_, copy=False)
    ids = arr.astype(np.int64).ravel()
    if len(ids) and (ids.min() < 0 or ids.max() >= n):
        raise InputError(f"{what}: member ids must be in 0..{n - 1}")
    mask = np.zeros(n, dtype=np.bool_)
    mask[ids] = True
    return mask


def _positions(ids: IntArray, order: tuple[int, ...]) -> IntArray:
    """Position of each id in ``order`` (first occurrence), or -1."""
    out = np.full(len(ids), -1, dtype=np.int64)
    if not order:
        return out
    keys = np.array(order, dtype=np.int64)
    _, first = np.unique(keys, return_index=True)
    uniq = keys[np.sort(first)]
    pos_of = np.argsort(uniq, kind="stable")
    sorted_keys = uniq[pos_of]
    idx = np.searchsorted(sorted_keys, ids)
    idx_c = np.minimum(idx, len(sorted_keys) - 1)
    hit = sorted_keys[idx_c] == ids
    # position within the de-duplicated order, which preserves first occurrences
    out[hit] = pos_of[idx_c[hit]]
    return out


def applicable_delegate(n: int, delegations: Delegations, scope: BallotScope) -> IntArray:
    """For each member the delegate whose delegation applies to this ballot (most specific), or -1."""
    d = delegations
    m = len(d.delegator)
    if not (len(d.delegate) == len(d.scope_kind) == len(d.scope_id) == m):
        raise InputError("delegation arrays must have the same length")
    frm = np.asarray(d.delegator, dtype=np.int64)
    to = np.asarray(d.delegate, dtype=np.int64)
    kind = np.asarray(d.scope_kind, dtype=np.int64)
    sid = np.asarray(d.scope_id, dtype=np.int64)
    if m and (min(frm.min(), to.min()) < 0 or max(frm.max(), to.max()) >= n):
        raise InputError(f"delegations name members outside 0..{n - 1}")
    if m and not np.isin(kind, (0, 1, 2)).all():
        raise InputError("scope_kind must be 0 (global), 1 (topic) or 2 (place)")
    n_places, n_topics = len(scope.places), len(scope.topics)
    rank = np.full(m, -1, dtype=np.int64)
    place_pos = _positions(sid, scope.places)
    topic_pos = _positions(sid, scope.topics)
    is_place, is_topic, is_global = kind == ScopeKind.PLACE, kind == ScopeKind.TOPIC, kind == ScopeKind.GLOBAL
    rank[is_place & (place_pos >= 0)] = place_pos[is_place & (place_pos >= 0)]
    rank[is_topic & (topic_pos >= 0)] = n_places + topic_pos[is_topic & (topic_pos >= 0)]
    rank[is_global] = n_places + n_topics
    ok = rank >= 0
    frm, to, rank = frm[ok], to[ok], rank[ok]
    out = np.full(n, -1, dtype=np.int64)
    if len(frm) == 0:
        return out
    order = np.lexsort((rank, frm))
    frm, to, rank = frm[order], to[order], rank[order]
    first = np.ones(len(frm), dtype=np.bool_)
    first[1:] = frm[1:] != frm[:-1]
    dup = ~first & (rank == np.roll(rank, 1))
    if dup.any():
        who = int(frm[np.argmax(dup)])
        raise InputError(f"member {who} has two delegations of the same scope that apply to this ballot")
    out[frm[first]] = to[first]
    return out


def resolve(
    n_members: int,
    delegations: Delegations,
    scope: BallotScope,
    voted: npt.ArrayLike,
    eligible: npt.ArrayLike | None = None,
) -> DelegationResult:
    """Resolve delegations for one ballot.

    ``voted`` and ``eligible`` are boolean arrays of length ``n_members`` or arrays of member ids
    (``eligible=None``: everyone).  A direct voter who is not eligible is an input error.
    """
    n = int(n_members)
    if n < 0:
        raise InputError("the number of members must not be negative")
    voted_m = _as_mask(voted, n, "voted", False)
    elig = _as_mask(eligible, n, "eligible", True)
    if (voted_m & ~elig).any():
        raise InputError(
            f"member {int(np.argmax(voted_m & ~elig))} voted but is not eligible for this ballot"
        )
    delegate = applicable_delegate(n, delegations, scope)
    delegate[voted_m | ~elig] = -1  # a direct vote overrides; ineligible members pass nothing on
    members = np.arange(n, dtype=np.int64)
    has = delegate >= 0
    bad_target = np.zeros(n, dtype=np.bool_)
    bad_target[has] = ~elig[delegate[has]]
    follow = has & ~bad_target
    nxt = members.copy()
    nxt[follow] = delegate[follow]
    # pointer jumping: after k rounds root[i] is 2**k steps down the chain (terminals point to themselves)
    root = nxt
    steps = 1
    while steps < max(n, 1):
        new = root[root]
        steps *= 2
        if np.array_equal(new, root):
            break
        root = new
    # After at least n steps a chain that ends has reached its end, a fixed point of ``nxt``; a chain that
    # runs into a cycle sits somewhere on the cycle, where ``nxt`` moves on.
    terminal = nxt[root] == root
    self_loop = follow & (delegate == members)  # delegating to oneself: a cycle of length one
    terminal &= ~self_loop[root]
    status = np.full(n, Status.NO_VOTE, dtype=np.int8)
    cast_by = np.full(n, -1, dtype=np.int64)
    end_voted = terminal & voted_m[root]
    cast_by[end_voted] = root[end_voted]
    status[end_voted] = Status.DELEGATED
    status[voted_m] = Status.VOTED
    end_none = terminal & ~voted_m[root]
    end_bad = end_none & bad_target[root]
    status[end_none & ~end_bad & (root != members)] = Status.DEAD_END
    status[end_bad] = Status.DELEGATE_NOT_ELIGIBLE
    status[~terminal] = Status.CYCLE
    status[~elig] = Status.NOT_ELIGIBLE
    cast_by[~elig] = -1
    weight = np.bincount(cast_by[cast_by >= 0], minlength=n).astype(np.int64)
    voters = np.nonzero(voted_m)[0].astype(np.int64)
    total = int(elig.sum())
    uncast = total - int(weight.sum())
    return DelegationResult(
        cast_by=cast_by,
        status=status,
        delegate=delegate,
        weight=weight,
        voters=voters,
        voter_weights=weight[voters],
        uncast=uncast,
        total=total,
    )
