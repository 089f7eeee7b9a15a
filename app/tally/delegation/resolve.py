"""Resolving one ballot's delegations: the vectorised first-choice pass, depth-first routes for the rest,
the weight cap, and the explanation of one member's route."""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import numpy.typing as npt

from app.tally.delegation.graph import (
    FAR,
    FirstChoices,
    Options,
    applicable,
    as_mask,
    distance_to_voters,
    first_choices,
)
from app.tally.delegation.model import (
    STATUS,
    BallotScope,
    BoolArray,
    DelegationResult,
    Delegations,
    IntArray,
    Status,
    Step,
)
from app.tally.delegation.route import Router, first_hops
from app.tally.records import InputError


def _caps(n: int, opts: Options, max_depth: npt.ArrayLike | Mapping[int, int] | None) -> IntArray:
    """Each member's depth cap (0 = none): the stricter of ``max_depth`` and the cap on their delegations."""
    caps = opts.depth.copy()
    if max_depth is None:
        return caps
    given = np.zeros(n, dtype=np.int64)
    if isinstance(max_depth, Mapping):
        for member, depth in max_depth.items():
            if not 0 <= int(member) < n:
                raise InputError(f"max_depth: member ids must be in 0..{n - 1}")
            given[int(member)] = 0 if depth is None else int(depth)
    else:
        arr = np.asarray(max_depth)
        if arr.shape != (n,):
            raise InputError(f"max_depth: expected an array of length {n}, got shape {arr.shape}")
        given = arr.astype(np.int64)
    if given.min(initial=0) < 0:
        raise InputError("max_depth: a depth cap must be a positive number of steps, or 0 for none")
    both = (caps > 0) & (given > 0)
    caps[both] = np.minimum(caps[both], given[both])
    only = (caps == 0) & (given > 0)
    caps[only] = given[only]
    return caps


class _Context:
    """What :meth:`DelegationResult.explain` needs, kept with the result (the router is built on demand)."""

    def __init__(
        self, opts: Options, fc: FirstChoices, caps: IntArray, voted: BoolArray, elig: BoolArray
    ) -> None:
        self.opts, self.fc, self.caps, self.voted, self.elig = opts, fc, caps, voted, elig
        self._router: Router | None = None
        self._dist0: tuple[IntArray, IntArray] | None = None

    def dist0(self) -> IntArray:
        """Fewest delegations from each member to a direct voter (``FAR``: no route at all)."""
        if self._dist0 is None:
            self._dist0 = distance_to_voters(self.opts, self.voted, self.elig)
        return self._dist0[0]

    def router(self) -> Router:
        if self._router is None:
            self.dist0()
            assert self._dist0 is not None
            self._router = Router(self.opts, self.fc, *self._dist0, self.voted, self.elig)
        return self._router

    def explain(self, s: int, result: DelegationResult) -> list[Step]:
        opts = self.opts
        kind, sid = int(opts.kind[s]), int(opts.sid[s])
        lo, hi = int(opts.offsets[s]), int(opts.offsets[s + 1])
        if not self.elig[s]:
            return [Step(s, -1, -1, -1, 0, "not-eligible", "not-eligible")]
        if self.voted[s]:
            return [Step(s, -1, kind, sid, 0, "voted"), *self._capped(s, 0, result)]
        if lo == hi:
            return [Step(s, -1, -1, -1, 0, "not-cast", "no-vote")]
        router = self.router()
        cap = int(self.caps[s])
        route = router.route(s, cap, explain=True)
        if route is None:
            budget = cap - 1 if cap > 0 else np.iinfo(np.int64).max // 4
            steps = [
                Step(
                    s,
                    int(opts.target[k]),
                    kind,
                    sid,
                    int(opts.rank[k]),
                    "skipped",
                    STATUS[router.why_not(int(opts.target[k]), {s}, budget, cap > 0)],
                )
                for k in range(lo, hi)
            ]
            return [*steps, Step(s, -1, kind, sid, 0, "not-cast", result.reason(s))]
        steps = []
        for depth, (u, k, passed) in enumerate(zip(route.path, route.taken, route.skipped, strict=False)):
            uk, us = int(opts.kind[u]), int(opts.sid[u])
            for j, why in passed:
                steps.append(
                    Step(u, int(opts.target[j]), uk, us, int(opts.rank[j]), "skipped", STATUS[why], depth)
                )
            steps.append(Step(u, int(opts.target[k]), uk, us, int(opts.rank[k]), "passed-on", "", depth))
        v, depth = route.path[-1], len(route.path) - 1
        steps.append(Step(v, -1, int(opts.kind[v]), int(opts.sid[v]), 0, "voted", "", depth))
        return [*steps, *self._capped(v, depth, result)]

    @staticmethod
    def _capped(v: int, depth: int, result: DelegationResult) -> list[Step]:
        if len(result.capped) and result.capped[v] > 0:
            return [Step(v, -1, -1, -1, 0, "capped", "capped", depth)]
        return []


def resolve(
    n_members: int,
    delegations: Delegations,
    scope: BallotScope,
    voted: npt.ArrayLike,
    eligible: npt.ArrayLike | None = None,
    *,
    max_depth: npt.ArrayLike | Mapping[int, int] | None = None,
    weight_cap: int | None = None,
) -> DelegationResult:
    """Resolve delegations for one ballot (the rules are in the package docstring).

    ``voted`` and ``eligible`` are boolean arrays of length ``n_members`` or arrays of member ids
    (``eligible=None``: everyone).  ``max_depth`` caps how many delegations each member's vote may follow:
    an array of length ``n_members`` or a mapping member -> cap (0 or ``None`` = no cap; combined with any cap
    stored on the delegations, the stricter wins).  ``weight_cap`` caps the votes one direct voter casts; the
    rest count as abstentions and are reported per voter in ``capped``.  A direct voter who is not eligible,
    a cap below 1 and malformed delegations are input errors.
    """
    n = int(n_members)
    if n < 0:
        raise InputError("the number of members must not be negative")
    if weight_cap is not None and weight_cap < 1:
        raise InputError(f"the weight cap must be at least 1 (a voter's own vote), got {weight_cap}")
    voted_m = as_mask(voted, n, "voted", False)
    elig = as_mask(eligible, n, "eligible", True)
    if (voted_m & ~elig).any():
        raise InputError(
            f"member {int(np.argmax(voted_m & ~elig))} voted but is not eligible for this ballot"
        )
    opts = applicable(n, delegations, scope)
    caps = _caps(n, opts, max_depth)
    fc = first_choices(opts, voted_m, elig)
    context = _Context(opts, fc, caps, voted_m, elig)

    status = fc.status.copy()
    cast_by = np.full(n, -1, dtype=np.int64)
    steps = np.full(n, -1, dtype=np.int64)
    hop = np.full(n, -1, dtype=np.int64)
    voter_ids = np.nonzero(voted_m)[0].astype(np.int64)
    cast_by[voter_ids] = voter_ids
    steps[voter_ids] = 0
    has = opts.offsets[1:] > opts.offsets[:-1]
    # 1. Vectorised: a chain of first choices that reaches a voter within the cap is the route (all ranks 1).
    fast = (fc.status == Status.DELEGATED) & ((caps == 0) | (fc.dist <= caps))
    cast_by[fast] = fc.root[fast]
    steps[fast] = fc.dist[fast]
    hop[fast] = opts.offsets[:-1][fast]
    # 2. Everyone else who delegates: depth-first routes through the backups, one member at a time.
    rest = np.nonzero(elig & ~voted_m & has & ~fast)[0].astype(np.int64)
    if len(rest) and int(np.diff(opts.offsets).max(initial=0)) <= 1:
        # nobody has a backup: the chain of first choices is the only route, so a member left here either has
        # none (its status is already known) or one longer than their cap
        too_long = rest[fc.status[rest] == Status.DELEGATED]
        status[too_long] = Status.DEPTH_EXCEEDED
        rest = rest[:0]
    if len(rest):
        # from whom no route at all reaches a voter, the vote is lost whatever the ranks: the status is what
        # stops their chain of first choices, already known
        rest = rest[context.dist0()[rest] < FAR]
    if len(rest):
        c, h, length, fail = first_hops(context.router(), rest, caps[rest])
        ok = c >= 0
        cast_by[rest[ok]] = c[ok]
        hop[rest[ok]] = h[ok]
        steps[rest[ok]] = length[ok]
        status[rest[ok]] = Status.DELEGATED
        status[rest[~ok]] = fail[~ok].astype(np.int8)
    # the delegation reported: the one the vote took, else the first-ranked one (none for direct voters)
    delegate = np.full(n, -1, dtype=np.int64)
    rank = np.zeros(n, dtype=np.int64)
    shown = np.where(hop >= 0, hop, np.where(has & elig & ~voted_m, opts.offsets[:-1], -1))
    delegate[shown >= 0] = opts.target[shown[shown >= 0]]
    rank[shown >= 0] = opts.rank[shown[shown >= 0]]

    weight = np.bincount(cast_by[cast_by >= 0], minlength=n).astype(np.int64)
    capped = np.zeros(n, dtype=np.int64)
    if weight_cap is not None:
        over = weight > weight_cap
        capped[over] = weight[over] - weight_cap
        weight -= capped
        hit = (cast_by >= 0) & ~voted_m
        hit[hit] = over[cast_by[hit]]
        status[hit] = Status.CAPPED
    total = int(elig.sum())
    return DelegationResult(
        cast_by=cast_by,
        status=status,
        delegate=delegate,
        weight=weight,
        voters=voter_ids,
        voter_weights=weight[voter_ids],
        uncast=total - int(weight.sum()),
        total=total,
        rank=rank,
        steps=steps,
        scope_kind=opts.kind.copy(),
        scope_id=opts.sid.copy(),
        capped=capped,
        weight_cap=weight_cap,
        explainer=context.explain,
    )


def explain(
    member: int,
    n_members: int,
    delegations: Delegations,
    scope: BallotScope,
    voted: npt.ArrayLike,
    eligible: npt.ArrayLike | None = None,
    *,
    max_depth: npt.ArrayLike | Mapping[int, int] | None = None,
    weight_cap: int | None = None,
) -> list[Step]:
    """Where ``member``'s vote goes today and why each step applies: ``resolve(...).explain(member)``."""
    result = resolve(
        n_members, delegations, scope, voted, eligible, max_depth=max_depth, weight_cap=weight_cap
    )
    return result.explain(member)
