"""The delegation graph of one ballot: which delegations apply (most specific scope, in rank order), the
first-choice chains (vectorised pointer jumping) and each member's distance to the nearest direct voter."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from app.tally.delegation.model import BallotScope, BoolArray, Delegations, IntArray, ScopeKind, Status
from app.tally.records import InputError

#: Distance of a member from whom no route reaches a direct voter.
FAR = np.iinfo(np.int64).max // 4


def as_mask(values: npt.ArrayLike | None, n: int, what: str, default: bool) -> BoolArray:
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
    out[hit] = pos_of[idx_c[hit]]
    return out


@dataclass(frozen=True)
class Options:
    """The delegations that apply to one ballot, in CSR form: member ``m``'s delegates in rank order are
    ``target[offsets[m]:offsets[m + 1]]`` with ranks ``rank[...]``; all of them belong to the one scope
    ``kind[m]``/``sid[m]`` (``-1`` when the member has none) with depth cap ``depth[m]`` (``0`` = none)."""

    offsets: IntArray
    target: IntArray
    rank: IntArray
    kind: IntArray
    sid: IntArray
    depth: IntArray


def applicable(n: int, delegations: Delegations, scope: BallotScope) -> Options:
    """Pick, per member, the most specific scope in which they delegate for this ballot, and its rows.

    Specificity: a place delegation beats a topic delegation beats a global one; among places the smaller
    (deeper) place wins, among topics the one listed first in ``scope.topics``.  Within that scope the rows are
    ordered by rank.  Two rows of one scope with the same rank, or naming the same delegate twice, are an input
    error (the database's uniqueness constraints prevent them).
    """
    d = delegations
    m = len(d.delegator)
    cols = [d.delegate, d.scope_kind, d.scope_id]
    cols += [c for c in (d.rank, d.max_depth) if c is not None]
    if any(len(c) != m for c in cols):
        raise InputError("delegation arrays must have the same length")
    frm = np.asarray(d.delegator, dtype=np.int64)
    to = np.asarray(d.delegate, dtype=np.int64)
    kind = np.asarray(d.scope_kind, dtype=np.int64)
    sid = np.asarray(d.scope_id, dtype=np.int64)
    rank = np.ones(m, dtype=np.int64) if d.rank is None else np.asarray(d.rank, dtype=np.int64)
    depth = np.zeros(m, dtype=np.int64) if d.max_depth is None else np.asarray(d.max_depth, dtype=np.int64)
    if m and (min(frm.min(), to.min()) < 0 or max(frm.max(), to.max()) >= n):
        raise InputError(f"delegations name members outside 0..{n - 1}")
    if m and not np.isin(kind, (0, 1, 2)).all():
        raise InputError("scope_kind must be 0 (global), 1 (topic) or 2 (place)")
    if m and rank.min() < 1:
        raise InputError("delegation ranks start at 1 (the first choice)")
    if m and depth.min() < 0:
        raise InputError("a depth cap must be a positive number of steps, or 0 for none")
    n_places, n_topics = len(scope.places), len(scope.topics)
    spec = np.full(m, -1, dtype=np.int64)
    place_pos = _positions(sid, scope.places)
    topic_pos = _positions(sid, scope.topics)
    is_place = (kind == ScopeKind.PLACE) & (place_pos >= 0)
    is_topic = (kind == ScopeKind.TOPIC) & (topic_pos >= 0)
    spec[is_place] = place_pos[is_place]
    spec[is_topic] = n_places + topic_pos[is_topic]
    spec[kind == ScopeKind.GLOBAL] = n_places + n_topics
    ok = spec >= 0
    frm, to, kind, sid, rank, depth, spec = (a[ok] for a in (frm, to, kind, sid, rank, depth, spec))
    # one sort on a combined key: member, then specificity, then rank
    n_spec, n_rank = n_places + n_topics + 1, int(rank.max(initial=0)) + 1
    if n * n_spec * n_rank < 2**62:
        order = np.argsort((frm * n_spec + spec) * n_rank + rank)
    else:  # pragma: no cover - only for astronomically many members, scopes or ranks
        order = np.lexsort((rank, spec, frm))
    frm, to, kind, sid, rank, depth, spec = (a[order] for a in (frm, to, kind, sid, rank, depth, spec))
    start = np.ones(len(frm), dtype=np.bool_)
    start[1:] = frm[1:] != frm[:-1]
    group = np.cumsum(start) - 1
    best = spec[start][group] if len(frm) else spec
    keep = spec == best
    frm, to, kind, sid, rank, depth = (a[keep] for a in (frm, to, kind, sid, rank, depth))
    same = np.zeros(len(frm), dtype=np.bool_)
    same[1:] = (frm[1:] == frm[:-1]) & (rank[1:] == rank[:-1])
    if same.any():
        who = int(frm[np.argmax(same)])
        raise InputError(
            f"member {who} has two delegations of the same scope and rank that apply to this ballot"
        )
    counts = np.bincount(frm, minlength=n)
    several = np.nonzero(counts[frm] > 1)[0]  # only members with backups can name someone twice
    if len(several):
        pairs = several[np.lexsort((to[several], frm[several]))]
        twice = np.zeros(len(pairs), dtype=np.bool_)
        twice[1:] = (frm[pairs][1:] == frm[pairs][:-1]) & (to[pairs][1:] == to[pairs][:-1])
        if twice.any():
            k = pairs[int(np.argmax(twice))]
            raise InputError(f"member {int(frm[k])} ranks delegate {int(to[k])} twice in one scope")
    offsets = np.zeros(n + 1, dtype=np.int64)
    np.cumsum(counts, out=offsets[1:])
    m_kind = np.full(n, -1, dtype=np.int64)
    m_sid = np.full(n, -1, dtype=np.int64)
    m_kind[frm] = kind
    m_sid[frm] = sid
    m_depth = np.zeros(n, dtype=np.int64)
    capped = depth > 0
    # strictest cap among the scope's rows: write the caps in decreasing order so the smallest lands last
    by_cap = np.argsort(-depth[capped], kind="stable")
    m_depth[frm[capped][by_cap]] = depth[capped][by_cap]
    return Options(offsets, to, rank, m_kind, m_sid, m_depth)


def applicable_delegate(n: int, delegations: Delegations, scope: BallotScope) -> IntArray:
    """For each member the first-ranked delegate whose delegation applies to this ballot, or -1."""
    opts = applicable(n, delegations, scope)
    out = np.full(n, -1, dtype=np.int64)
    has = opts.offsets[1:] > opts.offsets[:-1]
    out[has] = opts.target[opts.offsets[:-1][has]]
    return out


@dataclass(frozen=True)
class FirstChoices:
    """Where each member's chain of first choices ends (pointer jumping, no Python loop over members).

    ``root[m]`` is the end of the chain, ``dist[m]`` its length; ``status[m]`` is ``DELEGATED`` when the chain
    reaches a direct voter, else why it stops (``NO_VOTE``, ``DEAD_END``, ``CYCLE``, ``DELEGATE_NOT_ELIGIBLE``);
    direct voters have ``VOTED`` and ineligible members ``NOT_ELIGIBLE``.
    """

    first: IntArray
    root: IntArray
    dist: IntArray
    status: npt.NDArray[np.int8]


def first_choices(opts: Options, voted: BoolArray, elig: BoolArray) -> FirstChoices:
    n = len(voted)
    members = np.arange(n, dtype=np.int64)
    has = opts.offsets[1:] > opts.offsets[:-1]
    first = np.full(n, -1, dtype=np.int64)
    first[has] = opts.target[opts.offsets[:-1][has]]
    active = has & ~voted & elig  # members who pass their vote on (direct voters and ineligible ones don't)
    bad_target = np.zeros(n, dtype=np.bool_)
    bad_target[active] = ~elig[first[active]]
    follow = active & ~bad_target
    nxt = members.copy()
    nxt[follow] = first[follow]
    root = nxt.copy()
    dist = follow.astype(np.int64)
    # pointer jumping, only over the members whose current root still moves (synchronous: every right-hand
    # side below is read before the assignment)
    live = np.nonzero(nxt[root] != root)[0]
    steps = 1
    while len(live) and steps < n:
        r = root[live]
        dist[live] += dist[r]
        root[live] = root[r]
        live = live[nxt[root[live]] != root[live]]
        steps *= 2
    # After at least n steps a chain that ends sits at its end, a fixed point of ``nxt``; a chain that runs
    # into a cycle sits somewhere on the cycle, where ``nxt`` moves on.
    self_loop = follow & (first == members)
    terminal = (nxt[root] == root) & ~self_loop[root]
    status = np.full(n, Status.NO_VOTE, dtype=np.int8)
    status[terminal & voted[root] & ~voted] = Status.DELEGATED
    end_none = terminal & ~voted[root]
    status[end_none & ~bad_target[root] & (root != members)] = Status.DEAD_END
    status[end_none & bad_target[root]] = Status.DELEGATE_NOT_ELIGIBLE
    status[~terminal] = Status.CYCLE
    status[voted] = Status.VOTED
    status[~elig] = Status.NOT_ELIGIBLE
    return FirstChoices(first, root, dist, status)


def distance_to_voters(opts: Options, voted: BoolArray, elig: BoolArray) -> tuple[IntArray, IntArray]:
    """Fewest delegations from each member to a direct voter over any route (``FAR`` if none), and the next
    member on one such shortest route (``-1`` for voters and members with no route): a breadth-first search
    backwards from the voters, one vectorised frontier per level.  The distance is a lower bound for the
    length of any route that must also avoid some members; the shortest routes serve as quick witnesses."""
    n = len(voted)
    dist = np.full(n, FAR, dtype=np.int64)
    toward = np.full(n, -1, dtype=np.int64)
    dist[voted] = 0
    counts = np.diff(opts.offsets)
    src = np.repeat(np.arange(n, dtype=np.int64), counts)
    passes = elig & ~voted
    live = passes[src] & elig[opts.target]
    src, tgt = src[live], opts.target[live]
    order = np.argsort(tgt, kind="stable")
    src_by_tgt, tgt_sorted = src[order], tgt[order]
    roff = np.zeros(n + 1, dtype=np.int64)
    np.cumsum(np.bincount(tgt, minlength=n), out=roff[1:])
    frontier = np.nonzero(voted)[0]
    level = 0
    while len(frontier):
        level += 1
        lo, hi = roff[frontier], roff[frontier + 1]
        sizes = hi - lo
        total = int(sizes.sum())
        if not total:
            break
        idx = np.repeat(lo - np.cumsum(sizes) + sizes, sizes) + np.arange(total, dtype=np.int64)
        cand, first = np.unique(src_by_tgt[idx], return_index=True)
        new = dist[cand] == FAR
        cand = cand[new]
        dist[cand] = level
        toward[cand] = tgt_sorted[idx[first[new]]]
        frontier = cand
    return dist, toward
