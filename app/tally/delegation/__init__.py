"""Liquid-democracy delegation: who casts each member's vote on one ballot.

Rules (Folkmoot's delegation feature, ``app/delegation/``; transitive delegation as in Kahng, Mackenzie &
Procaccia, *Liquid Democracy: An Algorithmic Perspective*, AAAI 2018; scoped delegations as in LiquidFeedback's
unit / area / issue delegations; ranked backup delegates as in Brill, Delemazure, George, Lackner &
Schmidt-Kraepelin, *Liquid Democracy with Ranked Delegations*, AAAI 2022):

1. **Which delegations apply.**  A member may delegate globally, for a topic, or for a place, and in each scope
   may rank up to three delegates (rank 1 first; the limit is the web form's, the library takes any number).
   For a ballot about topics ``T`` (in priority order) held in a place with ancestry ``A`` (the place first,
   then its parent, ... up to the root), a topic delegation applies if its topic is in ``T`` and a place
   delegation applies if its place is in ``A``.  The most specific scope in which the member delegates wins:
   **place > topic > global**; among places the smaller (deeper) place, among topics the one listed first in
   ``T``.  Only that scope's ranked delegates are used: a member who delegates on a topic is never represented
   through their global delegation on a ballot about that topic.
2. **A direct vote always overrides** the member's own delegations (they cast their own vote, and also the
   votes that reach them).  Members who are not eligible for the ballot count for nothing and pass nothing on.
3. **Where a vote goes: depth-first delegation.**  "If the first neither votes nor passes the vote on, the next
   one is used": a member's vote goes to their first-ranked delegate if from there it can reach someone who
   voted, else to the second, else the third; at the delegate the same rule applies with the delegate's own
   ranked delegates, and so on.  A vote never visits the same member twice (a delegate to whom it would come
   back counts as not passing it on), and never follows more delegations than the member's depth cap.
   Exactly: the vote follows, among the routes ``member -> d1 -> d2 -> ... -> voter`` that visit nobody twice,
   pass only through eligible members who did not vote, end at the first direct voter reached and have at
   most ``max_depth`` steps, the one whose sequence of ranks is lexicographically smallest (rank 1 at the first
   step beats rank 2 at the first step whatever follows).  This is the depth-first delegation rule ("DFD")
   of Kotsialou & Riley, *Incentivising Participation in Liquid Democracy with Breadth-First Delegation*,
   AAMAS 2020, as defined for ranked delegations by Brill et al. (2022).  Each vote is routed on its own: a
   delegate's depth cap limits only their own vote, and a vote passing through a delegate may take a route
   the delegate's own vote does not take (Brill et al. call rules with one route per delegate "confluent";
   DFD is not, and the explanation shows each vote's own route).
4. **Depth caps.**  ``max_depth`` per member (``None`` or 0: no cap; 1: "only my delegate, not theirs", so the
   delegate must vote directly; N: at most N delegations).  A cap may also be stored on the delegation rows;
   the stricter cap applies.
5. **When nobody casts the vote**, the status says why: ``no-vote`` (no delegation applies),
   ``depth-exceeded`` (routes exist but all are longer than the cap), else what stops the member's chain of
   first choices: ``dead-end`` (it reaches someone who neither voted nor delegates), ``cycle`` (it comes back
   to someone already on it) or ``delegate-not-eligible`` (it reaches a delegate not eligible for this ballot).
   Each of these votes counts as an abstention.
6. **Weight cap.**  With ``weight_cap`` a direct voter casts at most that many votes (their own included); the
   rest count as abstentions, reported per voter in ``DelegationResult.capped``; the members whose votes reached
   such a voter have status ``capped`` (each of their votes counts in the same part).
7. **Weight is conserved**: the counted weights of the direct voters plus the uncast votes equal the number of
   eligible members.

Computation: members whose first choices lead to a voter within their cap (the usual case) are resolved by
pointer jumping (path doubling) over all members at once; the others by the greedy search in
:mod:`app.tally.delegation.route`.  :mod:`app.tally.delegation.reference` is a plain, exhaustive implementation
of the same rule used to check this one.
"""

from __future__ import annotations

from app.tally.delegation.graph import applicable_delegate
from app.tally.delegation.model import (
    STATUS,
    BallotScope,
    DelegationResult,
    Delegations,
    ScopeKind,
    Status,
    Step,
)
from app.tally.delegation.resolve import explain, resolve

__all__ = [
    "STATUS",
    "BallotScope",
    "DelegationResult",
    "Delegations",
    "ScopeKind",
    "Status",
    "Step",
    "applicable_delegate",
    "explain",
    "resolve",
]
