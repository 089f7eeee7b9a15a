"""Identity pages: confirming an e-mail address, officers' assisted registration, and confirming the area of
residents whose postcode was not in the directory."""

from __future__ import annotations

from flask import flash, redirect, render_template, url_for
from flask_babel import force_locale
from flask_babel import gettext as _
from flask_login import current_user
from werkzeug.wrappers import Response

from app.auth import bp, confirmation, queries, services
from app.auth.forms import AssistedRegisterForm, ConfirmAreaForm, ResendConfirmationForm
from app.auth.models import User
from app.core.errors import DomainError
from app.core.forms import attach_error
from app.core.mail import send_after_commit
from app.core.permissions import Permission, public, requires, signed_in
from app.core.security import start_signed_in_session
from app.extensions import db
from app.places import services as place_services

SET_PASSWORD_MAX_AGE_DAYS = 7


def send_registration_mail(outcome: services.Registered) -> None:
    """A new account gets its confirmation link; the owner of an address that already had one is told that
    someone tried to register it (the page said the same either way).  Sent after the commit."""
    user = outcome.user
    with force_locale(user.locale or "en"):
        if outcome.is_new:
            token = confirmation.start(db.session, user)
            link = url_for("auth.confirm_email", token=token, _external=True)
            subject = _("Confirm your email address for Folkmoot")
            body = render_template("email/confirm.txt", user=user, link=link)
        else:
            subject = _("Someone tried to register your email address on Folkmoot")
            body = render_template("email/already_registered.txt", user=user,
                                   sign_in=url_for("auth.sign_in", _external=True),
                                   reset=url_for("auth.reset_request", _external=True))
    send_after_commit(db.session, user.email or "", subject, body)


@bp.route("/confirm/<token>")
@public
def confirm_email(token: str) -> str | Response:
    try:
        user = confirmation.confirm(db.session, token)
    except DomainError:
        db.session.rollback()
        return render_template("auth/confirm_invalid.html"), 404  # type: ignore[return-value]
    db.session.commit()
    if not current_user.is_authenticated:
        start_signed_in_session(user)
    flash(_("Thank you: your email address is confirmed. You can now vote and support proposals."), "success")
    return redirect(url_for("core.index"))


@bp.route("/confirm", methods=["GET", "POST"])
@signed_in
def resend_confirmation() -> str | Response:
    user: User = current_user  # type: ignore[assignment]
    form = ResendConfirmationForm()
    if user.has_confirmed_identity:
        flash(_("Your email address is already confirmed."), "success")
        return redirect(url_for("auth.account"))
    if form.validate_on_submit():
        send_registration_mail(services.Registered(user, True))
        db.session.commit()
        flash(_("We have sent a new link to %(email)s.", email=user.email), "success")
        return redirect(url_for("auth.account"))
    return render_template("auth/confirm_resend.html", form=form, user=user)


@bp.route("/assisted-register", methods=["GET", "POST"])
@requires(Permission.ACCOUNT_ASSISTED_REGISTRATION)
def assisted_register() -> str | Response:
    """No rate limit: an officer at a drop-in session registers a room full of people."""
    form = AssistedRegisterForm()
    form.set_wards(place_services.ward_choices(db.session))
    if form.validate_on_submit():
        data = services.AssistedRegistration(form.display_name.data or "", form.email.data or "",
                                             form.postcode.data or "", form.ward_id.data or None)
        try:
            outcome = services.register_for_someone(db.session, current_user, data)  # type: ignore[arg-type]
            _send_set_password(outcome)
        except DomainError as exc:
            db.session.rollback()
            attach_error(form, exc)
        else:
            db.session.commit()
            flash(_("%(name)s is registered and verified by you. We have e-mailed them a link to choose a password.",
                    name=outcome.user.public_name) if outcome.is_new else
                  _("That address already has an account (%(name)s). It is now marked as verified by you.",
                    name=outcome.user.public_name), "success")
            return redirect(url_for("auth.assisted_register"))
    return render_template("auth/assisted_register.html", form=form)


def _send_set_password(outcome: services.Registered) -> None:
    from datetime import timedelta

    if not outcome.is_new:
        return
    started = services.start_password_reset(db.session, outcome.user.email or "",
                                            max_age=timedelta(days=SET_PASSWORD_MAX_AGE_DAYS))
    if started is None:
        return
    user, token = started
    link = url_for("auth.reset_password", token=token, _external=True)
    with force_locale(user.locale or "en"):
        body = render_template("email/welcome_assisted.txt", user=user, link=link, days=SET_PASSWORD_MAX_AGE_DAYS)
        send_after_commit(db.session, user.email or "", _("Your Folkmoot account: choose a password"), body)


@bp.route("/areas-to-confirm")
@requires(Permission.ACCOUNT_CONFIRM_AREA)
def areas_to_confirm() -> str:
    return render_template("auth/areas_to_confirm.html", users=queries.areas_to_confirm())


@bp.route("/areas-to-confirm/<int:user_id>", methods=["GET", "POST"])
@requires(Permission.ACCOUNT_CONFIRM_AREA, load=queries.user_or_404)
def confirm_area(user: User) -> str | Response:
    form = ConfirmAreaForm()
    form.place_id.choices = place_services.ward_choices(db.session)
    if not form.is_submitted() and user.home_place_id:
        form.place_id.data = user.home_place_id
    if form.validate_on_submit():
        try:
            services.confirm_area(db.session, current_user, user, form.place_id.data)  # type: ignore[arg-type]
        except DomainError as exc:
            db.session.rollback()
            attach_error(form, exc)
        else:
            db.session.commit()
            flash(_("%(name)s's area is confirmed: %(place)s.", name=user.public_name, place=user.home_place.name),
                  "success")
            return redirect(url_for("auth.areas_to_confirm"))
    return render_template("auth/confirm_area.html", form=form, user=user)
