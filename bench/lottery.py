"""Rounding to a transparent lottery: the exchange search of ``app.tally.sortition.lottery`` against the integer
program on HiGHS it replaced (kept here as the reference), side by side in one run.

Run with ``python -m bench.lottery``.  For generated pools of 120 and 300 people (four categories, quotas from
census-like shares with one seat of leeway, as in the demo) and M = 100 and 1,000 panels, it prints the time of
each rounding, the ratio, and the largest change of any type's per-member probability each reaches (the
objective both minimise; lower is better).  Exit status 1 if the exchange search is ever worse than the
integer program by more than 1e-9.
"""

from __future__ import annotations

import math
import random
import sys
import time

from app.tally.sortition import Person, Problem, Quota
from app.tally.sortition.fair import Distribution, fair_distribution
from app.tally.sortition.lottery import _deviation, _largest_remainder, round_to_lottery
from app.tally.sortition.solver import Model
from app.tally.sortition.units import PanelModel, Units, build_units

SHARES = {
    "gender": [("Woman", 50.5), ("Man", 48.5), ("Another way", 1.0)],
    "age_band": [("16-29", 22.0), ("30-44", 25.0), ("45-64", 31.0), ("65+", 22.0)],
    "district": [("A", 21.0), ("B", 13.0), ("C", 15.0), ("D", 27.0), ("E", 24.0)],
    "view": [("Very", 40.0), ("Fairly", 42.0), ("Not", 18.0)],
}


def problem(n: int, k: int, seed: int) -> Problem:
    rng = random.Random(seed)
    people = tuple(
        Person(f"P{i:04d}", {c: rng.choices([o for o, _ in opts], weights=[w for _, w in opts])[0] for c, opts in SHARES.items()})
        for i in range(n)
    )
    quotas = []
    for c, opts in SHARES.items():
        for o, w in opts:
            have = sum(1 for p in people if p.features[c] == o)
            quotas.append(Quota(c, o, max(0, min(have, math.floor(w * k / 100) - 1)), min(k, math.ceil(w * k / 100) + 1)))
    return Problem(people, tuple(quotas), k)


def integer_program(units: Units, dist: Distribution, m: int, max_nodes: int = 500) -> list[int]:
    """The rounding the exchange search replaced: min max_u |change_u| over floor/ceil choices, node-limited."""
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


def main() -> int:
    worse = False
    print(f"{'pool':>6} {'K':>3} {'M':>5} {'panels':>6}  {'exchange s':>10} {'IP s':>8} {'ratio':>7}  "
          f"{'change (exchange)':>17} {'change (IP)':>11}")
    for n, k, seed in ((120, 12, 2), (300, 30, 2027)):
        prob = problem(n, k, seed)
        units = build_units(prob, compress=True)
        dist = fair_distribution(units, PanelModel(units, prob.quotas, prob.size), "leximin")
        for m in (100, 1000):
            t = time.perf_counter()
            ours = round_to_lottery(units, dist, m)
            t_ours = time.perf_counter() - t
            t = time.perf_counter()
            ref = integer_program(units, dist, m)
            t_ref = time.perf_counter() - t
            d_ours, d_ref = _deviation(units, dist, ours, m), _deviation(units, dist, ref, m)
            worse |= d_ours > d_ref + 1e-9
            print(f"{n:>6} {k:>3} {m:>5} {len(dist.comps):>6}  {t_ours:>10.3f} {t_ref:>8.2f} {t_ref / max(t_ours, 1e-9):>6.0f}x  "
                  f"{d_ours:>17.6f} {d_ref:>11.6f}")
    return 1 if worse else 0


if __name__ == "__main__":
    sys.exit(main())
