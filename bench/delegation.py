"""Benchmark: vectorised delegation resolution for 1,000,000 members (goal: under one second).

Run with ``python -m bench.delegation`` (options: ``--members``, ``--seed``, ``--naive``).  Side by side with a
plain-Python chain-following reference on the same data (by default on the first 100,000 members' chains, with
``--naive`` on all of them); outcomes are compared member by member.
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Sequence

import numpy as np

from app.tally.delegation import STATUS, BallotScope, Delegations, Status, resolve


def make(n: int, seed: int) -> tuple[Delegations, BallotScope, np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    # 60% of members delegate globally, 30% for a topic, 20% for a place (overlapping); 15% vote directly
    rows = []
    for share, kind, ids in ((0.6, 0, 1), (0.3, 1, 20), (0.2, 2, 200)):
        who = rng.permutation(n)[: int(n * share)]
        # delegates: mostly to a smaller set of popular members, sometimes anyone (long chains, some cycles)
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


def naive(
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


def main(argv: Sequence[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m bench.delegation")
    ap.add_argument("--members", type=int, default=1_000_000)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--naive", action="store_true", help="run the Python reference on every member")
    args = ap.parse_args(argv)
    n = args.members
    d, scope, voted, eligible = make(n, args.seed)
    print(f"== Delegation resolution: {n} members, {len(d.delegator)} delegations")
    times = []
    result = None
    for _ in range(3):
        t0 = time.perf_counter()
        result = resolve(n, d, scope, voted, eligible)
        times.append(time.perf_counter() - t0)
    assert result is not None
    best = min(times)
    counts = result.counts()
    print(f"  NumPy resolve: best of 3 {best:.3f} s (goal < 1 s: {'met' if best < 1 else 'MISSED'})")
    print("  " + ", ".join(f"{k} {v}" for k, v in counts.items()))
    conserved = int(result.voter_weights.sum()) + result.uncast == result.total == int(eligible.sum())
    print(f"  weight conserved: {conserved}; largest weight {int(result.voter_weights.max(initial=0))}")
    upto = n if args.naive else min(n, 100_000)
    t0 = time.perf_counter()
    ref = naive(n, d, scope, voted, eligible, upto)
    t_naive = time.perf_counter() - t0
    same = ref == result.cast_by[:upto].tolist()
    print(f"  Python reference on {upto} members: {t_naive:.2f} s; same cast_by: {same}")
    if upto < n:
        print(
            f"  (reference scaled to {n} members: ~{t_naive * n / upto:.1f} s, ratio ~{t_naive * n / upto / best:.0f}x)"
        )
    else:
        print(f"  ratio: {t_naive / best:.0f}x")
    assert STATUS[Status.CYCLE] == "cycle"
    return 0 if (same and conserved and best < 1) else 1


if __name__ == "__main__":
    raise SystemExit(main())
