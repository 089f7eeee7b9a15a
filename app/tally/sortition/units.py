"""Type compression and the panel integer program.

**Type compression.**  People with identical answers on every category are interchangeable: swapping two of
them maps every quota-satisfying panel to another, so a fair (maximin or leximin) distribution gives them the
same probability.  (The leximin vector is unique and the set of optimal distributions is convex and closed
under such swaps; FGGHP, Methods, "Leximin".)  We therefore solve over *units*: a unit is a set of
interchangeable people and a panel is a vector of counts, one per unit, with ``0 <= x_u <= |u|``.  A person in
unit ``u`` is then chosen with probability ``E[x_u] / |u|``, picking ``x_u`` members uniformly.

Under the household rule, people who share a household with someone else in the pool are no longer
interchangeable with the rest, so each of them is a unit of one, constrained by ``sum_{u in h} x_u <= 1`` for
every household ``h`` of two or more; people alone in their household are still grouped by type.

**The panel program** (FGGHP, Methods, "Integer programming"): integer ``x_u``, ``sum_u x_u = k`` and
``min_q <= sum_{u has value q} x_u <= max_q`` for every quota ``q``.  The column-generation algorithms ask it
for the panel maximising a linear weight ``sum_u w_u x_u``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from app.tally.sortition.model import Problem, Quota, categories_of, household_partition
from app.tally.sortition.solver import Model, SolverError

__all__ = ["Comp", "PanelModel", "Unit", "Units", "build_units"]

#: A panel over units: ``((unit index, count), ...)`` for the units with a positive count, in unit order.
Comp = tuple[tuple[int, int], ...]


@dataclass(frozen=True, slots=True)
class Unit:
    """Interchangeable people: their ids (sorted), their answers (in category order), their household."""

    members: tuple[str, ...]
    profile: tuple[str, ...]
    household: int | None


@dataclass(frozen=True, slots=True)
class Units:
    categories: tuple[str, ...]
    units: tuple[Unit, ...]
    households: tuple[tuple[int, ...], ...]
    compressed: bool

    def size(self, u: int) -> int:
        return len(self.units[u].members)


def build_units(problem: Problem, *, compress: bool = True) -> Units:
    """Group the pool into units (see the module docstring); ``compress=False`` gives one unit per person."""
    categories = tuple(categories_of(problem.quotas))
    in_household: dict[str, int] = {}
    for h, group in enumerate(household_partition(problem)):
        for pid in group:
            in_household[pid] = h
    groups: dict[tuple[str, ...], list[str]] = {}
    singles: list[tuple[tuple[str, ...], str, int | None]] = []
    for p in sorted(problem.people, key=lambda p: p.id):
        profile = tuple(p.features[c] for c in categories)
        if compress and p.id not in in_household:
            groups.setdefault(profile, []).append(p.id)
        else:
            singles.append((profile, p.id, in_household.get(p.id)))
    units = [Unit(tuple(ids), profile, None) for profile, ids in groups.items()]
    units += [Unit((pid,), profile, h) for profile, pid, h in singles]
    units.sort(key=lambda u: (u.profile, u.members[0]))
    by_household: dict[int, list[int]] = {}
    for i, u in enumerate(units):
        if u.household is not None:
            by_household.setdefault(u.household, []).append(i)
    households = tuple(tuple(v) for _, v in sorted(by_household.items()))
    return Units(categories, tuple(units), households, compress)


class PanelModel:
    """The panel integer program over ``units`` (see the module docstring)."""

    def __init__(self, units: Units, quotas: Sequence[Quota], size: int) -> None:
        self.units = units
        self.quotas = tuple(quotas)
        self.size = size
        self.model = Model(mip_gap=1e-9)  # pricing must be exact to prove a stage optimal
        self.x = [self.model.add_var(0.0, float(units.size(u)), integer=True) for u in range(len(units.units))]
        self.model.add_row(size, size, self.x, [1.0] * len(self.x))
        index = {c: i for i, c in enumerate(units.categories)}
        for q in quotas:
            ci = index[q.category]
            cols = [self.x[u] for u, unit in enumerate(units.units) if unit.profile[ci] == q.value]
            self.model.add_row(q.min, q.max, cols, [1.0] * len(cols))
        for group in units.households:
            self.model.add_row(-1e30, 1.0, [self.x[u] for u in group], [1.0] * len(group))

    def best(self, weights: Sequence[float]) -> Comp | None:
        """The panel maximising ``sum_u weights[u] * x_u``, or ``None`` if no panel meets the quotas."""
        self.model.set_objective(self.x, weights, maximise=True)
        status = self.model.solve()
        if status == "infeasible":
            return None
        if status != "optimal":
            raise SolverError(f"HiGHS could not solve the panel program: {status}")
        values = self.model.values()
        return tuple((u, round(values[self.x[u]])) for u in range(len(self.x)) if round(values[self.x[u]]) > 0)
