"""A plain reference implementation of the delegation rule in :mod:`app.tally.delegation`, for checking.

Written for clarity, not speed: it picks each member's applicable delegations by looping over the rows and
finds each vote's route by trying the simple routes in order of their rank sequences (plain recursion), so it
is exponential in the worst case.  Use it on small graphs (tests) or sparse ones (``bench/delegation.py``).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from app.tally.delegation.model import BallotScope, ScopeKind


@dataclass(frozen=True)
class ReferenceResult:
    """Per member: (caster or -1, status name); per voter id: counted weight and weight capped."""

    outcome: list[tuple[int, str]]
    weight: dict[int, int]
    capped: dict[int, int]


def applicable_options(
    rows: Sequence[Sequence[int]], scope: BallotScope
) -> tuple[dict[int, list[int]], dict[int, int]]:
    """Each member's delegates in rank order in their most specific applicable scope, and that scope's
    strictest depth cap (0 = none)."""
    best: dict[int, tuple[int, list[tuple[int, int, int]]]] = {}
    for row in rows:
        a, b, k, s = row[0], row[1], row[2], row[3]
        rank = row[4] if len(row) > 4 else 1
        depth = row[5] if len(row) > 5 else 0
        if k == ScopeKind.PLACE and s in scope.places:
            spec = scope.places.index(s)
        elif k == ScopeKind.TOPIC and s in scope.topics:
            spec = len(scope.places) + scope.topics.index(s)
        elif k == ScopeKind.GLOBAL:
            spec = len(scope.places) + len(scope.topics)
        else:
            continue
        if a not in best or spec < best[a][0]:
            best[a] = (spec, [(rank, b, depth)])
        elif spec == best[a][0]:
            best[a][1].append((rank, b, depth))
    options = {a: [b for _, b, _ in sorted(entries)] for a, (_, entries) in best.items()}
    caps = {a: min([d for _, _, d in entries if d > 0], default=0) for a, (_, entries) in best.items()}
    return options, caps


def reference_resolve(
    n: int,
    rows: Sequence[Sequence[int]],
    scope: BallotScope,
    voted: set[int],
    eligible: set[int],
    max_depth: Mapping[int, int] | None = None,
    weight_cap: int | None = None,
) -> ReferenceResult:
    options, caps = applicable_options(rows, scope)
    for m, d in (max_depth or {}).items():
        if d:
            caps[m] = min(caps[m], d) if caps.get(m) else d

    def first_route(path: list[int], budget: int | None) -> list[int] | None:
        """The first route (in order of rank sequences) continuing ``path`` to a voter, or None."""
        if budget is not None and len(path) - 1 >= budget:
            return None
        for w in options.get(path[-1], []):
            if w in path or w not in eligible:
                continue
            if w in voted:
                return [*path, w]
            found = first_route([*path, w], budget)
            if found is not None:
                return found
        return None

    def first_choice_failure(s: int) -> str:
        seen, t = {s}, s
        while True:
            if not options.get(t):
                return "dead-end"
            d = options[t][0]
            if d not in eligible:
                return "delegate-not-eligible"
            if d in seen:
                return "cycle"
            assert d not in voted, "a chain of first choices reaching a voter is a route"
            seen.add(d)
            t = d

    outcome: list[tuple[int, str]] = []
    for s in range(n):
        if s not in eligible:
            outcome.append((-1, "not-eligible"))
        elif s in voted:
            outcome.append((s, "voted"))
        elif not options.get(s):
            outcome.append((-1, "no-vote"))
        else:
            route = first_route([s], caps.get(s) or None)
            if route is not None:
                outcome.append((route[-1], "delegated"))
            elif caps.get(s) and first_route([s], None) is not None:
                outcome.append((-1, "depth-exceeded"))
            else:
                outcome.append((-1, first_choice_failure(s)))
    weight = {v: 0 for v in voted}
    for caster, _ in outcome:
        if caster >= 0:
            weight[caster] += 1
    capped = {}
    if weight_cap is not None:
        capped = {v: w - weight_cap for v, w in weight.items() if w > weight_cap}
        for v, c in capped.items():
            weight[v] -= c
        outcome = [
            (c, "capped" if c in capped and status == "delegated" else status) for c, status in outcome
        ]
    return ReferenceResult(outcome, weight, capped)
