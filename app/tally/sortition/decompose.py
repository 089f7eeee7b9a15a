"""Writing expected counts per unit as a distribution over integral quota-satisfying panels.

Given a target ``Y`` (the expected number of members of each unit, e.g. from
:func:`app.tally.sortition.relaxed.relaxed_leximin`), we look for panels ``x_1, x_2, ...`` and probabilities
``λ_1, λ_2, ...`` summing to 1 with ``sum_i λ_i x_i = Y``, by **rounding steps** (a Carathéodory /
Birkhoff-von Neumann style peeling):

With ``t`` the probability still to give and ``R`` the expected counts still to cover, let ``q = R / t``.  Find
a panel ``x`` with every ``x_u`` equal to ``floor(q_u)`` or ``ceil(q_u)``, every quota's count between the
floor and the ceiling of ``q``'s count for it (or, failing that, anywhere within the quota), and every quota
that ``q`` meets with equality met with equality; then give ``x`` the largest probability ``λ`` that keeps
``(R - λx) / (t - λ)`` inside those bounds.  Each step makes at least one more coordinate integral or one more
quota tight, so there are at most (units + 2 quotas + 1) steps; with many units at the same level many become
integral at once.  Panels that round up only coordinates with large fractional parts (and down only small
ones) are tried first, as they give longer steps.  Each panel is found by *LP-and-fix* on HiGHS (see
:class:`_StepModel`).  Once a coordinate is integral or a quota tight it stays so (every later panel agrees
with it there), so the small tolerances used to recognise them never grow as ``t`` shrinks.

The steps end when less than :data:`END` is left to give, and the panels are scaled up to probability 1.  If a
step finds no panel before that, ``Y`` may lie outside the convex hull of panels (the quota polytope's
vertices need not be integral with three or more categories), and :func:`decompose` returns ``None``; so it
does if the distribution's probabilities differ from ``Y / |u|`` by more than ``tolerance`` for any unit.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import numpy.typing as npt

from app.tally.sortition.model import Quota
from app.tally.sortition.solver import Model
from app.tally.sortition.units import Comp, Units

__all__ = ["decompose"]

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]

#: A coordinate of ``q`` this close to an integer is taken as that integer from then on.
SNAP = 1e-9
#: A quota whose count in ``q`` is this close to a bound is taken as tight from then on (the shares come from a
#: linear program whose fixed values are lowered by a hair, which leaves some quotas a hair short of tight).
TIGHT = 1e-7
#: The rounding steps end when this little probability is left to give.
END = 1e-8
#: If no more than this is left when the steps end, the panels found are scaled up to probability 1 (this moves
#: no expected count per member by more than about this much).
SCALE_UP = 1e-7
#: How many of the coordinates the relaxation made integral the rounding step's small integer program may
#: still change.
NEIGHBOURS = 200
#: The thresholds tried, in turn, for the rounding step's fractional parts (see :func:`_rounding_steps`).
THETAS = (0.25, 0.1, 0.03, 0.01, 0.003, 0.001, 0.0)


class _StepModel:
    """The rounding step's integer program: the panel program with per-step bounds on units and quotas.

    It is solved by *LP-and-fix*: the linear relaxation (warm-started from the previous step's basis) gives a
    vertex with at most about one fractional coordinate per quota; the integral coordinates are fixed, except
    the :data:`NEIGHBOURS` cheapest to change, and a small integer program settles the rest.  Only if that
    fails (and ``full`` is asked for) is the whole integer program solved.
    """

    def __init__(self, units: Units, quotas: Sequence[Quota], size: int) -> None:
        self.n = len(units.units)
        index = {c: i for i, c in enumerate(units.categories)}
        groups = []
        for q in quotas:
            ci = index[q.category]
            groups.append([u for u, unit in enumerate(units.units) if unit.profile[ci] == q.value])
        self.membership = np.zeros((len(quotas), self.n), dtype=np.float64)
        for qi, members in enumerate(groups):
            self.membership[qi, members] = 1.0
        self.qmin = np.array([q.min for q in quotas], dtype=np.float64)
        self.qmax = np.array([q.max for q in quotas], dtype=np.float64)
        self.size = size
        self.households = units.households
        self.cols = np.arange(self.n, dtype=np.int32)
        self.rows = np.arange(1, len(quotas) + 1, dtype=np.int32)
        self.lp = Model()
        self.lp.h.setOptionValue("presolve", "off")
        self.lp.h.setOptionValue("solver", "simplex")
        self.mip = Model(mip_gap=1.0)
        for model, integer in ((self.lp, False), (self.mip, True)):
            x = [model.add_var(0.0, float(units.size(u)), integer=integer) for u in range(self.n)]
            model.add_row(size, size, x, [1.0] * self.n)
            for q, members in zip(quotas, groups, strict=True):
                model.add_row(q.min, q.max, [x[u] for u in members], [1.0] * len(members))
            for group in units.households:
                model.add_row(-1e30, 1.0, [x[u] for u in group], [1.0] * len(group))
            model.set_objective([], [], maximise=True)

    def _solve(self, model: Model, lo: FloatArray, hi: FloatArray, qlo: FloatArray, qhi: FloatArray) -> bool:
        model.set_many_bounds(self.cols, lo, hi)
        model.set_many_row_bounds(self.rows, qlo, qhi)
        return model.solve() == "optimal"

    def _small(
        self,
        movable: npt.NDArray[np.bool_],
        base: FloatArray,
        lo: FloatArray,
        hi: FloatArray,
        cost: FloatArray,
        qlo: FloatArray,
        qhi: FloatArray,
    ) -> IntArray | None:
        """The integer program over the ``movable`` coordinates only, the others fixed at ``base``."""
        free = np.flatnonzero(movable)
        m = Model(mip_gap=1.0)
        col = {int(u): m.add_var(float(lo[u]), float(hi[u]), integer=True) for u in free}
        fixed_total = float(base.sum())
        m.add_row(self.size - fixed_total, self.size - fixed_total, list(col.values()), [1.0] * len(col))
        fixed_counts = self.membership @ base
        sub = self.membership[:, free]
        for qi in range(len(qlo)):
            inside = np.flatnonzero(sub[qi])
            m.add_row(
                qlo[qi] - fixed_counts[qi],
                qhi[qi] - fixed_counts[qi],
                [col[int(free[j])] for j in inside],
                [1.0] * len(inside),
            )
        for group in self.households:
            inside_cols = [col[u] for u in group if u in col]
            if inside_cols:
                m.add_row(-1e30, 1.0 - float(sum(base[u] for u in group)), inside_cols, [1.0] * len(inside_cols))
        m.set_objective(list(col.values()), [float(cost[u]) for u in col], maximise=True)
        if m.solve() != "optimal":
            return None
        values = m.values()
        x = base.copy()
        for u, c in col.items():
            x[u] = round(values[c])
        panel: IntArray = np.rint(x).astype(np.int64)
        return panel

    def panel(
        self, lo: IntArray, hi: IntArray, cost: FloatArray, qlo: FloatArray, qhi: FloatArray, *, full: bool
    ) -> IntArray | None:
        """A panel with ``lo <= x <= hi`` and quota counts in ``[qlo, qhi]``, favouring a high ``cost @ x``;
        ``None`` if there is none, or if LP-and-fix finds none and ``full`` is false."""
        flo, fhi = lo.astype(np.float64), hi.astype(np.float64)
        self.lp.set_many_costs(self.cols, cost)
        if not self._solve(self.lp, flo, fhi, qlo, qhi):
            return None  # the relaxation is infeasible, so is the integer program
        solution = self.lp.h.getSolution()
        relaxed = np.asarray(solution.col_value)
        near = np.rint(relaxed)
        # Fix the coordinates the relaxation made integral, except those whose reduced cost is closest to zero
        # (cheapest to change): the small integer program left settles the fractional ones.
        reduced = np.abs(np.asarray(solution.col_dual))
        movable = np.abs(relaxed - near) > 1e-9
        movable[np.argsort(reduced, kind="stable")[:NEIGHBOURS]] = True
        movable &= flo < fhi
        base = np.where(movable, 0.0, np.where(flo == fhi, flo, near))
        small = self._small(movable, base, flo, fhi, cost, qlo, qhi)
        if small is not None:
            return small
        self.mip.set_many_costs(self.cols, cost)
        if full and self._solve(self.mip, flo, fhi, qlo, qhi):
            panel: IntArray = np.rint(np.asarray(self.mip.values()[: self.n])).astype(np.int64)
            return panel
        return None


def _rounding_steps(step: _StepModel, target: FloatArray) -> tuple[list[tuple[IntArray, float]], float]:
    """Peel panels off ``target`` (see the module docstring); returns the panels with their probabilities and
    the probability ``t`` left undistributed (at most :data:`END` when the peeling finished)."""
    residual = target.copy()
    t = 1.0
    found: list[tuple[IntArray, float]] = []
    # Once integral or tight, a coordinate or quota stays so: every later panel has the same value there, so
    # what was ignored when snapping stays as small in expected people as it was, however small t becomes.
    integral = np.zeros(len(target), dtype=bool)
    fixed = np.zeros(len(target), dtype=np.int64)
    tight_lo = np.zeros(len(step.qmin), dtype=bool)
    tight_hi = np.zeros(len(step.qmin), dtype=bool)
    start = 0
    # Each step makes a coordinate integral or a quota tight; the limit only guards against rounding surprises.
    for _ in range(4 * (len(target) + 2 * len(step.qmin)) + 10):
        if t <= END:
            break
        q = residual / t
        near = np.rint(q)
        newly = ~integral & (np.abs(q - near) <= SNAP)
        fixed = np.where(newly, near.astype(np.int64), fixed)
        integral |= newly
        q = np.where(integral, fixed, q)
        floor = np.floor(q).astype(np.int64)
        ceil = np.ceil(q).astype(np.int64)
        frac = q - floor
        counts = step.membership @ q
        tight_lo |= counts <= step.qmin + TIGHT
        tight_hi |= counts >= step.qmax - TIGHT
        wide_lo = np.where(tight_hi, step.qmax, step.qmin)
        wide_hi = np.where(tight_lo, step.qmin, step.qmax)
        # First ask for every quota's count to be rounded too (keeps the steps long), then only for the tight
        # quotas to stay tight.
        box_lo = np.minimum(np.maximum(np.floor(counts + SNAP), wide_lo), wide_hi)
        box_hi = np.maximum(np.minimum(np.ceil(counts - SNAP), wide_hi), box_lo)
        x = None
        # Ask for the longest step first: no rounding up of a coordinate whose fractional part is below theta,
        # nor down of one whose fractional part is above 1 - theta.
        for i in range(max(start - 1, 0), len(THETAS)):
            theta = THETAS[i]
            lo = np.where(~integral & (frac > 1.0 - theta), ceil, floor)
            hi = np.where(~integral & (frac < theta), floor, ceil)
            last = i == len(THETAS) - 1
            x = step.panel(lo, hi, frac, box_lo, box_hi, full=last)
            if x is None and last:
                x = step.panel(lo, hi, frac, wide_lo, wide_hi, full=True)
            if x is not None:
                start = i
                break
        if x is None:
            break
        up = (x > floor) & ~integral
        down = (x == floor) & ~integral
        alpha = 1.0
        if up.any():
            alpha = min(alpha, float(frac[up].min()))
        if down.any():
            alpha = min(alpha, float((1.0 - frac[down]).min()))
        xc = step.membership @ x.astype(np.float64)
        above = (xc > step.qmin + 0.5) & ~tight_lo
        if above.any():
            alpha = min(alpha, float(((counts - step.qmin)[above] / (xc - step.qmin)[above]).min()))
        below = (xc < step.qmax - 0.5) & ~tight_hi
        if below.any():
            alpha = min(alpha, float(((step.qmax - counts)[below] / (step.qmax - xc)[below]).min()))
        lam = t if alpha >= 1.0 else alpha * t
        found.append((x, lam))
        residual = residual - lam * x
        t -= lam
    return found, t


def decompose(
    units: Units,
    quotas: Sequence[Quota],
    size: int,
    target: Sequence[float],
    *,
    tolerance: float = 1e-7,
) -> tuple[list[Comp], list[float]] | None:
    """Panels and probabilities whose expected counts are ``target`` (see the module docstring), or ``None``."""
    n = len(units.units)
    sizes = np.array([units.size(u) for u in range(n)], dtype=np.float64)
    y = np.asarray(target, dtype=np.float64)
    step = _StepModel(units, quotas, size)
    found, t = _rounding_steps(step, y)
    panels = [x for x, _ in found]
    weights = [lam for _, lam in found]
    if t > SCALE_UP:
        return None
    total = sum(weights)
    weights = [w / total for w in weights]
    achieved = np.zeros(n, dtype=np.float64)
    for x, w in zip(panels, weights, strict=True):
        achieved += w * x
    if float(np.max(np.abs(achieved - y) / sizes, initial=0.0)) > tolerance:
        return None
    comps = [tuple((int(u), int(x[u])) for u in np.flatnonzero(x)) for x in panels]
    return comps, weights

