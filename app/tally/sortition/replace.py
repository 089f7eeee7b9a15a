"""Replacements for panel members who withdraw, and the ranked reserve list.

Neither reference tool defines a replacement rule that keeps the quotas (sortition-algorithms re-runs a
selection on the remaining pool with the quotas reduced by the people already confirmed; OpenDLP does this in
a spreadsheet).  Folkmoot's rule, published with every replacement:

**Replacement** for ``withdrawn``: the candidates are the pool members who are not on the panel, not marked
unavailable and (under the household rule) share no household with a member who stays, and whose swap for
``withdrawn`` leaves every quota met.  If any candidate has exactly the withdrawn person's answers on every
category, only those are kept (the panel's make-up is then unchanged).  One candidate is drawn uniformly at
random, candidates in id order, with ``random.Random`` seeded from SHA-256 of ``"replacement"``, the seed and
the withdrawn id.

**Reserves**: the pool members not on the panel (and, under the household rule, sharing no household with a
member), in three tiers: those identical in answers to some panel member, then those who could replace at
least one member without breaking a quota, then the rest; each tier in a uniformly random order from the seed
(``"reserves"`` prefix).  The list is an order of preference to offer to; each actual replacement is drawn by
the rule above.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence

from app.tally.invitations import rng_from_seed
from app.tally.records import InputError
from app.tally.sortition.model import Problem, Replacement, categories_of, household_partition, validate

__all__ = ["NoReplacement", "draw_replacement", "rank_reserves"]


class NoReplacement(InputError):
    """Nobody left in the pool can replace the member without breaking a quota."""


def _housemates(problem: Problem) -> dict[str, set[str]]:
    out: dict[str, set[str]] = {}
    for group in household_partition(problem):
        for pid in group:
            out[pid] = set(group) - {pid}
    return out


def _swap_ok(
    problem: Problem, counts: Counter[tuple[str, str]], removed: dict[str, str], added: dict[str, str]
) -> bool:
    for q in problem.quotas:
        key = (q.category, q.value)
        n = counts[key] - (removed[q.category] == q.value) + (added[q.category] == q.value)
        if not q.min <= n <= q.max:
            return False
    return True


def _check_panel(problem: Problem, panel: Sequence[str]) -> dict[str, dict[str, str]]:
    validate(problem)
    features = {p.id: dict(p.features) for p in problem.people}
    for pid in panel:
        if pid not in features:
            raise InputError(f"panel member {pid!r} is not in the pool")
    if len(set(panel)) != len(panel):
        raise InputError("the panel lists someone twice")
    return features


def draw_replacement(
    problem: Problem, panel: Sequence[str], withdrawn: str, unavailable: Sequence[str], seed: str
) -> Replacement:
    """Draw a replacement for ``withdrawn`` by the rule in the module docstring."""
    features = _check_panel(problem, panel)
    if withdrawn not in panel:
        raise InputError(f"{withdrawn!r} is not on the panel")
    cats = list(categories_of(problem.quotas))
    counts: Counter[tuple[str, str]] = Counter((c, features[pid][c]) for pid in panel for c in cats)
    staying = set(panel) - {withdrawn}
    mates = _housemates(problem)
    blocked = set(panel) | set(unavailable)
    for pid in staying:
        blocked |= mates.get(pid, set())
    gone = features[withdrawn]
    candidates = [
        p.id
        for p in sorted(problem.people, key=lambda p: p.id)
        if p.id not in blocked and _swap_ok(problem, counts, gone, features[p.id])
    ]
    identical = [pid for pid in candidates if all(features[pid][c] == gone[c] for c in cats)]
    pool = identical or candidates
    if not pool:
        raise NoReplacement(
            f"nobody left in the pool can replace {withdrawn!r} without breaking a quota "
            f"({len(blocked)} people excluded as on the panel, unavailable or in a member's household)"
        )
    rng = rng_from_seed(f"{seed}\x00{withdrawn}", "replacement")
    chosen = pool[rng.randrange(len(pool))]
    tier = "identical on every category to" if identical else "keeping every quota when swapped for"
    text = (
        f"drawn uniformly (seed {seed!r}, SHA-256 seeded random.Random) from {len(pool)} remaining pool "
        f"members {tier} {withdrawn!r}"
        + (" (household rule: no one sharing a household with a panel member)" if problem.household_rule else "")
    )
    return Replacement(chosen, text, len(pool))


def rank_reserves(problem: Problem, panel: Sequence[str], seed: str) -> tuple[str, ...]:
    """The reserve list, by the tiers in the module docstring."""
    features = _check_panel(problem, panel)
    cats = list(categories_of(problem.quotas))
    counts: Counter[tuple[str, str]] = Counter((c, features[pid][c]) for pid in panel for c in cats)
    mates = _housemates(problem)
    blocked = set(panel)
    for pid in panel:
        blocked |= mates.get(pid, set())
    profiles = {tuple(features[pid][c] for c in cats) for pid in panel}
    tiers: list[list[str]] = [[], [], []]
    for p in sorted(problem.people, key=lambda p: p.id):
        if p.id in blocked:
            continue
        if tuple(features[p.id][c] for c in cats) in profiles:
            tiers[0].append(p.id)
        elif any(_swap_ok(problem, counts, features[m], features[p.id]) for m in panel):
            tiers[1].append(p.id)
        else:
            tiers[2].append(p.id)
    rng = rng_from_seed(seed, "reserves")
    ranked: list[str] = []
    for tier in tiers:
        rng.shuffle(tier)
        ranked.extend(tier)
    return tuple(ranked)
