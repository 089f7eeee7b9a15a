"""Benchmark: delegation resolution, side by side with plain-Python references on the same data.

Run with ``python -m bench.delegation`` (options: ``--members``, ``--delegations``, ``--million``,
``--dense``, ``--seed``, ``--naive``).  Two scenarios:

1. **Ranked** (goal: well under one second): 100,000 members and 50,000 delegations, members ranking one to
   three delegates, one in ten with a depth cap, a weight cap of 10, 30% voting directly.  Compared member by
   member with :func:`app.tally.delegation.reference.reference_resolve`, the plain exhaustive implementation
   of the same rule.
2. **A million members** with one delegation per scope (goal: under one second), compared with a plain
   chain-following reference on the first 100,000 members (``--naive``: on all of them).
3. **Dense**, for information only: 100,000 members each ranking three random delegates, 1% voting, so
   that votes travel long depth-first routes (the slowest case for the per-member search).
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Callable, Sequence

import numpy as np

from app.tally.delegation import STATUS, BallotScope, DelegationResult, Delegations, Status, resolve
from app.tally.delegation.reference import reference_resolve

GOAL_S = 1.0
CAP = 10


def best_of(runs: int, fn: Callable[[], DelegationResult]) -> tuple[float, DelegationResult]:
    times = []
    for _ in range(runs):
        t0 = time.perf_counter()
        out = fn()
        times.append(time.perf_counter() - t0)
    return min(times), out


# -- 1. ranked delegations ------------------------------------------------------------------------------


def make_ranked(
    n: int, m: int, seed: int
) -> tuple[list[tuple[int, int, int, int, int]], np.ndarray, np.ndarray, dict[int, int]]:
    rng = np.random.default_rng(seed)
    rows: list[tuple[int, int, int, int, int]] = []
    taken: set[tuple[int, int]] = set()
    named_me: dict[int, list[int]] = {}
    for a in rng.permutation(n).tolist():
        if len(rows) >= m:
            break
        k = int(rng.choice([1, 2, 3], p=[0.6, 0.25, 0.15]))
        for rank in range(1, k + 1):
            # delegates: half of the time one of a small set of popular members, else anyone, and now and
            # then someone who delegated to this member (a cycle)
            roll = rng.random()
            if roll < 0.05 and named_me.get(a):
                b = named_me[a][int(rng.integers(0, len(named_me[a])))]
            elif roll < 0.5:
                b = int(rng.integers(0, max(1, n // 50)))
            else:
                b = int(rng.integers(0, n))
            if (a, b) not in taken and len(rows) < m:
                taken.add((a, b))
                named_me.setdefault(b, []).append(a)
                rows.append((a, b, 0, 0, rank))
    eligible = rng.random(n) < 0.98
    voted = (rng.random(n) < 0.3) & eligible
    caps = {int(x): int(rng.integers(1, 4)) for x in rng.choice(n, size=n // 10, replace=False)}
    return rows, voted, eligible, caps


def ranked(n: int, m: int, seed: int) -> bool:
    rows, voted, eligible, caps = make_ranked(n, m, seed)
    d = Delegations.from_rows(rows)
    print(
        f"== Ranked delegations: {n} members, {len(rows)} delegations (ranks 1-3), depth caps, weight cap {CAP}"
    )
    best, out = best_of(
        3, lambda: resolve(n, d, BallotScope(), voted, eligible, max_depth=caps, weight_cap=CAP)
    )
    result = out
    print(
        f"  resolve: best of 3 {best:.3f} s (goal < {GOAL_S:.0f} s: {'met' if best < GOAL_S else 'MISSED'})"
    )
    print("  " + ", ".join(f"{k} {v}" for k, v in result.counts().items()))
    conserved = int(result.voter_weights.sum()) + result.uncast == result.total
    print(
        f"  weight conserved: {conserved}; capped {result.capped_total} votes at "
        f"{len(result.capped_voters())} voters"
    )
    t0 = time.perf_counter()
    ref = reference_resolve(
        n,
        rows,
        BallotScope(),
        set(np.nonzero(voted)[0].tolist()),
        set(np.nonzero(eligible)[0].tolist()),
        caps,
        CAP,
    )
    t_ref = time.perf_counter() - t0
    mine = [(int(result.cast_by[i]), result.reason(i)) for i in range(n)]
    same = mine == ref.outcome and result.capped_voters() == ref.capped
    print(
        f"  plain-Python reference: {t_ref:.2f} s; same outcome for every member and the same capping: {same}; "
        f"ratio {t_ref / best:.0f}x"
    )
    return bool(same and conserved and best < GOAL_S)


# -- 2. a million members ---------------------------------------------------------------------------------


def make_million(n: int, seed: int) -> tuple[Delegations, BallotScope, np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    # 60% of members delegate globally, 30% for a topic, 20% for a place (overlapping); 15% vote directly
    rows = []
    for share, kind, ids in ((0.6, 0, 1), (0.3, 1, 20), (0.2, 2, 200)):
        who = rng.permutation(n)[: int(n * share)]
        popular = rng.integers(0, max(1, n // 50), len(who))
        anyone = rng.integers(0, n, len(who))
        to = np.where(rng.random(len(who)) < 0.5, popular, anyone)
        rows.append(np.stack([who, to, np.full(len(who), kind), rng.integers(0, ids, len(who))], axis=1))
    arr = np.concatenate(rows).astype(np.int64)
    d = Delegations(arr[:, 0].copy(), arr[:, 1].copy(), arr[:, 2].copy(), arr[:, 3].copy())
    scope = BallotScope(topics=(3, 7), places=(150, 40, 5))
    voted = rng.random(n) < 0.15
    eligible = rng.random(n) < 0.97
    voted &= eligible
    return d, scope, voted, eligible


def naive_chains(
    n: int, d: Delegations, scope: BallotScope, voted: np.ndarray, elig: np.ndarray, upto: int
) -> list[int]:
    """Plain Python: pick the applicable delegation per member, then follow each chain."""
    best: dict[int, tuple[int, int]] = {}
    places = {p: i for i, p in enumerate(scope.places)}
    topics = {t: len(places) + i for i, t in enumerate(scope.topics)}
    glob = len(places) + len(topics)
    for a, b, k, s in zip(
        d.delegator.tolist(), d.delegate.tolist(), d.scope_kind.tolist(), d.scope_id.tolist(), strict=True
    ):
        rank = places.get(s) if k == 2 else topics.get(s) if k == 1 else glob
        if rank is not None and (a not in best or rank < best[a][0]):
            best[a] = (rank, b)
    vl, el = voted.tolist(), elig.tolist()
    out = []
    for i in range(upto):
        if not el[i]:
            out.append(-1)
            continue
        cur, seen = i, {i}
        while True:
            if vl[cur]:
                out.append(cur)
                break
            nxt = best.get(cur)
            if nxt is None or not el[nxt[1]] or nxt[1] in seen:
                out.append(-1)
                break
            cur = nxt[1]
            seen.add(cur)
    return out


def million(n: int, seed: int, full: bool) -> bool:
    d, scope, voted, eligible = make_million(n, seed)
    print(f"== One delegation per scope: {n} members, {len(d.delegator)} delegations")
    best, out = best_of(3, lambda: resolve(n, d, scope, voted, eligible))
    result = out
    print(
        f"  resolve: best of 3 {best:.3f} s (goal < {GOAL_S:.0f} s: {'met' if best < GOAL_S else 'MISSED'})"
    )
    print("  " + ", ".join(f"{k} {v}" for k, v in result.counts().items()))
    conserved = int(result.voter_weights.sum()) + result.uncast == result.total == int(eligible.sum())
    print(f"  weight conserved: {conserved}; largest weight {int(result.voter_weights.max(initial=0))}")
    upto = n if full else min(n, 100_000)
    t0 = time.perf_counter()
    ref = naive_chains(n, d, scope, voted, eligible, upto)
    t_naive = time.perf_counter() - t0
    same = ref == result.cast_by[:upto].tolist()
    print(f"  plain chain-following on {upto} members: {t_naive:.2f} s; same cast_by: {same}")
    scaled = t_naive * n / upto
    print(
        f"  ratio ~{scaled / best:.0f}x"
        + (f" (reference scaled to {n} members: ~{scaled:.1f} s)" if upto < n else "")
    )
    assert STATUS[Status.CYCLE] == "cycle"
    return bool(same and conserved and best < GOAL_S)


# -- 3. a dense graph, for information ---------------------------------------------------------------------


def dense(n: int, seed: int) -> None:
    """Every member ranks three random delegates and 1% vote: votes wander far (long depth-first routes),
    the hardest case for the per-member search.  No goal; printed so the cost is known."""
    rng = np.random.default_rng(seed)
    frm = np.repeat(np.arange(n, dtype=np.int64), 3)
    rank = np.tile(np.array([1, 2, 3], dtype=np.int64), n)
    to = rng.integers(0, n, 3 * n)
    _, keep = np.unique(frm * n + to, return_index=True)
    keep.sort()
    zeros = np.zeros(len(keep), dtype=np.int64)
    d = Delegations(frm[keep], to[keep], zeros, zeros, rank[keep])
    voted = rng.random(n) < 0.01
    caps = np.where(rng.random(n) < 0.5, 3, 0)
    print(
        f"== Dense, for information: {n} members each ranking 3 delegates ({len(keep)} delegations), 1% vote"
    )
    runs: list[tuple[str, np.ndarray | None]] = [("no depth caps", None), ("half capped at 3", caps)]
    for label, depth in runs:
        t0 = time.perf_counter()
        r = resolve(n, d, BallotScope(), voted, max_depth=depth)
        t = time.perf_counter() - t0
        print(
            f"  {label}: {t:.2f} s; longest route {int(r.steps.max())} delegations; "
            f"{r.counts()['depth-exceeded']} depth-exceeded"
        )


def main(argv: Sequence[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m bench.delegation")
    ap.add_argument("--members", type=int, default=100_000, help="members in the ranked scenario")
    ap.add_argument("--delegations", type=int, default=50_000, help="delegations in the ranked scenario")
    ap.add_argument("--million", type=int, default=1_000_000, help="members in the second scenario (0: skip)")
    ap.add_argument("--dense", type=int, default=100_000, help="members in the dense case (0: skip)")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--naive", action="store_true", help="run the chain-following reference on every member")
    args = ap.parse_args(argv)
    ok = ranked(args.members, args.delegations, args.seed)
    if args.million:
        ok = million(args.million, args.seed, args.naive) and ok
    if args.dense:
        dense(args.dense, args.seed)
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
