"""``select()``: from a problem and a seed to a panel, its lottery and everyone's probability.

1. The problem is checked (:func:`app.tally.sortition.model.validate`); if no panel meets the quotas,
   :class:`~app.tally.sortition.model.InfeasibleQuotas` is raised with the smallest relaxation
   (:mod:`app.tally.sortition.feasibility`).  No panel is ever drawn that breaks a quota.
2. The distribution over panels: LEXIMIN or MAXIMIN (:mod:`app.tally.sortition.fair`, over types as in
   :mod:`app.tally.sortition.units`), or LEGACY's estimate from repeated runs (:mod:`.legacy`).
3. Optionally the transparent lottery over ``lottery`` panels (:mod:`app.tally.sortition.lottery`).
4. The draw.  All randomness comes from ``random.Random`` seeded with SHA-256 of ``"select"`` and the seed.
   With a lottery, the ticket is ``1 + randrange(M)``.  Without one, a panel of the distribution is chosen
   with its probability (one ``random()`` against the cumulative probabilities in distribution order) and, in
   each type, that many members are drawn uniformly (``sample`` over the members in id order).  LEGACY's panel
   is its first run.

Without a lottery, when people were compressed into types, each panel in ``Selection.distribution`` stands for
its type counts and is listed with the first members of each type in id order; the members actually drawn
are chosen uniformly within each type, so the per-person probabilities are ``Selection.probabilities``.
"""

from __future__ import annotations

import random
import time
from collections import Counter

from app.tally.invitations import rng_from_seed
from app.tally.records import InputError
from app.tally.sortition.fair import Distribution, fair_distribution
from app.tally.sortition.feasibility import _check_size, relax
from app.tally.sortition.legacy import legacy_panels
from app.tally.sortition.lottery import expand_tickets, round_to_lottery
from app.tally.sortition.model import (
    METHODS,
    InfeasibleQuotas,
    Problem,
    Selection,
    household_partition,
    inputs_sha256,
    validate,
)
from app.tally.sortition.units import Comp, PanelModel, Units, build_units

__all__ = ["DEFAULT_LOTTERY", "LEGACY_RUNS", "select"]

DEFAULT_LOTTERY = 1000
#: Runs of the greedy procedure used to estimate LEGACY's probabilities.
LEGACY_RUNS = 500


def _household_report(problem: Problem, units: Units) -> str | None:
    if not problem.household_rule:
        return None
    groups = household_partition(problem)
    shared = sum(len(g) for g in groups)
    return (
        f"at most one person per household; households with two or more pool members: {len(groups)} "
        f"({shared} people); addresses were compared after normalisation (case, spacing, "
        "punctuation, postcode format and street abbreviations)"
    )


def _unit_panels(units: Units, dist: Distribution) -> list[tuple[str, ...]]:
    return [tuple(sorted(m for u, x in comp for m in units.units[u].members[:x])) for comp in dist.comps]


def _draw_from(units: Units, dist: Distribution, rng: random.Random) -> tuple[str, ...]:
    r = rng.random()
    acc = 0.0
    chosen: Comp = dist.comps[-1]
    for comp, w in zip(dist.comps, dist.weights, strict=True):
        acc += w
        if r < acc:
            chosen = comp
            break
    ids: list[str] = []
    for u, x in chosen:
        ids.extend(rng.sample(units.units[u].members, x))
    return tuple(sorted(ids))


def select(
    problem: Problem,
    *,
    method: str = "leximin",
    seed: str,
    lottery: int | None = None,
    compress: bool = True,
    legacy_runs: int = LEGACY_RUNS,
) -> Selection:
    """Select a panel for ``problem`` by ``method`` (``"leximin"``, ``"maximin"`` or ``"legacy"``).

    ``lottery=M`` rounds the distribution to a uniform lottery over M panels; ``compress=False`` solves over
    people instead of types (for checking; the result is the same).  See the module docstring.
    """
    started = time.perf_counter()
    if method not in METHODS:
        raise InputError(f"unknown method {method!r}; expected one of {', '.join(METHODS)}")
    if lottery is not None and lottery < 1:
        raise InputError(f"the lottery needs at least one panel (got {lottery})")
    validate(problem)
    units = build_units(problem, compress=compress)
    _check_size(problem, units)
    pm = PanelModel(units, problem.quotas, problem.size)
    if pm.best([0.0] * len(units.units)) is None:
        raise InfeasibleQuotas(relax(problem, units))
    rng = rng_from_seed(seed, "select")
    ids = sorted(p.id for p in problem.people)
    rounding: float | None = None
    index: int | None = None
    if method == "legacy":
        runs = legacy_panels(problem, rng, max(legacy_runs, 1))
        counts = Counter(pid for panel in runs for pid in panel)
        prob = {pid: counts[pid] / len(runs) for pid in ids}
        tally = Counter(tuple(sorted(p)) for p in runs)
        distribution = tuple((panel, n / len(runs)) for panel, n in sorted(tally.items()))
        panel = tuple(sorted(runs[0]))
        text = f"legacy greedy procedure; probabilities estimated from {len(runs)} runs"
        if lottery is not None:
            index = 1 + rng.randrange(len(runs))
            panel = tuple(sorted(runs[index - 1]))
            distribution = tuple((tuple(sorted(p)), 1 / len(runs)) for p in runs)
    else:
        dist = fair_distribution(units, pm, method)
        exact = {m: dist.unit_probability[u] for u, unit in enumerate(units.units) for m in unit.members}
        over = f"{len(units.units)} {'types' if compress else 'people'}"
        if dist.route == "relaxation":
            text = (
                f"{method} on HiGHS over {over}: fractional leximin in {dist.stages} stage(s), "
                f"reached exactly by {dist.columns} panels"
            )
        else:
            text = (
                f"{method} by column generation on HiGHS over {over}; {dist.stages} stage(s), "
                f"{dist.columns} panels generated"
            )
        if lottery is None:
            prob = exact
            panel = _draw_from(units, dist, rng)
            distribution = tuple(zip(_unit_panels(units, dist), dist.weights, strict=True))
        else:
            tickets = round_to_lottery(units, dist, lottery)
            comps = [c for c, n in zip(dist.comps, tickets, strict=True) for _ in range(n)]
            named = expand_tickets(units, comps)
            held = Counter(pid for p in named for pid in p)
            prob = {pid: held[pid] / lottery for pid in ids}
            rounding = max(abs(prob[pid] - exact[pid]) for pid in ids)
            index = 1 + rng.randrange(lottery)
            panel = named[index - 1]
            distribution = tuple((p, 1 / lottery) for p in named)
            text += f"; rounded to a uniform lottery over {lottery} panels, ticket {index} drawn"
    probabilities = {pid: prob.get(pid, 0.0) for pid in ids}
    return Selection(
        panel=panel,
        probabilities=probabilities,
        min_probability=min(probabilities.values(), default=0.0),
        distribution=distribution,
        panels=len(distribution),
        method=method,
        seed=seed,
        lottery=lottery,
        lottery_index=index,
        rounding_max_change=rounding,
        household_report=_household_report(problem, units),
        inputs_sha256=inputs_sha256(problem, method),
        seconds=time.perf_counter() - started,
        method_text=text,
    )
