"""Statistical disclosure control for the equality tables: small cells are hidden, and enough others with them
that no hidden cell can be worked out from the published total by subtraction.

Pure functions (no Flask, no database), so the rule can be tested on its own.

The rule, for the cells of one question that add up to a published total (the people who answered the
monitoring questions; a "not answered" cell makes them add up):

1. primary suppression: every cell below ``threshold`` (10) is hidden, zeros too;
2. secondary suppression: while the hidden cells add up to less than ``threshold`` (one hidden cell alone
   always does), the smallest shown cell is hidden as well.  Then the hidden cells' sum, the only thing the
   total gives away, is itself at least ``threshold`` and no single hidden cell can be recovered.

When the total itself is below ``threshold`` nothing is published (:func:`publishable`).
"""

from __future__ import annotations

MIN_CELL = 10


def publishable(total: int, threshold: int = MIN_CELL) -> bool:
    """May figures from a table with this total be published at all?"""
    return total >= threshold


def suppress(counts: list[int], threshold: int = MIN_CELL) -> list[int | None]:
    """``counts`` with the hidden cells as ``None`` (primary and secondary suppression, see the module)."""
    hidden = {i for i, c in enumerate(counts) if c < threshold}
    if hidden:
        while sum(counts[i] for i in hidden) < threshold and len(hidden) < len(counts):
            smallest = min((c, i) for i, c in enumerate(counts) if i not in hidden)
            hidden.add(smallest[1])
    return [None if i in hidden else c for i, c in enumerate(counts)]
