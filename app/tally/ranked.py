"""Ranked-ballot elections: the shared ballot types and instant-runoff voting (IRV).

* :class:`RankedElection` / :class:`RankedBallot` are the input of every ranked rule (IRV here, Scottish STV
  in :mod:`app.tally.stv`, Schulze in :mod:`app.tally.schulze`).
* :func:`count_irv` counts instant-runoff voting (the alternative vote; e.g. Wikipedia, "Instant-runoff
  voting"; the Electoral Reform Society's description of the Alternative Vote): in each round every ballot
  counts, at its weight, for its highest-ranked continuing candidate; a candidate with more than half the
  votes of the continuing (non-exhausted) ballots is elected; otherwise the candidate with the fewest votes
  is eliminated.  Ties for elimination are broken by :mod:`app.tally.tiebreak` (default: backwards, then lot).

The counting engine works on a padded 2-D integer array of rankings and a weight vector with identical
ballots merged, and moves only the ballots of the eliminated candidate each round; all arithmetic is integer.
"""

from __future__ import annotations

import random
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np
import numpy.typing as npt

from app.tally.records import InputError, Lot, VerificationError
from app.tally.tiebreak import TIEBREAKS, TieBreak, break_tie

IntArray = npt.NDArray[np.int64]
AnyIntArray = npt.NDArray[np.signedinteger[Any]]

#: Largest total ballot weight the engine accepts (tallies go through float64 bincount, exact below 2**53).
MAX_TOTAL_WEIGHT = 2**53 - 1
#: Largest total weight for which :func:`count_irv` repeats the count with pyrankvote (one object per vote).
PYRANKVOTE_MAX_WEIGHT = 200_000


# --------------------------------------------------------------------------------------------------------
# Ballot types
# --------------------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class RankedBallot:
    """One ranking (0-based candidate indices, most preferred first) and its weight.

    The weight is the number of identical ballot papers, or the weight delegated to a delegate's ballot.
    """

    ranking: tuple[int, ...]
    weight: int = 1


@dataclass(frozen=True, slots=True)
class RankedElection:
    """A ranked election: candidate names, withdrawn candidates, seats and weighted rankings.

    Construction validates the input (raising :class:`InputError`) and merges identical rankings, keeping
    the order of first appearance.  Withdrawn candidates stay in ``candidates`` (so indices are stable) but
    are skipped in every ranking when counting; a ballot ranking nobody else is then invalid (empty).
    """

    candidates: tuple[str, ...]
    ballots: tuple[RankedBallot, ...]
    seats: int = 1
    withdrawn: frozenset[int] = field(default_factory=frozenset)
    title: str = ""

    def __post_init__(self) -> None:
        n = len(self.candidates)
        if n == 0:
            raise InputError("an election needs at least one candidate")
        if len(set(self.candidates)) != n:
            dupes = sorted({c for c in self.candidates if self.candidates.count(c) > 1})
            raise InputError(f"candidate names must be unique; repeated: {', '.join(dupes)}")
        if any(not c.strip() for c in self.candidates):
            raise InputError("candidate names must not be blank")
        if self.seats < 1:
            raise InputError(f"seats must be at least 1, got {self.seats}")
        for w in self.withdrawn:
            if not 0 <= w < n:
                raise InputError(f"withdrawn candidate index {w} out of range 0..{n - 1}")
        merged: dict[tuple[int, ...], int] = {}
        for b in self.ballots:
            if b.weight < 0:
                raise InputError(f"ballot weight must not be negative, got {b.weight}")
            seen: set[int] = set()
            for c in b.ranking:
                if not 0 <= c < n:
                    raise InputError(f"ballot ranks candidate index {c}, out of range 0..{n - 1}")
                if c in seen:
                    raise InputError(f"ballot ranks candidate {self.candidates[c]!r} more than once")
                seen.add(c)
            if b.weight:
                merged[b.ranking] = merged.get(b.ranking, 0) + b.weight
        if len(merged) != len(self.ballots):
            object.__setattr__(self, "ballots", tuple(RankedBallot(r, w) for r, w in merged.items()))
        if self.total_weight > MAX_TOTAL_WEIGHT:
            raise InputError(f"total ballot weight exceeds {MAX_TOTAL_WEIGHT}")

    @classmethod
    def from_rankings(
        cls,
        candidates: Sequence[str],
        rankings: Iterable[Sequence[str | int]],
        *,
        weights: Iterable[int] | None = None,
        seats: int = 1,
        withdrawn: Iterable[str | int] = (),
        title: str = "",
    ) -> RankedElection:
        """Build an election from rankings given as candidate names or 0-based indices."""
        cands = tuple(candidates)
        index = {name: i for i, name in enumerate(cands)}

        def idx(c: str | int) -> int:
            if isinstance(c, int):
                return c
            try:
                return index[c]
            except KeyError:
                raise InputError(f"unknown candidate {c!r}") from None

        rank_list = [tuple(idx(c) for c in r) for r in rankings]
        weight_list = [1] * len(rank_list) if weights is None else list(weights)
        if len(weight_list) != len(rank_list):
            raise InputError("weights and rankings differ in length")
        return cls(
            candidates=cands,
            ballots=tuple(RankedBallot(r, w) for r, w in zip(rank_list, weight_list, strict=True)),
            seats=seats,
            withdrawn=frozenset(idx(c) for c in withdrawn),
            title=title,
        )

    @property
    def total_weight(self) -> int:
        """Sum of all ballot weights (including ballots that rank only withdrawn candidates)."""
        return sum(b.weight for b in self.ballots)

    def to_arrays(self) -> tuple[IntArray, IntArray]:
        """Rankings with withdrawn candidates removed, as ``(prefs, weights)``.

        ``prefs`` is an ``(m, L)`` int64 array padded with -1 (``L`` = longest ranking), ``weights`` an
        ``(m,)`` int64 array.  Ballots left empty are dropped; rankings that became identical are merged.
        """
        if self.withdrawn:
            gone = self.withdrawn
            merged: dict[tuple[int, ...], int] = {}
            for b in self.ballots:
                r = tuple(c for c in b.ranking if c not in gone)
                if r:
                    merged[r] = merged.get(r, 0) + b.weight
            rankings, weights = list(merged), list(merged.values())
        else:  # already merged by __post_init__
            kept = [b for b in self.ballots if b.ranking]
            rankings, weights = [b.ranking for b in kept], [b.weight for b in kept]
        return _pad(rankings, weights)


def _pad(rankings: Sequence[tuple[int, ...]], weights: Sequence[int]) -> tuple[IntArray, IntArray]:
    """Rankings as an ``(m, L)`` int64 array padded with -1, built without a Python loop per row."""
    lengths = np.fromiter((len(r) for r in rankings), dtype=np.int64, count=len(rankings))
    width = max(int(lengths.max()) if lengths.size else 0, 1)
    prefs = np.full((len(rankings), width), -1, dtype=np.int64)
    total = int(lengths.sum())
    if total:
        values = np.fromiter((c for r in rankings for c in r), dtype=np.int64, count=total)
        row = np.repeat(np.arange(len(rankings)), lengths)
        starts = np.cumsum(lengths) - lengths
        col = np.arange(total) - np.repeat(starts, lengths)
        prefs[row, col] = values
    return prefs, np.asarray(weights, dtype=np.int64).reshape(len(rankings))


def merge_arrays(prefs: npt.ArrayLike, weights: npt.ArrayLike | None = None) -> tuple[AnyIntArray, IntArray]:
    """Merge identical rows of a padded ranking array (``-1`` = no preference), summing their weights.

    Returns ``(rows, weights)`` with rows in the smallest integer dtype that fits (int8 for < 127
    candidates) and in no particular order.  Vectorised: each row is packed into one int64 (a few bits per
    preference) when that fits, then the keys are sorted; otherwise ``np.unique(axis=0)``.  Rows with no
    preference and zero-weight rows are dropped.  Raises :class:`InputError` for values below -1, a
    preference after a -1, a candidate ranked twice, or negative weights.
    """
    columns, summed = _merge_columns(prefs, weights)
    return np.ascontiguousarray(columns[:-1].T), summed


def _merge_columns(prefs: npt.ArrayLike, weights: npt.ArrayLike | None) -> tuple[AnyIntArray, IntArray]:
    """:func:`merge_arrays`, returning the distinct rankings *column-major* with an extra final row of -1:
    ``columns[j, i]`` is preference ``j`` of distinct ranking ``i`` (the layout the IRV engine counts on)."""
    p = np.asarray(prefs)
    if p.ndim != 2:
        raise InputError("rankings must be a 2-D array")
    if p.size and not np.issubdtype(p.dtype, np.integer):
        raise InputError("rankings must be integers")
    m, width = p.shape
    unit = weights is None
    w = np.ones(0, dtype=np.int64) if weights is None else np.asarray(weights).astype(np.int64)
    if not unit and w.shape != (m,):
        raise InputError("weights must have one entry per ranking")
    if m == 0 or width == 0:
        return np.full((max(width, 1) + 1, 0), -1, dtype=np.int8), np.zeros(0, dtype=np.int64)
    if not unit and (w < 0).any():
        raise InputError("ballot weights must not be negative")
    lo, hi = int(p.min()), int(p.max())
    if lo < -1:
        raise InputError(f"rankings may hold candidate indices and -1 (no preference), found {lo}")
    dtype: type[np.signedinteger[Any]] = np.int8 if hi < 127 else np.int16 if hi < 32767 else np.int32
    small = p.astype(dtype, copy=False)
    if not unit or int(small[:, 0].min()) < 0:
        keep = small[:, 0] >= 0
        if not unit:
            keep &= w > 0
        if not keep.all():
            small = small[keep]
            if not unit:
                w = w[keep]
    if small.shape[0] == 0:
        return np.full((width + 1, 0), -1, dtype=dtype), np.zeros(0, dtype=np.int64)
    bits = (hi + 1).bit_length()  # digits 0..hi+1 (0 = no preference)
    nibbles = dtype is np.int8 and 8 <= width <= 15 and hi <= 14
    if nibbles or bits * width <= 62:
        if nibbles:
            small = np.ascontiguousarray(small)
            key, offsets = _nibble_keys(small)
        else:
            # Pack each row into one int64, ``bits`` per preference (first preference most significant).
            key = small[:, 0].astype(np.int64)
            for j in range(1, width):
                key <<= bits
                key += small[:, j]  # -1 .. hi; the +1 for every digit is added below in one go
            key += sum(1 << (bits * j) for j in range(width))
        if unit:
            key.sort()  # in place: ``key`` is ours
        else:
            order = np.argsort(key)
            key = np.take(key, order)
            w = np.take(w, order)
            del order
        unique, summed = _runs(key, None if unit else w)
        del key
        columns = np.empty((width + 1, unique.size), dtype=dtype)  # rows 0..width-1 are all written below
        columns[width] = -1
        if nibbles:
            _nibble_decode(unique, offsets, columns[:width])
        else:
            mask = (1 << bits) - 1
            for j in range(width - 1, -1, -1):
                np.subtract(unique & mask, 1, out=columns[j], casting="unsafe")
                unique = unique >> bits
    else:
        rows, inverse = np.unique(small, axis=0, return_inverse=True)
        if unit:
            summed = np.bincount(inverse.ravel(), minlength=rows.shape[0]).astype(np.int64, copy=False)
        else:
            summed = _sum_by(inverse.ravel(), w, rows.shape[0])
        columns = np.full((width + 1, rows.shape[0]), -1, dtype=dtype)
        columns[:width] = rows.T
    _check_columns(columns[:width], hi)
    return columns, summed


#: Keeps the low nibble of every byte of a 32-bit word.
_LOW_NIBBLES = 0x0F0F0F0F


def _nibble_keys(rows: npt.NDArray[np.int8]) -> tuple[IntArray, list[int]]:
    """One int64 key per row of a C-contiguous int8 array of 8 to 15 columns holding -1..14.

    Each preference becomes one 4-bit digit, the low nibble of its byte (0..14, and 15 for -1).  The row
    buffer is read four bytes at a time as big-endian words (views: no per-column pass, no copy of the
    input).  Preferences 0..3 (high nibbles) and 4..7 (low nibbles) fold into 32 bits with preference 0 on
    top, so sorted keys group the rankings by first preference; the last ``rest = width - 8`` preferences
    fill the low bits: for ``rest <= 4`` the row's last four bytes keeping the last ``rest`` (preference
    ``width-1-p`` in byte ``p``), otherwise preferences 8..11 (low nibbles) and 12.. (high nibbles) in 28
    bits.  Keys stay below 2**60.  Works block by block, so the scratch buffer stays small and in cache.
    Returns the keys and the bit offset of each preference's digit (for :func:`_nibble_decode`).
    """
    m, width = rows.shape
    rest = width - 8

    def word(offset: int, nbytes: int = 4) -> tuple[npt.NDArray[Any], np.uint32]:
        """Bytes ``offset .. offset+3`` of every row as big-endian words, with the mask keeping the low
        nibble of the last ``nbytes`` of them."""
        view = np.ndarray((m,), dtype=">u4", buffer=rows, offset=offset, strides=(width,))
        return view, np.uint32(_LOW_NIBBLES & ((1 << (8 * nbytes)) - 1))

    head = [word(0), word(4)]
    if rest <= 4:
        tail = [word(width - 4, rest)] if rest else []
        shift = 8 * rest - 4 if rest else 0
        offsets = [8 * (width - 1 - j) for j in range(8, width)]
    else:
        tail = [word(width - 4, rest - 4), word(8)]
        shift = 28
        offsets = [24 - 8 * (j - 8) for j in range(8, 12)] + [
            8 * (width - 1 - j) + 4 for j in range(12, width)
        ]
    offsets = [shift + 28 - 8 * j for j in range(4)] + [shift + 24 - 8 * j for j in range(4)] + offsets
    key = np.empty(m, dtype=np.uint64)
    scratch = np.empty(min(m, _BLOCK), dtype=np.uint32)
    spare = np.empty(min(m, _BLOCK) if rest > 4 else 0, dtype=np.uint32)
    four = np.uint32(4)
    for a in range(0, m, _BLOCK):
        b = min(a + _BLOCK, m)
        k, s = key[a:b], scratch[: b - a]
        np.bitwise_and(head[0][0][a:b], head[0][1], out=k)
        k <<= np.uint64(4)
        np.bitwise_and(head[1][0][a:b], head[1][1], out=s)
        k |= s
        if tail:
            np.bitwise_and(tail[0][0][a:b], tail[0][1], out=s)
            if len(tail) > 1:
                t = spare[: b - a]
                s <<= four
                np.bitwise_and(tail[1][0][a:b], tail[1][1], out=t)
                s |= t
            k <<= np.uint64(shift)
            k |= s
    return key.view(np.int64), offsets


def _nibble_decode(keys: IntArray, offsets: Sequence[int], out: npt.NDArray[np.int8]) -> None:
    """Write the preferences packed by :func:`_nibble_keys` into ``out`` (``out[j]`` = preference ``j``)."""
    as_bytes = keys.astype("<i8", copy=False).view(np.uint8).reshape(keys.size, 8)
    digits = out.view(np.uint8)
    for j, offset in enumerate(offsets):
        byte = as_bytes[:, offset // 8]
        if offset % 8:
            np.right_shift(byte, 4, out=digits[j])
        else:
            np.bitwise_and(byte, 15, out=digits[j])
    # Digit 15 is "no preference": 15 -> 16 -> 0 -> 255, which is -1 as int8; digits 0..14 are unchanged.
    digits += np.uint8(1)
    digits &= np.uint8(15)
    digits -= np.uint8(1)


def _check_columns(columns: AnyIntArray, hi: int) -> None:
    """Reject a preference after a -1 and a candidate ranked twice (checked once per distinct ranking).

    ``columns[j]`` holds preference ``j`` of every distinct ranking.  Works one column at a time in a few
    row-sized buffers, so no temporary as large as ``columns`` is allocated.
    """
    width, size = columns.shape
    if width < 2:
        return
    need = hi + 1 + width.bit_length()  # bits for the sum of up to ``width`` values below 2**(hi + 1)
    if need > 64 or columns.dtype.itemsize != 1:
        padding = columns < 0
        if (padding[:-1] & ~padding[1:]).any():
            raise InputError("a ranking has a preference after a -1 (rankings must be padded at the end)")
        by_value = np.sort(columns, axis=0)
        if ((by_value[1:] == by_value[:-1]) & (by_value[1:] >= 0)).any():
            raise InputError("a ranking names the same candidate more than once")
        return
    # Candidate c becomes the bit 1 << c (padding 0); a ranking's candidates are distinct iff their bits'
    # sum equals their bitwise OR (no carry).  ``need`` bits hold the sum without overflow.
    acc: type[np.unsignedinteger[Any]] = np.uint16 if need <= 16 else np.uint32 if need <= 32 else np.uint64
    one = acc(1)
    total = np.zeros(size, dtype=acc)
    union = np.zeros(size, dtype=acc)
    flag = np.empty(size, dtype=acc)
    amount = np.empty(size, dtype=np.uint8)
    was_padding = np.zeros(size, dtype=bool)
    is_padding = np.empty(size, dtype=bool)
    for j in range(width):
        column = columns[j]
        np.less(column, 0, out=is_padding)
        if j and np.greater(was_padding, is_padding, out=was_padding).any():
            raise InputError("a ranking has a preference after a -1 (rankings must be padded at the end)")
        was_padding, is_padding = is_padding, was_padding
        np.add(column.view(np.uint8), np.uint8(1), out=amount)  # -1 wraps to 0
        np.left_shift(one, amount, out=flag)
        flag >>= one
        total += flag
        union |= flag
    if (total != union).any():
        raise InputError("a ranking names the same candidate more than once")


#: Rows per block where the merge works block by block on small reusable buffers.
_BLOCK = 1 << 15


def _runs(ordered: IntArray, weights: IntArray | None) -> tuple[IntArray, IntArray]:
    """The distinct values of sorted ``ordered`` and, for each, its count (``weights is None``) or the exact
    sum of the ``weights`` aligned with ``ordered``.

    The distinct values are compacted into the front of ``ordered`` itself (``ordered`` is consumed; the
    result is a view of it) and unit counts overwrite the run starts, block by block, so no new array as
    large as the input is allocated.
    """
    first = np.empty(ordered.size, dtype=bool)
    first[0] = True
    np.not_equal(ordered[1:], ordered[:-1], out=first[1:])
    starts = np.flatnonzero(first).astype(np.int64, copy=False)
    del first
    size = starts.size
    for a in range(0, size, _BLOCK):  # starts[i] >= i: block a..b reads only what is not yet overwritten
        b = min(a + _BLOCK, size)
        ordered[a:b] = np.take(ordered, starts[a:b])
    if weights is not None:
        return ordered[:size], np.add.reduceat(weights, starts)
    for a in range(0, size - 1, _BLOCK):  # counts[i] = starts[i + 1] - starts[i], in place
        b = min(a + _BLOCK, size - 1)
        starts[a:b] = starts[a + 1 : b + 1] - starts[a:b]
    starts[size - 1] = ordered.size - starts[size - 1]
    return ordered[:size], starts


def _sum_by(groups: npt.NDArray[np.intp], weights: IntArray, size: int) -> IntArray:
    """Exact integer sums of ``weights`` per group."""
    out = np.zeros(size, dtype=np.int64)
    np.add.at(out, groups, weights)
    return out


# --------------------------------------------------------------------------------------------------------
# Results
# --------------------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Verification:
    """What the independent check covered: ``status`` is ``"agrees"``, ``"not-applicable"``,
    ``"skipped"`` or ``"disagrees-on-tie"`` (the two counts broke a tie differently), with a sentence."""

    checker: str
    status: str
    detail: str


@dataclass(frozen=True, slots=True)
class IrvRound:
    """One IRV round: votes per continuing candidate, exhausted weight, and what the round decided."""

    number: int
    votes: Mapping[str, int]
    exhausted: int
    continuing_total: int
    eliminated: str | None
    elected: str | None
    tie: str | None = None


@dataclass(frozen=True, slots=True)
class IrvResult:
    """The outcome of :func:`count_irv`.

    ``winner`` is ``None`` only when there was nobody to elect (no candidates after withdrawals).
    ``total_weight`` counts every ballot, ``valid_weight`` those that rank at least one non-withdrawn
    candidate (blank ballots are invalid, not exhausted); in every round
    ``continuing_total + exhausted == valid_weight``.  ``lots`` lists every tie decided by lot; ``verification`` says what pyrankvote's
    independent count covered.
    """

    rule: Literal["irv"]
    candidates: tuple[str, ...]
    winner: str | None
    rounds: tuple[IrvRound, ...]
    lots: tuple[Lot, ...]
    tiebreak: TieBreak
    seed: int | None
    total_weight: int
    valid_weight: int
    verification: Verification

    @property
    def elected(self) -> tuple[str, ...]:
        return () if self.winner is None else (self.winner,)


# --------------------------------------------------------------------------------------------------------
# Engine
# --------------------------------------------------------------------------------------------------------


def first_continuing(
    prefs: AnyIntArray,
    pos: IntArray,
    rows: npt.NDArray[np.intp] | IntArray,
    continuing: npt.NDArray[np.bool_],
) -> None:
    """Advance ``pos[rows]`` in place to each row's first preference for a continuing candidate.

    ``prefs`` must carry a final column of -1, so a row that runs out of preferences stops there.
    Vectorised over rows; loops at most once per ranking position.
    """
    sub = rows
    while sub.size:
        cand = prefs[sub, pos[sub]]
        stuck = (cand >= 0) & ~continuing[np.maximum(cand, 0)]
        sub = sub[stuck]
        pos[sub] += 1


def _next_continuing(
    flat: AnyIntArray, pos: IntArray, blocked: npt.NDArray[np.bool_], step: int
) -> AnyIntArray:
    """Move each flat position in ``pos`` (in place) on to the ranking's next preference for a continuing
    candidate, or to its final -1; return those candidates (-1 = exhausted).

    ``flat`` is the column-major ranking buffer and ``step`` the distance between consecutive preferences of
    a ranking; ``blocked[c + 1]`` is true for a candidate no longer continuing (``blocked[0]``, for the
    final -1, is false).  Loops once per preference skipped, over the rankings still skipping.
    """
    pos += step
    new = np.take(flat, pos)
    stuck = np.flatnonzero(np.take(blocked, new + 1))
    while stuck.size:
        ahead = np.take(pos, stuck)
        ahead += step
        pos[stuck] = ahead
        cand = np.take(flat, ahead)
        new[stuck] = cand
        stuck = stuck[np.take(blocked, cand + 1)]
    return new


def _first_edges(first: AnyIntArray, n: int) -> list[int]:
    """For first preferences sorted ascending: ``edges[c]`` is the first row whose first preference is at
    least ``c`` (``c`` = 0..n)."""
    values = np.arange(n + 1)
    if n < np.iinfo(first.dtype).max:
        values = values.astype(first.dtype)  # search in the array's own dtype (no widened copy of it)
    return [int(e) for e in np.searchsorted(first, values)]


def _columns_of(prefs: AnyIntArray) -> AnyIntArray:
    """Row-major rankings ``(m, L)`` -> the engine's column-major layout ``(L + 1, m)`` ending in a row of -1."""
    m, width = prefs.shape
    columns = np.full((width + 1, m), -1, dtype=prefs.dtype)
    columns[:width] = prefs.T
    return columns


def _irv_engine(
    names: Sequence[str],
    columns: AnyIntArray,
    weights: IntArray,
    *,
    tiebreak: TieBreak,
    rng: random.Random,
    withdrawn: frozenset[int] = frozenset(),
    progress: bool = False,
) -> tuple[str | None, list[IrvRound], list[Lot], int, bool]:
    """Count IRV on merged rankings.  Returns winner, rounds, lots, valid weight and whether any tie arose.

    ``columns`` is column-major with a final row of -1 (see :func:`_merge_columns`): ``columns[j, i]`` is
    preference ``j`` of ranking ``i``.  Rankings must not be empty; ``exhausted`` is measured against their
    total weight.

    The ballots are kept in parcels, as in a hand count.  Each parcel holds, for its rankings, the flat
    position of the current preference, the weight and the candidate it counts for; an elimination takes
    the eliminated candidate's rankings out of every parcel, moves them on and makes them a new parcel.  When
    the rankings are sorted by first preference (as :func:`_merge_columns` leaves them), each candidate's
    first-preference ballots are a range of rows and are only materialised when the candidate is eliminated.
    Tallies are exact integers (sums of int64 weights; bincount's float64 is exact below 2**53).
    """
    n = len(names)
    m = columns.shape[1]
    flat = np.ascontiguousarray(columns).ravel()
    continuing = [c not in withdrawn for c in range(n)]
    blocked = np.zeros(n + 1, dtype=bool)  # blocked[c + 1]: candidate c is no longer continuing
    for c in withdrawn:
        blocked[c + 1] = True
    first = flat[:m]
    tally = [0] * n
    ranges: list[tuple[int, int]] = []
    parcels: list[tuple[IntArray, IntArray, AnyIntArray]] = []
    if not withdrawn and not (first[1:] < first[:-1]).any():
        edges = _first_edges(first, n)
        ranges = list(zip(edges[:-1], edges[1:], strict=True))
        starts = [s for s, e in ranges if e > s]
        if starts:
            sums = np.add.reduceat(weights, starts)  # each start runs to the next (empty ranges skipped)
            for (s, e), c in zip(ranges, range(n), strict=True):
                if e > s:
                    tally[c] = int(sums[starts.index(s)])
    else:
        pos = np.arange(m, dtype=np.int64)
        if withdrawn:
            pos -= m
            current = _next_continuing(flat, pos, blocked, m)
        else:
            current = first
        parcels.append((pos, weights, current))
        counted = np.bincount(current + 1, weights=weights.astype(np.float64), minlength=n + 1)
        tally = [int(v) for v in counted[1:]]
    total = int(weights.sum())
    valid = total
    history: list[list[int]] = []
    rounds: list[IrvRound] = []
    lots: list[Lot] = []
    any_tie = False
    number = 0
    while True:
        number += 1
        cont_idx = [c for c in range(n) if continuing[c]]
        votes = {names[c]: tally[c] for c in cont_idx}
        cont_total = sum(tally[c] for c in cont_idx)
        exhausted = total - cont_total
        if not cont_idx:
            rounds.append(IrvRound(number, votes, exhausted, cont_total, None, None))
            return None, rounds, lots, valid, any_tie
        top = max(cont_idx, key=lambda c: tally[c])
        if 2 * tally[top] > cont_total or len(cont_idx) == 1:
            rounds.append(IrvRound(number, votes, exhausted, cont_total, None, names[top]))
            return names[top], rounds, lots, valid, any_tie
        low = min(tally[c] for c in cont_idx)
        lowest = [c for c in cont_idx if tally[c] == low]
        tie_note: str | None = None
        if len(lowest) > 1:
            any_tie = True
            outcome = break_tie(
                lowest,
                history,
                lowest=True,
                names=names,
                rng=rng,
                stage=number,
                purpose="exclude",
                method=tiebreak,
            )
            loser = outcome.chosen
            tie_note = outcome.explanation
            if outcome.lot is not None:
                lots.append(outcome.lot)
        else:
            loser = lowest[0]
        rounds.append(IrvRound(number, votes, exhausted, cont_total, names[loser], None, tie_note))
        history.append(list(tally))
        if progress:
            import sys

            print(f"  round {number}: eliminated {names[loser]}", file=sys.stderr)
        # Take the eliminated candidate's ballots out of every parcel and move them on.
        continuing[loser] = False
        blocked[loser + 1] = True
        positions: list[IntArray] = []
        amounts: list[IntArray] = []
        if ranges and ranges[loser][1] > ranges[loser][0]:
            s, e = ranges[loser]
            positions.append(np.arange(s, e, dtype=np.int64))
            amounts.append(weights[s:e])
        for held, held_weights, held_for in parcels:
            taken = np.flatnonzero(held_for == loser)
            if taken.size:
                positions.append(np.take(held, taken))
                amounts.append(np.take(held_weights, taken))
        if len(positions) == 1:
            pos, moved_weights = positions[0], amounts[0]
        elif positions:
            pos, moved_weights = np.concatenate(positions), np.concatenate(amounts)
        else:
            pos, moved_weights = np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64)
        new = _next_continuing(flat, pos, blocked, m)
        parcels.append((pos, moved_weights, new))
        # Bin 0 collects the exhausted ballots (new == -1); bins 1..n are the candidates.  (Weights are
        # converted first: bincount converts int64 weights itself several times more slowly.)
        gained = np.bincount(new + 1, weights=moved_weights.astype(np.float64), minlength=n + 1)
        for c in cont_idx:
            tally[c] += int(gained[c + 1])
        tally[loser] = 0


def _check_tiebreak(tiebreak: str) -> TieBreak:
    for t in TIEBREAKS:
        if t == tiebreak:
            return t
    raise InputError(f"unknown tie-break {tiebreak!r}; expected one of {', '.join(TIEBREAKS)}")


def count_irv_arrays(
    candidates: Sequence[str],
    prefs: npt.ArrayLike,
    weights: npt.ArrayLike | None = None,
    *,
    tiebreak: str = "backwards",
    seed: int | None = 0,
    rng: random.Random | None = None,
    progress: bool = False,
) -> IrvResult:
    """Count IRV on bulk data without building per-ballot objects (no pyrankvote check).

    ``prefs`` is an ``(m, L)`` integer array of 0-based candidate indices padded with -1; ``weights`` an
    optional ``(m,)`` array of integer weights.  Identical rows are merged first.
    """
    names = tuple(candidates)
    p, w = _merge_columns(prefs, weights)
    if p.size and (int(p.max()) >= len(names)):
        raise InputError(
            f"ranking refers to candidate index {int(p.max())}, but only {len(names)} candidates"
        )
    if int(w.sum()) > MAX_TOTAL_WEIGHT:
        raise InputError(f"total ballot weight exceeds {MAX_TOTAL_WEIGHT}")
    tb = _check_tiebreak(tiebreak)
    generator = rng if rng is not None else random.Random(seed)
    winner, rounds, lots, valid, _ = _irv_engine(names, p, w, tiebreak=tb, rng=generator, progress=progress)
    return IrvResult(
        "irv",
        names,
        winner,
        tuple(rounds),
        tuple(lots),
        tb,
        seed if rng is None else None,
        int(w.sum()),
        valid,
        Verification("pyrankvote", "skipped", "count_irv_arrays does not repeat the count with pyrankvote"),
    )


def count_irv(
    election: RankedElection,
    *,
    tiebreak: str = "backwards",
    seed: int | None = 0,
    rng: random.Random | None = None,
    verify: bool = True,
    progress: bool = False,
) -> IrvResult:
    """Count ``election`` by instant-runoff voting (single winner; ``election.seats`` is ignored).

    Rule (alternative vote / IRV, e.g. Wikipedia "Instant-runoff voting"): each round, every ballot counts at
    its weight for its highest-ranked continuing candidate; ballots with no continuing candidate left are
    *exhausted* and reported per round.  If a candidate has more than half of the continuing votes (strict
    majority) they are elected; otherwise the candidate with the fewest votes is eliminated.  A tie for
    fewest is broken by ``tiebreak``: ``"backwards"`` (default: fewest votes at the most recent earlier round
    at which the tied candidates differed), ``"forwards"`` (earliest such round) or ``"lot"``; then by lot
    with ``rng`` (or ``random.Random(seed)``), recorded in ``lots``.  Withdrawn candidates are skipped.

    With ``verify`` (default) the count is repeated with ``pyrankvote.instant_runoff_voting`` (each ballot
    repeated by its weight; skipped above :data:`PYRANKVOTE_MAX_WEIGHT`).  pyrankvote elects at exactly 50%
    and breaks ties its own way, so only the winner is compared and only when no lot was drawn; a
    disagreement on a count without any tie raises :class:`VerificationError`.
    """
    tb = _check_tiebreak(tiebreak)
    generator = rng if rng is not None else random.Random(seed)
    names = election.candidates
    prefs, weights = election.to_arrays()
    winner, rounds, lots, valid, any_tie = _irv_engine(
        names,
        _columns_of(prefs),
        weights,
        tiebreak=tb,
        rng=generator,
        withdrawn=election.withdrawn,
        progress=progress,
    )
    if verify:
        verification = _verify_with_pyrankvote(election, winner, lots, any_tie, valid)
    else:
        verification = Verification("pyrankvote", "skipped", "verification not requested")
    return IrvResult(
        "irv",
        names,
        winner,
        tuple(rounds),
        tuple(lots),
        tb,
        seed if rng is None else None,
        election.total_weight,
        valid,
        verification,
    )


def _verify_with_pyrankvote(
    election: RankedElection, winner: str | None, lots: Sequence[Lot], any_tie: bool, valid: int
) -> Verification:
    import pyrankvote  # type: ignore[import-untyped]

    checker = f"pyrankvote {getattr(pyrankvote, '__version__', '')}".strip()
    if lots:
        return Verification(
            checker, "not-applicable", "a tie was broken by lot, so the winner may legitimately differ"
        )
    total = election.total_weight
    if total > PYRANKVOTE_MAX_WEIGHT:
        return Verification(
            checker,
            "skipped",
            f"total weight {total} exceeds {PYRANKVOTE_MAX_WEIGHT}; pyrankvote needs one object per vote",
        )
    active = [i for i in range(len(election.candidates)) if i not in election.withdrawn]
    if not active or winner is None or valid == 0:
        return Verification(checker, "not-applicable", "no valid votes or no candidates to elect")
    cands = {i: pyrankvote.Candidate(election.candidates[i]) for i in active}
    ballots: list[object] = []
    for b in election.ballots:
        ranking = [cands[c] for c in b.ranking if c in cands]
        ballots.extend(pyrankvote.Ballot(ranked_candidates=ranking) for _ in range(b.weight))
    try:
        result = pyrankvote.instant_runoff_voting([cands[i] for i in active], ballots)
    except RuntimeError as exc:  # pyrankvote raises "Illigal state" on some degenerate inputs
        return Verification(checker, "not-applicable", f"pyrankvote could not count this input: {exc}")
    theirs = [c.name for c in result.get_winners()]
    if theirs == [winner]:
        return Verification(checker, "agrees", "winner agrees with pyrankvote")
    if any_tie:
        return Verification(
            checker,
            "disagrees-on-tie",
            f"pyrankvote elected {', '.join(theirs)}; the count had a tie, which pyrankvote breaks differently",
        )
    raise VerificationError(
        f"pyrankvote elected {', '.join(theirs) or 'nobody'}, this count elected {winner}"
    )
