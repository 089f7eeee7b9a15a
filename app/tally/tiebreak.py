"""Tie-breaking shared by the ranked rules: look back through earlier rounds, then draw lots.

A tie is broken in two steps:

1. **Look back** through the vote totals recorded at earlier rounds/stages.

   * ``"backwards"`` (the default, and the rule the Scottish Local Government Elections Order 2007,
     SSI 2007/42, schedule 1, rules 49(2) and 51(2)(a) prescribe for STV): regard is had to the *most recent*
     preceding stage at which the tied candidates had unequal votes.
   * ``"forwards"``: regard is had to the *earliest* stage at which they had unequal votes (the rule used,
     for example, by several Australian and Irish counts; offered as an option only).
   * ``"lot"``: no look-back, straight to a draw.

   When three or more candidates are tied and the stage consulted separates some but not all of them, the
   ones still level at the extreme are carried on to the next stage in the same direction.  The Order is
   silent on this case; carrying the narrowed set on is the reading that never discards information.

2. **Lot**: whatever is still tied is decided with the caller's seeded :class:`random.Random`
   (SSI 2007/42 schedule 1 rules 49(3) and 51(2)(b) say "by lot").  Every draw is returned as a
   :class:`app.tally.records.Lot` so the result can show it.  The candidates are put in the order of the
   input (candidate index) before the draw, so a given seed always gives the same result.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

from app.tally.records import Lot

TieBreak = Literal["backwards", "forwards", "lot"]
TIEBREAKS: tuple[TieBreak, ...] = ("backwards", "forwards", "lot")


@dataclass(frozen=True, slots=True)
class TieOutcome:
    """The candidate a tie-break chose, how (``"backwards"``, ``"forwards"`` or ``"lot"``), and any lot drawn.

    ``decided_at`` is the 1-based number of the earlier round/stage that separated the candidates
    (``None`` when it went to lot).
    """

    chosen: int
    method: str
    decided_at: int | None
    lot: Lot | None
    explanation: str


def lookback(
    tied: Sequence[int],
    history: Sequence[Sequence[int]],
    *,
    lowest: bool,
    method: TieBreak = "backwards",
) -> tuple[list[int], int | None]:
    """Narrow ``tied`` (candidate indices) using the vote totals of *earlier* rounds.

    ``history[k][c]`` is candidate ``c``'s total at the end of round/stage ``k + 1``; pass only the rounds
    *before* the one in which the tie arose.  ``lowest=True`` keeps the candidates with the fewest votes
    (exclusion), ``lowest=False`` the most (order of surpluses).  Returns the narrowed list, in input
    order, and the 1-based stage that made the final separation (``None`` if nothing separated them).
    """
    remaining = sorted(tied)
    decided: int | None = None
    if method == "lot" or len(remaining) <= 1:
        return remaining, decided
    order = range(len(history) - 1, -1, -1) if method == "backwards" else range(len(history))
    for k in order:
        totals = history[k]
        values = [totals[c] for c in remaining]
        if len(set(values)) > 1:
            target = min(values) if lowest else max(values)
            remaining = [c for c in remaining if totals[c] == target]
            decided = k + 1
            if len(remaining) == 1:
                break
    return remaining, decided


def break_tie(
    tied: Sequence[int],
    history: Sequence[Sequence[int]],
    *,
    lowest: bool,
    names: Sequence[str],
    rng: random.Random,
    stage: int,
    purpose: str,
    method: TieBreak = "backwards",
) -> TieOutcome:
    """Choose one of ``tied``: look back (see module docstring), then draw lots with ``rng``.

    ``stage`` and ``purpose`` label the :class:`Lot` if one is drawn.
    """
    if method not in TIEBREAKS:
        raise ValueError(f"unknown tie-break {method!r}; expected one of {', '.join(TIEBREAKS)}")
    ordered = sorted(tied)
    if len(ordered) == 1:
        return TieOutcome(ordered[0], "none", None, None, "")
    remaining, decided = lookback(ordered, history, lowest=lowest, method=method)
    tied_names = ", ".join(names[c] for c in ordered)
    if len(remaining) == 1:
        which = "fewest" if lowest else "most"
        return TieOutcome(
            remaining[0],
            method,
            decided,
            None,
            f"tie between {tied_names} broken {method}: {names[remaining[0]]} had the {which} votes "
            f"at round/stage {decided}",
        )
    chosen = remaining[rng.randrange(len(remaining))]
    lot = Lot(stage=stage, purpose=purpose, tied=tuple(names[c] for c in remaining), chosen=names[chosen])
    return TieOutcome(
        chosen,
        "lot",
        None,
        lot,
        f"tie between {tied_names} not separated by earlier rounds; {names[chosen]} chosen by lot",
    )
