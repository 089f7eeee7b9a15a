"""The fractional LEXIMIN over types: an upper bound that is usually exact, and cheap to compute.

A distribution over panels gives each unit ``u`` (see :mod:`app.tally.sortition.units`) an expected count
``E[x_u] = |u| p_u``, and the vector of expected counts lies in the convex hull of the integral points of the
*quota polytope*

    Q = { y : sum_u y_u = k,  min_q <= sum_{u has q} y_u <= max_q,  0 <= y_u <= |u|,
              sum_{u in h} y_u <= 1 for every household h }.

Conversely every point of that hull is the expected count of some distribution.  Replacing the hull by ``Q``
itself gives the *type-share* relaxation: the LEXIMIN of ``p`` over ``Q``, computed stage by stage as in
:mod:`app.tally.sortition.fair` but with each stage a single small linear program over the ``p_u`` (no
column generation, no integer programs):

    maximise z   subject to   |u| p in Q,   p_u >= z for every unfixed unit,   p_u >= f_u for every fixed one.

The units whose row has a positive dual value are fixed at ``z`` (by complementary slackness no optimal point
gives them more) and the next stage begins.  Because the hull is contained in ``Q``, this profile is at least
as good, lexicographically, as the true LEXIMIN; it *is* the true LEXIMIN exactly when its expected counts lie
in the hull, which :mod:`app.tally.sortition.decompose` checks by writing them as a distribution over
integral panels (the LEXIMIN profile is unique, so any distribution achieving an upper bound is optimal).
When ``Q`` has integral vertices - one or two categories and no households, where the quota matrix is totally
unimodular - that always succeeds; with more categories it usually does, and otherwise
:func:`app.tally.sortition.fair.fair_distribution` falls back to the exact column generation.
"""

from __future__ import annotations

from collections.abc import Sequence

from app.tally.sortition.model import Quota
from app.tally.sortition.solver import Model, SolverError
from app.tally.sortition.units import Units

__all__ = ["relaxed_leximin"]

#: A row whose dual value exceeds this is tight at the stage optimum, and its unit is fixed.
EPS = 1e-9
#: Fixed shares are lowered by this much so that later stages stay feasible despite rounding in the LP.
FIX_MARGIN = 1e-11


def relaxed_leximin(
    units: Units, active: Sequence[int], quotas: Sequence[Quota], size: int
) -> tuple[list[float], int]:
    """The fractional LEXIMIN shares ``p_u`` of the ``active`` units (0 for the others) and the stage count.

    Raises :class:`~app.tally.sortition.solver.SolverError` if a stage cannot be solved.
    """
    n = len(units.units)
    lp = Model()
    lp.h.setOptionValue("presolve", "off")
    lp.h.setOptionValue("solver", "simplex")
    # The shares are decomposed into panels afterwards, which needs them inside the quota polytope to within
    # far less than HiGHS' default tolerance of 1e-7.
    lp.h.setOptionValue("primal_feasibility_tolerance", 1e-10)
    lp.h.setOptionValue("dual_feasibility_tolerance", 1e-10)
    z = lp.add_var(-1e30, 1e30)
    col = {u: lp.add_var(0.0, 1.0) for u in active}
    lp.set_objective([z], [1.0], maximise=True)
    lp.add_row(size, size, list(col.values()), [float(units.size(u)) for u in col])
    index = {c: i for i, c in enumerate(units.categories)}
    for q in quotas:
        ci = index[q.category]
        members = [u for u in active if units.units[u].profile[ci] == q.value]
        lp.add_row(q.min, q.max, [col[u] for u in members], [float(units.size(u)) for u in members])
    for group in units.households:
        inside = [col[u] for u in group if u in col]
        if inside:
            lp.add_row(-1e30, 1.0, inside, [1.0] * len(inside))
    row = {u: lp.add_row(0.0, 1e30, [col[u], z], [1.0, -1.0]) for u in active}
    free = set(active)
    stages = 0
    while free:
        status = lp.solve()
        if status != "optimal":
            raise SolverError(f"HiGHS could not solve a relaxed leximin stage: {status}")
        stages += 1
        value = lp.objective()
        duals = lp.row_duals()
        # HiGHS reports the duals of a maximisation with the sign of the objective: tight ">=" rows are <= 0.
        tight = [u for u in sorted(free) if abs(duals[row[u]]) > EPS]
        if not tight:  # pragma: no cover - the duals of the unfixed rows sum to 1 in absolute value
            tight = sorted(free)
        for u in tight:
            lp.change_coeff(row[u], z, 0.0)
            lp.set_row_bounds(row[u], max(value - FIX_MARGIN, 0.0), 1e30)
            free.discard(u)
    lp.set_bounds(z, 0.0, 0.0)
    if lp.solve() != "optimal":
        raise SolverError("HiGHS could not solve the last relaxed leximin stage")
    values = lp.values()
    shares = [0.0] * n
    for u, c in col.items():
        shares[u] = min(max(values[c], 0.0), 1.0)
    return shares, stages
