"""The data of a citizens' panel selection: people, quotas, problems, results and errors.

Quotas follow the convention of the Sortition Foundation's tools (sortition-algorithms, stratification-app)
and of Flanigan, Gölz, Gupta, Hennig and Procaccia, "Fair algorithms for selecting citizens' assemblies",
*Nature* 596 (2021) 548-552 (henceforth *FGGHP*): every person answers every category, and for each value of
each category the panel must hold at least ``min`` and at most ``max`` people with that value.
"""

from __future__ import annotations

import hashlib
import json
import re
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass

from app.tally.records import InputError

__all__ = [
    "LIBRARY_VERSION",
    "METHODS",
    "Infeasibility",
    "InfeasibleQuotas",
    "Person",
    "Problem",
    "Quota",
    "Replacement",
    "Selection",
    "household_partition",
    "inputs_sha256",
    "normalise_address",
    "validate",
]

#: Goes into :func:`inputs_sha256`, so a published commitment names the library that will draw the panel.
LIBRARY_VERSION = "folkmoot-sortition 1"
METHODS = ("leximin", "maximin", "legacy")


@dataclass(frozen=True, slots=True)
class Person:
    """A pool member: an id, their answer for each category (category -> value) and a household key."""

    id: str
    features: Mapping[str, str]
    household: str | None = None


@dataclass(frozen=True, slots=True)
class Quota:
    """At least ``min`` and at most ``max`` panel members with ``value`` in ``category``."""

    category: str
    value: str
    min: int
    max: int


@dataclass(frozen=True, slots=True)
class Problem:
    """A selection problem: the pool, the quotas, the panel size and whether at most one person per household
    may be chosen (``household_rule``; people with the same :attr:`Person.household` key share a household)."""

    people: tuple[Person, ...]
    quotas: tuple[Quota, ...]
    size: int
    household_rule: bool = False


@dataclass(frozen=True, slots=True)
class Infeasibility:
    """Why no panel can meet the quotas.

    ``quotas`` are the quotas that cannot all be met together; ``relaxations`` the smallest change (fewest
    people in total, by an integer program on HiGHS) that makes a panel possible: ``(quota, new_min, new_max)``.
    """

    quotas: tuple[Quota, ...]
    relaxations: tuple[tuple[Quota, int, int], ...]

    def describe(self) -> str:
        parts = [
            f"{q.category}={q.value} [{q.min}, {q.max}] -> [{lo}, {hi}]" for q, lo, hi in self.relaxations
        ]
        names = ", ".join(f"{q.category}={q.value}" for q in self.quotas)
        return f"no panel meets the quotas {names} together; smallest relaxation: " + "; ".join(parts)


class InfeasibleQuotas(InputError):
    """No panel of the requested size meets every quota; ``infeasibility`` says which and how to relax them."""

    def __init__(self, infeasibility: Infeasibility) -> None:
        self.infeasibility = infeasibility
        super().__init__(infeasibility.describe())


@dataclass(frozen=True, slots=True)
class Selection:
    """A drawn panel and the lottery it was drawn from.

    ``probabilities`` gives every pool member's chance of selection under the lottery actually used (the
    optimal distribution, or the uniform lottery over ``lottery`` panels when one was asked for);
    ``distribution`` lists the lottery's panels and their probabilities; ``panels`` is their number.  (Without
    a transparent lottery, when people were compressed into types, each listed panel stands for its counts per
    type and names the first members of each type in id order; the panel drawn takes members of each type
    uniformly at random - see :mod:`app.tally.sortition.select`.)
    ``lottery_index`` (1..M) is the lottery ticket the seed drew, ``rounding_max_change`` how far rounding to
    the lottery moved any person's probability.  ``household_report`` says how the household rule was
    applied.  ``inputs_sha256`` is :func:`inputs_sha256` of the problem and method.
    """

    panel: tuple[str, ...]
    probabilities: Mapping[str, float]
    min_probability: float
    distribution: tuple[tuple[tuple[str, ...], float], ...]
    panels: int
    method: str
    seed: str
    lottery: int | None
    lottery_index: int | None
    rounding_max_change: float | None
    household_report: str | None
    inputs_sha256: str
    seconds: float
    method_text: str = ""


@dataclass(frozen=True, slots=True)
class Replacement:
    """A replacement drawn for a panel member who withdrew, with the method in words and the number of people
    it was drawn from."""

    id: str
    method_text: str
    candidates: int


_ABBREVIATIONS = {
    "rd": "road",
    "st": "street",
    "str": "street",
    "ave": "avenue",
    "av": "avenue",
    "ln": "lane",
    "dr": "drive",
    "ct": "court",
    "cl": "close",
    "cres": "crescent",
    "cr": "crescent",
    "pl": "place",
    "sq": "square",
    "gdns": "gardens",
    "gdn": "garden",
    "tce": "terrace",
    "terr": "terrace",
    "pk": "park",
    "hse": "house",
    "flt": "flat",
    "apt": "apartment",
    "bldg": "building",
    "cotts": "cottages",
    "gr": "grove",
    "gro": "grove",
    "mt": "mount",
    "hwy": "highway",
    "blvd": "boulevard",
    "wy": "way",
    "fm": "farm",
}
# A UK postcode written with or without its space: outward code (A9, A99, AA9, AA99, A9A, AA9A) + inward code.
_POSTCODE = re.compile(r"\b([a-z]{1,2}[0-9][a-z0-9]?) ?([0-9][a-z]{2})\b")


def normalise_address(*parts: str) -> str:
    """A comparison key for an address, so that ``"12 Mill Rd, CB1 1PT" == "12 mill road cb11pt"``.

    The parts (e.g. the address line and the postcode columns) are joined; then Unicode compatibility forms
    are folded (NFKC), case is folded, apostrophes dropped, other punctuation and runs of spaces become one
    space, common street abbreviations are expanded (rd -> road, st -> street, ave -> avenue, ...) and a UK
    postcode loses its inner space.  The reference tools compare the raw column values, so they treat these
    spellings as different households; this key does not.
    """
    text = unicodedata.normalize("NFKC", " ".join(p for p in parts if p)).casefold()
    text = re.sub(r"['\u2019`]", "", text)
    text = re.sub(r"[^\w]+", " ", text).strip()
    text = _POSTCODE.sub(r"\1\2", text)
    return " ".join(_ABBREVIATIONS.get(word, word) for word in text.split())


def categories_of(quotas: tuple[Quota, ...]) -> dict[str, tuple[str, ...]]:
    """Category -> its values, in the order the quotas give them (categories in first-appearance order)."""
    out: dict[str, list[str]] = {}
    for q in quotas:
        out.setdefault(q.category, []).append(q.value)
    return {c: tuple(v) for c, v in out.items()}


def validate(problem: Problem) -> None:
    """Raise :class:`InputError` unless the problem is well formed (not whether quotas can be met)."""
    if problem.size < 0:
        raise InputError(f"the panel size must not be negative (got {problem.size})")
    if problem.size > len(problem.people):
        raise InputError(f"cannot select a panel of {problem.size} from a pool of {len(problem.people)}")
    if not problem.quotas:
        raise InputError("no quotas given: every category needs a row for each of its values")
    seen_q: set[tuple[str, str]] = set()
    for q in problem.quotas:
        if (q.category, q.value) in seen_q:
            raise InputError(f"quota for {q.category}={q.value} given twice")
        seen_q.add((q.category, q.value))
        if q.min < 0 or q.max < 0:
            raise InputError(f"quota for {q.category}={q.value} is negative")
        if q.min > q.max:
            raise InputError(f"quota for {q.category}={q.value} has min {q.min} greater than max {q.max}")
    cats = categories_of(problem.quotas)
    ids: set[str] = set()
    for n, p in enumerate(problem.people, start=1):
        if p.id in ids:
            raise InputError(f"duplicate id {p.id!r}", line=n)
        ids.add(p.id)
        for c, values in cats.items():
            v = p.features.get(c)
            if v is None:
                raise InputError(f"person {p.id!r} has no answer for category {c!r}", line=n)
            if v not in values:
                raise InputError(f"person {p.id!r} has unknown value {v!r} for category {c!r}", line=n)


def household_partition(problem: Problem) -> list[list[str]]:
    """The households of two or more people, as lists of ids (sorted), when the household rule applies."""
    if not problem.household_rule:
        return []
    groups: dict[str, list[str]] = {}
    for p in problem.people:
        if p.household is not None and p.household != "":
            groups.setdefault(p.household, []).append(p.id)
    return sorted(sorted(g) for g in groups.values() if len(g) > 1)


def inputs_sha256(problem: Problem, method: str) -> str:
    """SHA-256 of a canonical encoding of what decides a draw, to publish as a commitment before it.

    The encoding is compact JSON (keys sorted, UTF-8) of: the library version, the method, the panel size,
    whether the household rule applies, the quotas (category, value, min, max) sorted, and the people sorted
    by id, each as ``[id, [answers in sorted category order], household]`` where ``household`` is the number
    of the person's household among those of two or more people (numbered by their smallest id) or ``null``.
    Only the partition into households is committed to, never an address, so the published anonymised pool
    (with an opaque household column) gives the same value to the command-line recount.
    """
    cats = sorted(categories_of(problem.quotas))
    number: dict[str, int] = {}
    for i, group in enumerate(household_partition(problem)):
        for pid in group:
            number[pid] = i
    people = sorted(
        ([p.id, [p.features.get(c, "") for c in cats], number.get(p.id)] for p in problem.people),
        key=lambda row: str(row[0]),
    )
    payload = {
        "library": LIBRARY_VERSION,
        "method": method,
        "size": problem.size,
        "household_rule": problem.household_rule,
        "quotas": sorted([q.category, q.value, q.min, q.max] for q in problem.quotas),
        "people": people,
    }
    data = json.dumps(payload, separators=(",", ":"), ensure_ascii=False, sort_keys=True)
    return hashlib.sha256(data.encode("utf-8")).hexdigest()
