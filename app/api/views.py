"""The API's endpoints: thin views that load, present and answer.  Each declares who may use it (``@public``:
everything here is open data) and, with :func:`app.api.spec.operation`, how the OpenAPI document describes it."""

from __future__ import annotations

from flask import Response, render_template, request, url_for
from flask_babel import lazy_gettext as _l
from werkzeug.wrappers import Response as WResponse

from app.api import bp, presenters, queries, schemas
from app.api.http import json_response, paginated
from app.api.spec import LICENCE_URL, docs_context, document, operation
from app.budgets.models import BudgetProcess
from app.core.permissions import public
from app.extensions import db
from app.panels.models import Panel
from app.places.models import Place
from app.proposals.models import Proposal
from app.voting.models import Vote

RESOURCES = ("places", "budgets", "proposals", "votes", "panels")


@bp.route("/")
@public
@operation(schemas.Index, _l("What the API offers"), _l("Links to every list, the OpenAPI description and its web page."), tag="api")
def index() -> WResponse:
    return json_response({
        "name": "Folkmoot open data", "version": "1", "licence": LICENCE_URL,
        "openapi": url_for("api.openapi", _external=True), "docs": url_for("api.docs", _external=True),
        "resources": {name: url_for(f"api.{name}", _external=True) for name in RESOURCES},
    }, schemas.Index())


@bp.route("/openapi.json")
@public
@operation(None, _l("This API's OpenAPI 3.1 description"), _l("Generated from the code on every request."), tag="api")
def openapi() -> WResponse:
    return json_response(document())


@bp.route("/docs")
@public
@operation(None, _l("This API's description as a web page"), _l("Plain HTML made from the OpenAPI description; no JavaScript."),
           tag="api", html=True)
def docs() -> WResponse:
    response = Response(render_template("api/docs.html", **docs_context(document())), mimetype="text/html")
    response.add_etag()
    return response.make_conditional(request)


# --- places --------------------------------------------------------------------------------------------------


@bp.route("/places")
@public
@operation(schemas.page_of(schemas.PlaceSchema), _l("Places"), _l("Every place: county, districts, divisions and wards, parishes."),
           tag="places", paginated=True)
def places() -> WResponse:
    return paginated(queries.places(), "api.places", lambda rows: [presenters.place(r) for r in rows], schemas.page_of(schemas.PlaceSchema)())


@bp.route("/places/<int:place_id>")
@public
@operation(schemas.PlaceSchema, _l("One place"), tag="places")
def place(place_id: int) -> WResponse:
    return json_response(presenters.place(queries.one_or_404(queries.places(), Place, place_id)), schemas.PlaceSchema())


# --- budgets -------------------------------------------------------------------------------------------------


@bp.route("/budgets")
@public
@operation(schemas.page_of(schemas.BudgetSchema), _l("Participatory budgets"),
           _l("Every budget from the stage it becomes public (accepting proposals) on."), tag="budgets", paginated=True)
def budgets() -> WResponse:
    return paginated(queries.budgets(), "api.budgets", lambda rows: [presenters.budget(r) for r in rows], schemas.page_of(schemas.BudgetSchema)())


@bp.route("/budgets/<int:process_id>")
@public
@operation(schemas.BudgetDetailSchema, _l("One participatory budget"),
           _l("With its headings, funding pots, projects and, once finished, each heading's published result."), tag="budgets")
def budget(process_id: int) -> WResponse:
    process = queries.one_or_404(queries.budgets(), BudgetProcess, process_id)
    return json_response(presenters.budget_detail(db.session, process), schemas.BudgetDetailSchema())


@bp.route("/budget-headings/<int:heading_id>")
@public
@operation(schemas.HeadingSchema, _l("One heading of a budget"), _l("Its projects and, once finished, its published result."),
           tag="budgets")
def budget_heading(heading_id: int) -> WResponse:
    return json_response(presenters.heading(db.session, queries.heading_or_404(heading_id)), schemas.HeadingSchema())


# --- proposals -----------------------------------------------------------------------------------------------


@bp.route("/proposals")
@public
@operation(schemas.page_of(schemas.ProposalSchema), _l("Proposals"),
           _l("Every published proposal, except those a moderator has hidden."), tag="proposals", paginated=True)
def proposals() -> WResponse:
    return paginated(queries.proposals(), "api.proposals", lambda rows: presenters.proposals(db.session, rows),
                     schemas.page_of(schemas.ProposalSchema)())


@bp.route("/proposals/<int:proposal_id>")
@public
@operation(schemas.ProposalDetailSchema, _l("One proposal"), _l("With its full text and its history: every change of state and update."),
           tag="proposals")
def proposal(proposal_id: int) -> WResponse:
    p = queries.one_or_404(queries.proposals(), Proposal, proposal_id)
    return json_response(presenters.proposal_detail(db.session, p), schemas.ProposalDetailSchema())


# --- votes ---------------------------------------------------------------------------------------------------


@bp.route("/votes")
@public
@operation(schemas.page_of(schemas.VoteSchema), _l("Ranked votes"), tag="votes", paginated=True)
def votes() -> WResponse:
    return paginated(queries.votes(), "api.votes", lambda rows: [presenters.vote(r) for r in rows], schemas.page_of(schemas.VoteSchema)())


@bp.route("/votes/<int:vote_id>")
@public
@operation(schemas.VoteDetailSchema, _l("One ranked vote"), _l("With its options and, once published, its result."), tag="votes")
def vote(vote_id: int) -> WResponse:
    v = queries.one_or_404(queries.votes(), Vote, vote_id)
    return json_response(presenters.vote_detail(db.session, v), schemas.VoteDetailSchema())


# --- panels --------------------------------------------------------------------------------------------------


@bp.route("/panels")
@public
@operation(schemas.page_of(schemas.PanelSchema), _l("Citizens' panels"), tag="panels", paginated=True)
def panels() -> WResponse:
    return paginated(queries.panels(), "api.panels", lambda rows: [presenters.panel(r) for r in rows], schemas.page_of(schemas.PanelSchema)())


@bp.route("/panels/<int:panel_id>")
@public
@operation(schemas.PanelDetailSchema, _l("One citizens' panel"),
           _l("With its invitation lottery and its public draw record: anonymised ids and probabilities only."), tag="panels")
def panel(panel_id: int) -> WResponse:
    p = queries.one_or_404(queries.panels(), Panel, panel_id)
    return json_response(presenters.panel_detail(db.session, p), schemas.PanelDetailSchema())
