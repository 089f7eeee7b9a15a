"""Setting up a budget: processes, headings, funding pots and projects (while nobody has voted)."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import date
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from app.budgets import policy
from app.budgets.models import (
    BallotType,
    BudgetHeading,
    BudgetProcess,
    BudgetProject,
    Completion,
    FundingPot,
    Phase,
    Rule,
)
from app.budgets.services._common import MAX_AMOUNT_PENCE, MAX_SUPPORT_THRESHOLD, _lock_process, _money
from app.core import audit
from app.core.errors import DomainError
from app.places.models import Place
from app.proposals.models import Proposal, ProposalState


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
    low_turnout_permille: int | None = None


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


    if data.low_turnout_permille is not None and not 1 <= data.low_turnout_permille <= 1000:
        raise DomainError(_("Enter a turnout from 0.1 to 100 per cent, or leave it empty."), field="low_turnout")


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
    process.low_turnout_permille = data.low_turnout_permille


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
    after = {**rules, "support_threshold": data.support_threshold, "low_turnout_permille": data.low_turnout_permille}
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


@dataclass(frozen=True)
class Minimum:
    """A heading's minimum support beyond "no votes, never funded": votes (points, on a points ballot) and/or
    a whole percentage of the valid ballots; None for either means none."""

    votes: int | None = None
    percent: int | None = None


def _check_minimum(process: BudgetProcess, minimum: Minimum) -> Minimum:
    if minimum.votes is not None and not 1 <= minimum.votes <= 1_000_000:
        raise DomainError(_("Enter a minimum number of votes between 1 and 1,000,000, or leave it empty."), field="min_votes")
    if minimum.percent is not None:
        if not 1 <= minimum.percent <= 100:
            raise DomainError(_("Enter a minimum share from 1 to 100 per cent, or leave it empty."), field="min_percent")
        if process.ballot_type_enum is BallotType.CUMULATIVE:
            raise DomainError(_("On a points ballot, set the minimum as a number of points, not a share of ballots."), field="min_percent")
    return minimum


def _apply_minimum(heading: BudgetHeading, minimum: Minimum) -> None:
    heading.min_support_votes = minimum.votes
    heading.min_support_percent = minimum.percent


def add_heading(session: Session, actor: Any, process: BudgetProcess, place: Place, name: str, amount_pence: int,
                minimum: Minimum | None = None) -> BudgetHeading:
    _require_setup(session, process)
    minimum = _check_minimum(process, minimum or Minimum())
    if process.place_id not in {p.id for p in place.lineage()}:
        raise DomainError(_("The heading's area must be %(place)s or an area within it.", place=process.place.name), field="place")
    if any(h.place_id == place.id for h in process.headings):
        raise DomainError(_("This budget already has a heading for %(place)s.", place=place.name), field="place")
    heading = BudgetHeading(process=process, place=place, name=name.strip() or place.name, amount_pence=_check_amount(amount_pence, "amount"))
    _apply_minimum(heading, minimum)
    session.add(heading)
    try:
        with session.begin_nested():
            session.flush()
    except IntegrityError:
        raise DomainError(_("This budget already has a heading for %(place)s.", place=place.name), field="place") from None
    audit.record(session, "budget.heading_added", actor=actor, obj=heading, data={"place": place.code, "amount_pence": heading.amount_pence,
                 "min_support_votes": minimum.votes, "min_support_percent": minimum.percent})
    return heading


def update_heading(session: Session, actor: Any, heading: BudgetHeading, name: str, amount_pence: int,
                   minimum: Minimum | None = None) -> None:
    """Save a heading's name, amount and minimum support (``minimum`` None keeps the minimum as it is)."""
    _require_setup(session, heading)
    if minimum is not None:
        _apply_minimum(heading, _check_minimum(heading.process, minimum))
    heading.name = name.strip() or heading.place.name
    heading.amount_pence = _check_amount(amount_pence, "amount")
    session.flush()
    audit.record(session, "budget.heading_updated", actor=actor, obj=heading, data={
        "amount_pence": heading.amount_pence, "min_support_votes": heading.min_support_votes, "min_support_percent": heading.min_support_percent,
    })


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


def cost_warnings(heading: BudgetHeading, projects: list[BudgetProject] | None = None) -> list[str]:
    """Projects that cost more than the heading's whole budget (they can never be funded), in plain words."""
    return [
        _("“%(title)s” costs %(cost)s, more than the %(amount)s of %(heading)s. It cannot be funded unless the cost or the amount changes.",
          title=p.title, cost=_money(p.cost_pence), amount=_money(heading.amount_pence), heading=heading.name)
        for p in (heading.projects if projects is None else projects)
        if p.cost_pence > heading.amount_pence
    ]


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
