"""Budget rules: setting up processes, headings, pots and projects; phases; casting and replacing ballots;
paper batches keyed twice; counting through ``app.tally``; publishing; the pabulib export.

Services take the acting user explicitly, raise DomainError, flush and never commit; views commit.
Counting itself happens in :mod:`app.tally` (pure); this module only turns rows into tally inputs and back.
"""

from __future__ import annotations

import hashlib
import importlib.metadata
import json
import random
import secrets
from dataclasses import dataclass, field, replace
from datetime import date
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import delete, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from app.budgets import notices, policy
from app.budgets.models import (
    BallotChannel,
    BallotChoice,
    BallotType,
    BatchState,
    BudgetBallot,
    BudgetCount,
    BudgetHeading,
    BudgetProcess,
    BudgetProject,
    Completion,
    FundingPot,
    PaperBatch,
    PaperKeying,
    Phase,
    Rule,
)
from app.core import audit
from app.core.db import utcnow
from app.core.errors import DomainError
from app.places.models import Place
from app.proposals.models import Proposal, ProposalState
from app.tally import budget as tally
from app.tally.formats import pabulib

MAX_AMOUNT_PENCE = 2_000_000_000  # fits a 32-bit integer column with room to spare
MAX_SUPPORT_THRESHOLD = 100_000


def software_version() -> str:
    try:
        return importlib.metadata.version("folkmoot")
    except importlib.metadata.PackageNotFoundError:  # pragma: no cover - always installed in this project
        return "unknown"


# --------------------------------------------------------------------------------------------- set-up


@dataclass(frozen=True)
class ProcessData:
    title: str
    description: str
    place: Place
    ballot_type: BallotType
    rule: Rule
    completion: Completion = Completion.NONE
    max_choices: int | None = None
    max_points: int | None = None
    language: str | None = None
    proposals_open_on: date | None = None
    review_starts_on: date | None = None
    voting_opens_on: date | None = None
    voting_closes_on: date | None = None
    results_on: date | None = None
    support_threshold: int | None = None


def _check_process(data: ProcessData) -> None:
    if not data.title.strip():
        raise DomainError(_("Enter a name for the budget."), field="title")
    if data.ballot_type is BallotType.K_APPROVAL and not (data.max_choices and data.max_choices >= 1):
        raise DomainError(_("Enter how many projects each person may choose (1 or more)."), field="max_choices")
    if data.ballot_type is BallotType.CUMULATIVE and not (data.max_points and data.max_points >= 1):
        raise DomainError(_("Enter how many points each person may share out (1 or more)."), field="max_points")
    if data.rule is not Rule.EQUAL_SHARES and data.completion is not Completion.NONE:
        raise DomainError(_("A completion only applies to the Method of Equal Shares. Choose “None”."), field="completion")
    dates = [d for d in (data.proposals_open_on, data.review_starts_on, data.voting_opens_on, data.voting_closes_on, data.results_on) if d]
    if dates != sorted(dates):
        raise DomainError(_("The stage dates must be in order: proposals, review, voting opens, voting closes, results."))
    if data.support_threshold is not None and not 1 <= data.support_threshold <= MAX_SUPPORT_THRESHOLD:
        raise DomainError(
            _("Enter a number of supports between 1 and 100,000, or leave it empty."),
            field="support_threshold",
        )


def _apply_process(process: BudgetProcess, data: ProcessData) -> None:
    process.title = data.title.strip()
    process.description = data.description.strip()
    process.language = data.language
    process.place_id = data.place.id
    process.place = data.place
    process.ballot_type = data.ballot_type.value
    process.rule = data.rule.value
    process.completion = data.completion.value
    process.max_choices = data.max_choices if data.ballot_type is BallotType.K_APPROVAL else None
    process.max_points = data.max_points if data.ballot_type is BallotType.CUMULATIVE else None
    process.proposals_open_on = data.proposals_open_on
    process.review_starts_on = data.review_starts_on
    process.voting_opens_on = data.voting_opens_on
    process.voting_closes_on = data.voting_closes_on
    process.results_on = data.results_on
    process.support_threshold = data.support_threshold


def create_process(session: Session, actor: Any, data: ProcessData, seed: int | None = None) -> BudgetProcess:
    _check_process(data)
    process = BudgetProcess(
        phase=Phase.DRAFTING.value,
        created_by_id=getattr(actor, "id", None),
        seed=secrets.randbelow(2**31) if seed is None else seed,
    )
    _apply_process(process, data)
    session.add(process)
    session.flush()
    audit.record(session, "budget.created", actor=actor, obj=process, data={"title": process.title, "seed": process.seed})
    return process


def _rules_of(data: ProcessData) -> dict[str, Any]:
    """What a ballot is and how it is counted, as stored (limits only where the ballot type uses them)."""
    return {
        "place_id": data.place.id,
        "ballot_type": data.ballot_type.value,
        "max_choices": data.max_choices if data.ballot_type is BallotType.K_APPROVAL else None,
        "max_points": data.max_points if data.ballot_type is BallotType.CUMULATIVE else None,
        "rule": data.rule.value,
        "completion": data.completion.value,
    }


def update_process(session: Session, actor: Any, process: BudgetProcess, data: ProcessData) -> None:
    """Save a process's details.  Its ballot, rule and area are fixed once voting has started; while it is
    set up, its area may change only to one that still contains every heading's area."""
    _check_process(data)
    _lock_process(session, process, read=False)  # it updates the row: take the write lock at once (no upgrade deadlock)
    rules = _rules_of(data)
    after = {**rules, "support_threshold": data.support_threshold}
    before = {key: getattr(process, key) for key in after}
    if any(before[key] != value for key, value in rules.items()) and not policy.phase_allows(process, policy.EDIT_SETUP):
        raise DomainError(_("The ballot, the rule and the area cannot change once voting has started."))
    if data.place.id != process.place_id:
        for heading in process.headings:
            if data.place.id not in {p.id for p in heading.place.lineage()}:
                raise DomainError(
                    _("The heading %(heading)s is for %(place)s, which is not within %(area)s. Remove the heading first, or choose an area that contains it.",
                      heading=heading.name, place=heading.place.name, area=data.place.name),
                    field="place",
                )
    _apply_process(process, data)
    session.flush()
    changed = {key: {"from": before[key], "to": after[key]} for key in after if before[key] != after[key]}
    audit.record(session, "budget.updated", actor=actor, obj=process, data={"title": process.title, "changed": changed})


def _require_setup(session: Session, obj: Any) -> None:
    _lock_process(session, policy.process_of(obj), read=True)
    if not policy.phase_allows(obj, policy.EDIT_SETUP):
        raise DomainError(_("Headings and funding cannot change once voting has started."))


def _check_amount(amount: int | None, field_name: str) -> int:
    if amount is None or amount < 0 or amount > MAX_AMOUNT_PENCE:
        raise DomainError(_("Enter an amount between £0 and £20,000,000."), field=field_name)
    return amount


def add_heading(session: Session, actor: Any, process: BudgetProcess, place: Place, name: str, amount_pence: int) -> BudgetHeading:
    _require_setup(session, process)
    if process.place_id not in {p.id for p in place.lineage()}:
        raise DomainError(_("The heading's area must be %(place)s or an area within it.", place=process.place.name), field="place")
    if any(h.place_id == place.id for h in process.headings):
        raise DomainError(_("This budget already has a heading for %(place)s.", place=place.name), field="place")
    heading = BudgetHeading(process=process, place=place, name=name.strip() or place.name, amount_pence=_check_amount(amount_pence, "amount"))
    session.add(heading)
    try:
        with session.begin_nested():
            session.flush()
    except IntegrityError:
        raise DomainError(_("This budget already has a heading for %(place)s.", place=place.name), field="place") from None
    audit.record(session, "budget.heading_added", actor=actor, obj=heading, data={"place": place.code, "amount_pence": heading.amount_pence})
    return heading


def update_heading(session: Session, actor: Any, heading: BudgetHeading, name: str, amount_pence: int) -> None:
    _require_setup(session, heading)
    heading.name = name.strip() or heading.place.name
    heading.amount_pence = _check_amount(amount_pence, "amount")
    session.flush()
    audit.record(session, "budget.heading_updated", actor=actor, obj=heading, data={"amount_pence": heading.amount_pence})


def remove_heading(session: Session, actor: Any, heading: BudgetHeading) -> None:
    """Remove a heading, with its pots and projects, while the budget is being set up (nobody has voted:
    ballots exist only from "balloting" on, and phases never go back)."""
    _require_setup(session, heading)
    process = heading.process
    data = {"heading_id": heading.id, "place": heading.place.code, "name": heading.name, "amount_pence": heading.amount_pence,
            "projects": [p.id for p in heading.projects]}
    process.headings.remove(heading)
    session.flush()
    audit.record(session, "budget.heading_removed", actor=actor, obj=process, data=data)


def _check_pot(heading: BudgetHeading, source: str, amount_pence: int | None, pot: FundingPot | None = None) -> tuple[str, int]:
    """A pot needs a source (one pot per source in a heading) and an amount of more than £0."""
    source = (source or "").strip()
    if not source:
        raise DomainError(_("Enter where the money comes from."), field="source")
    if any(p is not pot and p.source.casefold() == source.casefold() for p in heading.pots):
        raise DomainError(_("This heading already has a pot from “%(source)s”. Change that pot instead.", source=source), field="source")
    amount = _check_amount(amount_pence, "amount")
    if amount == 0:
        raise DomainError(_("Enter an amount of more than £0."), field="amount")
    return source, amount


def add_pot(session: Session, actor: Any, heading: BudgetHeading, source: str, amount_pence: int) -> FundingPot:
    _require_setup(session, heading)
    source, amount = _check_pot(heading, source, amount_pence)
    pot = FundingPot(heading=heading, source=source, amount_pence=amount)
    session.add(pot)
    session.flush()
    audit.record(session, "budget.pot_added", actor=actor, obj=heading, data={"pot_id": pot.id, "source": pot.source, "amount_pence": pot.amount_pence})
    return pot


def update_pot(session: Session, actor: Any, pot: FundingPot, source: str, amount_pence: int) -> None:
    """Correct a pot's source or amount while the budget is being set up (the pots must still add up to the
    heading's amount before voting opens: see :func:`heading_problems`)."""
    heading = pot.heading
    _require_setup(session, heading)
    source, amount = _check_pot(heading, source, amount_pence, pot=pot)
    before = {"source": pot.source, "amount_pence": pot.amount_pence}
    pot.source, pot.amount_pence = source, amount
    session.flush()
    audit.record(
        session, "budget.pot_updated", actor=actor, obj=heading,
        data={"pot_id": pot.id, "from": before, "to": {"source": pot.source, "amount_pence": pot.amount_pence}},
    )


def remove_pot(session: Session, actor: Any, pot: FundingPot) -> None:
    _require_setup(session, pot.heading)
    heading = pot.heading
    pot_id = pot.id
    heading.pots.remove(pot)
    session.flush()
    audit.record(session, "budget.pot_removed", actor=actor, obj=heading, data={"pot_id": pot_id, "source": pot.source, "amount_pence": pot.amount_pence})


def heading_problems(heading: BudgetHeading) -> list[str]:
    """What stops a heading from going to the vote, in plain words (empty when it is ready)."""
    out = []
    if not heading.pots:
        out.append(_("%(heading)s has no funding pots. Add where its money comes from.", heading=heading.name))
    elif heading.pots_total != heading.amount_pence:
        out.append(
            _(
                "%(heading)s is set at %(amount)s but its funding pots add up to %(pots)s. Make them equal.",
                heading=heading.name,
                amount=_money(heading.amount_pence),
                pots=_money(heading.pots_total),
            )
        )
    if not heading.projects:
        out.append(_("%(heading)s has no projects to vote on.", heading=heading.name))
    for project in heading.projects:
        if project.proposal is not None and project.proposal.hidden_at is not None:
            out.append(_("The project “%(title)s” comes from a proposal that moderators have hidden. Remove the project, or ask them to review the proposal.",
                         title=project.title))
    return out


def _money(pence: int) -> str:
    from app.core.i18n import money

    return money(pence)


@dataclass(frozen=True)
class ProjectData:
    title: str
    description: str
    cost_pence: int
    language: str | None = None


def _require_projects_editable(session: Session, obj: Any) -> None:
    _lock_process(session, policy.process_of(obj), read=True)
    if not policy.phase_allows(obj, policy.EDIT_PROJECTS):
        raise DomainError(_("Projects cannot change once voting has started."))


def _check_project(heading: BudgetHeading, data: ProjectData) -> None:
    if not data.title.strip():
        raise DomainError(_("Enter the project's name."), field="title")
    if data.cost_pence is None or data.cost_pence <= 0 or data.cost_pence > MAX_AMOUNT_PENCE:
        raise DomainError(_("Enter a cost of more than £0."), field="cost")


def add_project(session: Session, actor: Any, heading: BudgetHeading, data: ProjectData, proposal: Proposal | None = None) -> BudgetProject:
    _require_projects_editable(session, heading)
    _check_project(heading, data)
    project = BudgetProject(
        heading=heading, title=data.title.strip(), description=data.description.strip(), language=data.language,
        cost_pence=data.cost_pence, proposal_id=proposal.id if proposal else None,
    )
    session.add(project)
    try:
        with session.begin_nested():
            session.flush()
    except IntegrityError:
        raise DomainError(_("That proposal is already a project under this heading.")) from None
    audit.record(session, "budget.project_added", actor=actor, obj=project, data={"cost_pence": project.cost_pence, "proposal_id": project.proposal_id})
    return project


def update_project(session: Session, actor: Any, project: BudgetProject, data: ProjectData) -> None:
    _require_projects_editable(session, project.heading)
    _check_project(project.heading, data)
    project.title, project.description, project.cost_pence = data.title.strip(), data.description.strip(), data.cost_pence
    project.language = data.language or project.language
    session.flush()
    audit.record(session, "budget.project_updated", actor=actor, obj=project, data={"cost_pence": project.cost_pence})


def remove_project(session: Session, actor: Any, project: BudgetProject) -> None:
    _require_projects_editable(session, project.heading)
    heading = project.heading
    heading.projects.remove(project)
    session.flush()
    audit.record(session, "budget.project_removed", actor=actor, obj=heading, data={"project_id": project.id, "title": project.title})


def add_projects_from_proposals(session: Session, actor: Any, heading: BudgetHeading, proposals: list[Proposal]) -> list[BudgetProject]:
    """Shortlisted, costed proposals in the heading's area become projects (title, summary, cost)."""
    out = []
    for proposal in proposals:
        if proposal.state != ProposalState.SHORTLISTED.value or proposal.hidden_at is not None:
            raise DomainError(_("Only shortlisted proposals can go on the ballot (“%(title)s” is not).", title=proposal.title))
        if not proposal.cost_pence:
            raise DomainError(_("“%(title)s” has no cost yet. Cost it in the review first.", title=proposal.title))
        if heading.place_id not in {p.id for p in proposal.place.lineage()}:
            raise DomainError(_("“%(title)s” is about a place outside %(place)s.", title=proposal.title, place=heading.place.name))
        elsewhere = session.execute(
            select(BudgetProject).where(BudgetProject.proposal_id == proposal.id, BudgetProject.heading_id != heading.id).limit(1)
        ).scalar_one_or_none()
        if elsewhere is not None:
            raise DomainError(
                _("“%(title)s” is already a project in %(budget)s: %(heading)s.", title=proposal.title,
                  budget=elsewhere.heading.process.title, heading=elsewhere.heading.name)
            )
        data = ProjectData(title=proposal.title, description=proposal.summary, cost_pence=proposal.cost_pence, language=proposal.language)
        out.append(add_project(session, actor, heading, data, proposal=proposal))
    return out


# --------------------------------------------------------------------------------------------- phases


def _lock_process(session: Session, process: BudgetProcess, *, read: bool) -> None:
    """Serialise phase changes against ballots being cast or added (PostgreSQL row lock; SQLite serialises
    writers), then re-read the phase: the process was loaded earlier in the request, and another officer may
    have moved it on since, so the guards that follow must not trust the copy in memory."""
    session.execute(select(BudgetProcess.id).where(BudgetProcess.id == process.id).with_for_update(read=read))
    session.refresh(process, ["phase"])


def _transition_proposal(session: Session, actor: Any, proposal: Proposal, to_state: ProposalState, reason: str) -> None:
    from app.proposals.services import transition  # the proposals feature owns proposal states

    transition(session, actor, proposal, to_state, reason=reason)


def publish_problems(session: Session, process: BudgetProcess) -> list[str]:
    """What stops the results being published, in plain words (empty when every heading is ready): a paper
    batch still being keyed, a heading not counted, or ballots changed since a heading's count."""
    out = []
    for heading in process.headings:
        pending = session.execute(
            select(PaperBatch.number).where(PaperBatch.heading_id == heading.id, PaperBatch.state == BatchState.KEYING.value)
            .order_by(PaperBatch.number).limit(1)
        ).scalar_one_or_none()
        if pending is not None:
            out.append(_("Paper batch %(number)d of %(heading)s is still being keyed. Accept it, or discard it if it was started in error, before publishing.",
                         number=pending, heading=heading.name))
        latest = latest_count(session, heading)
        if latest is None:
            out.append(_("Count every heading before publishing (%(heading)s has no count).", heading=heading.name))
        elif not count_is_current(heading, latest, count_inputs(session, heading).election):
            out.append(_("Ballots for %(heading)s changed after its count. Run the count again.", heading=heading.name))
    return out


def phase_problems(session: Session, process: BudgetProcess, to_phase: Phase) -> list[str]:
    """What would stop ``process`` moving to ``to_phase``, in plain words (empty when nothing does): opening the
    vote needs headings that are ready (:func:`heading_problems`), finishing needs :func:`publish_problems`
    cleared.  :func:`advance_phase` refuses with these; the pages show them before anyone tries."""
    if to_phase is Phase.BALLOTING:
        if not process.headings:
            return [_("Add at least one heading before opening the vote.")]
        return [p for h in process.headings for p in heading_problems(h)]
    if to_phase is Phase.FINISHED:
        return publish_problems(session, process)
    return []


def advance_phase(session: Session, actor: Any, process: BudgetProcess, to_phase: Phase, reason: str | None = None) -> None:
    """Move to the next phase, if its guards hold.  Opening the vote puts linked proposals on the ballot;
    finishing publishes every heading's latest count and marks linked proposals selected or not."""
    _lock_process(session, process, read=False)
    session.refresh(process)
    current = process.phase_enum
    if current.next is not to_phase:
        raise DomainError(_("This budget is in the “%(phase)s” stage; it cannot move to “%(to)s” from there.", phase=current.label, to=to_phase.label))
    problems = phase_problems(session, process, to_phase)
    if problems:
        raise DomainError(" ".join(problems))
    counts: dict[int, BudgetCount] = {}
    if to_phase is Phase.FINISHED:
        counts = {h.id: c for h in process.headings if (c := latest_count(session, h)) is not None}
    process.phase = to_phase.value
    process.phase_changed_at = utcnow()
    session.flush()
    audit.record(session, "budget.phase", actor=actor, obj=process, data={"from": current.value, "to": to_phase.value, "reason": reason or ""})
    if to_phase is Phase.BALLOTING:
        for heading in process.headings:
            for project in heading.projects:
                if project.proposal is not None and project.proposal.state == ProposalState.SHORTLISTED.value:
                    _transition_proposal(session, actor, project.proposal, ProposalState.ON_BALLOT, _("On the ballot of %(budget)s.", budget=process.title))
    if to_phase is Phase.FINISHED:
        now = utcnow()
        process.results_published_at = now
        for heading in process.headings:
            count = counts[heading.id]
            count.is_published = True
            count.published_at = now
            selected = set(json.loads(count.result_json)["selected"])
            audit.record(session, "budget.published", actor=actor, obj=count, data={"heading_id": heading.id, "selected": sorted(selected), "inputs_hash": count.inputs_hash})
            for project in heading.projects:
                if project.proposal is not None and project.proposal.state == ProposalState.ON_BALLOT.value:
                    funded = str(project.id) in selected
                    _transition_proposal(
                        session, actor, project.proposal,
                        ProposalState.SELECTED if funded else ProposalState.NOT_SELECTED,
                        _("Result of %(budget)s.", budget=process.title),
                    )
        session.flush()
        notices.announce_results(session, process)


# --------------------------------------------------------------------------------------------- ballots


@dataclass
class BallotCheck:
    """The running totals and problems of a set of choices (project id -> points; 1 for approval types)."""

    choices: dict[int, int]
    total_cost: int = 0
    total_points: int = 0
    problems: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems


def check_choices(heading: BudgetHeading, choices: dict[int, int]) -> BallotCheck:
    """Validate choices against the process's ballot type; never raises (the page shows the problems)."""
    process = heading.process
    kind = process.ballot_type_enum
    projects = {p.id: p for p in heading.projects}
    clean = {pid: pts for pid, pts in choices.items() if pts}
    check = BallotCheck(choices=clean)
    unknown = [pid for pid in clean if pid not in projects]
    if unknown:
        check.problems.append(_("Your ballot names a project that is not on this ballot."))
        return check
    if any(pts < 0 for pts in clean.values()):
        check.problems.append(_("Points cannot be negative."))
    check.total_cost = sum(projects[pid].cost_pence for pid in clean)
    check.total_points = sum(clean.values())
    if kind is not BallotType.CUMULATIVE and any(pts != 1 for pts in clean.values()):
        check.problems.append(_("Tick the projects you choose."))
    if kind is BallotType.K_APPROVAL and process.max_choices is not None and len(clean) > process.max_choices:
        check.problems.append(
            _("You chose %(chosen)d projects. You can choose up to %(max)d.", chosen=len(clean), max=process.max_choices)
        )
    if kind is BallotType.KNAPSACK and check.total_cost > heading.amount_pence:
        check.problems.append(
            _(
                "Your choices cost %(total)s, which is %(over)s more than the %(amount)s available.",
                total=_money(check.total_cost), over=_money(check.total_cost - heading.amount_pence), amount=_money(heading.amount_pence),
            )
        )
    if kind is BallotType.CUMULATIVE and process.max_points is not None and check.total_points > process.max_points:
        check.problems.append(
            _("You gave %(given)d points. You can give up to %(max)d.", given=check.total_points, max=process.max_points)
        )
    return check


RECEIPT_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"


def new_receipt_code() -> str:
    """16 characters from a 32-letter alphabet (80 random bits), shown in groups of four."""
    raw = "".join(secrets.choice(RECEIPT_ALPHABET) for _ in range(16))
    return "-".join(raw[i : i + 4] for i in range(0, 16, 4))


def receipt_hash(code: str) -> str:
    normal = "".join(ch for ch in (code or "").upper() if ch.isalnum())
    return hashlib.sha256(normal.encode("ascii", "ignore")).hexdigest()


def _fill(ballot: BudgetBallot, choices: dict[int, int]) -> None:
    ballot.choices = [BallotChoice(project_id=pid, points=pts) for pid, pts in sorted(choices.items())]


def vote_refusal(session: Session, voter: Any, heading: BudgetHeading) -> str | None:
    """Why ``voter`` may not vote in ``heading`` now (see :func:`app.budgets.policy.vote_refusal`), and also when
    they already voted in this budget for an area they no longer live in: a resident who moves during the
    vote keeps the ballots cast for their old area, may still vote in the headings covering both areas (the
    county's), but not in their new area's heading: one home area in each budget."""
    refusal = policy.vote_refusal(voter, heading)
    if refusal is not None:
        return refusal
    lineage = {p.id for p in voter.home_place.lineage()}
    for other in session.execute(
        select(BudgetHeading)
        .join(BudgetBallot, BudgetBallot.heading_id == BudgetHeading.id)
        .where(BudgetHeading.process_id == heading.process_id, BudgetBallot.voter_id == voter.id)
        .order_by(BudgetHeading.id)
    ).scalars():
        if other.place_id not in lineage and heading.place_id not in {p.id for p in other.place.lineage()}:
            return _(
                "You have already voted in %(other)s in this budget, for an area you no longer live in. Each person votes for one home area in a budget.",
                other=other.name,
            )
    return None


def cast_ballot(session: Session, voter: Any, heading: BudgetHeading, choices: dict[int, int]) -> str:
    """Record ``voter``'s ballot (replacing an earlier one in place) and return a new receipt code.

    One ballot per voter per heading is a database constraint; when two casts race, the loser's insert fails
    inside a SAVEPOINT and it retries as an update of the winner's row.
    """
    _lock_process(session, heading.process, read=True)
    refusal = vote_refusal(session, voter, heading)
    if refusal:
        raise DomainError(refusal)
    check = check_choices(heading, choices)
    if not check.ok:
        raise DomainError(" ".join(check.problems))
    code = new_receipt_code()

    def existing() -> BudgetBallot | None:
        return _locked_ballot(session, heading.id, voter.id)

    ballot = existing()
    if ballot is None:
        try:
            with session.begin_nested():
                ballot = BudgetBallot(heading_id=heading.id, voter_id=voter.id, channel=BallotChannel.ONLINE.value, weight=1, receipt_hash=receipt_hash(code))
                _fill(ballot, check.choices)
                session.add(ballot)
                session.flush()
            return code
        except IntegrityError:
            ballot = existing()
            if ballot is None:  # pragma: no cover - the constraint that failed was not the voter's
                raise
    session.execute(delete(BallotChoice).where(BallotChoice.ballot_id == ballot.id))
    session.expire(ballot, ["choices"])
    for pid, pts in sorted(check.choices.items()):
        session.add(BallotChoice(ballot_id=ballot.id, project_id=pid, points=pts))
    ballot.receipt_hash = receipt_hash(code)
    ballot.cast_at = utcnow()
    ballot.replaced_count += 1
    session.flush()
    return code


def _locked_ballot(session: Session, heading_id: int, voter_id: int) -> BudgetBallot | None:
    """The voter's ballot in the heading, row-locked until the transaction ends (PostgreSQL)."""
    return session.execute(
        select(BudgetBallot).where(BudgetBallot.heading_id == heading_id, BudgetBallot.voter_id == voter_id).with_for_update()
    ).scalar_one_or_none()


def ballot_of(session: Session, voter: Any, heading: BudgetHeading) -> BudgetBallot | None:
    if voter is None or not getattr(voter, "is_authenticated", False):
        return None
    return session.execute(
        select(BudgetBallot).where(BudgetBallot.heading_id == heading.id, BudgetBallot.voter_id == voter.id)
    ).scalar_one_or_none()


@dataclass(frozen=True)
class ReceiptStatus:
    heading: BudgetHeading
    channel: str
    recorded_at: Any
    counted: bool | None  # None while results are not published


def check_receipt(session: Session, code: str) -> ReceiptStatus | None:
    """What a receipt code can confirm: which vote it belongs to, when it was recorded, whether it was counted.
    Never the choices."""
    ballot = session.execute(select(BudgetBallot).where(BudgetBallot.receipt_hash == receipt_hash(code))).scalar_one_or_none()
    if ballot is None:
        return None
    published = session.execute(
        select(BudgetCount).where(BudgetCount.heading_id == ballot.heading_id, BudgetCount.is_published.is_(True)).order_by(BudgetCount.id.desc()).limit(1)
    ).scalar_one_or_none()
    counted = None if published is None else (not ballot.is_spoilt and ballot.cast_at <= published.created_at)
    return ReceiptStatus(heading=ballot.heading, channel=ballot.channel, recorded_at=ballot.cast_at, counted=counted)


# --------------------------------------------------------------------------------------------- paper


def create_batch(session: Session, actor: Any, heading: BudgetHeading, number: int, size: int) -> PaperBatch:
    _lock_process(session, heading.process, read=True)
    if not policy.phase_allows(heading, policy.KEY_PAPER):
        raise DomainError(_("Paper ballots can be entered only while voting is open or ballots are being reviewed."))
    if number is None or number < 1:
        raise DomainError(_("Enter the batch number written on the bundle (1 or more)."), field="number")
    if size is None or not 1 <= size <= 100:
        raise DomainError(_("A batch holds between 1 and 100 paper ballots."), field="size")
    batch = PaperBatch(heading_id=heading.id, number=number, size=size, created_by_id=getattr(actor, "id", None))
    session.add(batch)
    try:
        with session.begin_nested():
            session.flush()
    except IntegrityError:
        raise DomainError(_("Batch %(number)d already exists for this heading.", number=number), field="number") from None
    audit.record(session, "budget.paper_batch_created", actor=actor, obj=batch, data={"heading_id": heading.id, "number": number, "size": size})
    return batch


def discard_batch(session: Session, actor: Any, batch: PaperBatch) -> None:
    """Throw away a batch started in error (a wrong number or size) and its keyings, before it is accepted;
    its number is free again.  Accepted batches are ballots and stay."""
    _lock_process(session, batch.heading.process, read=True)
    if batch.state != BatchState.KEYING.value:
        raise DomainError(_("This batch has been accepted; its ballots stay in the count."))
    if not policy.phase_allows(batch.heading, policy.KEY_PAPER):
        raise DomainError(_("Paper ballots can be entered only while voting is open or ballots are being reviewed."))
    data = {"heading_id": batch.heading_id, "number": batch.number, "size": batch.size, "keyings": len(batch.keyings)}
    batch_id = batch.id
    session.delete(batch)
    session.flush()
    audit.record(session, "budget.paper_batch_discarded", actor=actor, object_type="budget_paper_batches", object_id=batch_id, data=data)


@dataclass(frozen=True)
class PaperRow:
    """One paper ballot as keyed: spoilt, or the choices (project id -> points)."""

    choices: dict[int, int]
    spoilt: bool = False

    def to_json(self) -> dict[str, Any]:
        return {"spoilt": self.spoilt, "choices": {str(k): v for k, v in sorted(self.choices.items()) if v}}

    @classmethod
    def from_json(cls, obj: dict[str, Any]) -> PaperRow:
        return cls(choices={int(k): int(v) for k, v in obj["choices"].items()}, spoilt=bool(obj["spoilt"]))


def key_batch(session: Session, actor: Any, batch: PaperBatch, rows: list[PaperRow]) -> PaperKeying:
    """Record ``actor``'s keying of a whole batch (their own earlier keying is replaced: that is how a
    mismatch is resolved).  A second keying must be by a different officer (a database constraint)."""
    _lock_process(session, batch.heading.process, read=True)
    if batch.state != BatchState.KEYING.value:
        raise DomainError(_("This batch has been accepted; it cannot be keyed again."))
    if not policy.phase_allows(batch.heading, policy.KEY_PAPER):
        raise DomainError(_("Paper ballots can be entered only while voting is open or ballots are being reviewed."))
    if len(rows) != batch.size:
        raise DomainError(_("Key all %(size)d ballots of the batch.", size=batch.size))
    for n, row in enumerate(rows, start=1):
        if row.spoilt:
            continue
        check = check_choices(batch.heading, row.choices)
        if not check.ok:
            raise DomainError(_("Paper ballot %(n)d: %(problems)s If the paper is not valid, mark it spoilt.", n=n, problems=" ".join(check.problems)))
    content = json.dumps([r.to_json() for r in rows], sort_keys=True, separators=(",", ":"))
    mine = next((k for k in batch.keyings if k.officer_id == actor.id), None)
    if mine is not None:
        mine.content_json = content
        mine.keyed_at = utcnow()
        session.flush()
    else:
        if len(batch.keyings) >= 2:
            raise DomainError(_("Two officers have already keyed this batch. Only they can correct their keying."))
        entry = 1 if not batch.keyings else 3 - batch.keyings[0].entry
        mine = PaperKeying(batch=batch, entry=entry, officer_id=actor.id, content_json=content)
        session.add(mine)
        try:
            with session.begin_nested():
                session.flush()
        except IntegrityError:
            raise DomainError(_("Another officer keyed this batch at the same moment. Reload the page and try again.")) from None
    audit.record(session, "budget.paper_batch_keyed", actor=actor, obj=batch,
                 data={"entry": mine.entry, "content_sha256": hashlib.sha256(content.encode("utf-8")).hexdigest()})
    return mine


@dataclass(frozen=True)
class Mismatch:
    position: int
    first: PaperRow
    second: PaperRow


def batch_mismatches(batch: PaperBatch) -> list[Mismatch] | None:
    """Ballots the two keyings disagree on; None until both keyings exist."""
    if len(batch.keyings) < 2:
        return None
    a, b = (json.loads(k.content_json) for k in batch.keyings[:2])
    return [
        Mismatch(n, PaperRow.from_json(x), PaperRow.from_json(y))
        for n, (x, y) in enumerate(zip(a, b, strict=True), start=1)
        if x != y
    ]


def accept_batch(session: Session, actor: Any, batch: PaperBatch) -> int:
    """Turn a batch whose two keyings (by two officers) agree into ballots; returns how many."""
    _lock_process(session, batch.heading.process, read=True)
    if batch.state != BatchState.KEYING.value:
        raise DomainError(_("This batch has already been accepted."))
    mismatches = batch_mismatches(batch)
    if mismatches is None:
        raise DomainError(_("A batch needs keying twice, by two different officers, before it can be accepted."))
    if mismatches:
        raise DomainError(_("The two keyings disagree on %(n)d ballots. Resolve them first.", n=len(mismatches)))
    if not policy.phase_allows(batch.heading, policy.KEY_PAPER):
        raise DomainError(_("Paper ballots can be entered only while voting is open or ballots are being reviewed."))
    rows = [PaperRow.from_json(x) for x in json.loads(batch.keyings[0].content_json)]
    now = utcnow()
    for n, row in enumerate(rows, start=1):
        ballot = BudgetBallot(
            heading_id=batch.heading_id, voter_id=None, channel=BallotChannel.PAPER.value, weight=1,
            paper_batch_id=batch.id, batch_position=n, is_spoilt=row.spoilt, cast_at=now,
        )
        if not row.spoilt:
            _fill(ballot, row.choices)
        session.add(ballot)
    batch.state = BatchState.ACCEPTED.value
    batch.accepted_by_id = actor.id
    batch.accepted_at = now
    try:
        with session.begin_nested():
            session.flush()
    except IntegrityError:
        raise DomainError(_("This batch has already been accepted.")) from None
    content = batch.keyings[0].content_json
    audit.record(session, "budget.paper_batch_accepted", actor=actor, obj=batch, data={
        "ballots": len(rows), "spoilt": sum(r.spoilt for r in rows), "content_sha256": hashlib.sha256(content.encode("utf-8")).hexdigest(),
    })
    return len(rows)


# --------------------------------------------------------------------------------------------- counting

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
    online = paper = spoilt = 0
    for ballot_id, channel, weight, is_spoilt in rows:
        if is_spoilt:
            spoilt += 1
            continue
        if channel == BallotChannel.PAPER.value:
            paper += 1
        else:
            online += 1
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
    )
    return CountInputs(election, online, paper, spoilt)


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
        result_json=json.dumps({**result.to_dict(), "votes": tally.approval_counts(inputs.election)}, sort_keys=True, separators=(",", ":")),
        created_by_id=getattr(actor, "id", None),
    )
    session.add(row)
    session.flush()
    audit.record(
        session, "budget.count", actor=actor, obj=row,
        data={
            "heading_id": heading.id, "rule": row.rule, "completion": row.completion, "seed": row.seed,
            "inputs_hash": digest, "software_version": row.software_version, "selected": list(result.selected),
            "online_ballots": inputs.online, "paper_ballots": inputs.paper,
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
    election = inputs.election
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
    return {
        "online": count.online_ballots,
        "paper": count.paper_ballots,
        "spoilt": count.spoilt_ballots,
        "total": total,
        "population": population,
        "percent": (100 * total / population) if population else None,
        "online_percent": (100 * count.online_ballots / population) if population else None,
        "paper_percent": (100 * count.paper_ballots / population) if population else None,
    }


