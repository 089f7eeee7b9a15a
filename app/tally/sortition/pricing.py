"""A fast heuristic for the pricing step of column generation: improving swaps from known panels.

Column generation only needs *some* panel whose weight beats the current bound to make progress; the exact
integer program is needed only to prove that none exists (FGGHP's implementation likewise adds panels found
by a heuristic between exact solves, SI section 6.2).  So before asking HiGHS, we run a local search: from the
known panels of highest weight, repeatedly make the best swap of one member of a unit for one of another unit
that keeps every quota (and the household rule) and increases the weight, until no swap does.  Panels found
this way meet every constraint by construction; they only change how fast the optimum is reached, never
what it is, because the stage ends only when the exact program finds no better panel.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import numpy.typing as npt

from app.tally.sortition.model import Quota
from app.tally.sortition.units import Comp, Units

__all__ = ["SwapSearch"]

IntArray = npt.NDArray[np.int64]
FloatArray = npt.NDArray[np.float64]


class SwapSearch:
    """Improving-swap local search over panels of ``units`` under ``quotas``."""

    def __init__(self, units: Units, quotas: Sequence[Quota]) -> None:
        index = {(q.category, q.value): i for i, q in enumerate(quotas)}
        self.q_of: IntArray = np.array(
            [[index[(c, u.profile[j])] for j, c in enumerate(units.categories)] for u in units.units],
            dtype=np.int64,
        ).reshape(len(units.units), len(units.categories))
        self.lo: IntArray = np.array([q.min for q in quotas], dtype=np.int64)
        self.hi: IntArray = np.array([q.max for q in quotas], dtype=np.int64)
        self.cap: IntArray = np.array([units.size(u) for u in range(len(units.units))], dtype=np.int64)
        self.house: IntArray = np.full(len(units.units), -1, dtype=np.int64)
        for h, group in enumerate(units.households):
            for u in group:
                self.house[u] = h
        self.n_houses = len(units.households)
        self.matrix: npt.NDArray[np.float64] = np.zeros((64, len(units.units)), dtype=np.float64)
        self.known = 0
        self.history: list[Comp] = []

    def add(self, comp: Comp) -> None:
        """Remember a panel (as counts per unit) so :meth:`best_known` can rank it."""
        if self.known == len(self.matrix):
            self.matrix = np.concatenate([self.matrix, np.zeros_like(self.matrix)])
        for u, k in comp:
            self.matrix[self.known, u] = k
        self.known += 1
        self.history.append(comp)

    def best_known(self, weights: FloatArray, count: int) -> list[Comp]:
        """The ``count`` remembered panels of highest weight (earliest first on ties)."""
        values = self.matrix[: self.known] @ weights
        order = np.argsort(-values, kind="stable")
        return [self.history[int(i)] for i in order[:count]]

    def improve(self, comp: Comp, weights: FloatArray, *, max_swaps: int = 10_000) -> Comp:
        """The panel reached from ``comp`` by best-improvement swaps under ``weights``."""
        x: IntArray = np.zeros(len(self.cap), dtype=np.int64)
        for u, k in comp:
            x[u] = k
        counts: IntArray = np.zeros(len(self.lo), dtype=np.int64)
        np.add.at(counts, self.q_of.ravel(), np.repeat(x, self.q_of.shape[1]))
        houses: IntArray = np.zeros(self.n_houses, dtype=np.int64)
        if self.n_houses:
            np.add.at(houses, self.house[self.house >= 0], x[self.house >= 0])
        for _ in range(max_swaps):
            out = np.flatnonzero(x > 0)
            into = np.flatnonzero((x < self.cap) & (weights > 0))
            if not len(out) or not len(into):
                break
            gain = weights[into][None, :] - weights[out][:, None]
            if gain.max() <= 1e-12:
                break
            can_remove = counts - 1 >= self.lo
            can_add = counts + 1 <= self.hi
            ok = gain > 1e-12
            for j in range(self.q_of.shape[1]):
                qa = self.q_of[out, j][:, None]
                qb = self.q_of[into, j][None, :]
                ok &= (qa == qb) | (can_remove[qa] & can_add[qb])
            if self.n_houses:
                hb = self.house[into][None, :]
                ha = self.house[out][:, None]
                full = np.where(hb >= 0, houses[np.maximum(hb, 0)] - (ha == hb), 0)
                ok &= full == 0
            if not ok.any():
                break
            score = np.where(ok, gain, -np.inf)
            a_i, b_i = np.unravel_index(int(np.argmax(score)), score.shape)
            a, b = int(out[a_i]), int(into[b_i])
            x[a] -= 1
            x[b] += 1
            counts[self.q_of[a]] -= 1
            counts[self.q_of[b]] += 1
            if self.n_houses:
                if self.house[a] >= 0:
                    houses[self.house[a]] -= 1
                if self.house[b] >= 0:
                    houses[self.house[b]] += 1
        return tuple((int(u), int(x[u])) for u in np.flatnonzero(x))
