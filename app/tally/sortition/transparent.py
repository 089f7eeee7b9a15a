"""The transparent lottery as a two-step public procedure: publish the M panels first, then draw the ticket.

:func:`app.tally.sortition.select` with ``lottery=M`` rounds the fair distribution to M equally likely panels
(:mod:`app.tally.sortition.lottery`) and lets the seed pick the ticket.  Flanigan, Kehne and Procaccia ("Fair
sortition made transparent", *NeurIPS* 2021) intend something more visible: the M panels are published
*before* anything random happens, and witnesses then draw one number from 1 to M in public (for example with
three ten-sided dice for M = 1000).  Nothing in the list depends on a seed, so the list, and its SHA-256, can be
committed to in advance.

* :func:`transparent_lottery` computes the list (the same steps and the same rounding as ``select``, so for a
  given problem and method it is the very list ``select(..., lottery=M)`` draws from);
* :attr:`Lottery.panels` ``[n - 1]`` is the panel of ticket ``n``;
* :func:`lottery_csv` is the published file (``ticket,seat_1,...,seat_K``, one row per ticket, ids sorted in
  each row, LF line ends) and :func:`lottery_sha256` its SHA-256, the value committed to.

Everyone's probability is the share of tickets that hold them; ``max_change`` is how far the rounding moved
anyone's probability from the optimal (LEXIMIN or MAXIMIN) distribution's.
"""

from __future__ import annotations

import csv
import hashlib
import io
import time
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from app.tally.records import InputError
from app.tally.sortition.fair import fair_distribution
from app.tally.sortition.feasibility import _check_size, relax
from app.tally.sortition.lottery import expand_tickets, round_to_lottery
from app.tally.sortition.model import InfeasibleQuotas, Problem, inputs_sha256, validate
from app.tally.sortition.units import PanelModel, build_units

__all__ = [
    "MAX_LOTTERY",
    "TRANSPARENT_METHODS",
    "Lottery",
    "lottery_csv",
    "lottery_sha256",
    "parse_lottery_csv",
    "probabilities_of",
    "transparent_lottery",
]

#: The methods whose distribution is fixed by the problem alone (LEGACY's panels come from the seed).
TRANSPARENT_METHODS = ("leximin", "maximin")
#: The largest lottery offered: beyond this, drawing the ticket in public stops being practical.
MAX_LOTTERY = 100_000


@dataclass(frozen=True, slots=True)
class Lottery:
    """M equally likely panels, published before the ticket is drawn (module docstring)."""

    panels: tuple[tuple[str, ...], ...]
    probabilities: Mapping[str, float]
    exact_probabilities: Mapping[str, float]
    max_change: float
    method: str
    inputs_sha256: str
    seconds: float

    @property
    def size(self) -> int:
        return len(self.panels)

    @property
    def sha256(self) -> str:
        return lottery_sha256(self.panels)

    def panel(self, ticket: int) -> tuple[str, ...]:
        """The panel of ``ticket`` (1..M); :class:`InputError` for a number outside the lottery."""
        if not 1 <= ticket <= len(self.panels):
            raise InputError(f"the ticket must be a whole number from 1 to {len(self.panels)} (got {ticket})")
        return self.panels[ticket - 1]


def transparent_lottery(problem: Problem, m: int, *, method: str = "leximin") -> Lottery:
    """The uniform lottery over ``m`` panels that ``select(problem, method=method, lottery=m)`` draws from."""
    started = time.perf_counter()
    if method not in TRANSPARENT_METHODS:
        raise InputError(
            f"a lottery drawn by ticket needs the method leximin or maximin (got {method!r}): "
            "the legacy procedure's panels depend on the seed"
        )
    if not 1 <= m <= MAX_LOTTERY:
        raise InputError(f"the lottery must have from 1 to {MAX_LOTTERY} panels (got {m})")
    validate(problem)
    units = build_units(problem, compress=True)
    _check_size(problem, units)
    pm = PanelModel(units, problem.quotas, problem.size)
    if pm.best([0.0] * len(units.units)) is None:
        raise InfeasibleQuotas(relax(problem, units))
    dist = fair_distribution(units, pm, method)
    exact = {pid: dist.unit_probability[u] for u, unit in enumerate(units.units) for pid in unit.members}
    tickets = round_to_lottery(units, dist, m)
    comps = [c for c, n in zip(dist.comps, tickets, strict=True) for _ in range(n)]
    named = tuple(expand_tickets(units, comps))
    held = Counter(pid for panel in named for pid in panel)
    ids = sorted(p.id for p in problem.people)
    probabilities = {pid: held[pid] / m for pid in ids}
    exact_all = {pid: exact.get(pid, 0.0) for pid in ids}
    change = max((abs(probabilities[pid] - exact_all[pid]) for pid in ids), default=0.0)
    return Lottery(
        panels=named,
        probabilities=probabilities,
        exact_probabilities=exact_all,
        max_change=change,
        method=method,
        inputs_sha256=inputs_sha256(problem, method),
        seconds=time.perf_counter() - started,
    )


def lottery_csv(panels: Sequence[Sequence[str]]) -> str:
    """The published list: a header ``ticket,seat_1,...,seat_K`` and one row per ticket (module docstring)."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    width = max((len(p) for p in panels), default=0)
    writer.writerow(["ticket", *(f"seat_{i}" for i in range(1, width + 1))])
    for n, panel in enumerate(panels, start=1):
        writer.writerow([n, *sorted(panel)])
    return out.getvalue()


def lottery_sha256(panels: Sequence[Sequence[str]]) -> str:
    """SHA-256 (hex) of :func:`lottery_csv` encoded as UTF-8."""
    return hashlib.sha256(lottery_csv(panels).encode("utf-8")).hexdigest()


def parse_lottery_csv(text: str) -> tuple[tuple[str, ...], ...]:
    """The panels of a published list (the inverse of :func:`lottery_csv`)."""
    rows = list(csv.reader(io.StringIO(text.lstrip("\ufeff"), newline="")))
    if not rows or not rows[0] or rows[0][0] != "ticket":
        raise InputError("the lottery file must start with the header ticket,seat_1,...")
    panels: list[tuple[str, ...]] = []
    for n, row in enumerate(rows[1:], start=1):
        if not row:
            continue
        if row[0] != str(n):
            raise InputError(f"expected ticket {n}, found {row[0]!r}", line=n + 1)
        panels.append(tuple(v for v in row[1:] if v))
    return tuple(panels)


def probabilities_of(panels: Sequence[Sequence[str]], ids: Sequence[str]) -> dict[str, float]:
    """Each id's share of the tickets that hold it."""
    held = Counter(pid for panel in panels for pid in panel)
    return {pid: held[pid] / len(panels) if panels else 0.0 for pid in sorted(ids)}

