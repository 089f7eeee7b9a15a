"""The guiding coalition's page, its recommendations (drafts for members, then public), the members' votes on
drafts, the share of members that must agree, and the council's responses."""

from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from werkzeug.wrappers import Response

from app.core import once
from app.core.db import utcnow
from app.core.errors import DomainError
from app.core.forms import attach_error
from app.core.permissions import Permission, public, requires
from app.deliberation import bp, policy, queries, recommendations, services
from app.deliberation.forms import AgreementForm, AgreementPercentForm, RecommendationForm, ResponseForm
from app.deliberation.models import Outcome, Recommendation, Space
from app.extensions import db


def _fail(form: object, exc: DomainError) -> None:
    db.session.rollback()
    attach_error(form, exc)  # type: ignore[arg-type]


def _language() -> str:
    from flask_babel import get_locale

    return str(get_locale() or "en")


@bp.route("/coalition")
@public
def coalition() -> str:
    space = queries.coalition_or_404()
    is_member = policy.current_membership(current_user, space) is not None
    return render_template("deliberation/coalition.html", space=space, balance=services.balance(db.session, space),
                           recommendations=queries.recommendations(db.session),
                           drafts=queries.draft_recommendations(db.session, space) if is_member else [],
                           is_member=is_member)


@bp.route("/recommendations", endpoint="recommendations")
@public
def recommendations_index() -> str:
    return render_template("deliberation/recommendations.html", recommendations=queries.recommendations(db.session),
                           space=services.coalition(db.session))


@bp.route("/recommendations/<int:recommendation_id>")
@public
def recommendation(recommendation_id: int) -> str:
    rec = queries.recommendation_or_404(recommendation_id)
    form = AgreementForm(formdata=None)
    mine = queries.recommendation_vote_of(db.session, rec, current_user)
    if mine is not None:
        form.agrees.data = "yes" if mine.agrees else "no"
    return render_template("deliberation/recommendation.html", rec=rec, form=form, mine=mine,
                           agreement=recommendations.agreement(db.session, rec) if rec.is_draft else None)


@bp.route("/coalition/recommendations/new", methods=["GET", "POST"])
@requires(Permission.DELIBERATION_PUBLISH_RECOMMENDATION, load=queries.coalition_or_404)
def new_recommendation(space: Space) -> str | Response:
    form = RecommendationForm()
    if form.validate_on_submit():
        if (again := once.claim(form)) is not None:
            return again
        try:
            rec = recommendations.propose_recommendation(
                db.session, current_user, space, form.title.data or "", form.text.data or "",  # type: ignore[arg-type]
                language=_language(),
            )
        except DomainError as exc:
            _fail(form, exc)
        else:
            once.record(form, url_for("deliberation.recommendation", recommendation_id=rec.id))
            db.session.commit()
            flash(_("The recommendation is published. It awaits the council's response.") if not rec.is_draft else
                  _("Your draft is with the coalition's members. It goes out when enough of them agree."), "success")
            return redirect(url_for("deliberation.recommendation", recommendation_id=rec.id))
    return render_template("deliberation/recommendation_form.html", form=form, space=space)


@bp.route("/recommendations/<int:recommendation_id>/vote", methods=["POST"])
@requires(Permission.DELIBERATION_AGREE_RECOMMENDATION, load=queries.recommendation_or_404)
def vote_on_recommendation(rec: Recommendation) -> str | Response:
    form = AgreementForm()
    if form.validate_on_submit():
        try:
            published = recommendations.vote_on_recommendation(
                db.session, current_user, rec, form.agrees.data == "yes")  # type: ignore[arg-type]
        except DomainError as exc:
            _fail(form, exc)
        else:
            db.session.commit()
            flash(_("Enough members agree: the recommendation has gone out. It awaits the council's response.")
                  if published else _("Your vote is recorded."), "success")
            return redirect(url_for("deliberation.recommendation", recommendation_id=rec.id))
    return render_template("deliberation/recommendation.html", rec=rec, form=form,
                           mine=queries.recommendation_vote_of(db.session, rec, current_user),
                           agreement=recommendations.agreement(db.session, rec) if rec.is_draft else None)


@bp.route("/spaces/<slug>/agreement", methods=["GET", "POST"])
@requires(Permission.DELIBERATION_MANAGE_SPACES, load=queries.managed_space_or_404)
def agreement_percent(space: Space) -> str | Response:
    form = AgreementPercentForm()
    if request.method == "GET":
        form.agreement_percent.data = space.agreement_percent
    if form.validate_on_submit():
        try:
            recommendations.set_agreement_percent(db.session, current_user, space,  # type: ignore[arg-type]
                                                  form.agreement_percent.data or 0)
        except DomainError as exc:
            _fail(form, exc)
        else:
            db.session.commit()
            flash(_("Saved: a recommendation goes out when %(percent)s of current members agree.",
                    percent=format_percent_whole(space.agreement_percent)), "success")
            return redirect(url_for("deliberation.members", slug=space.slug))
    return render_template("deliberation/agreement_form.html", form=form, space=space)


def format_percent_whole(percent: int) -> str:
    from app.core.i18n import percent as fmt

    return fmt(percent / 100)


@bp.route("/recommendations/<int:recommendation_id>/respond", methods=["GET", "POST"])
@requires(Permission.DELIBERATION_RESPOND_RECOMMENDATION, load=queries.recommendation_or_404)
def respond(rec: Recommendation) -> str | Response:
    form = ResponseForm()
    if request.method == "GET":
        form.responded_on.data = utcnow().date()
    if form.validate_on_submit():
        if (again := once.claim(form)) is not None:
            return again
        try:
            recommendations.respond(db.session, current_user, rec, Outcome(form.outcome.data),  # type: ignore[arg-type]
                                    form.explanation.data or "", form.responded_on.data)  # type: ignore[arg-type]
        except DomainError as exc:
            _fail(form, exc)
        else:
            once.record(form, url_for("deliberation.recommendation", recommendation_id=rec.id))
            db.session.commit()
            flash(_("The council's response is published."), "success")
            return redirect(url_for("deliberation.recommendation", recommendation_id=rec.id))
    return render_template("deliberation/respond.html", form=form, rec=rec)
