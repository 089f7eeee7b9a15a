"""LEGACY: the Sortition Foundation's original greedy random selection, kept for comparison.

The procedure is the one of the Sortition Foundation's ``stratification.py`` (2019-2020), kept as the
``legacy`` algorithm of sortition-algorithms (``committee_generation/legacy.py``) and described in FGGHP,
Methods, "Benchmark: the greedy algorithm":

1. Everyone holding a value whose ``max`` is 0 is removed from the pool.
2. Repeat ``k`` times: for every category value compute ``(min - selected) / remaining`` (remaining = pool
   members still available with that value) and take the value with the largest ratio (the first in quota
   order on a tie; values with nobody left or ``max`` 0 are skipped).  Choose a person with that value
   uniformly at random and put them on the panel.  Under the household rule their housemates leave the pool.
   Every value that has now reached its ``max`` loses its remaining people.  If some value needs more people
   than remain, the attempt fails.
3. A finished panel that misses a quota also counts as a failed attempt; failed attempts are retried from the
   start, up to ``MAX_ATTEMPTS`` times (sortition-algorithms' default ``max_attempts``).

The greedy procedure gives no closed form for selection probabilities, so they are *estimated*: the procedure
is run ``runs`` times with the same seeded generator and each person's probability is the share of runs that
chose them (standard error at most ``0.5 / sqrt(runs)``).  The panel drawn is the first run's.
"""

from __future__ import annotations

import random
from collections import Counter

from app.tally.records import InputError
from app.tally.sortition.model import Problem, categories_of, household_partition

__all__ = ["MAX_ATTEMPTS", "legacy_attempt", "legacy_panels"]

MAX_ATTEMPTS = 100


class _Failed(Exception):
    pass


def legacy_attempt(problem: Problem, rng: random.Random) -> tuple[str, ...]:
    """One run of the greedy procedure; raises ``_Failed`` when the attempt fails."""
    cats = categories_of(problem.quotas)
    quota = {(q.category, q.value): q for q in problem.quotas}
    people = sorted(problem.people, key=lambda p: p.id)
    value_of = {p.id: p.features for p in people}
    housemates: dict[str, list[str]] = {}
    for group in household_partition(problem):
        for pid in group:
            housemates[pid] = [o for o in group if o != pid]
    members: dict[tuple[str, str], list[str]] = {key: [] for key in quota}
    for p in people:
        for c in cats:
            members[(c, p.features[c])].append(p.id)
    alive = {p.id for p in people}
    remaining = {key: len(ids) for key, ids in members.items()}
    selected = dict.fromkeys(quota, 0)

    def remove(pid: str) -> None:
        alive.discard(pid)
        for c in cats:
            remaining[(c, value_of[pid][c])] -= 1

    for key, q in quota.items():
        if q.max == 0:
            for pid in members[key]:
                if pid in alive:
                    remove(pid)
    panel: list[str] = []
    for step in range(problem.size):
        best: tuple[str, str] | None = None
        best_ratio = -1.0
        for key, q in quota.items():
            needed = q.min - selected[key]
            if needed > remaining[key]:
                raise _Failed(f"not enough people left with {key[0]}={key[1]}")
            if remaining[key] == 0 or q.max == 0:
                continue
            ratio = needed / remaining[key]
            if ratio > best_ratio:
                best, best_ratio = key, ratio
        if best is None:
            raise _Failed("no category value has anyone left")
        candidates = [pid for pid in members[best] if pid in alive]
        chosen = candidates[rng.randrange(len(candidates))]
        panel.append(chosen)
        remove(chosen)
        for c in cats:
            selected[(c, value_of[chosen][c])] += 1
        for other in housemates.get(chosen, []):
            if other in alive:
                remove(other)
        for c in cats:
            key = (c, value_of[chosen][c])
            if selected[key] == quota[key].max:
                for pid in members[key]:
                    if pid in alive:
                        remove(pid)
        if step < problem.size - 1 and not alive:
            raise _Failed("ran out of people")
    counts = Counter((c, value_of[pid][c]) for pid in panel for c in cats)
    for key, q in quota.items():
        if not q.min <= counts[key] <= q.max:
            raise _Failed(f"the panel misses the quota for {key[0]}={key[1]}")
    return tuple(panel)


def legacy_panels(problem: Problem, rng: random.Random, runs: int) -> list[tuple[str, ...]]:
    """``runs`` panels from successful runs of the greedy procedure (each retried up to MAX_ATTEMPTS)."""
    panels: list[tuple[str, ...]] = []
    for _ in range(runs):
        last = ""
        for _attempt in range(MAX_ATTEMPTS):
            try:
                panels.append(legacy_attempt(problem, rng))
                break
            except _Failed as exc:
                last = str(exc)
        else:
            raise InputError(
                f"the legacy greedy procedure failed {MAX_ATTEMPTS} times in a row (last: {last}); "
                "try the leximin or maximin method, which find a panel whenever one exists"
            )
    return panels
