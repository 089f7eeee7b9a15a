"""Who may do what to a participatory budget, and what each phase allows.

Each phase switches capabilities on and off through :data:`PHASE_CAPABILITIES`; the policy functions below
(and the services, which call the same functions) ask it rather than testing phases by hand.  The functions
taking ``user`` accept anonymous users too, because the ballot and results pages are public and must explain
themselves.
"""

from __future__ import annotations

from typing import Any

from flask_babel import gettext as _

from app.auth.models import Role
from app.auth.policy import voter_refusal
from app.budgets.models import BudgetHeading, BudgetProcess, Phase
from app.core.permissions import Permission, policy

# What each phase switches on.
EDIT_SETUP = "edit_setup"  # headings, pots, amounts, rule, ballot type
EDIT_PROJECTS = "edit_projects"
SUBMIT_PROPOSALS = "submit_proposals"
VOTE = "vote"
KEY_PAPER = "key_paper"
COUNT = "count"
PUBLIC = "public"  # the process is visible to everyone
RESULTS_PUBLIC = "results_public"

PHASE_CAPABILITIES: dict[Phase, frozenset[str]] = {
    Phase.DRAFTING: frozenset({EDIT_SETUP, EDIT_PROJECTS}),
    Phase.ACCEPTING_PROPOSALS: frozenset({EDIT_SETUP, EDIT_PROJECTS, SUBMIT_PROPOSALS, PUBLIC}),
    Phase.REVIEWING: frozenset({EDIT_SETUP, EDIT_PROJECTS, PUBLIC}),
    Phase.BALLOTING: frozenset({VOTE, KEY_PAPER, PUBLIC}),
    Phase.REVIEWING_BALLOTS: frozenset({KEY_PAPER, COUNT, PUBLIC}),
    Phase.FINISHED: frozenset({PUBLIC, RESULTS_PUBLIC}),
}


def process_of(obj: Any) -> BudgetProcess:
    """The process a budget object (process, heading, pot, project, batch) belongs to."""
    process = _process(obj)
    if process is None:
        raise TypeError(f"not a budget object: {obj!r}")
    return process


def _process(obj: Any) -> BudgetProcess | None:
    if isinstance(obj, BudgetProcess):
        return obj
    if isinstance(obj, BudgetHeading):
        return obj.process
    heading = getattr(obj, "heading", None)
    return heading.process if heading is not None else None


def phase_allows(obj: Any, capability: str) -> bool:
    process = _process(obj)
    return process is not None and capability in PHASE_CAPABILITIES[process.phase_enum]


def accepts_proposals(process: BudgetProcess) -> bool:
    """For the proposals feature: may residents submit proposals to this process now?"""
    return phase_allows(process, SUBMIT_PROPOSALS)


def is_officer(user: Any) -> bool:
    return bool(
        user is not None
        and getattr(user, "is_authenticated", False)
        and not getattr(user, "is_suspended", False)
        and (user.has_role(Role.OFFICER) or user.has_role(Role.ADMINISTRATOR))
    )


def may_see_process(user: Any, obj: Any) -> bool:
    """Drafts are for officers; from "accepting proposals" on, a process is public."""
    return phase_allows(obj, PUBLIC) or is_officer(user)


def may_see_results(user: Any, heading: BudgetHeading) -> bool:
    """Everyone once finished; officers already while reviewing ballots (to check before publishing)."""
    if phase_allows(heading, RESULTS_PUBLIC):
        return True
    return is_officer(user) and phase_allows(heading, COUNT)


def vote_refusal(user: Any, heading: BudgetHeading) -> str | None:
    """Why ``user`` may not vote in ``heading`` now, in plain words; None when they may."""
    if not phase_allows(heading, VOTE):
        return _("Voting is not open for this budget. It is in the “%(phase)s” stage.", phase=heading.process.phase_enum.label)
    if (refusal := voter_refusal(user)) is not None:
        return refusal
    home = user.home_place
    if home is None:
        return _("Add your home postcode to your account so we can tell which budgets you can vote in.")
    if heading.place_id not in {p.id for p in home.lineage()}:
        return _(
            "This vote is for people who live in %(place)s. Your home area, %(home)s, is not in it.",
            place=heading.place.name,
            home=home.name,
        )
    return None


@policy(Permission.BUDGET_MANAGE)
def may_manage(user: Any, obj: Any) -> bool:
    """Officers and administrators create and run budgets."""
    return is_officer(user)


@policy(Permission.BUDGET_EDIT_SETUP)
def may_edit_setup(user: Any, obj: Any) -> bool:
    return is_officer(user) and (obj is None or phase_allows(obj, EDIT_SETUP))


@policy(Permission.BUDGET_VOTE)
def may_vote(user: Any, heading: Any) -> bool:
    return isinstance(heading, BudgetHeading) and vote_refusal(user, heading) is None


@policy(Permission.BUDGET_KEY_PAPER)
def may_key_paper(user: Any, obj: Any) -> bool:
    return is_officer(user) and (obj is None or phase_allows(obj, KEY_PAPER))


@policy(Permission.BUDGET_COUNT)
def may_count(user: Any, obj: Any) -> bool:
    return is_officer(user) and (obj is None or phase_allows(obj, COUNT))


@policy(Permission.BUDGET_VIEW_RESULTS)
def may_view_results(user: Any, heading: Any) -> bool:
    return isinstance(heading, BudgetHeading) and may_see_results(user, heading)
