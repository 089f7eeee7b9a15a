"""Can the quotas be met, and if not, what is the smallest change that lets them be?

A panel meets the quotas when the panel program of :mod:`app.tally.sortition.units` has a solution.  When it
has none we solve, on HiGHS, the integer program that lets each quota's bounds move by integer slacks

    minimise    sum_q (l_q + h_q)
    subject to  sum_u x_u = k,   min_q - l_q <= sum_{u has q} x_u <= max_q + h_q,   l, h >= 0 integer

(plus the household constraints), i.e. the relaxation that changes the quotas by the fewest people in total.
This is the approach of sortition-algorithms' ``_relax_infeasible_quotas`` (Sortition Foundation), there with a
weighted objective; here every person of relaxation counts the same.  The quotas that had to move are the ones
reported as unable to be met together.  The panel size is never relaxed: a size larger than the pool (or than
the number of households, under the household rule) is a plain input error.
"""

from __future__ import annotations

from app.tally.records import InputError
from app.tally.sortition.model import Infeasibility, Problem, Quota, validate
from app.tally.sortition.solver import Model, SolverError
from app.tally.sortition.units import PanelModel, Units, build_units

__all__ = ["check_quotas", "relax"]


def _check_size(problem: Problem, units: Units) -> None:
    if problem.household_rule:
        distinct = sum(1 for u in units.units if u.household is None for _ in u.members) + len(units.households)
        if problem.size > distinct:
            raise InputError(
                f"cannot select a panel of {problem.size} with at most one person per household: "
                f"the pool has only {distinct} households"
            )


def relax(problem: Problem, units: Units) -> Infeasibility:
    """The smallest relaxation of the quotas (see the module docstring)."""
    m = Model()
    x = [m.add_var(0.0, float(units.size(u)), integer=True) for u in range(len(units.units))]
    m.add_row(problem.size, problem.size, x, [1.0] * len(x))
    index = {c: i for i, c in enumerate(units.categories)}
    slacks: list[tuple[Quota, int, int]] = []
    for q in problem.quotas:
        ci = index[q.category]
        cols = [x[u] for u, unit in enumerate(units.units) if unit.profile[ci] == q.value]
        lo = m.add_var(0.0, float(q.min), integer=True)
        hi = m.add_var(0.0, float(problem.size), integer=True)
        m.add_row(q.min, 1e30, [*cols, lo], [1.0] * len(cols) + [1.0])
        m.add_row(-1e30, q.max, [*cols, hi], [1.0] * len(cols) + [-1.0])
        slacks.append((q, lo, hi))
    for group in units.households:
        m.add_row(-1e30, 1.0, [x[u] for u in group], [1.0] * len(group))
    m.set_objective([c for _, lo, hi in slacks for c in (lo, hi)], [1.0] * (2 * len(slacks)), maximise=False)
    status = m.solve()
    if status != "optimal":
        raise SolverError(f"HiGHS could not solve the relaxation program: {status}")
    values = m.values()
    relaxations = tuple(
        (q, q.min - round(values[lo]), q.max + round(values[hi]))
        for q, lo, hi in slacks
        if round(values[lo]) or round(values[hi])
    )
    return Infeasibility(tuple(q for q, _, _ in relaxations), relaxations)


def check_quotas(problem: Problem) -> Infeasibility | None:
    """``None`` if some panel meets every quota, else which quotas clash and the smallest relaxation.

    Raises :class:`~app.tally.records.InputError` for problems no relaxation of quotas can fix (a malformed
    problem, or a panel larger than the pool or the number of households).
    """
    validate(problem)
    units = build_units(problem)
    _check_size(problem, units)
    pm = PanelModel(units, problem.quotas, problem.size)
    if pm.best([0.0] * len(units.units)) is not None:
        return None
    return relax(problem, units)
