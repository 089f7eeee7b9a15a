"""Stage 1 of the civic lottery: drawing the households that are invited to register for a citizens' panel.

The two-stage civic lottery (random invitation, then a stratified selection among those who answer) is the
procedure of the Sortition Foundation and of the G1000 (see OECD, *Innovative Citizen Participation and New
Democratic Institutions*, 2020, ch. 3, and the Sortition Foundation's "How we do sortition").  This module is the
first stage: a draw of ``n`` addresses from an address list, reproducible by anybody from the published list and
seed.

Methods
-------
**Uniform** (``stratified=False`` and no weights): a simple random sample without replacement
(``random.Random.sample`` over the input order); the draw order is the order of the sample.

**Stratified** (``stratified=True``): the ``n`` invitations are first apportioned among the strata (places) in
proportion to their number of households, by the *largest-remainder* (Hamilton) method: each stratum ``h`` with
``N_h`` addresses gets ``floor(q_h)`` of its exact quota ``q_h = n * W_h / sum(W)`` (``W_h = N_h * w_h``, with
``w_h`` the stratum's weight, 1 by default), and the seats left over go one each to the strata with the largest
fractional remainders (ties: stratum code in sorted order).  A stratum never gets more than ``N_h``; any excess
is apportioned again among the others by the same rule.  Within each stratum the addresses are then drawn
uniformly without replacement.  The selection lists the strata in sorted order, each in its own draw order.

**Weighted** (``weights`` given, ``stratified=False``): deprivation over-sampling without fixed quotas.  Each
address's inclusion weight is its stratum's weight, and ``n`` addresses are drawn by weighted sampling without
replacement using the keys of Efraimidis and Spirakis ("Weighted random sampling with a reservoir",
*Information Processing Letters* 97(5), 2006): each address draws ``u`` uniform in (0, 1) and gets the key
``log(u) / w``; the ``n`` largest keys are selected, in decreasing key order.  This is the same as drawing the
addresses one at a time with probability proportional to weight among those not yet drawn.  The expected
counts reported for this method are the first-order values ``n * W_h / sum(W)``.

Randomness comes only from a ``random.Random`` seeded with the integer value of the SHA-256 digest of the seed
string (never Python's ``hash()``, which is salted per process), so the same inputs and seed always give the
same draw.
"""

from __future__ import annotations

import hashlib
import json
import math
import random
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from app.tally.records import InputError

__all__ = ["Address", "InvitationDraw", "apportion", "draw_invitations", "rng_from_seed"]


@dataclass(frozen=True, slots=True)
class Address:
    """One household on the address list: its id and its stratum (a place code)."""

    id: str
    stratum: str


@dataclass(frozen=True, slots=True)
class InvitationDraw:
    """The result of an invitation draw.

    ``selected`` holds the address ids in draw order; ``per_stratum`` the number drawn in each stratum and
    ``expected`` the expected number (the exact quota before rounding); ``method`` describes the procedure in
    words, for publication with the draw; ``inputs_sha256`` fingerprints the address list, ``n``, the method
    and the weights (see :func:`inputs_sha256`).
    """

    selected: tuple[str, ...]
    per_stratum: Mapping[str, int]
    expected: Mapping[str, float]
    method: str
    seed: str
    n: int
    stratified: bool
    weights: Mapping[str, float]
    inputs_sha256: str


def rng_from_seed(seed: str, purpose: str = "") -> random.Random:
    """A ``random.Random`` seeded from the SHA-256 of ``purpose`` and ``seed`` (stable across processes)."""
    digest = hashlib.sha256(f"{purpose}\x00{seed}".encode() if purpose else seed.encode()).digest()
    return random.Random(int.from_bytes(digest, "big"))


def inputs_sha256(
    addresses: Sequence[Address], n: int, *, stratified: bool, weights: Mapping[str, float] | None
) -> str:
    """SHA-256 of a canonical JSON encoding of the draw's inputs (address order matters to the draw)."""
    payload = {
        "addresses": [[a.id, a.stratum] for a in addresses],
        "n": n,
        "stratified": stratified,
        "weights": sorted((k, float(v)) for k, v in (weights or {}).items()),
    }
    data = json.dumps(payload, separators=(",", ":"), ensure_ascii=False, sort_keys=True)
    return hashlib.sha256(data.encode("utf-8")).hexdigest()


def apportion(n: int, shares: Mapping[str, float], caps: Mapping[str, int]) -> dict[str, int]:
    """Largest-remainder (Hamilton) apportionment of ``n`` seats by ``shares``, never above ``caps``.

    Strata whose exact quota would exceed their cap are given the cap and the rest is apportioned again
    among the others.  Ties in remainder go to the stratum code first in sorted order.
    """
    if n > sum(caps.values()):
        raise InputError(f"cannot draw {n} from {sum(caps.values())} addresses")
    result = {k: 0 for k in shares}
    open_ = sorted(k for k in shares if caps[k] > 0 and shares[k] > 0)
    remaining = n
    while remaining > 0:
        total = sum(shares[k] for k in open_)
        if not open_ or total <= 0:  # pragma: no cover - excluded by the check on n above
            raise InputError(f"cannot apportion {remaining} more invitations")
        exact = {k: remaining * shares[k] / total for k in open_}
        over = [k for k in open_ if result[k] + exact[k] > caps[k]]
        if over:
            for k in over:
                remaining -= caps[k] - result[k]
                result[k] = caps[k]
            open_ = [k for k in open_ if k not in over]
            continue
        floors = {k: math.floor(exact[k]) for k in open_}
        left = remaining - sum(floors.values())
        order = sorted(open_, key=lambda k: (-(exact[k] - floors[k]), k))
        for k in open_:
            result[k] += floors[k]
        for k in order[:left]:
            result[k] += 1
        remaining = 0
    return result


def _check(addresses: Sequence[Address], n: int, weights: Mapping[str, float] | None) -> None:
    if n < 0:
        raise InputError(f"the number of invitations must not be negative (got {n})")
    if n > len(addresses):
        raise InputError(f"cannot draw {n} invitations from {len(addresses)} addresses")
    seen: set[str] = set()
    for i, a in enumerate(addresses, start=1):
        if a.id in seen:
            raise InputError(f"duplicate address id {a.id!r}", line=i)
        seen.add(a.id)
    for k, w in (weights or {}).items():
        if not (isinstance(w, int | float) and math.isfinite(w) and w > 0):
            raise InputError(f"weight for {k!r} must be a positive number (got {w!r})")


def draw_invitations(
    addresses: Sequence[Address],
    n: int,
    seed: str,
    *,
    stratified: bool,
    weights: Mapping[str, float] | None = None,
) -> InvitationDraw:
    """Draw ``n`` of ``addresses`` to invite, by one of the methods in the module docstring."""
    _check(addresses, n, weights)
    w = {k: float(v) for k, v in (weights or {}).items()}
    counts: dict[str, int] = {}
    for a in addresses:
        counts[a.stratum] = counts.get(a.stratum, 0) + 1
    weight_of = {s: w.get(s, 1.0) for s in counts}
    mass = {s: counts[s] * weight_of[s] for s in counts}
    total_mass = sum(mass.values())
    expected = {s: (n * mass[s] / total_mass if total_mass else 0.0) for s in sorted(counts)}
    rng = rng_from_seed(seed, "invitations")
    selected: list[str]
    if stratified:
        quota = apportion(n, mass, counts)
        by_stratum: dict[str, list[str]] = {}
        for a in addresses:
            by_stratum.setdefault(a.stratum, []).append(a.id)
        selected = []
        for s in sorted(by_stratum):
            selected.extend(rng.sample(by_stratum[s], quota[s]))
        how = (
            "stratified by place in proportion to households"
            + (" multiplied by the published weights" if w else "")
            + " (largest-remainder apportionment), then a uniform draw without replacement in each place"
        )
    elif w:
        keyed = []
        for index, a in enumerate(addresses):
            u = rng.random()
            while u == 0.0:
                u = rng.random()
            keyed.append((math.log(u) / weight_of[a.stratum], -index, a.id))
        keyed.sort(reverse=True)
        selected = [aid for _, _, aid in keyed[:n]]
        how = (
            "weighted draw without replacement (Efraimidis-Spirakis keys log(u)/w), each address weighted by "
            "its place's published weight"
        )
    else:
        selected = [addresses[i].id for i in rng.sample(range(len(addresses)), n)]
        how = "uniform draw without replacement"
    stratum_of = {a.id: a.stratum for a in addresses}
    per = {s: 0 for s in sorted(counts)}
    for aid in selected:
        per[stratum_of[aid]] += 1
    method = (
        f"{how}; seed {seed!r} hashed with SHA-256 to seed Python's random.Random (Mersenne Twister)"
    )
    return InvitationDraw(
        selected=tuple(selected),
        per_stratum=per,
        expected=expected,
        method=method,
        seed=seed,
        n=n,
        stratified=stratified,
        weights=dict(sorted(w.items())),
        inputs_sha256=inputs_sha256(addresses, n, stratified=stratified, weights=w),
    )
