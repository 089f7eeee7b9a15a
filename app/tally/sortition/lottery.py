"""The transparent lottery: rounding a distribution over panels to M equally likely panels.

Flanigan, Kehne and Procaccia, "Fair sortition made transparent", *NeurIPS* 2021, show how to replace an
optimal distribution over panels by a *uniform lottery* over ``M`` panels (say ``M = 1000``) so that the panel
can be picked in public by drawing one number from 1 to M (e.g. with three ten-sided dice), while moving no
one's selection probability by much.  We round as follows (their "ILP rounding", restricted to the panels of
the optimal distribution):

1. Each panel ``P`` of probability ``λ_P`` gets ``c_P`` lottery tickets, ``c_P`` either ``floor(Mλ_P)`` or
   ``ceil(Mλ_P)``, with ``sum_P c_P = M``; among those choices an integer program on HiGHS (node-limited, so it
   is deterministic) minimises the largest change of any unit's per-member probability,
   ``max_u |sum_P (c_P/M - λ_P) x_{P,u} / |u||``.  Its starting point, used if the program stops without a
   better answer, is largest-remainder rounding (ties by panel order).
2. When people were compressed into types, each ticket's type counts are turned into named people without
   randomness: for every type, its members in id order are dealt cyclically to the tickets in ticket order,
   so each member sits on ``floor`` or ``ceil`` of the type's seats per member (never twice on one ticket).

Because neither step uses the seed, the M panels can be published before the seed is fixed; the seed then only
chooses the ticket.  The probabilities reported are the lottery's own (tickets holding a person / M), and
``rounding_max_change`` is the largest difference from the optimal distribution's.
"""

from __future__ import annotations

import math

from app.tally.sortition.fair import Distribution
from app.tally.sortition.solver import Model
from app.tally.sortition.units import Comp, Units

__all__ = ["expand_tickets", "round_to_lottery"]


def _largest_remainder(weights: tuple[float, ...], m: int) -> list[int]:
    exact = [w * m for w in weights]
    counts = [math.floor(e) for e in exact]
    left = m - sum(counts)
    order = sorted(range(len(exact)), key=lambda i: (-(exact[i] - counts[i]), i))
    for i in order[:left]:
        counts[i] += 1
    return counts


def _deviation(units: Units, dist: Distribution, counts: list[int], m: int) -> float:
    change = [0.0] * len(units.units)
    for comp, w, c in zip(dist.comps, dist.weights, counts, strict=True):
        for u, x in comp:
            change[u] += (c / m - w) * x / units.size(u)
    return max((abs(v) for v in change), default=0.0)


def round_to_lottery(units: Units, dist: Distribution, m: int, *, max_nodes: int = 500) -> list[int]:
    """Tickets per panel of ``dist`` (summing to ``m``), by the rounding in the module docstring."""
    start = _largest_remainder(dist.weights, m)
    fractional = [i for i, w in enumerate(dist.weights) if w * m != math.floor(w * m)]
    if not fractional:
        return start
    model = Model(mip_gap=1e-6)
    model.h.setOptionValue("mip_max_nodes", max_nodes)
    up = {i: model.add_var(0.0, 1.0, integer=True) for i in fractional}
    t = model.add_var(0.0)
    floors = [math.floor(w * m) for w in dist.weights]
    model.add_row(m - sum(floors), m - sum(floors), list(up.values()), [1.0] * len(up))
    rows: dict[int, tuple[list[int], list[float], float]] = {}
    for p, (comp, w) in enumerate(zip(dist.comps, dist.weights, strict=True)):
        for u, x in comp:
            a = x / units.size(u) / m
            cols, coefs, const = rows.setdefault(u, ([], [], 0.0))
            const += (floors[p] - w * m) * a
            if p in up:
                cols.append(up[p])
                coefs.append(a)
            rows[u] = (cols, coefs, const)
    for cols, coefs, const in rows.values():
        # -t <= const + sum coefs * up <= t
        model.add_row(-1e30, -const, [*cols, t], [*coefs, -1.0])
        model.add_row(-const, 1e30, [*cols, t], [*coefs, 1.0])
    model.set_objective([t], [1.0], maximise=False)
    model.solve()
    best = start
    if model.h.getSolution().value_valid:
        values = model.values()
        if values:
            candidate = list(floors)
            for p, col in up.items():
                candidate[p] += round(values[col])
            if sum(candidate) == m and _deviation(units, dist, candidate, m) < _deviation(units, dist, start, m):
                best = candidate
    return best


def expand_tickets(units: Units, comps: list[Comp]) -> list[tuple[str, ...]]:
    """Named panels for tickets given over units, dealing each type's members cyclically (module docstring)."""
    pointer = [0] * len(units.units)
    panels: list[tuple[str, ...]] = []
    for comp in comps:
        ids: list[str] = []
        for u, x in comp:
            members = units.units[u].members
            start = pointer[u]
            ids.extend(members[(start + k) % len(members)] for k in range(x))
            pointer[u] = (start + x) % len(members)
        panels.append(tuple(sorted(ids)))
    return panels
