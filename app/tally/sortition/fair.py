"""MAXIMIN and LEXIMIN distributions over panels, by column generation on HiGHS.

Both are defined and solved as in Flanigan, Gölz, Gupta, Hennig and Procaccia, "Fair algorithms for selecting
citizens' assemblies", *Nature* 596 (2021), Methods ("Algorithms", "Column generation"), and its supplementary
information section 6:

* **MAXIMIN** maximises the lowest selection probability of any pool member over all distributions over
  quota-satisfying panels;
* **LEXIMIN** maximises the lowest probability, fixes the people who cannot do better, then maximises the
  next lowest among the rest, and so on, until every probability is fixed.

Each stage solves, over the panels ``P`` found so far, the linear program whose dual is that of FGGHP (SI,
the "dual LP" of each leximin stage; we solve the primal, see :class:`_Master`, and read the dual values):

    minimise    ŷ - sum_{u fixed} f_u y_u
    subject to  sum_u a_{P,u} y_u <= ŷ        for every panel P found so far
                sum_{u not fixed} y_u = 1,    y >= 0, ŷ >= 0

where ``a_{P,u} = x_{P,u} / |u|`` is the probability a member of unit ``u`` (see
:mod:`app.tally.sortition.units`) is on panel ``P``.  The pricing step is the panel integer program with
weights ``y_u / |u|``: if its best panel has weight above ŷ, that panel is added and the LP solved again;
otherwise the stage is optimal, its value ``z`` is the dual objective, and the units with ``y_u > 0`` are fixed
at ``z`` (by complementary slackness no optimal distribution gives them more).  MAXIMIN is the first stage.

Units no quota-satisfying panel can contain have probability 0 and take no part (FGGHP's "covered agents").
The starting panels cover every other unit: each is the panel holding the most people from units not yet
covered.  The master program's solution after the last stage gives the probabilities of the panels.

LEXIMIN is first tried by a faster route: the same stages over the *fractional* relaxation of the panels
(:mod:`app.tally.sortition.relaxed`, one small LP per stage), whose profile is an upper bound on the LEXIMIN
profile, followed by writing that profile as a distribution over integral panels
(:mod:`app.tally.sortition.decompose`).  When that succeeds the bound is reached, so it is the LEXIMIN profile
(which is unique); when it fails the column generation above computes it.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from app.tally.sortition.decompose import decompose
from app.tally.sortition.pricing import SwapSearch
from app.tally.sortition.relaxed import relaxed_leximin
from app.tally.sortition.solver import Model, SolverError
from app.tally.sortition.units import Comp, PanelModel, Units

__all__ = ["Distribution", "fair_distribution", "starting_panels"]

#: Tolerance of the pricing test (a panel must beat ŷ by more than this to be added) and of fixing.
EPS = 1e-9
#: Fixed probabilities are lowered by this much so later stages stay feasible despite rounding in the LP.
FIX_MARGIN = 1e-10
#: How many times a stage is retried with the fixed probabilities lowered by 1e-8 after a numerical failure.
RETRIES = 5
#: HiGHS' algorithm for the master program (primal simplex, warm-started as columns are added).
LP_SOLVER = "simplex"
#: Known panels from which the swap heuristic starts at each pricing step.
STARTS = 16


@dataclass(frozen=True, slots=True)
class Distribution:
    """Panels over units, their probabilities, and each unit's per-member selection probability."""

    comps: tuple[Comp, ...]
    weights: tuple[float, ...]
    unit_probability: tuple[float, ...]
    stages: int
    columns: int
    #: How it was found: "column generation" (exact, :func:`fair_distribution`) or "relaxation" (the fractional
    #: LEXIMIN of :mod:`.relaxed`, reached exactly by the panels of :mod:`.decompose`).
    route: str = "column generation"


def starting_panels(units: Units, pm: PanelModel) -> tuple[list[Comp], set[int]]:
    """Panels covering every unit that any panel can contain, and the set of those units."""
    covered: set[int] = set()
    comps: list[Comp] = []
    n = len(units.units)
    while len(covered) < n:
        weights = [0.0 if u in covered else 1.0 for u in range(n)]
        comp = pm.best(weights)
        if comp is None:
            raise SolverError("the panel program became infeasible")
        new = [u for u, _ in comp if u not in covered]
        if not new:
            break
        comps.append(comp)
        covered.update(u for u, _ in comp)
    return comps, covered


class _Master:
    """The restricted master LP of FGGHP's column generation, in primal form (one column per panel found):

        maximise    z
        subject to  sum_P a_{P,u} λ_P - z >= 0     for every unfixed unit u
                    sum_P a_{P,u} λ_P     >= f_u   for every fixed unit u
                    sum_P λ_P = 1,  λ >= 0

    Its row duals are the ``y_u`` and ``ŷ`` of the dual LP in the module docstring (HiGHS minimises ``-z``, so
    the unit rows' duals are ``>= 0`` and sum to 1 over unfixed units, and ``ŷ`` is minus the dual of the
    convexity row).  New panels are added as columns, and fixing a unit changes its row in place, so every
    solve starts from the previous basis.
    """

    def __init__(self, units: Units, active: list[int]) -> None:
        self.units = units
        self.lp = Model()
        self.lp.h.setOptionValue("presolve", "off")
        self.lp.h.setOptionValue("solver", LP_SOLVER)
        self.lp.h.setOptionValue("simplex_strategy", 4)
        self.row = {u: i for i, u in enumerate(active)}
        self.z = self.lp.add_var(-1e30, 1e30)
        self.lp.set_objective([self.z], [-1.0], maximise=False)
        for _ in active:
            self.lp.add_row(0.0, 1e30, [self.z], [-1.0])
        self.convex = self.lp.add_row(1.0, 1.0, [], [])
        self.columns: list[int] = []

    def add(self, comp: Comp) -> None:
        rows = [self.row[u] for u, _ in comp if u in self.row]
        coefs = [x / self.units.size(u) for u, x in comp if u in self.row]
        self.columns.append(self.lp.add_col(0.0, 0.0, 1e30, [*rows, self.convex], [*coefs, 1.0]))

    def fix(self, u: int, value: float) -> None:
        self.lp.change_coeff(self.row[u], self.z, 0.0)
        self.lp.set_row_bounds(self.row[u], value, 1e30)

    def solve(self) -> tuple[float, dict[int, float], float]:
        """(stage value z, duals y_u, ŷ)."""
        status = self.lp.solve()
        if status != "optimal":
            raise SolverError(f"HiGHS could not solve a leximin stage: {status}")
        duals = self.lp.row_duals()
        y = {u: max(duals[r], 0.0) for u, r in self.row.items()}
        return -self.lp.objective(), y, -duals[self.convex]

    def weights(self) -> list[float]:
        values = self.lp.values()
        return [max(values[c], 0.0) for c in self.columns]


def _stage(
    units: Units,
    pm: PanelModel,
    master: _Master,
    comps: list[Comp],
    known: set[Comp],
    free: list[int],
    search: SwapSearch,
) -> tuple[float, list[int]]:
    """One leximin stage: the best lowest probability ``z`` of the unfixed units and the units to fix."""
    n = len(units.units)
    while True:
        z, y, upper = master.solve()
        weights = [0.0] * n
        for u, yu in y.items():
            weights[u] = yu / units.size(u)
        found = _heuristic(search, comps, known, weights, upper)
        if not found:
            comp = pm.best(weights)
            if comp is None:  # pragma: no cover - the program was feasible when the stage began
                raise SolverError("the panel program became infeasible")
            value = sum(weights[u] * x for u, x in comp)
            if value <= upper + EPS or comp in known:
                tight = [u for u in free if y[u] > EPS]
                if not tight:  # pragma: no cover - the duals of the unfixed units sum to 1
                    tight = list(free)
                return z, tight
            found = [comp]
        for comp in found:
            comps.append(comp)
            known.add(comp)
            master.add(comp)
            search.add(comp)


def _heuristic(
    search: SwapSearch, comps: list[Comp], known: set[Comp], weights: list[float], upper: float
) -> list[Comp]:
    """New panels beating ``upper``, by improving swaps from the known panels of highest weight."""
    w = np.asarray(weights, dtype=np.float64)
    found: list[Comp] = []
    for start in search.best_known(w, STARTS):
        comp = search.improve(start, w)
        if comp not in known and comp not in found and sum(weights[u] * x for u, x in comp) > upper + EPS:
            found.append(comp)
    return found


def _relaxed_route(units: Units, pm: PanelModel) -> Distribution | None:
    """LEXIMIN through the fractional relaxation, if its profile can be reached by panels (else ``None``)."""
    n = len(units.units)
    try:
        shares, stages = relaxed_leximin(units, range(n), pm.quotas, pm.size)
    except SolverError:
        return None
    found = decompose(units, pm.quotas, pm.size, [shares[u] * units.size(u) for u in range(n)])
    if found is None:
        return None
    comps, weights = found
    prob = [0.0] * n
    for comp, w in zip(comps, weights, strict=True):
        for u, x in comp:
            prob[u] += w * x / units.size(u)
    return Distribution(tuple(comps), tuple(weights), tuple(prob), stages, len(comps), "relaxation")


def fair_distribution(units: Units, pm: PanelModel, method: str, *, relaxed: bool = True) -> Distribution:
    """The MAXIMIN or LEXIMIN distribution (``method``) over panels of ``units``.

    LEXIMIN is first sought through its fractional relaxation (:mod:`.relaxed`, :mod:`.decompose`): when the
    relaxation's profile can be written as a distribution over panels it is the LEXIMIN profile (it is an
    upper bound, reached).  Otherwise, or with ``relaxed=False``, it is computed by column generation.
    """
    if method not in ("maximin", "leximin"):
        raise ValueError(f"unknown method {method!r}")
    if method == "leximin" and relaxed:
        via_relaxation = _relaxed_route(units, pm)
        if via_relaxation is not None:
            return via_relaxation
    comps, covered = starting_panels(units, pm)
    known = set(comps)
    active = sorted(covered)
    search = SwapSearch(units, pm.quotas)
    master = _Master(units, active)
    for comp in comps:
        master.add(comp)
        search.add(comp)
    fixed: dict[int, float] = {}
    stages = 0
    generated = len(comps)
    while len(fixed) < len(active):
        free = [u for u in active if u not in fixed]
        before = len(comps)
        for attempt in range(RETRIES + 1):
            try:
                z, tight = _stage(units, pm, master, comps, known, free, search)
                break
            except SolverError:
                # Rounding in the LP can leave the fixed probabilities a hair too high to be met together;
                # lower them all slightly and solve again (FGGHP's implementation does the same, by 1e-4).
                if attempt == RETRIES or not fixed:
                    raise
                for u in fixed:
                    fixed[u] = max(fixed[u] - 1e-8, 0.0)
                    master.fix(u, fixed[u])
        generated += len(comps) - before
        stages += 1
        if method == "maximin":
            break
        for u in tight:
            fixed[u] = max(z - FIX_MARGIN, 0.0)
            master.fix(u, fixed[u])
    if method == "leximin":
        master.lp.set_bounds(master.z, 0.0, 0.0)  # every row is fixed; z is no longer in any
        master.solve()
    weights = master.weights()
    keep = [(c, w) for c, w in zip(comps, weights, strict=True) if w > 1e-12]
    total = sum(w for _, w in keep)
    kept_comps = tuple(c for c, _ in keep)
    kept_weights = tuple(w / total for _, w in keep)
    prob = [0.0] * len(units.units)
    for comp, w in zip(kept_comps, kept_weights, strict=True):
        for u, x in comp:
            prob[u] += w * x / units.size(u)
    return Distribution(kept_comps, kept_weights, tuple(prob), stages, generated)
