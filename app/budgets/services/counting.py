"""Counting through ``app.tally``: rows to tally inputs, the inputs hash, stored counts, what-if, the pabulib export, and reading results back."""

from __future__ import annotations

import hashlib
import json
import random
from dataclasses import dataclass, replace
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.budgets import policy
from app.budgets.models import (
    BallotChannel,
    BallotChoice,
    BallotType,
    BudgetBallot,
    BudgetCount,
    BudgetHeading,
    BudgetProject,
    Completion,
    Rule,
)
from app.budgets.services._common import _lock_process, software_version
from app.core import audit
from app.core.errors import DomainError
from app.tally import budget as tally
from app.tally.formats import pabulib

TALLY_KIND = {
    BallotType.APPROVAL: tally.BallotKind.APPROVAL,
    BallotType.K_APPROVAL: tally.BallotKind.K_APPROVAL,
    BallotType.KNAPSACK: tally.BallotKind.KNAPSACK,
    BallotType.CUMULATIVE: tally.BallotKind.CUMULATIVE,
}


@dataclass(frozen=True)
class CountInputs:
    election: tally.BudgetElection
    online: int
    paper: int
    spoilt: int
    delegated: int = 0  # votes delegated to online voters, on top of their own (sum of weight - 1)
    carriers: int = 0  # online ballots carrying delegated votes

    @property
    def delegation(self) -> dict[str, int]:
        """Direct and delegated weight, as stored with a count: ``direct`` ballots (online and paper) each count
        once; ``delegated`` votes were cast by delegates' online ballots (``carriers`` of them)."""
        return {"direct": self.online + self.paper, "delegated": self.delegated, "carriers": self.carriers}


def count_inputs(session: Session, heading: BudgetHeading) -> CountInputs:
    """The heading as a tally election: projects by id, ballots in a canonical (sorted) order, voter ids
    replaced by sequence numbers, each ballot with its weight."""
    process = heading.process
    kind = TALLY_KIND[process.ballot_type_enum]
    rows = session.execute(
        select(BudgetBallot.id, BudgetBallot.channel, BudgetBallot.weight, BudgetBallot.is_spoilt).where(BudgetBallot.heading_id == heading.id)
    ).all()
    choices: dict[int, list[tuple[int, int]]] = {}
    for ballot_id, project_id, points in session.execute(
        select(BallotChoice.ballot_id, BallotChoice.project_id, BallotChoice.points)
        .join(BudgetBallot, BudgetBallot.id == BallotChoice.ballot_id)
        .where(BudgetBallot.heading_id == heading.id)
    ):
        choices.setdefault(ballot_id, []).append((project_id, points))
    keys = []
    online = paper = spoilt = valid_weight = delegated = carriers = 0
    for ballot_id, channel, weight, is_spoilt in rows:
        if is_spoilt:
            spoilt += 1
            continue
        if channel == BallotChannel.PAPER.value:
            paper += 1
        else:
            online += 1
            delegated += weight - 1
            carriers += weight > 1
        valid_weight += weight
        chosen = sorted(choices.get(ballot_id, []))
        keys.append((tuple(str(p) for p, _ in chosen), tuple(x for _, x in chosen), weight))
    keys.sort()
    ballots = tuple(
        tally.Ballot(projects=p, points=pts if kind is tally.BallotKind.CUMULATIVE else None, weight=w, voter_id=str(n))
        for n, (p, pts, w) in enumerate(keys, start=1)
    )
    projects = tuple(tally.Project(id=str(p.id), cost=p.cost_pence, name=p.title) for p in sorted(heading.projects, key=lambda p: p.id))
    # Projects in ranking order (score, then cost, then id): the order the export writes them in, so that a
    # recount that settles ties by file order (pabulib's convention) sees the same order as the count.
    provisional = tally.BudgetElection(projects=projects, budget=heading.amount_pence, ballots=ballots, kind=kind)
    scores = tally.project_scores(provisional)
    projects = tuple(sorted(projects, key=lambda p: (-scores[p.id], p.cost, int(p.id))))
    election = tally.BudgetElection(
        projects=projects,
        budget=heading.amount_pence,
        ballots=ballots,
        kind=kind,
        max_approvals=process.max_choices if kind is tally.BallotKind.K_APPROVAL else None,
        max_points=process.max_points if kind is tally.BallotKind.CUMULATIVE else None,
        currency_unit=100,
        min_score=minimum_support(heading, valid_weight),
    )
    return CountInputs(election, online, paper, spoilt, delegated, carriers)


def minimum_support(heading: BudgetHeading, ballots: int) -> int:
    """The score a project of ``heading`` needs to be funded, given ``ballots`` valid ballots (weighted): at
    least 1, so a project with no votes is never funded; the heading's minimum in votes (points, on a points
    ballot); and its share of the valid ballots, rounded up.  It reaches the tally as ``min_score`` (pabulib's
    ``min_project_score_threshold``), so every rule and the independent recount apply it the same way."""
    needed = 1
    if heading.min_support_votes:
        needed = max(needed, heading.min_support_votes)
    if heading.min_support_percent:
        needed = max(needed, -(-heading.min_support_percent * ballots // 100))
    return needed


def minimum_of(heading: BudgetHeading, count: BudgetCount) -> dict[str, int | None] | None:
    """What the minimum support was in ``count``: the heading's settings and the score needed (None for a
    count stored before minimums existed)."""
    if count.min_support is None:
        return None
    stored = json.loads(count.result_json).get("minimum") or {}
    return {"votes": stored.get("votes"), "percent": stored.get("percent"), "needed": count.min_support}


def current_minimum(session: Session, heading: BudgetHeading) -> dict[str, int | None]:
    """The minimum support on the ballots as they are now (for the what-if table)."""
    return {"votes": heading.min_support_votes, "percent": heading.min_support_percent,
            "needed": count_inputs(session, heading).election.min_score}


def _as_counted(count: BudgetCount, election: tally.BudgetElection) -> tally.BudgetElection:
    """The inputs as ``count`` saw them: a count from before minimums existed had none."""
    return replace(election, min_score=None) if count.min_support is None else election


def pabulib_rule(rule: str, completion: str) -> str:
    """The META ``rule`` spelling (see ``app.tally.budget.RULE_ALIASES``)."""
    if rule != Rule.EQUAL_SHARES.value:
        return rule
    return "equalshares" if completion == Completion.NONE.value else f"equalshares/{completion}"


def _meta(heading: BudgetHeading, rule: str) -> dict[str, str]:
    process = heading.process
    meta = {
        "description": f"{process.title}: {heading.name}",
        "country": "United Kingdom",
        "unit": heading.place.name,
        "instance": process.title,
        "subunit": heading.name,
        "currency": "GBP",
        "rule": rule,
    }
    if process.ballot_type == BallotType.K_APPROVAL and process.max_choices:
        meta["max_length"] = str(process.max_choices)
    return meta


def meta_money(pence: int) -> str:
    """Pence as pounds the way the export writes money (``budget``, ``cost``): ``12500.00``."""
    return f"{pence // 100}.{pence % 100:02d}"


def election_hash(heading: BudgetHeading, election: tally.BudgetElection) -> str:
    """sha256 of the canonical pabulib export of the count's inputs (projects in ranking order with costs and
    names, the money, sorted ballots with sequence voter ids and weights, the ballot's limits) and the rule.

    Descriptive names (the budget's title, the heading's and the area's names) are left out, so correcting them
    after the count does not make the count look stale; projects cannot change once voting has started."""
    meta = {"description": "", "rule": heading.process.pabulib_rule, "currency": "GBP"}
    if heading.process.ballot_type == BallotType.K_APPROVAL and heading.process.max_choices:
        meta["max_length"] = str(heading.process.max_choices)
    text = pabulib.dumps(election, meta=meta)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _legacy_election_hash(heading: BudgetHeading, election: tally.BudgetElection) -> str:
    """The hash as counts stored before names were left out of it (so their results stay downloadable)."""
    text = pabulib.dumps(election, meta=_meta(heading, heading.process.pabulib_rule))
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def count_is_stale(session: Session, heading: BudgetHeading, count: BudgetCount | None) -> bool:
    """Whether ballots have been added or changed since ``count`` (False when there is no count)."""
    return count is not None and not count_is_current(heading, count, count_inputs(session, heading).election)


def count_is_current(heading: BudgetHeading, count: BudgetCount, election: tally.BudgetElection) -> bool:
    """Whether ``count`` was made on exactly these inputs (no ballot added, replaced or removed since)."""
    election = _as_counted(count, election)
    return count.inputs_hash in (election_hash(heading, election), _legacy_election_hash(heading, election))

GREEDY_TIES = ("cost", "lot")  # ties in votes: lower cost first, then by lot with the process's seed


def compute(election: tally.BudgetElection, rule: str, completion: str, seed: int) -> tally.BudgetResult:
    """The one place the web application counts: through the tally library, with the process's seed."""
    return tally.count(election, rule, completion, rng=random.Random(seed), greedy_tiebreak=GREEDY_TIES)


def run_count(session: Session, actor: Any, heading: BudgetHeading) -> BudgetCount:
    """Count the heading with its process's rule and store the result (a repeated count is identical)."""
    _lock_process(session, heading.process, read=True)
    if not policy.phase_allows(heading, policy.COUNT):
        raise DomainError(_("Ballots can be counted only when voting has closed and ballots are being reviewed."))
    process = heading.process
    inputs = count_inputs(session, heading)
    result = compute(inputs.election, process.rule, process.completion, process.seed)
    digest = election_hash(heading, inputs.election)
    row = BudgetCount(
        heading_id=heading.id, rule=process.rule, completion=process.completion, seed=process.seed,
        inputs_hash=digest, software_version=software_version(),
        online_ballots=inputs.online, paper_ballots=inputs.paper, spoilt_ballots=inputs.spoilt,
        min_support=inputs.election.min_score,
        result_json=json.dumps({
            **result.to_dict(), "votes": tally.approval_counts(inputs.election),
            "minimum": {"votes": heading.min_support_votes, "percent": heading.min_support_percent, "needed": inputs.election.min_score},
            "delegation": inputs.delegation,
        }, sort_keys=True, separators=(",", ":")),
        created_by_id=getattr(actor, "id", None),
    )
    session.add(row)
    session.flush()
    audit.record(
        session, "budget.count", actor=actor, obj=row,
        data={
            "heading_id": heading.id, "rule": row.rule, "completion": row.completion, "seed": row.seed,
            "inputs_hash": digest, "software_version": row.software_version, "selected": list(result.selected),
            "online_ballots": inputs.online, "paper_ballots": inputs.paper, "min_support": row.min_support,
            "delegated_votes": inputs.delegated, "ballots_carrying_delegated_votes": inputs.carriers,
        },
    )
    return row


def latest_count(session: Session, heading: BudgetHeading) -> BudgetCount | None:
    return session.execute(
        select(BudgetCount).where(BudgetCount.heading_id == heading.id).order_by(BudgetCount.id.desc()).limit(1)
    ).scalar_one_or_none()


def published_count(session: Session, heading: BudgetHeading) -> BudgetCount | None:
    return session.execute(
        select(BudgetCount).where(BudgetCount.heading_id == heading.id, BudgetCount.is_published.is_(True)).order_by(BudgetCount.id.desc()).limit(1)
    ).scalar_one_or_none()

WHAT_IF_RULES: tuple[tuple[str, str], ...] = (
    ("greedy", "none"),
    ("greedy-no-skip", "none"),
    ("equal-shares", "none"),
    ("equal-shares", "add1"),
    ("equal-shares", "add1-greedy"),
    ("equal-shares", "add1-comparison"),
)


def what_if(session: Session, heading: BudgetHeading) -> list[tuple[str, str, tally.BudgetResult]]:
    """Every rule on the same ballots, for officers to compare before publishing (nothing is stored)."""
    inputs = count_inputs(session, heading)
    return [(r, c, compute(inputs.election, r, c, heading.process.seed)) for r, c in WHAT_IF_RULES]


def export_pabulib(session: Session, heading: BudgetHeading, count: BudgetCount) -> str:
    """A pabulib file for recounting: META with the rule, PROJECTS with costs, votes and ``selected`` as in
    ``count``, VOTES anonymised (sequence numbers) and shuffled with a recorded seed."""
    inputs = count_inputs(session, heading)
    election = _as_counted(count, inputs.election)
    if not count_is_current(heading, count, election):
        raise DomainError(_("The ballots of %(heading)s changed after this count. Run the count again.", heading=heading.name))
    result = json.loads(count.result_json)
    shuffle_seed = count.seed
    ballots = list(election.ballots)
    random.Random(shuffle_seed).shuffle(ballots)
    ballots = [replace(b, voter_id=str(n)) for n, b in enumerate(ballots, start=1)]
    # PROJECTS in the order the count considered them: by score, then cost, then as any lot drew them.
    lot_rank: dict[str, int] = {}
    for lot in result.get("lots", []):
        if lot.get("purpose") == "order":
            lot_rank.update({pid: i for i, pid in enumerate(str(lot["chosen"]).split(","))})
    order = {p.id: i for i, p in enumerate(election.projects)}
    scores_now = tally.project_scores(election)
    ranked = tuple(sorted(election.projects, key=lambda p: (-scores_now[p.id], p.cost, lot_rank.get(p.id, 0), order[p.id])))
    election = replace(election, ballots=tuple(ballots), projects=ranked)
    meta = _meta(heading, pabulib_rule(count.rule, count.completion))
    meta.update({
        "folkmoot_count_seed": str(count.seed),
        "folkmoot_shuffle_seed": str(shuffle_seed),
        "folkmoot_inputs_sha256": count.inputs_hash,
        "folkmoot_software_version": count.software_version,
        "folkmoot_ballot_type": heading.process.ballot_type,
    })
    shared = result.get("delegation")
    if shared and shared.get("delegated"):  # the VOTES weight column carries it ballot by ballot
        meta["folkmoot_direct_votes"] = str(shared["direct"])
        meta["folkmoot_delegated_votes"] = str(shared["delegated"])
    minimum = minimum_of(heading, count)
    if minimum is not None:  # the standard key min_project_score_threshold (written from the election) applies it
        meta["min_support"] = str(minimum["needed"])
        if minimum["votes"]:
            meta["folkmoot_min_support_votes"] = str(minimum["votes"])
        if minimum["percent"]:
            meta["folkmoot_min_support_percent"] = str(minimum["percent"])
    if heading.process.ballot_type == BallotType.KNAPSACK:  # pabulib's name for "choices must fit the budget"
        meta["max_sum_cost"] = meta_money(heading.amount_pence)
    pb = pabulib.from_election(election, meta)
    votes = tally.approval_counts(election)
    scores = tally.project_scores(election)
    selected = set(result["selected"])
    points = election.kind is tally.BallotKind.CUMULATIVE
    columns = (*pb.project_columns, "votes", *(("score",) if points else ()), "selected")
    rows = tuple(
        (*row, str(votes[p.id]), *((str(scores[p.id]),) if points else ()), "1" if p.id in selected else "0")
        for row, p in zip(pb.project_rows, election.projects, strict=True)
    )
    pb = replace(pb, project_columns=columns, project_rows=rows)
    return pabulib.dumps(pb)

_EXPORT_SHA256: dict[tuple[Any, ...], str] = {}  # published counts only: their ballots can no longer change


def export_sha256(session: Session, heading: BudgetHeading, count: BudgetCount) -> str | None:
    """The SHA-256 of the recount file of ``count`` (what ``python -m app.tally pb FILE`` prints as "input
    sha256"); None when the ballots changed after the count, so no file can be made for it.  For a published
    count it is remembered (keyed by everything the file holds that could still change: the names)."""
    key = (count.id, count.inputs_hash, count.seed, count.rule, count.completion, count.software_version,
           hashlib.sha256(count.result_json.encode("utf-8")).hexdigest(),
           heading.process.title, heading.name, heading.place.name)
    if count.is_published and key in _EXPORT_SHA256:
        return _EXPORT_SHA256[key]
    try:
        text = export_pabulib(session, heading, count)
    except DomainError:
        return None
    digest = hashlib.sha256(text.encode("utf-8")).hexdigest()
    if count.is_published:
        if len(_EXPORT_SHA256) > 1000:
            _EXPORT_SHA256.clear()
        _EXPORT_SHA256[key] = digest
    return digest


# --------------------------------------------------------------------------------------------- reading results


@dataclass(frozen=True)
class ProjectOutcome:
    project: BudgetProject
    votes: int
    score: int
    funded: bool
    reason: dict[str, Any] | None


def outcomes(heading: BudgetHeading, count: BudgetCount) -> list[ProjectOutcome]:
    """Projects with their votes, funded first in funding order, then the rest by score."""
    result = json.loads(count.result_json)
    selected: list[str] = result["selected"]
    scores: dict[str, int] = result["scores"]
    by_id = {str(p.id): p for p in heading.projects}
    votes = _votes_from_result(heading, count)
    out = [ProjectOutcome(by_id[pid], votes.get(pid, 0), scores.get(pid, 0), True, None) for pid in selected if pid in by_id]
    rest = sorted((pid for pid in by_id if pid not in selected), key=lambda pid: (-scores.get(pid, 0), by_id[pid].cost_pence, pid))
    out += [ProjectOutcome(by_id[pid], votes.get(pid, 0), scores.get(pid, 0), False, result["reasons"].get(pid)) for pid in rest]
    return out


def _votes_from_result(heading: BudgetHeading, count: BudgetCount) -> dict[str, int]:
    """Weighted number of ballots supporting each project (stored with the count for points ballots)."""
    result = json.loads(count.result_json)
    return {k: int(v) for k, v in result.get("votes", result["scores"]).items()}


def turnout(session: Session, heading: BudgetHeading, count: BudgetCount) -> dict[str, Any]:
    population = heading.place.population
    total = count.online_ballots + count.paper_ballots
    shared = json.loads(count.result_json).get("delegation") or {}
    delegated = int(shared.get("delegated", 0))
    return {
        "delegated": delegated,
        "carriers": int(shared.get("carriers", 0)),
        "represented": total + delegated,
        "represented_percent": (100 * (total + delegated) / population) if population else None,
        "online": count.online_ballots,
        "paper": count.paper_ballots,
        "spoilt": count.spoilt_ballots,
        "total": total,
        "population": population,
        "percent": (100 * total / population) if population else None,
        "online_percent": (100 * count.online_ballots / population) if population else None,
        "paper_percent": (100 * count.paper_ballots / population) if population else None,
    }
