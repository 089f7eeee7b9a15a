"""The API's data shapes as marshmallow schemas.  They serialise every response (``Schema().dump``) and, through
apispec, describe it in the OpenAPI document, so the description and the data cannot drift apart.

Identifiers of people never appear: proposal authors are a kind (member, offline contributor, former member),
named only when they are public delegates; panels publish only the anonymised ids their public draw page shows.
Money is integer pence; times are UTC (ISO 8601 with ``Z``).
"""

from __future__ import annotations

from datetime import UTC, datetime
from functools import cache
from typing import Any

from flask_babel import lazy_gettext as _l
from marshmallow import Schema, fields, validate

from app.budgets.models import BallotType, Completion, Phase, Rule
from app.panels.models import Method
from app.places.models import PlaceKind
from app.proposals.models import Channel, ProposalState
from app.voting.models import VoteRule, VoteState

MAX_PER_PAGE = 100
DEFAULT_PER_PAGE = 20


def _d(text: Any) -> dict[str, Any]:
    """Field metadata: a description (translated when the description is built)."""
    return {"description": text}


def _enum(values: Any) -> validate.OneOf:
    return validate.OneOf([v.value for v in values])


class UtcDateTime(fields.DateTime):
    """Stored times are naive UTC; published with their offset so any client reads them right."""

    def _serialize(self, value: Any, attr: Any, obj: Any, **kwargs: Any) -> Any:
        if isinstance(value, datetime) and value.tzinfo is None:
            value = value.replace(tzinfo=UTC)
        text = super()._serialize(value, attr, obj, **kwargs)
        return text.replace("+00:00", "Z") if isinstance(text, str) else text


class Shape(Schema):
    """Every response shape: fields in the order declared."""

    class Meta:
        ordered = True


# --------------------------------------------------------------------------------------------- envelope


class Links(Shape):
    self = fields.Url(required=True, metadata=_d(_l("This resource in the API.")))
    html = fields.Url(allow_none=True, metadata=_d(_l("The public page showing the same thing, if there is one.")))


class PageLinks(Shape):
    self = fields.Url(required=True, metadata=_d(_l("This page.")))
    first = fields.Url(required=True, metadata=_d(_l("The first page.")))
    last = fields.Url(required=True, metadata=_d(_l("The last page.")))
    next = fields.Url(required=True, allow_none=True, metadata=_d(_l("The next page; null on the last page.")))
    prev = fields.Url(required=True, allow_none=True, metadata=_d(_l("The previous page; null on the first page.")))


class PageArgs(Schema):
    """Query parameters of every list."""

    page = fields.Integer(load_default=1, validate=validate.Range(min=1, max=1_000_000),
                          metadata=_d(_l("The page to return, from 1.")))
    per_page = fields.Integer(load_default=DEFAULT_PER_PAGE, validate=validate.Range(min=1, max=MAX_PER_PAGE),
                              metadata=_d(_l("Items per page, from 1 to 100 (default 20).")))


@cache
def page_of(item: type[Schema]) -> type[Schema]:
    """The envelope of a paginated list of ``item``."""
    name = item.__name__.removesuffix("Schema") + "Page"
    return type(name, (Shape,), {
        "items": fields.List(fields.Nested(item), required=True, metadata=_d(_l("The items on this page."))),
        "page": fields.Integer(required=True, metadata=_d(_l("This page's number, from 1."))),
        "per_page": fields.Integer(required=True, metadata=_d(_l("Items per page."))),
        "total": fields.Integer(required=True, metadata=_d(_l("Items on all pages together."))),
        "pages": fields.Integer(required=True, metadata=_d(_l("The number of pages (at least 1)."))),
        "links": fields.Nested(PageLinks, required=True),
    })


class Problem(Shape):
    type = fields.String(required=True, metadata=_d(_l("Always about:blank: the status says what went wrong.")))
    title = fields.String(required=True, metadata=_d(_l("A short summary, in the language asked for.")))
    status = fields.Integer(required=True, metadata=_d(_l("The HTTP status code.")))
    detail = fields.String(required=True, metadata=_d(_l("What went wrong and what to do, in plain words.")))
    instance = fields.String(required=True, metadata=_d(_l("The path that was asked for.")))
    invalid_params = fields.List(fields.Dict(keys=fields.String(), values=fields.String()),
                                 metadata=_d(_l("For a 400: each query parameter that was not valid (name) and why (reason).")))


class Index(Shape):
    name = fields.String(required=True)
    version = fields.String(required=True)
    licence = fields.Url(required=True, metadata=_d(_l("The licence of the data: the Open Government Licence v3.0.")))
    openapi = fields.Url(required=True, metadata=_d(_l("This API's OpenAPI 3.1 description.")))
    docs = fields.Url(required=True, metadata=_d(_l("This API's description as a web page.")))
    resources = fields.Dict(keys=fields.String(), values=fields.Url(), required=True,
                            metadata=_d(_l("The first page of each list, by name.")))


# --------------------------------------------------------------------------------------------- places


class PlaceRef(Shape):
    id = fields.Integer(required=True)
    code = fields.String(required=True, metadata=_d(_l("The council's code of the place.")))
    name = fields.String(required=True)
    kind = fields.String(required=True, validate=_enum(PlaceKind))


class PlaceSchema(PlaceRef):
    ons_code = fields.String(required=True, allow_none=True, metadata=_d(_l("The ONS (GSS) code, such as E05013050.")))
    parent = fields.Nested(PlaceRef, required=True, allow_none=True, metadata=_d(_l("The place it lies in; null for a county.")))
    population = fields.Integer(required=True, allow_none=True)
    is_demo_population = fields.Boolean(required=True, metadata=_d(_l("True when the population is a demonstration figure.")))
    links = fields.Nested(Links, required=True)


# --------------------------------------------------------------------------------------------- budgets


class FundingPotSchema(Shape):
    source = fields.String(required=True)
    amount_pence = fields.Integer(required=True)


class ProjectSchema(Shape):
    id = fields.Integer(required=True)
    title = fields.String(required=True)
    description = fields.String(required=True)
    language = fields.String(required=True, allow_none=True, metadata=_d(_l("The language it was written in, when known.")))
    cost_pence = fields.Integer(required=True)
    proposal_id = fields.Integer(required=True, allow_none=True, metadata=_d(_l("The proposal it came from, if any.")))


class ProjectOutcomeSchema(Shape):
    project_id = fields.Integer(required=True)
    votes = fields.Integer(required=True, metadata=_d(_l("Weighted ballots that chose it.")))
    score = fields.Integer(required=True, metadata=_d(_l("Its score under the ballot type (points on a points ballot).")))
    funded = fields.Boolean(required=True)
    reason = fields.String(required=True, allow_none=True,
                           metadata=_d(_l("Why it was not funded, as a code (for example did-not-fit); null when funded.")))


class BallotFiguresSchema(Shape):
    online = fields.Integer(required=True)
    paper = fields.Integer(required=True)
    spoilt = fields.Integer(required=True)
    delegated = fields.Integer(required=True, metadata=_d(_l("Votes carried by delegates' ballots on top of their own.")))
    population = fields.Integer(required=True, allow_none=True)


class HeadingResultSchema(Shape):
    rule = fields.String(required=True, validate=_enum(Rule))
    completion = fields.String(required=True, validate=_enum(Completion))
    seed = fields.Integer(required=True, metadata=_d(_l("The seed of any draw by lot.")))
    inputs_sha256 = fields.String(required=True)
    software_version = fields.String(required=True)
    counted_at = UtcDateTime(required=True)
    published_at = UtcDateTime(required=True, allow_none=True)
    budget_pence = fields.Integer(required=True)
    money_left_pence = fields.Integer(required=True)
    minimum_support = fields.Integer(required=True, allow_none=True, metadata=_d(_l("The score a project needed to be funded.")))
    ballots = fields.Nested(BallotFiguresSchema, required=True)
    projects = fields.List(fields.Nested(ProjectOutcomeSchema), required=True,
                           metadata=_d(_l("Funded projects in funding order, then the rest by score.")))
    pabulib_file = fields.Url(required=True, metadata=_d(_l("The anonymised ballots and result as a pabulib file, for recounting.")))


class HeadingSchema(Shape):
    id = fields.Integer(required=True)
    name = fields.String(required=True)
    place = fields.Nested(PlaceRef, required=True)
    amount_pence = fields.Integer(required=True)
    min_support_votes = fields.Integer(required=True, allow_none=True)
    min_support_percent = fields.Integer(required=True, allow_none=True)
    funding_pots = fields.List(fields.Nested(FundingPotSchema), required=True)
    projects = fields.List(fields.Nested(ProjectSchema), required=True)
    result = fields.Nested(HeadingResultSchema, required=True, allow_none=True,
                           metadata=_d(_l("The published result; null until the budget is finished.")))
    links = fields.Nested(Links, required=True)


class BudgetSchema(Shape):
    id = fields.Integer(required=True)
    title = fields.String(required=True)
    description = fields.String(required=True)
    language = fields.String(required=True, allow_none=True)
    place = fields.Nested(PlaceRef, required=True)
    phase = fields.String(required=True, validate=_enum(Phase))
    ballot_type = fields.String(required=True, validate=_enum(BallotType))
    max_choices = fields.Integer(required=True, allow_none=True, metadata=_d(_l("On a limited approval ballot, how many projects a voter may choose.")))
    max_points = fields.Integer(required=True, allow_none=True, metadata=_d(_l("On a points ballot, how many points a voter shares out.")))
    rule = fields.String(required=True, validate=_enum(Rule))
    completion = fields.String(required=True, validate=_enum(Completion))
    proposals_open_on = fields.Date(required=True, allow_none=True)
    review_starts_on = fields.Date(required=True, allow_none=True)
    voting_opens_on = fields.Date(required=True, allow_none=True)
    voting_closes_on = fields.Date(required=True, allow_none=True)
    results_on = fields.Date(required=True, allow_none=True)
    results_published_at = UtcDateTime(required=True, allow_none=True)
    links = fields.Nested(Links, required=True)


class EqualityAnswerSchema(Shape):
    key = fields.String(required=True, metadata=_d(_l("The answer's code; not_answered for people who left the question blank.")))
    label = fields.String(required=True)
    people = fields.Integer(required=True, allow_none=True,
                            metadata=_d(_l("People who gave this answer; null for fewer than 10, or hidden so that such a group cannot be worked out from the total.")))
    share = fields.Float(required=True, allow_none=True, metadata=_d(_l("Their share of the people who answered, from 0 to 1; null when hidden.")))


class EqualityQuestionSchema(Shape):
    key = fields.String(required=True)
    title = fields.String(required=True)
    question = fields.String(required=True)
    answers = fields.List(fields.Nested(EqualityAnswerSchema), required=True)


class EqualitySchema(Shape):
    participants = fields.Integer(required=True, metadata=_d(_l("People who took part, each once.")))
    answered = fields.Integer(required=True, allow_none=True,
                              metadata=_d(_l("People who answered the optional equality-monitoring questions; null for fewer than 10, when nothing else is given.")))
    share_answered = fields.Float(required=True, allow_none=True)
    questions = fields.List(fields.Nested(EqualityQuestionSchema), required=True)


class BudgetDetailSchema(BudgetSchema):
    headings = fields.List(fields.Nested(HeadingSchema), required=True)
    equality = fields.Nested(EqualitySchema, required=True, allow_none=True,
                             metadata=_d(_l("Who took part by group, from the optional equality-monitoring questions: aggregates of at least 10 only; null when the process did not ask them or its results are not published.")))


# --------------------------------------------------------------------------------------------- proposals


class TopicSchema(Shape):
    slug = fields.String(required=True)
    name = fields.String(required=True)


class AuthorSchema(Shape):
    kind = fields.String(required=True, validate=validate.OneOf(["member", "public_delegate", "offline", "former_member"]),
                         metadata=_d(_l("member: a resident with an account; public_delegate: one who offers to be a delegate publicly; "
                                        "offline: sent on paper, by phone or in person; former_member: a deleted account.")))
    name = fields.String(required=True, allow_none=True,
                         metadata=_d(_l("The public name of a public delegate; null for everyone else (residents are not named in open data).")))


class ProposalEventSchema(Shape):
    kind = fields.String(required=True, validate=validate.OneOf(["transition", "update"]),
                         metadata=_d(_l("transition: a change of state; update: a “you said, we did” update.")))
    from_state = fields.String(required=True, allow_none=True, validate=_enum(ProposalState))
    to_state = fields.String(required=True, allow_none=True, validate=_enum(ProposalState))
    text = fields.String(required=True, allow_none=True)
    happened_on = UtcDateTime(required=True)


class ProposalSchema(Shape):
    id = fields.Integer(required=True)
    title = fields.String(required=True)
    summary = fields.String(required=True)
    language = fields.String(required=True, allow_none=True)
    place = fields.Nested(PlaceRef, required=True)
    topics = fields.List(fields.Nested(TopicSchema), required=True)
    state = fields.String(required=True, validate=_enum(ProposalState))
    channel = fields.String(required=True, validate=_enum(Channel))
    author = fields.Nested(AuthorSchema, required=True)
    support_count = fields.Integer(required=True)
    cost_estimate_pence = fields.Integer(required=True, allow_none=True, metadata=_d(_l("The proposer's estimate.")))
    costing_pence = fields.Integer(required=True, allow_none=True, metadata=_d(_l("The council's costing.")))
    published_at = UtcDateTime(required=True, allow_none=True)
    links = fields.Nested(Links, required=True)


class ProposalDetailSchema(ProposalSchema):
    need = fields.String(required=True)
    solution = fields.String(required=True)
    offer_of_help = fields.String(required=True, allow_none=True)
    feasibility = fields.String(required=True, allow_none=True, metadata=_d(_l("The council's review.")))
    responsible_service = fields.String(required=True, allow_none=True)
    decline_reason = fields.String(required=True, allow_none=True)
    history = fields.List(fields.Nested(ProposalEventSchema), required=True,
                          metadata=_d(_l("Every change of state and every update, oldest first.")))


# --------------------------------------------------------------------------------------------- votes


class VoteOptionSchema(Shape):
    id = fields.Integer(required=True)
    position = fields.Integer(required=True)
    title = fields.String(required=True)
    description = fields.String(required=True)
    proposal_id = fields.Integer(required=True, allow_none=True)


class DelegateWeightSchema(Shape):
    weight = fields.Integer(required=True, metadata=_d(_l("Votes the ballot carried.")))
    counted = fields.Integer(required=True, metadata=_d(_l("Votes counted after any cap.")))
    name = fields.String(required=True, allow_none=True, metadata=_d(_l("The delegate's name when they chose to be named in results.")))


class TurnoutSchema(Shape):
    electorate = fields.Integer(required=True)
    direct = fields.Integer(required=True, metadata=_d(_l("Members who voted themselves.")))
    delegated = fields.Integer(required=True, metadata=_d(_l("Members represented by a delegate.")))
    blank = fields.Integer(required=True)
    counted_weight = fields.Integer(required=True)
    abstained = fields.Integer(required=True)
    uncast = fields.Dict(keys=fields.String(), values=fields.Integer(), required=True,
                         metadata=_d(_l("Votes not cast, by reason code.")))
    weight_cap = fields.Integer(required=True, allow_none=True)
    cap_removed = fields.Integer(required=True)
    top_weights = fields.List(fields.Nested(DelegateWeightSchema), required=True)


class VoteResultSchema(Shape):
    inputs_sha256 = fields.String(required=True)
    seed = fields.Integer(required=True)
    software_version = fields.String(required=True)
    counted_at = UtcDateTime(required=True)
    delegations_frozen = fields.Integer(required=True, metadata=_d(_l("Delegations in force when the vote closed.")))
    turnout = fields.Nested(TurnoutSchema, required=True)
    record = fields.Dict(required=True, metadata=_d(_l("The count, round by round: the same JSON as python -m app.tally RULE FILE --json prints.")))
    blt_file = fields.Url(required=True, metadata=_d(_l("The anonymised, weighted ballots as a BLT file, for recounting.")))


class VoteSchema(Shape):
    id = fields.Integer(required=True)
    title = fields.String(required=True)
    description = fields.String(required=True)
    language = fields.String(required=True, allow_none=True)
    rule = fields.String(required=True, validate=_enum(VoteRule))
    seats = fields.Integer(required=True)
    place = fields.Nested(PlaceRef, required=True)
    topic = fields.Nested(TopicSchema, required=True, allow_none=True)
    state = fields.String(required=True, validate=_enum(VoteState))
    opens_at = UtcDateTime(required=True)
    closes_at = UtcDateTime(required=True)
    published_at = UtcDateTime(required=True, allow_none=True)
    links = fields.Nested(Links, required=True)


class VoteDetailSchema(VoteSchema):
    options = fields.List(fields.Nested(VoteOptionSchema), required=True)
    result = fields.Nested(VoteResultSchema, required=True, allow_none=True,
                           metadata=_d(_l("The published result; null until it is published.")))
    equality = fields.Nested(EqualitySchema, required=True, allow_none=True,
                             metadata=_d(_l("Who took part by group, from the optional equality-monitoring questions: aggregates of at least 10 only; null when the vote did not ask them or its result is not published.")))


# --------------------------------------------------------------------------------------------- panels


class InvitationLotterySchema(Shape):
    households = fields.Integer(required=True)
    is_stratified = fields.Boolean(required=True)
    weights = fields.Dict(keys=fields.String(), values=fields.Float(), required=True,
                          metadata=_d(_l("Weight by deprivation decile; empty when every household weighs the same.")))
    seed_plan = fields.String(required=True)
    addresses_sha256 = fields.String(required=True)
    inputs_sha256 = fields.String(required=True)
    committed_at = UtcDateTime(required=True)
    seed = fields.String(required=True, allow_none=True)
    method = fields.String(required=True, allow_none=True)
    households_by_area = fields.Dict(keys=fields.String(), values=fields.Integer(), required=True)


class CategorySchema(Shape):
    category = fields.String(required=True)
    value = fields.String(required=True)
    pool = fields.Integer(required=True, metadata=_d(_l("People in the pool with this answer.")))
    lowest_probability = fields.Float(required=True)
    average_probability = fields.Float(required=True)


class ReplacementSchema(Shape):
    withdrawn_id = fields.String(required=True)
    replacement_id = fields.String(required=True)
    seed = fields.String(required=True)
    method = fields.String(required=True)
    created_at = UtcDateTime(required=True)


class DrawResultSchema(Shape):
    min_probability = fields.Float(required=True)
    panels = fields.Integer(required=True, metadata=_d(_l("Panels in the distribution the draw chose from.")))
    selected = fields.List(fields.String(), required=True, metadata=_d(_l("The anonymised ids drawn.")))
    probabilities = fields.Dict(keys=fields.String(), values=fields.Float(), required=True,
                                metadata=_d(_l("Every anonymised id's selection probability.")))
    by_category = fields.List(fields.Nested(CategorySchema), required=True)
    replacements = fields.List(fields.Nested(ReplacementSchema), required=True)


class DrawFilesSchema(Shape):
    pool_csv = fields.Url(required=True)
    quotas_csv = fields.Url(required=True)
    commitment_json = fields.Url(required=True)


class DrawSchema(Shape):
    method = fields.String(required=True, validate=_enum(Method))
    size = fields.Integer(required=True)
    software_version = fields.String(required=True)
    seed_plan = fields.String(required=True)
    committed_at = UtcDateTime(required=True)
    commitment_sha256 = fields.String(required=True)
    inputs_sha256 = fields.String(required=True)
    seed = fields.String(required=True, allow_none=True)
    seed_recorded_at = UtcDateTime(required=True, allow_none=True)
    rerun_command = fields.String(required=True, metadata=_d(_l("The command that re-runs the draw from the two files.")))
    files = fields.Nested(DrawFilesSchema, required=True)
    result = fields.Nested(DrawResultSchema, required=True, allow_none=True)


class PanelSchema(Shape):
    id = fields.Integer(required=True)
    title = fields.String(required=True)
    description = fields.String(required=True)
    place = fields.Nested(PlaceRef, required=True, allow_none=True, metadata=_d(_l("Null for the whole council area.")))
    size = fields.Integer(required=True, allow_none=True)
    method = fields.String(required=True, validate=_enum(Method))
    is_registration_open = fields.Boolean(required=True)
    retention_until = fields.Date(required=True, metadata=_d(_l("When the respondents' personal data is deleted.")))
    personal_data_deleted = fields.Boolean(required=True)
    links = fields.Nested(Links, required=True)


class PanelDetailSchema(PanelSchema):
    answers_received = fields.Integer(required=True)
    invitation_lottery = fields.Nested(InvitationLotterySchema, required=True, allow_none=True)
    draw = fields.Nested(DrawSchema, required=True, allow_none=True, metadata=_d(_l("The public draw record; null before it is committed.")))
