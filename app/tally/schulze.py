"""The Schulze method (beatpath), winning-votes strength, with weighted ballots.

Source: Markus Schulze, "A new monotonic, clone-independent, reversal symmetric, and Condorcet-consistent
single-winner election method", Social Choice and Welfare 36 (2011) 267–303, section 2 (and Wikipedia,
"Schulze method", whose 45-voter example the tests reproduce).

* ``d[i][j]`` = total weight of ballots ranking candidate ``i`` above ``j``.  A ranked candidate is
  preferred to every unranked one; unranked candidates are equal to each other (Schulze 2011, §2.1).
* Link strength (winning votes): ``p[i][j] = d[i][j]`` if ``d[i][j] > d[j][i]``, else ``0``.
* Strongest paths by the Floyd–Warshall widest-path recursion
  ``p[i][j] = max(p[i][j], min(p[i][k], p[k][j]))`` (Schulze 2011, §2.3), vectorised over ``i, j``.
* ``i`` is ranked above ``j`` when ``p[i][j] > p[j][i]``; this relation is transitive (Schulze 2011, §4.1).
  The ranking is built by repeatedly taking the candidates beaten by none of those left; when several are
  unbeaten they form a tier (kept in ``tiers``), and their order in ``ranking`` is decided by lot with the
  seeded RNG, every draw recorded.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from typing import Literal

import numpy as np
import numpy.typing as npt

from app.tally.ranked import RankedElection
from app.tally.records import Lot


@dataclass(frozen=True, slots=True)
class SchulzeResult:
    """Outcome of :func:`count_schulze`.

    ``d`` and ``p`` are the pairwise-preference and strongest-path matrices, indexed like ``candidates``
    (withdrawn candidates are left out of all three).  ``tiers`` groups candidates the method cannot
    separate; ``ranking`` is the full order after lots; ``winner`` is ``ranking[0]``.  A :class:`Lot` here has
    ``purpose="rank"`` and ``stage`` = the 1-based ranking position it decided.
    """

    rule: Literal["schulze"]
    candidates: tuple[str, ...]
    d: tuple[tuple[int, ...], ...]
    p: tuple[tuple[int, ...], ...]
    tiers: tuple[tuple[str, ...], ...]
    ranking: tuple[str, ...]
    winner: str | None
    lots: tuple[Lot, ...]
    seed: int | None


def pairwise_matrix(
    prefs: npt.NDArray[np.int64], weights: npt.NDArray[np.int64], n: int
) -> npt.NDArray[np.int64]:
    """``d[i][j]``: weight of ballots preferring ``i`` to ``j`` (ranked beats unranked; -1 pads rankings)."""
    m, width = prefs.shape
    # position[b, c] = rank of candidate c on ballot b (unranked = width, i.e. below every ranked one).
    position = np.full((m, n), width, dtype=np.int64)
    rows = np.repeat(np.arange(m), width)
    cols = prefs.ravel()
    ranks = np.tile(np.arange(width), m)
    ok = cols >= 0
    position[rows[ok], cols[ok]] = ranks[ok]
    d = np.zeros((n, n), dtype=np.int64)
    for i in range(n):
        better = position[:, i : i + 1] < position  # (m, n): ballot prefers i to j
        d[i] = weights @ better.astype(np.int64)
    np.fill_diagonal(d, 0)
    return d


def strongest_paths(d: npt.NDArray[np.int64]) -> npt.NDArray[np.int64]:
    """Strongest-path matrix ``p`` for winning-votes link strength (Floyd–Warshall widest paths)."""
    n = d.shape[0]
    p = np.where(d > d.T, d, 0).astype(np.int64)
    for k in range(n):
        p = np.maximum(p, np.minimum(p[:, k : k + 1], p[k : k + 1, :]))
    np.fill_diagonal(p, 0)
    return p


def count_schulze(
    election: RankedElection,
    *,
    seed: int | None = 0,
    rng: random.Random | None = None,
) -> SchulzeResult:
    """Rank ``election``'s candidates by the Schulze method (winning votes); ties broken by seeded lot."""
    generator = rng if rng is not None else random.Random(seed)
    active = [i for i in range(len(election.candidates)) if i not in election.withdrawn]
    names = tuple(election.candidates[i] for i in active)
    remap = {c: k for k, c in enumerate(active)}
    rows = [(tuple(remap[c] for c in b.ranking if c in remap), b.weight) for b in election.ballots]
    n = len(names)
    width = max((len(r) for r, _ in rows), default=0)
    prefs = np.full((len(rows), max(width, 1)), -1, dtype=np.int64)
    weights = np.zeros(len(rows), dtype=np.int64)
    for i, (r, w) in enumerate(rows):
        prefs[i, : len(r)] = r
        weights[i] = w
    d = pairwise_matrix(prefs, weights, n)
    p = strongest_paths(d)
    beats = p > p.T
    left = list(range(n))
    tiers: list[tuple[str, ...]] = []
    ranking: list[str] = []
    lots: list[Lot] = []
    position = 0
    while left:
        top = [i for i in left if not any(beats[j, i] for j in left if j != i)]
        if not top:  # pragma: no cover - impossible: the Schulze relation is a strict partial order
            raise AssertionError("Schulze relation has a cycle")
        tiers.append(tuple(names[i] for i in top))
        pool = list(top)
        while pool:
            position += 1
            if len(pool) == 1:
                chosen = pool[0]
            else:
                chosen = pool[generator.randrange(len(pool))]
                lots.append(Lot(position, "rank", tuple(names[i] for i in pool), names[chosen]))
            ranking.append(names[chosen])
            pool.remove(chosen)
        left = [i for i in left if i not in top]
    return SchulzeResult(
        "schulze",
        names,
        tuple(tuple(int(x) for x in row) for row in d),
        tuple(tuple(int(x) for x in row) for row in p),
        tuple(tiers),
        tuple(ranking),
        ranking[0] if ranking else None,
        tuple(lots),
        seed if rng is None else None,
    )
