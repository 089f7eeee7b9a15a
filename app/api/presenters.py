"""Rows → the plain dictionaries the schemas dump.  Each function publishes only what the matching public page
shows; the schemas in :mod:`app.api.schemas` describe the result field by field."""

from __future__ import annotations

import json
from fractions import Fraction
from typing import Any

from flask import url_for
from sqlalchemy.orm import Session

from app.api import queries
from app.budgets import policy as budget_policy
from app.budgets import services as budget_services
from app.budgets.models import BudgetHeading, BudgetProcess
from app.panels.models import Panel, SelectionDraw
from app.panels.services import registration, selection
from app.places.models import Place
from app.proposals.models import Proposal
from app.voting import counting
from app.voting.models import Vote, VoteState


def _url(endpoint: str, **values: Any) -> str:
    return url_for(endpoint, _external=True, **values)


def _links(api: str, html: str | None, **values: Any) -> dict[str, Any]:
    return {"self": _url(api, **values), "html": _url(html, **values) if html else None}


def _pence(value: Any) -> int:
    """Tally money (an int, a float, or "p/q" for an exact fraction) → whole pence, rounded down."""
    return int(Fraction(str(value))) if value is not None else 0


# --------------------------------------------------------------------------------------------- places


def _ref(place: Place) -> dict[str, Any]:
    return {"id": place.id, "code": place.code, "name": place.name, "kind": place.kind}


def place_ref(place: Place | None) -> dict[str, Any] | None:
    return _ref(place) if place is not None else None


def place(p: Place) -> dict[str, Any]:
    return {**_ref(p), "ons_code": p.ons_code, "parent": place_ref(p.parent), "population": p.population,
            "is_demo_population": p.is_demo_population,
            "links": {"self": _url("api.place", place_id=p.id), "html": _url("places.show", code=p.code)}}


# --------------------------------------------------------------------------------------------- budgets


def budget(process: BudgetProcess) -> dict[str, Any]:
    return {
        "id": process.id, "title": process.title, "description": process.description, "language": process.language,
        "place": place_ref(process.place), "phase": process.phase, "ballot_type": process.ballot_type,
        "max_choices": process.max_choices, "max_points": process.max_points, "rule": process.rule,
        "completion": process.completion, "proposals_open_on": process.proposals_open_on,
        "review_starts_on": process.review_starts_on, "voting_opens_on": process.voting_opens_on,
        "voting_closes_on": process.voting_closes_on, "results_on": process.results_on,
        "results_published_at": process.results_published_at if process.phase == "finished" else None,
        "links": _links("api.budget", "budgets.show", process_id=process.id),
    }


def heading_result(session: Session, heading: BudgetHeading) -> dict[str, Any] | None:
    """The published count of a finished budget's heading, as its results page shows it."""
    if not budget_policy.phase_allows(heading, budget_policy.RESULTS_PUBLIC):
        return None
    count = budget_services.published_count(session, heading)
    if count is None:
        return None
    result = json.loads(count.result_json)
    outcomes = budget_services.outcomes(heading, count)
    turnout = budget_services.turnout(session, heading, count)
    minimum = budget_services.minimum_of(heading, count)
    return {
        "rule": count.rule, "completion": count.completion, "seed": count.seed, "inputs_sha256": count.inputs_hash,
        "software_version": count.software_version, "counted_at": count.created_at, "published_at": count.published_at,
        "budget_pence": _pence(result.get("budget", heading.amount_pence)), "money_left_pence": _pence(result.get("money_left")),
        "minimum_support": minimum["needed"] if minimum else None,
        "ballots": {"online": count.online_ballots, "paper": count.paper_ballots, "spoilt": count.spoilt_ballots,
                    "delegated": turnout["delegated"], "population": turnout["population"]},
        "projects": [{"project_id": o.project.id, "votes": o.votes, "score": o.score, "funded": o.funded,
                      "reason": (o.reason or {}).get("code") if not o.funded else None} for o in outcomes],
        "pabulib_file": _url("budgets.results_file", heading_id=heading.id),
    }


def heading(session: Session, h: BudgetHeading) -> dict[str, Any]:
    return {
        "id": h.id, "name": h.name, "place": place_ref(h.place), "amount_pence": h.amount_pence,
        "min_support_votes": h.min_support_votes, "min_support_percent": h.min_support_percent,
        "funding_pots": [{"source": p.source, "amount_pence": p.amount_pence} for p in h.pots],
        "projects": [{"id": p.id, "title": p.title, "description": p.description, "language": p.language,
                      "cost_pence": p.cost_pence, "proposal_id": p.proposal_id} for p in h.projects],
        "result": heading_result(session, h),
        "links": {"self": _url("api.budget_heading", heading_id=h.id), "html": _url("budgets.heading", heading_id=h.id)},
    }


def budget_detail(session: Session, process: BudgetProcess) -> dict[str, Any]:
    return {**budget(process), "headings": [heading(session, h) for h in process.headings],
            "equality": equality(session, "budget", process) if process.phase == "finished" else None}


def equality(session: Session, kind: str, obj: Any) -> dict[str, Any] | None:
    """The equality-monitoring aggregates, suppressed as on the results page (:mod:`app.equality.report`)."""
    from app.equality.report import equality_report

    report = equality_report(session, kind, obj)
    if report is None:
        return None
    return {"participants": report.participants, "answered": report.responders if report.published else None,
            "share_answered": report.share_answered,
            "questions": [{"key": t.key, "title": t.title, "question": t.text,
                           "answers": [{"key": c.key, "label": c.label, "people": c.people, "share": c.share} for c in t.cells]}
                          for t in report.tables]}


# --------------------------------------------------------------------------------------------- proposals


def author(proposal: Proposal, delegates: dict[int, str]) -> dict[str, Any]:
    """Residents are not named in open data; public delegates are, by the name their delegate profile shows."""
    user = proposal.author
    if user is not None and not user.is_deleted:
        if user.id in delegates:
            return {"kind": "public_delegate", "name": delegates[user.id]}
        return {"kind": "member", "name": None}
    if user is None and proposal.offline_contributor_id is not None:
        return {"kind": "offline", "name": None}
    return {"kind": "former_member", "name": None}


def proposal(p: Proposal, delegates: dict[int, str]) -> dict[str, Any]:
    return {
        "id": p.id, "title": p.title, "summary": p.summary, "language": p.language, "place": place_ref(p.place),
        "topics": [{"slug": t.slug, "name": t.name} for t in p.topics], "state": p.state, "channel": p.channel,
        "author": author(p, delegates), "support_count": p.support_count, "cost_estimate_pence": p.cost_estimate_pence,
        "costing_pence": p.costing_pence, "published_at": p.published_at,
        "links": _links("api.proposal", "proposals.show", proposal_id=p.id),
    }


def proposals(session: Session, rows: list[Proposal]) -> list[dict[str, Any]]:
    delegates = queries.public_delegates(session, {p.author_id for p in rows if p.author_id})
    return [proposal(p, delegates) for p in rows]


def proposal_detail(session: Session, p: Proposal) -> dict[str, Any]:
    delegates = queries.public_delegates(session, {p.author_id} if p.author_id else set())
    return {
        **proposal(p, delegates), "need": p.need, "solution": p.solution, "offer_of_help": p.offer_of_help,
        "feasibility": p.feasibility, "responsible_service": p.responsible_service,
        "decline_reason": p.decline_reason if p.state == "declined" else None,
        "history": [{"kind": e.kind, "from_state": e.from_state, "to_state": e.to_state, "text": e.text,
                     "happened_on": e.happened_on} for e in queries.history(session, p)],
    }


# --------------------------------------------------------------------------------------------- votes


def vote(v: Vote) -> dict[str, Any]:
    return {
        "id": v.id, "title": v.title, "description": v.description, "language": v.language, "rule": v.rule,
        "seats": v.seats, "place": place_ref(v.place),
        "topic": {"slug": v.topic.slug, "name": v.topic.name} if v.topic is not None else None,
        "state": v.state, "opens_at": v.opens_at, "closes_at": v.closes_at, "published_at": v.published_at,
        "links": _links("api.vote", "voting.show", vote_id=v.id),
    }


TURNOUT_KEYS = ("electorate", "direct", "delegated", "blank", "counted_weight", "abstained", "uncast", "weight_cap", "cap_removed")


def vote_result(session: Session, v: Vote) -> dict[str, Any] | None:
    """The published result, as the results page shows it (delegates named only if they chose to be)."""
    if v.state != VoteState.PUBLISHED.value:
        return None
    count = counting.count_of(session, v)
    if count is None:
        return None
    figures = json.loads(count.figures_json)
    turnout = {k: figures.get(k) for k in TURNOUT_KEYS}
    turnout["top_weights"] = [{"weight": t["weight"], "counted": t["counted"], "name": t.get("name")} for t in figures.get("top_weights", [])]
    return {
        "inputs_sha256": count.inputs_hash, "seed": count.seed, "software_version": count.software_version,
        "counted_at": count.created_at, "delegations_frozen": count.snapshot_size, "turnout": turnout,
        "record": json.loads(count.result_json), "blt_file": _url("voting.results_file", vote_id=v.id),
    }


def vote_detail(session: Session, v: Vote) -> dict[str, Any]:
    return {
        **vote(v),
        "options": [{"id": o.id, "position": o.position, "title": o.title, "description": o.description,
                     "proposal_id": o.proposal_id} for o in v.options],
        "result": vote_result(session, v),
        "equality": equality(session, "vote", v) if v.state == VoteState.PUBLISHED.value else None,
    }


# --------------------------------------------------------------------------------------------- panels


def panel(p: Panel) -> dict[str, Any]:
    return {
        "id": p.id, "title": p.title, "description": p.description, "place": place_ref(p.place), "size": p.size,
        "method": p.method, "is_registration_open": p.is_registration_open, "retention_until": p.retention_until,
        "personal_data_deleted": p.purged_at is not None, "links": _links("api.panel", "panels.show", panel_id=p.id),
    }


def draw(p: Panel, sel: SelectionDraw) -> dict[str, Any]:
    """The public draw page's record: anonymised ids and probabilities only, and links to its public files."""
    result = sel.result
    return {
        "method": sel.method, "size": sel.size, "software_version": sel.software_version, "seed_plan": sel.seed_plan,
        "committed_at": sel.committed_at, "commitment_sha256": sel.commitment_sha256, "inputs_sha256": sel.inputs_sha256,
        "seed": sel.seed, "seed_recorded_at": sel.seed_recorded_at, "rerun_command": selection.rerun_command(sel),
        "files": {"pool_csv": _url("panels.pool_file", panel_id=p.id), "quotas_csv": _url("panels.quotas_file", panel_id=p.id),
                  "commitment_json": _url("panels.commitment_file", panel_id=p.id)},
        "result": {
            "min_probability": float(result.get("min_probability", 0.0)), "panels": int(result.get("panels", 0)),
            "selected": [str(i) for i in result.get("panel", [])],
            "probabilities": {str(k): float(v) for k, v in result.get("probabilities", {}).items()},
            "by_category": [{"category": c, "value": v, "pool": n, "lowest_probability": low, "average_probability": avg}
                            for c, v, n, low, avg in selection.probabilities_by_category(sel)],
            "replacements": [{"withdrawn_id": r.withdrawn_public_id, "replacement_id": r.replacement_public_id, "seed": r.seed,
                              "method": r.method_text, "created_at": r.created_at} for r in sel.replacements],
        } if result else None,
    }


def panel_detail(session: Session, p: Panel) -> dict[str, Any]:
    inv = p.invitation_draw
    answers = registration.respondent_count(session, p)
    return {
        **panel(p),
        "answers_received": int(p.aggregates.get("respondents", answers)) if p.purged_at else answers,
        "invitation_lottery": {
            "households": inv.households, "is_stratified": inv.is_stratified, "weights": inv.weights, "seed_plan": inv.seed_plan,
            "addresses_sha256": inv.addresses_sha256, "inputs_sha256": inv.inputs_sha256, "committed_at": inv.committed_at,
            "seed": inv.seed, "method": inv.method_text, "households_by_area": inv.strata,
        } if inv is not None else None,
        "draw": draw(p, p.selection) if p.selection is not None else None,
    }
