"""Depth-first delegation for one member's vote: the route whose sequence of ranks is lexicographically
smallest among the routes that visit nobody twice and respect the member's depth cap.

The search is greedy: standing at ``u`` with the route so far ``P``, take the first-ranked delegate ``w`` of
``u`` from whom some route avoiding ``P`` reaches a direct voter within the steps left.  That choice is final
(a completion exists), so the route found is the lexicographically smallest one (Brill, Delemazure, George,
Lackner & Schmidt-Kraepelin, "Liquid Democracy with Ranked Delegations", AAAI 2022, where this rule is "DFD",
after Kotsialou & Riley, "Incentivising Participation in Liquid Democracy with Breadth-First Delegation",
AAMAS 2020).  Whether ``w`` can finish is answered, cheapest first, by: ``w`` voted; no route at all from
``w`` or none short enough (the distances to the voters, computed once); ``w``'s own first-choice chain
reaches a voter, is short enough and avoids ``P``; else a breadth-first search from ``w`` avoiding ``P``.
Each search is linear in the part of the graph it sees, so one member costs at most
O(length x delegates x graph) and typically a few dictionary look-ups.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from app.tally.delegation.graph import FAR, FirstChoices, Options
from app.tally.delegation.model import BoolArray, IntArray, Status


@dataclass(frozen=True)
class Route:
    """A route found: the members it visits (the member first, the direct voter last) and, for each
    delegation followed, its index into :attr:`Options.target`; ``skipped[i]`` lists the
    ``(option index, reason)`` pairs passed over at ``path[i]`` before the one taken.  Unless the route was
    asked for with ``explain``, ``path``/``taken`` may stop where the route joins a chain of first choices;
    ``caster`` and ``length`` are always those of the whole route."""

    path: list[int]
    taken: list[int]
    skipped: list[list[tuple[int, Status]]]
    caster: int
    length: int


class Router:
    """Finds routes for single members over one ballot's graph (plain Python lists for speed)."""

    def __init__(
        self,
        opts: Options,
        fc: FirstChoices,
        dist0: IntArray,
        toward: IntArray,
        voted: BoolArray,
        elig: BoolArray,
    ) -> None:
        self.off: list[int] = opts.offsets.tolist()
        self.tgt: list[int] = opts.target.tolist()
        self.voted: list[bool] = voted.tolist()
        self.elig: list[bool] = elig.tolist()
        self.dist0: list[int] = dist0.tolist()
        self.toward: list[int] = toward.tolist()
        self.fc_next: list[int] = fc.first.tolist()
        self.fc_root: list[int] = fc.root.tolist()
        self.fc_dist: list[int] = fc.dist.tolist()
        self.fc_ok: list[bool] = (fc.status == Status.DELEGATED).tolist()
        self.fc_status: list[int] = fc.status.tolist()

    # -- whether a delegate can pass the vote on ----------------------------------------------------------

    def _chain_avoids(self, w: int, avoid: set[int]) -> bool:
        """Does ``w``'s first-choice chain (which reaches a voter) avoid every member of ``avoid``?"""
        root, dw = self.fc_root[w], self.fc_dist[w]
        for p in avoid:
            if self.fc_ok[p] and self.fc_root[p] == root and self.fc_dist[p] < dw:
                x = w
                for _ in range(dw - self.fc_dist[p]):
                    x = self.fc_next[x]
                if x == p:
                    return False
        return True

    def can_finish(self, w: int, avoid: set[int], budget: int) -> bool:
        """Is there a route from ``w`` (not in ``avoid``) to a direct voter of at most ``budget`` delegations
        that visits nobody in ``avoid``?"""
        if self.voted[w]:
            return True
        if not self.elig[w] or self.dist0[w] > budget or self.dist0[w] >= FAR:
            return False
        if self.fc_ok[w] and self.fc_dist[w] <= budget and self._chain_avoids(w, avoid):
            return True
        if self._witness_avoids(w, avoid):
            return True
        off, tgt, voted, elig, dist0 = self.off, self.tgt, self.voted, self.elig, self.dist0
        seen = {w}
        frontier = [w]
        depth = 0
        while frontier and depth < budget:
            depth += 1
            ahead: list[int] = []
            for x in frontier:
                for k in range(off[x], off[x + 1]):
                    y = tgt[k]
                    if y in seen or y in avoid or not elig[y]:
                        continue
                    if voted[y]:
                        return True
                    if depth + dist0[y] <= budget:
                        # a walk w ... y + a shortest route from y that avoids ``avoid`` contains a route
                        if self._witness_avoids(y, avoid):
                            return True
                        seen.add(y)
                        ahead.append(y)
            frontier = ahead
        return False

    def _witness_avoids(self, w: int, avoid: set[int]) -> bool:
        """Does the recorded shortest route from ``w`` to a voter avoid every member of ``avoid``?"""
        toward, voted = self.toward, self.voted
        x = w
        while not voted[x]:
            x = toward[x]
            if x in avoid:
                return False
        return True

    def why_not(self, w: int, avoid: set[int], budget: int, capped: bool) -> Status:
        """Why the route cannot go on through delegate ``w`` (when :meth:`can_finish` says no)."""
        if not self.elig[w]:
            return Status.DELEGATE_NOT_ELIGIBLE
        if w in avoid:
            return Status.CYCLE
        if capped and self.can_finish(w, avoid, FAR):
            return Status.DEPTH_EXCEEDED
        if self.dist0[w] < FAR:
            return Status.CYCLE  # w reaches voters only through members already on the route
        status = Status(self.fc_status[w])  # what stops w's own chain of first choices
        return Status.DEAD_END if status == Status.NO_VOTE else status

    # -- routes -------------------------------------------------------------------------------------------

    def route(self, s: int, cap: int, explain: bool = False) -> Route | None:
        """The depth-first route of ``s``'s vote (``cap`` 0 = no depth cap), or ``None`` if there is none."""
        budget = cap if cap > 0 else FAR
        off, tgt, voted, elig = self.off, self.tgt, self.voted, self.elig
        path = [s]
        taken: list[int] = []
        skipped: list[list[tuple[int, Status]]] = []
        on = {s}
        u = s
        while not voted[u]:
            left = budget - (len(path) - 1)
            if left <= 0:
                return None
            passed: list[tuple[int, Status]] = []
            choice = -1
            for k in range(off[u], off[u + 1]):
                w = tgt[k]
                if w not in on and elig[w] and (voted[w] or self.can_finish(w, on, left - 1)):
                    choice = k
                    break
                if explain:
                    passed.append((k, self.why_not(w, on, left - 1, cap > 0)))
            skipped.append(passed)
            if choice < 0:
                return None
            w = tgt[choice]
            taken.append(choice)
            path.append(w)
            on.add(w)
            if (
                not voted[w]
                and self.fc_ok[w]
                and self.fc_dist[w] <= left - 1
                and self._chain_avoids(w, on - {w})
            ):
                # From here the first choices lead to a voter without revisiting anyone: greedy follows them.
                length = len(path) - 1 + self.fc_dist[w]
                if not explain:
                    return Route(path, taken, skipped, self.fc_root[w], length)
                x = w
                while not voted[x]:
                    k = off[x]
                    skipped.append([])
                    taken.append(k)
                    x = tgt[k]
                    path.append(x)
                return Route(path, taken, skipped, x, length)
            u = w
        return Route(path, taken, skipped, u, len(path) - 1)

    def failure(self, s: int, cap: int) -> Status:
        """The status of a member whose vote has no route: ``DEPTH_EXCEEDED`` if a route exists without the
        cap, else why the chain of first choices stops (``DEAD_END``, ``CYCLE``, ``DELEGATE_NOT_ELIGIBLE``)."""
        if cap > 0:
            on = {s}
            for k in range(self.off[s], self.off[s + 1]):
                w = self.tgt[k]
                if w != s and self.elig[w] and self.can_finish(w, on, FAR):
                    return Status.DEPTH_EXCEEDED
        return Status(self.fc_status[s])


def first_hops(
    router: Router, members: IntArray, caps: IntArray
) -> tuple[IntArray, IntArray, IntArray, IntArray]:
    """Route each of ``members``: (caster or -1, option index of the first delegation or -1, length or -1,
    failure status or -1)."""
    k = len(members)
    cast = np.full(k, -1, dtype=np.int64)
    hop = np.full(k, -1, dtype=np.int64)
    length = np.full(k, -1, dtype=np.int64)
    fail = np.full(k, -1, dtype=np.int64)
    for i, (s, cap) in enumerate(zip(members.tolist(), caps.tolist(), strict=True)):
        r = router.route(s, cap)
        if r is None:
            fail[i] = router.failure(s, cap)
        else:
            cast[i] = r.caster
            hop[i] = r.taken[0]
            length[i] = r.length
    return cast, hop, length, fail
