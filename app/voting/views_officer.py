"""Officers' vote pages: creating a vote, keying a member's ballot for them, closing and counting, and
checking the concentration of weight before publishing."""

from __future__ import annotations

import json
from typing import NamedTuple

from flask import flash, redirect, render_template, request, url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_login import current_user
from werkzeug.wrappers import Response as WResponse

from app.core import count_jobs as core_jobs
from app.core import count_pages
from app.core.count_jobs import CountJob
from app.core.errors import DomainError
from app.core.forms import attach_error
from app.core.permissions import Permission, requires
from app.extensions import db
from app.places.models import Place
from app.proposals.models import Proposal, Topic
from app.voting import bp, count_jobs, counting, forms, presenters, queries, services
from app.voting.models import Vote, VoteRule


def _fail(form: forms.FlaskForm, exc: DomainError) -> None:
    db.session.rollback()
    attach_error(form, exc)


def _vote_form() -> forms.VoteForm:
    from app.delegation.queries import topic_choices

    form = forms.VoteForm()
    form.place.choices = queries.place_choices(db.session)
    form.topic.choices = [(0, _("No topic"))] + topic_choices(db.session)
    form.proposals.choices = [(p.id, f"{p.title} ({p.place.name})") for p in queries.shortlisted(db.session)]
    return form


def _vote_data(form: forms.VoteForm) -> services.VoteData:
    place = db.session.get(Place, form.place.data)
    if place is None:
        raise DomainError(_("Choose an area."), field="place")
    chosen = [db.session.get(Proposal, pid) for pid in form.proposals.data or []]
    return services.VoteData(
        title=form.title.data or "", description=form.description.data or "", rule=VoteRule(form.rule.data),
        seats=form.seats.data or 1, place=place, opens_at=form.opens_at.data, closes_at=form.closes_at.data,
        options=(form.options.data or "").splitlines(), proposals=[p for p in chosen if p is not None],
        topic=db.session.get(Topic, form.topic.data) if form.topic.data else None, weight_cap=form.weight_cap.data,
    )


@bp.route("/new", methods=["GET", "POST"])
@requires(Permission.VOTE_MANAGE)
def new() -> str | WResponse:
    form = _vote_form()
    if form.validate_on_submit():
        try:
            vote = services.create_vote(db.session, current_user, _vote_data(form))
        except DomainError as exc:
            _fail(form, exc)
        else:
            db.session.commit()
            flash(_("Vote created."), "success")
            return redirect(url_for("voting.show", vote_id=vote.id))
    return render_template("voting/new.html", form=form)


@bp.route("/<int:vote_id>/assisted", methods=["GET", "POST"])
@requires(Permission.VOTE_KEY_ASSISTED, load=queries.vote_or_404)
def assisted(vote: Vote) -> str | WResponse:
    form_class = type("AssistedBallotForm", (forms.ballot_form_class(vote.options),), {"member_email": forms.AssistedForm.member_email})
    form = form_class()
    if form.validate_on_submit():
        check = presenters.checked(form, vote)
        member = queries.member_by_email(db.session, form.member_email.data or "")
        try:
            if member is None:
                raise DomainError(_("No member has that email address."), field="member_email")
            if check.ok:
                code = services.cast_assisted(db.session, current_user, member, vote, forms.ranks_from(form, vote.options), check.blank)
        except DomainError as exc:
            _fail(form, exc)
        else:
            if check.ok:
                db.session.commit()
                return render_template("voting/ballot_cast.html", vote=vote, code=code, replaced=False, assisted=True)
    return render_template("voting/assisted.html", form=form, vote=vote)


@bp.route("/<int:vote_id>/close", methods=["GET", "POST"])
@requires(Permission.VOTE_COUNT, load=queries.vote_or_404)
def close(vote: Vote) -> str | WResponse:
    form = forms.ConfirmForm()
    if form.validate_on_submit():  # closed and counted in the background (app/voting/count_jobs.py)
        try:
            job, created = count_jobs.request_close(db.session, current_user, vote, str(get_locale() or "en"))
        except DomainError as exc:
            _fail(form, exc)
        else:
            db.session.commit()
            return _after_close_request(vote, job.id, created)
    return render_template("voting/close.html", form=form, vote=vote, ballots=queries.ballot_count(db.session, vote),
                           job=core_jobs.latest_job(db.session, count_jobs.KIND, vote.id))


def _after_close_request(vote: Vote, job_id: int, created: bool) -> WResponse:
    """Start the job (when it is new), then show how it is going; once the vote is counted (a job run at once),
    the page to check and publish it, as a synchronous close did."""
    return count_pages.follow_request(
        count_jobs.JOB, job_id, created,
        done_message=_("The vote is closed and counted. Check the result and the weight of delegates before publishing."),
        done_url=url_for("voting.publish", vote_id=vote.id),
        busy_message=_("This vote is already being closed and counted: a second count was not started."),
        progress_url=url_for("voting.close_progress", vote_id=vote.id, job_id=job_id))


class CloseProgress(NamedTuple):
    vote: Vote
    job: CountJob


def close_progress_or_404(vote_id: int, job_id: int) -> CloseProgress:
    vote = queries.vote_or_404(vote_id)
    return CloseProgress(vote, count_pages.job_or_404(count_jobs.KIND, vote.id, job_id))


@bp.route("/<int:vote_id>/close/<int:job_id>")
@requires(Permission.VOTE_COUNT, load=close_progress_or_404)
def close_progress(progress: CloseProgress) -> str:
    return render_template("voting/close_progress.html", vote=progress.vote, job=progress.job)


@bp.route("/<int:vote_id>/publish", methods=["GET", "POST"])
@requires(Permission.VOTE_COUNT, load=queries.vote_or_404)
def publish(vote: Vote) -> str | WResponse:
    count = counting.count_of(db.session, vote)
    if count is None:
        return redirect(url_for("voting.close", vote_id=vote.id))
    form = forms.ConfirmForm()
    if request.method == "POST" and form.validate_on_submit():
        try:
            counting.publish(db.session, current_user, vote)
        except DomainError as exc:
            _fail(form, exc)
        else:
            db.session.commit()
            flash(_("The result is published."), "success")
            return redirect(url_for("voting.results", vote_id=vote.id))
    return render_template("voting/publish.html", form=form, vote=vote, count=count, figures=json.loads(count.figures_json))
