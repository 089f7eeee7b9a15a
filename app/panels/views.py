"""Panel pages, part one: the public list and panel page, the public response form (by code), and the officers'
set-up: the panel, its officers, the address list, the invitation lottery and letters, the questions, and the
paper or telephone answers.  Part two (quotas, the draw, confirmation, the workspace) is in ``views_draw``."""

from __future__ import annotations

import io
from collections.abc import Callable
from typing import Any

from flask import Response as FlaskResponse
from flask import abort, current_app, flash, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select
from werkzeug.wrappers import Response

from app.core.errors import DomainError
from app.core.forms import attach_error
from app.core.permissions import Permission, public, requires
from app.extensions import db, limiter
from app.panels import bp, forms, policy, queries
from app.panels.models import Channel, Panel, Question
from app.panels.services import invitations, panels, registration
from app.places.models import Place

CODE_KEY = "panel_response_code"


def _limit() -> str:
    return str(current_app.config["RATELIMIT_PANEL_RESPONSE"])


def _officer_exempt() -> bool:
    return policy.is_officer(current_user)


def run_form(form: Any, action: Callable[[], Any], done: str, target: Callable[[Any], str]) -> Response | None:
    """Validate ``form``, run the one service call, commit, flash ``done`` and redirect; or attach the service's
    refusal to the form (after rolling back) and return None so the view renders it again."""
    if not form.validate_on_submit():
        return None
    try:
        result = action()
    except DomainError as exc:
        db.session.rollback()
        attach_error(form, exc)
        return None
    db.session.commit()
    flash(done, "success")
    return redirect(target(result))


def one_button(action: Callable[[], Any], done: str, target: str) -> Response:
    """A one-button form (its CSRF token was checked before the view ran)."""
    try:
        action()
    except DomainError as exc:
        db.session.rollback()
        flash(exc.message, "error")
    else:
        db.session.commit()
        flash(done, "success")
    return redirect(target)


# --- public --------------------------------------------------------------------------------------------------

@bp.route("/")
@public
def index() -> str:
    return render_template("panels/index.html", panels=queries.panels(db.session))


@bp.route("/<int:panel_id>")
@public
def show(panel_id: int) -> str:
    panel = queries.panel_or_404(panel_id)
    return render_template("panels/show.html", panel=panel, runs=policy.runs(current_user, panel),
                           respondents=registration.respondent_count(db.session, panel))


@bp.route("/respond", methods=["GET", "POST"])
@public
@limiter.limit(_limit, methods=["POST"], exempt_when=_officer_exempt)
def respond() -> str | Response:
    form = forms.CodeForm()
    if form.validate_on_submit():
        if form.looks_automated():
            form.form_errors.append(_("We could not accept the form. Wait a moment, then send it again."))
        else:
            try:
                invitation = registration.invitation_for_code(db.session, form.code.data or "")
            except DomainError as exc:
                attach_error(form, exc)
            else:
                session[CODE_KEY] = invitation.code
                return redirect(url_for("panels.answer"))
    return render_template("panels/respond.html", form=form, open_panels=queries.open_for_registration(db.session))


@bp.route("/respond/answer", methods=["GET", "POST"])
@public
@limiter.limit(_limit, methods=["POST"], exempt_when=_officer_exempt)
def answer() -> str | Response:
    try:
        invitation = registration.invitation_for_code(db.session, session.get(CODE_KEY, ""))
    except DomainError as exc:
        flash(exc.message, "error")
        return redirect(url_for("panels.respond"))
    panel = invitation.panel
    form = forms.response_form_class(panel.questions, officer=False)()
    if form.validate_on_submit():
        if form.looks_automated():
            form.form_errors.append(_("We could not accept the form. Wait a moment, then send it again."))
        else:
            try:
                registration.register(db.session, _answer(form, panel, invitation.code, Channel.ONLINE))
            except DomainError as exc:
                db.session.rollback()
                attach_error(form, exc)
            else:
                db.session.commit()
                session.pop(CODE_KEY, None)
                return redirect(url_for("panels.thanks", panel_id=panel.id))
    return render_template("panels/answer.html", form=form, panel=panel, officer=False)


@bp.route("/<int:panel_id>/thanks")
@public
def thanks(panel_id: int) -> str:
    return render_template("panels/thanks.html", panel=queries.panel_or_404(panel_id))


def _answer(form: Any, panel: Panel, code: str, channel: Channel) -> registration.Answer:
    return registration.Answer(
        code=code, name=form.name.data or "", email=form.email.data or "", phone=form.phone.data or "",
        availability=form.availability.data or "", has_consented=bool(form.has_consented.data),
        answers={q.category: getattr(form, f"q_{q.category}").data or "" for q in panel.questions}, channel=channel)


# --- set-up ----------------------------------------------------------------------------------------------------

def _panel_form(panel: Panel | None = None) -> forms.PanelForm:
    form = forms.PanelForm(obj=panel)
    if panel is not None and request.method == "GET":
        form.place.data = panel.place_id
    places = db.session.execute(select(Place).order_by(Place.name)).scalars()
    form.place.choices = [(0, _("The whole council area"))] + [(p.id, f"{p.name} ({p.kind_label})") for p in places]
    return form


def _panel_data(form: forms.PanelForm) -> panels.PanelData:
    return panels.PanelData(title=form.title.data or "", description=form.description.data or "",
                            place=db.session.get(Place, form.place.data) if form.place.data else None,
                            retention_until=form.retention_until.data)


@bp.route("/new", methods=["GET", "POST"])
@requires(Permission.PANEL_CREATE)
def new() -> str | Response:
    form = _panel_form()
    done = run_form(form, lambda: panels.create_panel(db.session, current_user, _panel_data(form)),
                    _("Panel created. Now upload the address list."), lambda p: url_for("panels.addresses", panel_id=p.id))
    return done or render_template("panels/panel_form.html", form=form, panel=None)


@bp.route("/<int:panel_id>/edit", methods=["GET", "POST"])
@requires(Permission.PANEL_RUN, load=queries.panel_or_404)
def edit(panel: Panel) -> str | Response:
    form = _panel_form(panel)
    done = run_form(form, lambda: panels.update_panel(db.session, current_user, panel, _panel_data(form)),
                    _("Panel saved."), lambda _r: url_for("panels.show", panel_id=panel.id))
    return done or render_template("panels/panel_form.html", form=form, panel=panel)


@bp.route("/<int:panel_id>/officers", methods=["GET", "POST"])
@requires(Permission.PANEL_RUN, load=queries.panel_or_404)
def officers(panel: Panel) -> str | Response:
    form = forms.OfficerForm()
    done = run_form(form, lambda: panels.add_officer(db.session, current_user, panel, form.email.data or ""),
                    _("Officer added."), lambda _r: url_for("panels.officers", panel_id=panel.id))
    return done or render_template("panels/officers.html", form=form, panel=panel)


@bp.route("/<int:panel_id>/addresses", methods=["GET", "POST"])
@requires(Permission.PANEL_RUN, load=queries.panel_or_404)
def addresses(panel: Panel) -> str | Response:
    form = forms.UploadForm()

    def upload() -> invitations.UploadReport:
        text = form.file.data.read().decode("utf-8-sig", errors="replace")
        return invitations.upload_addresses(db.session, current_user, panel, io.StringIO(text))

    done = run_form(form, upload, _("Address list uploaded."), lambda _r: url_for("panels.addresses", panel_id=panel.id))
    return done or render_template("panels/addresses.html", form=form, panel=panel,
                                   count=invitations.address_count(db.session, panel),
                                   households=invitations.households_by_place(db.session, panel))


@bp.route("/<int:panel_id>/invitations", methods=["GET", "POST"])
@requires(Permission.PANEL_RUN, load=queries.panel_or_404)
def invitation_plan(panel: Panel) -> str | Response:
    form = forms.InvitationPlanForm()
    plan = lambda: invitations.LotteryPlan(households=form.households.data, is_stratified=form.is_stratified.data == "yes",  # noqa: E731
                                           weights_text=form.weights.data or "", seed_plan=form.seed_plan.data or "")
    done = run_form(form, lambda: invitations.commit_invitations(db.session, current_user, panel, plan()),
                    _("The invitation lottery is committed and published. Record the seed when it is fixed."),
                    lambda _r: url_for("panels.invitation_seed", panel_id=panel.id))
    return done or render_template("panels/invitation_plan.html", form=form, panel=panel,
                                   count=invitations.address_count(db.session, panel))


@bp.route("/<int:panel_id>/invitations/seed", methods=["GET", "POST"])
@requires(Permission.PANEL_RUN, load=queries.panel_or_404)
def invitation_seed(panel: Panel) -> str | Response:
    form = forms.SeedForm()
    done = run_form(form, lambda: invitations.draw_invitations(db.session, current_user, panel, form.seed.data or ""),
                    _("Households drawn. Print the letters."), lambda _r: url_for("panels.show", panel_id=panel.id))
    return done or render_template("panels/seed.html", form=form, panel=panel, draw=panel.invitation_draw,
                                   action=url_for("panels.invitation_seed", panel_id=panel.id),
                                   heading=_("Record the invitation lottery's seed"))


@bp.route("/<int:panel_id>/invitations/draw")
@public
def invitation_draw(panel_id: int) -> str:
    panel = queries.panel_or_404(panel_id)
    draw = panel.invitation_draw
    if draw is None:
        abort(404)
    invited = invitations.invited_ids(db.session, panel) if draw.seed and not panel.purged_at else []
    return render_template("panels/invitation_draw.html", panel=panel, draw=draw, invited=invited,
                           command=invitations.rerun_command(draw))


def _committed_invitations(panel_id: int) -> Panel:
    panel = queries.panel_or_404(panel_id)
    if panel.invitation_draw is None:
        abort(404)
    return panel


@bp.route("/<int:panel_id>/addresses.csv")
@public
def addresses_file(panel_id: int) -> FlaskResponse | tuple[str, int]:
    panel = _committed_invitations(panel_id)
    if panel.purged_at is not None:  # the address list went with the personal data
        return views_draw.gone(panel)
    return FlaskResponse(invitations.addresses_csv(db.session, panel), mimetype="text/csv; charset=utf-8",
                    headers={"Content-Disposition": f"attachment; filename={invitations.ADDRESSES_FILE}"})


@bp.route("/<int:panel_id>/invited.csv")
@public
def invited_file(panel_id: int) -> FlaskResponse | tuple[str, int]:
    panel = _committed_invitations(panel_id)
    if panel.invitation_draw is None or panel.invitation_draw.seed is None:
        abort(404)
    if panel.purged_at is not None:
        return views_draw.gone(panel)
    return FlaskResponse(invitations.invited_csv(invitations.invited_ids(db.session, panel)), mimetype="text/csv; charset=utf-8",
                    headers={"Content-Disposition": f"attachment; filename={invitations.INVITED_FILE}"})


@bp.route("/<int:panel_id>/letters")
@requires(Permission.PANEL_VIEW_PERSONAL, load=queries.panel_or_404)
def letters(panel: Panel) -> str:
    return render_template("panels/letters.html", panel=panel, invitations=invitations.invitations(db.session, panel),
                           respond_url=url_for("panels.respond", _external=True))


@bp.route("/<int:panel_id>/questions", methods=["GET", "POST"])
@requires(Permission.PANEL_RUN, load=queries.panel_or_404)
def questions(panel: Panel) -> str | Response:
    form = forms.QuestionForm()
    done = run_form(form, lambda: registration.add_question(db.session, current_user, panel, form.category.data or "",
                                                            form.text.data or "", form.options.data or ""),
                    _("Question added."), lambda _r: url_for("panels.questions", panel_id=panel.id))
    return done or render_template("panels/questions.html", form=form, panel=panel, remove_form=forms.ConfirmForm())


@bp.route("/<int:panel_id>/questions/<int:question_id>/remove", methods=["POST"])
@requires(Permission.PANEL_RUN, load=queries.question_or_404)
def remove_question(question: Question) -> Response:
    target = url_for("panels.questions", panel_id=question.panel_id)
    return one_button(lambda: registration.remove_question(db.session, current_user, question), _("Question removed."), target)


@bp.route("/<int:panel_id>/registration", methods=["POST"])
@requires(Permission.PANEL_RUN, load=queries.panel_or_404)
def registration_switch(panel: Panel) -> Response:
    opening = not panel.is_registration_open
    return one_button(lambda: registration.set_registration_open(db.session, current_user, panel, opening),
                      _("Registration is open.") if opening else _("Registration is closed."),
                      url_for("panels.show", panel_id=panel.id))


@bp.route("/<int:panel_id>/responses/new", methods=["GET", "POST"])
@requires(Permission.PANEL_VIEW_PERSONAL, load=queries.panel_or_404)
def enter_response(panel: Panel) -> str | Response:
    form = forms.response_form_class(panel.questions, officer=True)()
    done = run_form(form, lambda: registration.register(
        db.session, _answer(form, panel, form.code.data or "", Channel(form.channel.data)), panel=panel, entered_by=current_user),
        _("Answer entered."), lambda _r: url_for("panels.enter_response", panel_id=panel.id))
    return done or render_template("panels/answer.html", form=form, panel=panel, officer=True)


@bp.route("/<int:panel_id>/respondents")
@requires(Permission.PANEL_VIEW_PERSONAL, load=queries.panel_or_404)
def respondents(panel: Panel) -> str:
    return render_template("panels/respondents.html", panel=panel, respondents=registration.respondents(db.session, panel))


from app.panels import views_draw  # noqa: E402,F401
