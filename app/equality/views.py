"""Equality monitoring pages: a resident's optional questions (after voting), an officer's switch, and the
keying of paper monitoring slips, for budget processes and ranked votes alike."""

from __future__ import annotations

from typing import Any

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from werkzeug.wrappers import Response as WResponse

from app.budgets.queries import process_or_404
from app.core.errors import DomainError
from app.core.forms import attach_error
from app.core.permissions import Permission, member, requires
from app.equality import bp, forms, services
from app.equality.questions import STANDARD
from app.extensions import db
from app.voting.queries import vote_or_404


def _back(obj: Any) -> str:
    if services.kind_of(obj) == "budget":
        return url_for("budgets.show", process_id=obj.id)
    return url_for("voting.show", vote_id=obj.id)


def _answer_url(obj: Any) -> str:
    if services.kind_of(obj) == "budget":
        return url_for("equality.budget_answers", process_id=obj.id)
    return url_for("equality.vote_answers", vote_id=obj.id)


# --- residents --------------------------------------------------------------------------------------------------

def invitation(kind: str, obj: Any) -> dict[str, Any] | None:
    """For the ballot pages (a Jinja global): the questions' form when the signed-in resident may answer now."""
    if not getattr(current_user, "is_authenticated", False) or obj is None:
        return None
    asked = services.asked(db.session, obj)
    if not asked or services.answer_refusal(db.session, obj, current_user) is not None:
        return None
    return {"form": forms.answers_form_class(asked)(formdata=None), "action": _answer_url(obj), "asked": asked}


def _answers(obj: Any) -> str | WResponse:
    asked = services.asked(db.session, obj)
    if not asked:
        abort(404)
    refusal = services.answer_refusal(db.session, obj, current_user)
    form = forms.answers_form_class(asked)()
    if request.method == "POST" and refusal is None:
        if "decline" in request.form:
            flash(_("You skipped the equality-monitoring questions. Nothing was stored, and your vote counts the same."), "success")
            return redirect(_back(obj))
        if form.validate_on_submit():
            try:
                services.record_answers(db.session, current_user, obj, consent=bool(form.consent.data),
                                        answers=forms.answers_of(form, asked))
            except DomainError as exc:
                db.session.rollback()
                attach_error(form, exc)
            else:
                db.session.commit()
                flash(_("Thank you. Your answers are counted without your name and cannot be linked to your vote."), "success")
                return redirect(_back(obj))
    return render_template("equality/answers.html", obj=obj, kind=services.kind_of(obj), form=form, asked=asked,
                           refusal=refusal, action=_answer_url(obj), back=_back(obj))


@bp.route("/budgets/<int:process_id>", methods=["GET", "POST"])
@member
def budget_answers(process_id: int) -> str | WResponse:
    return _answers(process_or_404(process_id))


@bp.route("/votes/<int:vote_id>", methods=["GET", "POST"])
@member
def vote_answers(vote_id: int) -> str | WResponse:
    return _answers(vote_or_404(vote_id))


# --- officers: the switch -------------------------------------------------------------------------------------------

def _settings(obj: Any, endpoint: str, args: dict[str, int]) -> str | WResponse:
    monitor = services.monitor_of(db.session, obj)
    form = forms.SwitchForm()
    if request.method == "GET":
        form.questions.data = monitor.questions_csv.split(",") if monitor is not None else list(STANDARD)
    if form.validate_on_submit():
        on = not form.switch_off.data
        try:
            services.switch(db.session, current_user, obj, on=on, question_keys=list(form.questions.data or []))
        except DomainError as exc:
            db.session.rollback()
            attach_error(form, exc)
        else:
            db.session.commit()
            flash(_("Equality monitoring is on.") if on else _("Equality monitoring is off."), "success")
            return redirect(url_for(endpoint, **args))
    return render_template("equality/settings.html", obj=obj, kind=services.kind_of(obj), form=form, monitor=monitor,
                           may_switch=services.may_switch(obj), answered=services.has_answers(db.session, obj), back=_back(obj))


@bp.route("/budgets/<int:process_id>/settings", methods=["GET", "POST"])
@requires(Permission.BUDGET_MANAGE, load=process_or_404)
def budget_settings(process: Any) -> str | WResponse:
    return _settings(process, "equality.budget_settings", {"process_id": process.id})


@bp.route("/votes/<int:vote_id>/settings", methods=["GET", "POST"])
@requires(Permission.VOTE_MANAGE, load=vote_or_404)
def vote_settings(vote: Any) -> str | WResponse:
    return _settings(vote, "equality.vote_settings", {"vote_id": vote.id})


# --- officers: paper slips ------------------------------------------------------------------------------------------

def _slip(obj: Any, endpoint: str, args: dict[str, int]) -> str | WResponse:
    asked = services.asked(db.session, obj)
    if not asked:
        abort(404)
    form = forms.answers_form_class(asked, consent=False)()
    refusal = services.slip_refusal(db.session, obj, "paper")
    if form.validate_on_submit():
        try:
            services.record_slip(db.session, current_user, obj, channel=form.channel.data or "", answers=forms.answers_of(form, asked))
        except DomainError as exc:
            db.session.rollback()
            attach_error(form, exc)
        else:
            db.session.commit()
            flash(_("The monitoring slip is keyed. Key the next one, or go back."), "success")
            return redirect(url_for(endpoint, **args))
    return render_template("equality/slip.html", obj=obj, kind=services.kind_of(obj), form=form, asked=asked, refusal=refusal,
                           back=_back(obj))


@bp.route("/budgets/<int:process_id>/slips", methods=["GET", "POST"])
@requires(Permission.BUDGET_MANAGE, load=process_or_404)
def budget_slip(process: Any) -> str | WResponse:
    return _slip(process, "equality.budget_slip", {"process_id": process.id})


@bp.route("/votes/<int:vote_id>/slips", methods=["GET", "POST"])
@requires(Permission.VOTE_MANAGE, load=vote_or_404)
def vote_slip(vote: Any) -> str | WResponse:
    return _slip(vote, "equality.vote_slip", {"vote_id": vote.id})
