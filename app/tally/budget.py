"""Participatory budgeting: instance types, the greedy rules, completions and the comparison step.

Rules implemented here (the Method of Equal Shares itself lives in :mod:`app.tally.equal_shares`):

* ``greedy`` -- "utilitarian greedy by votes" as used by most Polish cities and recorded as ``rule;greedy`` in
  pabulib (Faliszewski et al., *Pabulib: A Participatory Budgeting Library*, arXiv:2305.11035, section on
  META ``rule``): go down the projects by decreasing score (number of approvals, or sum of points for
  cumulative / scoring ballots, each ballot counted ``weight`` times) and fund every project that still fits,
  skipping the ones that do not.
* ``greedy-no-skip`` -- the same order, but counting stops at the first project that does not fit
  (pabulib ``rule;greedy-no-skip``; ../shared/data/README.md).

Ties in score (greedy): lower cost first, then by lot drawn with the seeded ``random.Random`` and recorded
as :class:`~app.tally.records.Lot`.  Pabulib's official outcomes say nothing about ties beyond this (none
of the sample files has a tie that matters); "lower cost first" is the usual Polish municipal rule and is the
documented choice here.

Usage (what a web service does)::

    election = BudgetElection(
        projects=(Project("p1", 120_000, "Play park"), Project("p2", 45_000, "Benches")),
        budget=150_000,                                   # integer money units (pence)
        ballots=(Ballot(("p1", "p2"), weight=3), Ballot(("p2",))),  # weight: delegated votes
    )
    result = count(election, "equal-shares", "add1", rng=random.Random(seed))
    result.selected, result.rounds, result.reasons["p1"].to_dict(), result.to_dict()  # JSON-ready

Ballots of kind ``ordinal`` count as approval of every listed project, unless they carry points (then the
points count, as for cumulative ballots).  The pabulib reader gives ordinal ballots points when the file
has a ``points`` column, or, when PROJECTS has a ``score`` column, the positional points pabulib uses
(k, k-1, ..., 1 for a ballot listing k projects; pabulib/checker ``count_points_per_project``).
"""

from __future__ import annotations

import random
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum
from fractions import Fraction
from typing import Any

from app.tally.records import InputError, Lot

__all__ = [
    "COMPLETIONS",
    "GREEDY_TIEBREAKS",
    "RULE_ALIASES",
    "Ballot",
    "BallotKind",
    "BudgetElection",
    "BudgetResult",
    "BudgetRound",
    "Comparison",
    "Project",
    "Reason",
    "approval_sets",
    "compare_outcomes",
    "count",
    "approval_counts",
    "greedy",
    "parse_rule",
    "project_scores",
    "utilities",
    "validate",
]


class BallotKind(StrEnum):
    """What a ballot holds.  Matches pabulib's ``vote_type`` plus the two approval variants."""

    APPROVAL = "approval"
    K_APPROVAL = "k-approval"  # approval with at most ``max_approvals`` projects
    CUMULATIVE = "cumulative"  # points per project, total at most ``max_points``
    SCORING = "scoring"  # points per project, no total limit
    CHOOSE_1 = "choose-1"  # exactly one project (or none: a blank ballot)
    ORDINAL = "ordinal"  # projects in order of preference; counted as approval of the listed ones
    KNAPSACK = "knapsack"  # approval set whose total cost fits in the budget


POINTS_KINDS = frozenset({BallotKind.CUMULATIVE, BallotKind.SCORING})


@dataclass(frozen=True, slots=True)
class Project:
    """A project on the ballot.  ``cost`` is an integer number of money units (pence, groszy, ...)."""

    id: str
    cost: int
    name: str = ""
    categories: tuple[str, ...] = ()
    targets: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Ballot:
    """One voter's ballot.

    ``projects`` are the approved projects (for ordinal ballots, in order of preference); ``points`` is aligned
    with ``projects`` for cumulative / scoring ballots and ``None`` otherwise.  ``weight`` is the number of
    members this ballot speaks for (1 unless votes were delegated to this voter).
    """

    projects: tuple[str, ...]
    points: tuple[int, ...] | None = None
    weight: int = 1
    voter_id: str = ""


@dataclass(frozen=True, slots=True)
class BudgetElection:
    """A participatory budgeting vote.

    ``currency_unit`` is how many money units make one currency unit (1 when costs are whole zloty/pounds,
    100 when they are pence); the Add1 completion raises each voter's budget by one currency unit.
    ``min_score`` is the minimum score a project needs to be eligible at all (pabulib
    ``min_project_score_threshold``; a project with exactly ``min_score`` is eligible).  ``withdrawn`` projects
    are on the ballot but out of the count (pabulib marks them with the sentinel cost 999999999); every rule
    passes over them without stopping (reason ``withdrawn``).
    """

    projects: tuple[Project, ...]
    budget: int
    ballots: tuple[Ballot, ...]
    kind: BallotKind = BallotKind.APPROVAL
    max_approvals: int | None = None
    max_points: int | None = None
    currency_unit: int = 1
    min_score: int | None = None
    withdrawn: frozenset[str] = frozenset()


@dataclass(frozen=True, slots=True)
class Reason:
    """Why a project was not funded, machine-readable; a web layer turns ``code`` into plain language.

    Codes: ``withdrawn`` (out of the count), ``did-not-fit`` (greedy: ``needed`` = cost, ``left`` = money left when it was reached),
    ``stopped`` (greedy-no-skip: counting stopped at an earlier project, ``at`` = that project),
    ``below-threshold`` (score below ``min_score``; ``score``), ``no-support`` (nobody voted for it),
    ``supporters-could-not-afford`` (Equal Shares: its supporters' remaining money ``left`` was less than
    ``needed`` in round ``round``), ``zero-cost`` (costs nothing, so with cost utilities Equal Shares gives it no
    weight), ``not-reached`` (Equal Shares stopped before it was reached and the
    completion did not fund it), ``comparison`` (funded by Equal Shares but the comparison step chose the
    greedy outcome).
    """

    code: str
    needed: int | None = None
    left: Fraction | None = None
    round: int | None = None
    score: int | None = None
    at: str | None = None

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"code": self.code}
        if self.needed is not None:
            out["needed"] = self.needed
        if self.left is not None:
            _put(out, "left", self.left)
        for key in ("round", "score", "at"):
            value = getattr(self, key)
            if value is not None:
                out[key] = value
        return out


@dataclass(frozen=True, slots=True)
class BudgetRound:
    """One funding decision.

    ``phase`` is ``"greedy"``, ``"equal-shares"`` or ``"completion"``; ``score`` is the project's vote score
    (greedy) or its effective vote count (Equal Shares: cost divided by what each supporter with enough money
    pays, per unit of utility); ``price`` is the Equal Shares price per unit of utility (``None`` for greedy);
    ``money_left`` is the money left after this decision.
    """

    number: int
    project: str
    cost: int
    phase: str
    score: Fraction
    money_left: Fraction
    price: Fraction | None = None

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "round": self.number,
            "project": self.project,
            "cost": self.cost,
            "phase": self.phase,
        }
        _put(out, "score", self.score)
        _put(out, "money_left", self.money_left)
        if self.price is not None:
            _put(out, "price", self.price)
        return out


@dataclass(frozen=True, slots=True)
class Comparison:
    """The comparison step (equalshares.net): voters who strictly prefer each outcome, and which was used."""

    method: str  # "satisfaction" or "exclusion-ratio"
    prefer_equal_shares: int
    prefer_greedy: int
    used: str  # "equal-shares" or "greedy"
    greedy_selected: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class BudgetResult:
    """The outcome of a budget count.

    ``selected`` lists funded project ids in the order they were funded; ``rounds`` has one record per
    funding decision; ``reasons`` maps every unfunded project id to a :class:`Reason`; ``scores`` are the
    projects' vote scores (weighted approvals or points); ``voter_budget`` is each voter's starting money in
    the Equal Shares run that was kept (after Add1 raises), ``add1_raises`` how many raises were kept.
    """

    rule: str
    completion: str
    budget: int
    selected: tuple[str, ...]
    total_cost: int
    rounds: tuple[BudgetRound, ...]
    reasons: Mapping[str, Reason]
    scores: Mapping[str, int]
    lots: tuple[Lot, ...] = ()
    voter_budget: Fraction | None = None
    add1_raises: int = 0
    comparison: Comparison | None = None
    utility: str = "cost"

    @property
    def money_left(self) -> int:
        return self.budget - self.total_cost

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "rule": self.rule,
            "completion": self.completion,
            "budget": self.budget,
            "selected": list(self.selected),
            "total_cost": self.total_cost,
            "money_left": self.money_left,
            "rounds": [r.to_dict() for r in self.rounds],
            "reasons": {k: v.to_dict() for k, v in self.reasons.items()},
            "scores": dict(self.scores),
            "lots": [
                {"stage": lot.stage, "purpose": lot.purpose, "tied": list(lot.tied), "chosen": lot.chosen}
                for lot in self.lots
            ],
        }
        if self.voter_budget is not None:
            _put(out, "voter_budget", self.voter_budget)
            out["add1_raises"] = self.add1_raises
            out["utility"] = self.utility
        if self.comparison is not None:
            c = self.comparison
            out["comparison"] = {
                "method": c.method,
                "prefer_equal_shares": c.prefer_equal_shares,
                "prefer_greedy": c.prefer_greedy,
                "used": c.used,
                "greedy_selected": list(c.greedy_selected),
            }
        return out


def _money_json(value: Fraction) -> int | float:
    """JSON form: an int when whole, else the nearest float (the exact value goes under ``<key>_exact``)."""
    if value.denominator == 1:
        return int(value)
    return float(value)


def _put(out: dict[str, Any], key: str, value: Fraction) -> None:
    out[key] = _money_json(value)
    if value.denominator != 1:
        out[f"{key}_exact"] = f"{value.numerator}/{value.denominator}"


# --------------------------------------------------------------------------------------------- validation


def validate(election: BudgetElection) -> None:
    """Check an election for consistency; raise :class:`InputError` naming the problem."""
    ids: set[str] = set()
    for p in election.projects:
        if p.id in ids:
            raise InputError(f"project {p.id!r} appears twice")
        if p.cost < 0:
            raise InputError(f"project {p.id!r} has a negative cost {p.cost}")
        ids.add(p.id)
    if not election.withdrawn <= ids:
        raise InputError(f"withdrawn projects not on the ballot: {sorted(election.withdrawn - ids)}")
    if election.budget < 0:
        raise InputError(f"the budget must not be negative (got {election.budget})")
    if election.currency_unit < 1:
        raise InputError("currency_unit must be at least 1")
    cost = {p.id: p.cost for p in election.projects}
    kind = election.kind
    for n, b in enumerate(election.ballots, start=1):
        where = f"ballot {n}" + (f" (voter {b.voter_id})" if b.voter_id else "")
        if b.weight < 0:
            raise InputError(f"{where}: negative weight {b.weight}")
        if len(set(b.projects)) != len(b.projects):
            raise InputError(f"{where}: a project is listed twice")
        for pid in b.projects:
            if pid not in ids:
                raise InputError(f"{where}: unknown project {pid!r}")
        if kind in POINTS_KINDS:
            if b.points is None or len(b.points) != len(b.projects):
                raise InputError(f"{where}: expected one number of points per project")
            if kind is BallotKind.CUMULATIVE:
                if any(x < 0 for x in b.points):
                    raise InputError(f"{where}: cumulative points must not be negative")
                if election.max_points is not None and sum(b.points) > election.max_points:
                    raise InputError(
                        f"{where}: {sum(b.points)} points given, at most {election.max_points} allowed"
                    )
        elif b.points is not None:
            if kind is not BallotKind.ORDINAL:
                raise InputError(f"{where}: points given on a {kind.value} ballot")
            if len(b.points) != len(b.projects):
                raise InputError(f"{where}: expected one number of points per project")
        if kind is BallotKind.CHOOSE_1 and len(b.projects) > 1:
            raise InputError(f"{where}: a choose-1 ballot names {len(b.projects)} projects")
        if kind is BallotKind.K_APPROVAL and election.max_approvals is not None:
            if len(b.projects) > election.max_approvals:
                raise InputError(
                    f"{where}: {len(b.projects)} approvals, at most {election.max_approvals} allowed"
                )
        if kind is BallotKind.KNAPSACK and sum(cost[p] for p in b.projects) > election.budget:
            raise InputError(f"{where}: the chosen projects cost more than the budget")


# --------------------------------------------------------------------------------------------- scores


def utilities(election: BudgetElection) -> list[dict[str, int]]:
    """Per ballot, the "points" each listed project gets: the ballot's points when it has them (cumulative,
    scoring, and ordinal ballots that carry positional points), else 1 per listed project.

    Projects with zero (or negative, on scoring ballots) points are left out of approval-type uses.
    """
    out: list[dict[str, int]] = []
    for b in election.ballots:
        if b.points is not None:
            out.append({p: x for p, x in zip(b.projects, b.points, strict=True)})
        else:
            out.append(dict.fromkeys(b.projects, 1))
    return out


def project_scores(election: BudgetElection) -> dict[str, int]:
    """Score of each project: weighted number of approvals, or weighted sum of points."""
    scores = {p.id: 0 for p in election.projects}
    for b, u in zip(election.ballots, utilities(election), strict=True):
        for pid, x in u.items():
            scores[pid] += b.weight * x
    return scores


def approval_counts(election: BudgetElection) -> dict[str, int]:
    """Weighted number of ballots giving each project positive support ("votes" in pabulib)."""
    counts = {p.id: 0 for p in election.projects}
    for b, u in zip(election.ballots, utilities(election), strict=True):
        for pid, x in u.items():
            if x > 0:
                counts[pid] += b.weight
    return counts


def approval_sets(election: BudgetElection) -> list[frozenset[str]]:
    """Per ballot, the projects it supports (positive points count as support)."""
    return [frozenset(p for p, x in u.items() if x > 0) for u in utilities(election)]


# --------------------------------------------------------------------------------------------- greedy


GREEDY_TIEBREAKS = ("cost", "order", "id", "lot")


def _order_by_score(
    projects: Sequence[Project],
    scores: Mapping[str, int],
    rng: random.Random,
    lots: list[Lot],
    stage: int,
    tiebreak: Sequence[str] = ("cost", "lot"),
    position: Mapping[str, int] | None = None,
) -> list[Project]:
    """Projects by decreasing score; ties settled by ``tiebreak`` in turn.

    ``cost``: lower cost first; ``order``: earlier in ``position`` (the order projects were given, e.g. a pabulib
    PROJECTS section); ``id``: smaller id; ``lot``: a seeded shuffle of each block still tied, recorded as a
    :class:`Lot` (``chosen`` lists the drawn order).
    """
    for how in tiebreak:
        if how not in GREEDY_TIEBREAKS:
            raise InputError(f"unknown tie-break {how!r} (known: {', '.join(GREEDY_TIEBREAKS)})")
    pos = position if position is not None else {p.id: i for i, p in enumerate(projects)}
    keys: list[str] = []
    for how in tiebreak:
        if how == "lot":
            break
        keys.append(how)

    def key(p: Project) -> tuple[object, ...]:
        out: list[object] = [-scores[p.id]]
        for how in keys:
            out.append(p.cost if how == "cost" else pos[p.id] if how == "order" else p.id)
        return tuple(out)

    ordered = sorted(projects, key=lambda p: (key(p), pos[p.id]))
    if "lot" not in tiebreak:
        return ordered
    out: list[Project] = []
    i = 0
    while i < len(ordered):
        j = i
        while j < len(ordered) and key(ordered[j]) == key(ordered[i]):
            j += 1
        block = ordered[i:j]
        if len(block) > 1:
            shuffled = list(block)
            rng.shuffle(shuffled)
            lots.append(
                Lot(
                    stage=stage,
                    purpose="order",
                    tied=tuple(p.id for p in block),
                    chosen=",".join(p.id for p in shuffled),
                )
            )
            block = shuffled
        out.extend(block)
        i = j
    return out


def greedy(
    election: BudgetElection,
    *,
    skip: bool = True,
    rng: random.Random | None = None,
    min_score: int | None = None,
    already: Sequence[str] = (),
    tiebreak: Sequence[str] = ("cost", "lot"),
    _validate: bool = True,
) -> BudgetResult:
    """Greedy by votes.  ``skip=True`` is pabulib ``greedy``; ``skip=False`` is ``greedy-no-skip``.

    ``min_score`` (default: the election's) excludes projects scoring below it.  ``already`` are projects funded
    beforehand (used by the ``add1-greedy`` completion); they are kept and their cost counted.
    Ties in score are settled by ``tiebreak`` (see :data:`GREEDY_TIEBREAKS`): by default lower cost first, then
    by lot (recorded).  ``("order",)`` keeps the order of ``election.projects``, which is how pabulib's own checker
    verifies ``rule;greedy`` files (pabulib/checker ``verify_greedy_selected``: a stable sort of PROJECTS by score),
    so a recount of a pabulib file follows the published ranking.  Projects that cost 0 are funded when reached.
    """
    if _validate:
        validate(election)
    rng = rng if rng is not None else random.Random(0)
    scores = project_scores(election)
    threshold = election.min_score if min_score is None else min_score
    lots: list[Lot] = []
    by_id = {p.id: p for p in election.projects}
    selected = list(already)
    spent = sum(by_id[p].cost for p in selected)
    rounds: list[BudgetRound] = []
    reasons: dict[str, Reason] = {}
    candidates = [p for p in election.projects if p.id not in set(already)]
    stopped_at: str | None = None
    position = {p.id: i for i, p in enumerate(election.projects)}
    for p in _order_by_score(candidates, scores, rng, lots, 0, tiebreak, position):
        s = scores[p.id]
        if p.id in election.withdrawn:
            reasons[p.id] = Reason("withdrawn", score=s)
            continue
        if threshold is not None and s < threshold:
            reasons[p.id] = Reason("below-threshold", score=s)
            continue
        if stopped_at is not None:
            reasons[p.id] = Reason(
                "stopped", at=stopped_at, needed=p.cost, left=Fraction(election.budget - spent)
            )
            continue
        if spent + p.cost <= election.budget:
            spent += p.cost
            selected.append(p.id)
            rounds.append(
                BudgetRound(
                    len(rounds) + 1, p.id, p.cost, "greedy", Fraction(s), Fraction(election.budget - spent)
                )
            )
        else:
            reasons[p.id] = Reason("did-not-fit", needed=p.cost, left=Fraction(election.budget - spent))
            if not skip:
                stopped_at = p.id
    return BudgetResult(
        rule="greedy" if skip else "greedy-no-skip",
        completion="none",
        budget=election.budget,
        selected=tuple(selected),
        total_cost=spent,
        rounds=tuple(rounds),
        reasons=reasons,
        scores=scores,
        lots=tuple(lots),
    )


# --------------------------------------------------------------------------------------------- comparison


def compare_outcomes(
    election: BudgetElection, mes: Iterable[str], greedy_outcome: Iterable[str], method: str = "satisfaction"
) -> tuple[int, int]:
    """The comparison step of equalshares.net (used in Wieliczka): voters who strictly prefer each outcome.

    ``satisfaction``: a voter prefers the outcome funding more of the projects they support.
    ``exclusion-ratio``: a voter prefers an outcome funding at least one project they support over one that
    funds none.  Each ballot counts ``weight`` times.  Returns ``(prefer_mes, prefer_greedy)``.
    """
    a, b = frozenset(mes), frozenset(greedy_outcome)
    prefer_a = prefer_b = 0
    for ballot, s in zip(election.ballots, approval_sets(election), strict=True):
        x, y = len(s & a), len(s & b)
        if method == "exclusion-ratio":
            x, y = min(x, 1), min(y, 1)
        elif method != "satisfaction":
            raise ValueError(f"unknown comparison method {method!r}")
        if x > y:
            prefer_a += ballot.weight
        elif y > x:
            prefer_b += ballot.weight
    return prefer_a, prefer_b


# --------------------------------------------------------------------------------------------- dispatcher

RULE_ALIASES: dict[str, tuple[str, str]] = {
    "greedy": ("greedy", "none"),
    "greedy-no-skip": ("greedy-no-skip", "none"),
    # pabulib variants of greedy; exclusive zones / custom city rules are not modelled (pabulib's checker
    # can only warn about them either); the threshold comes from META min_project_score_threshold
    "greedy-threshold": ("greedy", "none"),
    "greedy-exclusive": ("greedy", "none"),
    "greedy-custom": ("greedy", "none"),
    "equalshares": ("equal-shares", "none"),
    "equal-shares": ("equal-shares", "none"),
    "mes": ("equal-shares", "none"),
    "equalshares/add1": ("equal-shares", "add1"),
    "equalshares/add1-greedy": ("equal-shares", "add1-greedy"),
    "equalshares/add1-utilitarian": ("equal-shares", "add1-greedy"),
    "equalshares/add1u": ("equal-shares", "add1-greedy"),
    "equalshares/add1-comparison": ("equal-shares", "add1-comparison"),
    "equalshares-comparison": ("equal-shares", "comparison"),
    "equalshares/comparison": ("equal-shares", "comparison"),
    "equalshares/utilitarian": ("equal-shares", "greedy"),
    "equalshares/greedy": ("equal-shares", "greedy"),
}
"""pabulib META ``rule`` values (and our own names) -> (rule, completion)."""

COMPLETIONS = ("none", "add1", "add1-greedy", "add1-comparison", "greedy", "comparison")


def parse_rule(text: str) -> tuple[str, str]:
    """Map a pabulib ``rule`` value (e.g. ``equalshares/add1-comparison``) to ``(rule, completion)``."""
    key = text.strip().lower()
    if key in RULE_ALIASES:
        return RULE_ALIASES[key]
    raise InputError(f"unknown rule {text!r} (known: {', '.join(sorted(RULE_ALIASES))})")


def count(
    election: BudgetElection,
    rule: str,
    completion: str = "none",
    *,
    rng: random.Random | None = None,
    utility: str = "cost",
    comparison: str = "satisfaction",
    progress: Any = None,
    greedy_tiebreak: Sequence[str] = ("cost", "lot"),
    add1_integral: bool = False,
) -> BudgetResult:
    """Count ``election`` with ``rule`` (``greedy``, ``greedy-no-skip``, ``equal-shares``) and ``completion``.

    Completions for Equal Shares: ``none``; ``add1``; ``add1-greedy`` (Add1 then greedy by votes with the
    money left); ``add1-comparison`` (Add1, then the comparison step against greedy); ``greedy`` (plain Equal
    Shares then greedy by votes); ``comparison`` (plain Equal Shares, then the comparison step).  ``comparison``
    chooses ``satisfaction`` or ``exclusion-ratio``; ``add1_integral`` starts the Add1 raises from the whole
    currency unit below budget / n (see :func:`app.tally.equal_shares.add1`).
    """
    from app.tally import equal_shares

    rng = rng if rng is not None else random.Random(0)
    if rule in ("greedy", "greedy-no-skip"):
        if completion not in ("none", ""):
            raise InputError(f"completion {completion!r} only applies to equal-shares")
        return greedy(election, skip=(rule == "greedy"), rng=rng, tiebreak=greedy_tiebreak)
    if rule != "equal-shares":
        raise InputError(f"unknown rule {rule!r}")
    if completion not in COMPLETIONS:
        raise InputError(f"unknown completion {completion!r} (known: {', '.join(COMPLETIONS)})")
    return equal_shares.equal_shares(
        election,
        completion=completion,
        rng=rng,
        utility=utility,
        comparison=comparison,
        progress=progress,
        greedy_tiebreak=greedy_tiebreak,
        add1_integral=add1_integral,
    )
