"""Proposal pages: browse, submit, edit drafts, the proposal page, lifecycle moves, officer review,
"you said, we did" updates, supports, the review queue, topics and assisted entry."""

from __future__ import annotations

from flask import abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_login import current_user
from werkzeug.wrappers import Response

from app.auth import services as accounts
from app.auth.policy import participation_refusal
from app.core import once
from app.core.db import utcnow
from app.core.errors import DomainError
from app.core.forms import attach_error
from app.core.permissions import Permission, public, requires
from app.extensions import db
from app.proposals import bp, queries, services, thresholds
from app.proposals.forms import (
    AssistedEntryForm,
    ConfirmForm,
    ProposalForm,
    ReviewForm,
    TopicEditForm,
    TopicForm,
    TransitionForm,
    UpdateForm,
)
from app.proposals.models import Proposal, ProposalState, Topic
from app.proposals.money import pounds_text
from app.proposals.policy import SUPPORTABLE_STATES, may_view


def proposal_or_404(proposal_id: int) -> Proposal:
    """The proposal, if the current visitor may see it (drafts: their owner and officers); otherwise 404."""
    proposal = db.session.get(Proposal, proposal_id)
    if proposal is None or not may_view(current_user, proposal):
        abort(404)
    return proposal


def topic_or_404(topic_id: int) -> Topic:
    topic = db.session.get(Topic, topic_id)
    if topic is None:
        abort(404)
    return topic


def _choices(form: ProposalForm, proposal: Proposal | None = None) -> None:
    active = queries.topics(db.session, active_only=True)
    chosen = list(proposal.topics) if proposal is not None else []
    topics = active + [t for t in chosen if t not in active]  # keep a deactivated topic a draft already has
    form.set_choices(queries.place_choices(db.session), [(t.id, t.display_name) for t in topics])


def _data(form: ProposalForm) -> services.ProposalData:
    return services.ProposalData(
        title=form.title.data or "",
        summary=form.summary.data or "",
        need=form.need.data or "",
        solution=form.solution.data or "",
        place_id=form.place_id.data,
        topic_ids=list(form.topic_ids.data or []),
        cost_estimate_pence=getattr(form.cost_estimate, "pence", None),
        offer_of_help=form.offer_of_help.data or None,
        language=str(get_locale() or "en"),
    )


def _fail(form: object, exc: DomainError) -> None:
    db.session.rollback()
    attach_error(form, exc)  # type: ignore[arg-type]


@bp.route("/")
@public
def index() -> str:
    args = request.args
    place = queries.place_by_code(db.session, args.get("place", "")) if args.get("place") else None
    topic = queries.topic_by_slug(db.session, args.get("topic", "")) if args.get("topic") else None
    state = args.get("state", "")
    filters = queries.Filters(
        place=place,
        topic=topic,
        state=ProposalState(state) if state in queries.LISTED_STATES else None,
        q=args.get("q", "").strip()[:100],
        sort=args.get("sort") if args.get("sort") in queries.SORTS else "newest",
    )
    pagination = queries.browse(db.session, filters, args.get("page", 1, type=int))
    return render_template(
        "proposals/index.html",
        pagination=pagination,
        filters=filters,
        places=queries.place_code_choices(db.session),
        topics=queries.topics(db.session),
        states=[s for s in ProposalState if s is not ProposalState.DRAFT],
    )


@bp.route("/new", methods=["GET", "POST"])
@requires(Permission.PROPOSAL_CREATE)
def new() -> str | Response:
    form = ProposalForm()
    _choices(form)
    if request.method == "GET" and current_user.home_place_id:
        form.place_id.data = current_user.home_place_id
    if form.validate_on_submit():
        if (again := once.claim(form)) is not None:
            return again
        try:
            proposal = services.create_proposal(db.session, current_user, _data(form))  # type: ignore[arg-type]
        except DomainError as exc:
            _fail(form, exc)
        else:
            once.record(form, url_for("proposals.show", proposal_id=proposal.id))
            db.session.commit()
            flash(_("Your draft is saved. Only you and council officers can see it until you publish it."), "success")
            return redirect(url_for("proposals.show", proposal_id=proposal.id))
    return render_template("proposals/form.html", form=form, proposal=None)


@bp.route("/<int:proposal_id>/edit", methods=["GET", "POST"])
@requires(Permission.PROPOSAL_EDIT, load=proposal_or_404)
def edit(proposal: Proposal) -> str | Response:
    form = ProposalForm(obj=proposal)
    _choices(form, proposal)
    if request.method == "GET":
        form.topic_ids.data = [t.id for t in proposal.topics]
        form.cost_estimate.data = pounds_text(proposal.cost_estimate_pence)
    if form.validate_on_submit():
        try:
            services.update_draft(db.session, current_user, proposal, _data(form))  # type: ignore[arg-type]
        except DomainError as exc:
            _fail(form, exc)
        else:
            db.session.commit()
            flash(_("Your draft is saved."), "success")
            return redirect(url_for("proposals.show", proposal_id=proposal.id))
    return render_template("proposals/form.html", form=form, proposal=proposal)


@bp.route("/<int:proposal_id>")
@public
def show(proposal_id: int) -> str:
    proposal = proposal_or_404(proposal_id)
    review_form = ReviewForm(formdata=None)
    if proposal.costing_pence is not None or proposal.feasibility:
        review_form.feasibility.data = proposal.feasibility
        review_form.costing.data = pounds_text(proposal.costing_pence)
        review_form.responsible_service.data = proposal.responsible_service
    return render_template(
        "proposals/show.html",
        proposal=proposal,
        timeline=queries.timeline(db.session, proposal),
        next_states=services.next_states(current_user, proposal) if current_user.is_authenticated else [],
        has_supported=services.has_supported(db.session, current_user, proposal),
        supportable=proposal.state_enum in SUPPORTABLE_STATES and proposal.hidden_at is None,
        support_refusal=participation_refusal(current_user),
        threshold=_threshold(proposal) if proposal.state == ProposalState.PUBLISHED.value else None,
        confirm_form=ConfirmForm(),
        review_form=review_form,
        update_form=UpdateForm(formdata=None, happened_on=utcnow().date()),
    )


@bp.route("/<int:proposal_id>/transition", methods=["GET", "POST"])
@requires(Permission.PROPOSAL_TRANSITION, load=proposal_or_404)
def transition(proposal: Proposal) -> str | Response:
    options = services.next_states(current_user, proposal)
    if options == [ProposalState.PUBLISHED] and request.method == "GET":  # the author's plain step, not this form
        return render_template("proposals/publish.html", form=ConfirmForm(), proposal=proposal,
                               threshold=_threshold(proposal))
    form = TransitionForm()
    form.to_state.choices = [(s.value, s.label) for s in options]
    if len(options) == 1 and not form.is_submitted():
        form.to_state.data = options[0].value  # one way on: chosen already
    if form.validate_on_submit():
        try:
            services.transition(db.session, current_user, proposal, form.to_state.data or "", form.reason.data)  # type: ignore[arg-type]
        except DomainError as exc:
            _fail(form, exc)
        else:
            db.session.commit()
            flash(_("The proposal is now: %(state)s.", state=proposal.state_enum.label), "success")
            return redirect(url_for("proposals.show", proposal_id=proposal.id))
    return render_template("proposals/transition.html", form=form, proposal=proposal, options=options,
                           needs_reason=ProposalState.DECLINED in options)


@bp.route("/<int:proposal_id>/publish", methods=["GET", "POST"])
@requires(Permission.PROPOSAL_EDIT, load=proposal_or_404)
def publish(proposal: Proposal) -> str | Response:
    """The author's own step from draft to published: one button, after saying who will see it."""
    form = ConfirmForm()
    if form.validate_on_submit():
        try:
            services.transition(db.session, current_user, proposal, ProposalState.PUBLISHED)  # type: ignore[arg-type]
        except DomainError as exc:
            _fail(form, exc)
        else:
            db.session.commit()
            flash(_("Your proposal is published. Everyone can now read it, support it and comment on it."), "success")
            return redirect(url_for("proposals.show", proposal_id=proposal.id))
    return render_template("proposals/publish.html", form=form, proposal=proposal, threshold=_threshold(proposal))


@bp.route("/<int:proposal_id>/review", methods=["GET", "POST"])
@requires(Permission.PROPOSAL_REVIEW, load=proposal_or_404)
def review(proposal: Proposal) -> str | Response:
    form = ReviewForm()
    if request.method == "GET":
        form.feasibility.data = proposal.feasibility
        form.costing.data = pounds_text(proposal.costing_pence)
        form.responsible_service.data = proposal.responsible_service
    if form.validate_on_submit():
        try:
            services.record_review(
                db.session, current_user, proposal,  # type: ignore[arg-type]
                feasibility=form.feasibility.data or "",
                costing_pence=getattr(form.costing, "pence", None),
                responsible_service=form.responsible_service.data or "",
            )
        except DomainError as exc:
            _fail(form, exc)
        else:
            db.session.commit()
            flash(_("The review is saved."), "success")
            return redirect(url_for("proposals.show", proposal_id=proposal.id))
    return render_template("proposals/review.html", form=form, proposal=proposal)


@bp.route("/<int:proposal_id>/updates/new", methods=["GET", "POST"])
@requires(Permission.PROPOSAL_POST_UPDATE, load=proposal_or_404)
def post_update(proposal: Proposal) -> str | Response:
    form = UpdateForm()
    if request.method == "GET":
        form.happened_on.data = utcnow().date()
    if form.validate_on_submit():
        if (again := once.claim(form)) is not None:
            return again
        try:
            services.post_update(db.session, current_user, proposal, form.text.data or "", form.happened_on.data)  # type: ignore[arg-type]
        except DomainError as exc:
            _fail(form, exc)
        else:
            once.record(form, url_for("proposals.show", proposal_id=proposal.id))
            db.session.commit()
            flash(_("The update is on the proposal's timeline."), "success")
            return redirect(url_for("proposals.show", proposal_id=proposal.id))
    return render_template("proposals/update.html", form=form, proposal=proposal)


def _threshold(proposal: Proposal) -> thresholds.Threshold | None:
    return thresholds.threshold_for(
        db.session, proposal, current_app.config.get("PROPOSAL_SUPPORT_THRESHOLD")
    )


@bp.route("/<int:proposal_id>/support", methods=["GET", "POST"])
@requires(Permission.PROPOSAL_SUPPORT, load=proposal_or_404)
def support(proposal: Proposal) -> str | Response:
    form = ConfirmForm()
    if form.validate_on_submit():
        try:
            added = services.support(db.session, current_user, proposal, threshold=_threshold(proposal))  # type: ignore[arg-type]
        except DomainError as exc:
            _fail(form, exc)
        else:
            db.session.commit()
            flash(_("You support this proposal.") if added else _("You already support this proposal."), "success")
            return redirect(url_for("proposals.show", proposal_id=proposal.id))
    return render_template("proposals/confirm.html", form=form, proposal=proposal, action="support")


@bp.route("/<int:proposal_id>/withdraw", methods=["GET", "POST"])
@requires(Permission.PROPOSAL_WITHDRAW_SUPPORT, load=proposal_or_404)
def withdraw(proposal: Proposal) -> str | Response:
    form = ConfirmForm()
    if form.validate_on_submit():
        removed = services.withdraw_support(db.session, current_user, proposal)  # type: ignore[arg-type]
        db.session.commit()
        flash(_("Your support is withdrawn.") if removed else _("You were not supporting this proposal."), "success")
        return redirect(url_for("proposals.show", proposal_id=proposal.id))
    return render_template("proposals/confirm.html", form=form, proposal=proposal, action="withdraw")


@bp.route("/review-queue")
@requires(Permission.PROPOSAL_REVIEW)
def review_queue() -> str:
    return render_template("proposals/review_queue.html", proposals=queries.review_queue(db.session))


@bp.route("/topics", methods=["GET", "POST"])
@requires(Permission.PROPOSAL_MANAGE_TOPICS)
def topics() -> str | Response:
    form = TopicForm()
    if form.validate_on_submit():
        if (again := once.claim(form)) is not None:
            return again
        try:
            topic = services.create_topic(db.session, current_user, form.name.data or "",  # type: ignore[arg-type]
                                          {"pl": form.name_pl.data or ""})
        except DomainError as exc:
            _fail(form, exc)
        else:
            once.record(form, url_for("proposals.topics"))
            db.session.commit()
            flash(_("Topic added: %(name)s.", name=topic.name), "success")
            return redirect(url_for("proposals.topics"))
    return render_template("proposals/topics.html", form=form, topics=queries.topics(db.session))


@bp.route("/topics/<int:topic_id>", methods=["GET", "POST"])
@requires(Permission.PROPOSAL_MANAGE_TOPICS, load=topic_or_404)
def edit_topic(topic: Topic) -> str | Response:
    form = TopicEditForm(obj=topic)
    if request.method == "GET":
        form.name_pl.data = topic.name_in("pl") if topic.name_in("pl") != topic.name else ""
    if form.validate_on_submit():
        try:
            services.update_topic(db.session, current_user, topic, form.name.data or "",  # type: ignore[arg-type]
                                  bool(form.is_active.data), {"pl": form.name_pl.data or ""})
        except DomainError as exc:
            _fail(form, exc)
        else:
            db.session.commit()
            flash(_("Topic saved: %(name)s.", name=topic.name), "success")
            return redirect(url_for("proposals.topics"))
    return render_template("proposals/topic_edit.html", form=form, topic=topic)


@bp.route("/assisted", methods=["GET", "POST"])
@requires(Permission.PROPOSAL_ASSISTED_ENTRY)
def assisted() -> str | Response:
    form = AssistedEntryForm()
    _choices(form)
    if form.validate_on_submit():
        if (again := once.claim(form)) is not None:
            return again
        try:
            proposal = _assisted_entry(form)
        except DomainError as exc:
            _fail(form, exc)
        else:
            once.record(form, url_for("proposals.show", proposal_id=proposal.id))
            db.session.commit()
            flash(_("The proposal is recorded."), "success")
            return redirect(url_for("proposals.show", proposal_id=proposal.id))
    return render_template("proposals/assisted.html", form=form)


def _assisted_entry(form: AssistedEntryForm) -> Proposal:
    for_user = offline = None
    if form.contributor.data == "account":
        for_user = accounts.find_by_email(db.session, form.email.data or "")
        if for_user is None or for_user.is_deleted:
            raise DomainError(_("No account has that email address. Check it, or enter them as someone without an account."), field="email")
    else:
        offline = services.OfflineContributorData(
            name=form.contributor_name.data or "",
            contact_note=form.contact_note.data or None,
            place_id=form.contributor_place_id.data or None,
        )
    return services.assisted_entry(
        db.session, current_user, _data(form), form.channel.data or "",  # type: ignore[arg-type]
        for_user=for_user, offline=offline, publish=bool(form.publish.data),
    )


@bp.app_template_filter("proposal_state_label")
def proposal_state_label(value: str) -> str:
    try:
        return ProposalState(value).label
    except ValueError:
        return value
