"""Account pages: register, sign in and out, password reset, account settings, deletion, role management."""

from __future__ import annotations

import hashlib

from flask import current_app, flash, make_response, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from werkzeug.wrappers import Response

from app.auth import bp, identity, queries, services
from app.auth.forms import (
    AccountForm,
    DeleteAccountForm,
    RegisterForm,
    ResetForm,
    ResetRequestForm,
    RoleForm,
    SignInForm,
)
from app.auth.models import Role, User
from app.core.errors import DomainError, render_error
from app.core.forms import attach_error, safe_next
from app.core.mail import send_mail
from app.core.permissions import Permission, public, requires, signed_in
from app.core.security import end_signed_in_session, start_signed_in_session
from app.extensions import db, limiter
from app.places import services as place_services


def _limit(name: str) -> str:
    return str(current_app.config[name])


def _breach(what: str) -> Response:
    """Flask-Limiter's on_breach hook: audit the breach, then show the translated 429 page."""
    client = hashlib.sha256((request.remote_addr or "?").encode()).hexdigest()[:16]
    db.session.rollback()
    services.record_rate_limited(db.session, what, client, request.path)
    db.session.commit()
    body, code = render_error(429)
    return make_response(body, code)


def per_email() -> str:
    """Rate-limit key for forms that name an e-mail address: the address (hashed), not the connection, so one
    library's shared connection is not blocked by its neighbours' attempts."""
    email = services.normalise_email(request.form.get("email", ""))
    return "email:" + hashlib.sha256(email.encode()).hexdigest()[:32]


@bp.route("/register", methods=["GET", "POST"])
@public
@limiter.limit(lambda: _limit("RATELIMIT_REGISTER"), methods=["POST"])
@limiter.limit(lambda: _limit("RATELIMIT_REGISTER_EMAIL"), key_func=per_email, methods=["POST"])
def register() -> str | Response:
    if current_user.is_authenticated:
        return redirect(url_for("core.index"))
    form = RegisterForm()
    form.set_wards(place_services.ward_choices(db.session))
    show_wards = bool(form.ward_id.data)
    if form.validate_on_submit():
        data = services.Registration(
            display_name=form.display_name.data or "",
            email=form.email.data or "",
            password=form.password.data or "",
            postcode=form.postcode.data or "",
            locale=request.accept_languages.best_match(current_app.config["LANGUAGES"]),
            ward_id=form.ward_id.data or None,
        )
        try:
            outcome = services.register(db.session, data)
        except DomainError as exc:
            db.session.rollback()
            attach_error(form, exc)
            show_wards = show_wards or isinstance(exc, place_services.UnknownPostcode)
        else:
            identity.send_registration_mail(outcome)
            db.session.commit()
            return render_template("auth/register_sent.html", email=services.normalise_email(data.email))
    return render_template("auth/register.html", form=form, show_wards=show_wards,
                           demo_postcodes=place_services.demo_postcodes(db.session))


@bp.route("/sign-in", methods=["GET", "POST"])
@public
@limiter.limit(lambda: _limit("RATELIMIT_LOGIN"), methods=["POST"], on_breach=lambda limit: _breach("sign_in"))
@limiter.limit(lambda: _limit("RATELIMIT_LOGIN_EMAIL"), key_func=per_email, methods=["POST"],
               on_breach=lambda limit: _breach("sign_in"))
def sign_in() -> str | Response:
    form = SignInForm()
    if form.validate_on_submit():
        user = services.authenticate(db.session, form.email.data or "", form.password.data or "")
        if user is None:
            current_app.logger.info("Failed sign-in attempt")
            form.form_errors.append(_("The email address or password is not correct."))
        else:
            db.session.commit()
            start_signed_in_session(user, remember=bool(form.remember.data))
            flash(_("You are signed in."), "success")
            return redirect(safe_next(url_for("core.index")))
    return render_template("auth/sign_in.html", form=form, next=request.args.get("next", ""))


@bp.route("/sign-out", methods=["POST"])
@public
def sign_out() -> Response:
    if current_user.is_authenticated:
        services.sign_out_everywhere(db.session, current_user)  # type: ignore[arg-type]
        db.session.commit()
    end_signed_in_session()
    flash(_("You are signed out."), "success")
    return redirect(url_for("core.index"))


@bp.route("/reset", methods=["GET", "POST"])
@public
@limiter.limit(lambda: _limit("RATELIMIT_RESET"), methods=["POST"])
@limiter.limit(lambda: _limit("RATELIMIT_RESET_EMAIL"), key_func=per_email, methods=["POST"])
def reset_request() -> str | Response:
    form = ResetRequestForm()
    if form.validate_on_submit():
        started = services.start_password_reset(db.session, form.email.data or "")
        if started is not None:
            user, token = started
            db.session.commit()
            link = url_for("auth.reset_password", token=token, _external=True)
            send_mail(
                user.email or "",
                _("Reset your Folkmoot password"),
                render_template("email/reset.txt", user=user, link=link),
            )
        return render_template("auth/reset_sent.html", email=form.email.data)
    return render_template("auth/reset_request.html", form=form)


@bp.route("/reset/<token>", methods=["GET", "POST"])
@public
@limiter.limit(lambda: _limit("RATELIMIT_RESET"), methods=["POST"])
def reset_password(token: str) -> str | Response:
    if services.token_is_usable(db.session, token) is None:
        return render_template("auth/reset_invalid.html"), 404  # type: ignore[return-value]
    form = ResetForm()
    if form.validate_on_submit():
        try:
            services.finish_password_reset(db.session, token, form.password.data or "")
        except DomainError as exc:
            db.session.rollback()
            attach_error(form, exc)
        else:
            db.session.commit()
            flash(_("Your password has been changed. Sign in with your new password."), "success")
            return redirect(url_for("auth.sign_in"))
    return render_template("auth/reset_password.html", form=form)


@bp.route("/account", methods=["GET", "POST"])
@signed_in
def account() -> str | Response:
    user: User = current_user  # type: ignore[assignment]
    form = AccountForm(obj=user)
    form.set_wards(place_services.ward_choices(db.session))
    show_wards = bool(form.ward_id.data)
    if request.method == "GET":
        form.locale.data = user.locale or "en"
    if form.validate_on_submit():
        prefs = services.Preferences(
            display_name=form.display_name.data or "",
            locale=form.locale.data,
            notify_email=bool(form.notify_email.data),
            notify_replies=bool(form.notify_replies.data),
            notify_results=bool(form.notify_results.data),
            postcode=form.postcode.data or "",
            ward_id=form.ward_id.data or None,
        )
        try:
            services.update_preferences(db.session, user, prefs)
        except DomainError as exc:
            db.session.rollback()
            attach_error(form, exc)
            show_wards = show_wards or isinstance(exc, place_services.UnknownPostcode)
        else:
            db.session.commit()
            flash(_("Your settings have been saved."), "success")
            return redirect(url_for("auth.account"))
    return render_template("auth/account.html", form=form, user=user, show_wards=show_wards)


@bp.route("/account/delete", methods=["GET", "POST"])
@signed_in
def delete_account() -> str | Response:
    form = DeleteAccountForm()
    if form.validate_on_submit():
        try:
            services.delete_account(db.session, current_user, form.password.data or "")  # type: ignore[arg-type]
        except DomainError as exc:
            db.session.rollback()
            attach_error(form, exc)
        else:
            db.session.commit()
            end_signed_in_session()
            flash(_("Your account has been deleted. What you wrote stays, shown as by a former member."), "success")
            return redirect(url_for("core.index"))
    return render_template("auth/delete_account.html", form=form)


@bp.route("/users")
@requires(Permission.ACCOUNT_LIST)
def users() -> str:
    q = request.args.get("q", "").strip()[:100]
    page = request.args.get("page", 1, type=int)
    pagination = queries.search_users(q, page)
    return render_template("auth/users.html", pagination=pagination, q=q)


@bp.route("/users/<int:user_id>", methods=["GET", "POST"])
@requires(Permission.ACCOUNT_MANAGE_ROLES, load=queries.user_or_404)
def user_roles(user: User) -> str | Response:
    form = RoleForm()
    if form.validate_on_submit():
        role = Role(form.role.data)
        try:
            if form.action.data == "grant":
                changed = services.grant_role(db.session, current_user, user, role)  # type: ignore[arg-type]
                message = _("%(name)s is now: %(role)s.", name=user.public_name, role=role.label)
            else:
                changed = services.revoke_role(db.session, current_user, user, role)  # type: ignore[arg-type]
                message = _("%(name)s no longer has the role: %(role)s.", name=user.public_name, role=role.label)
        except DomainError as exc:
            db.session.rollback()
            attach_error(form, exc)
        else:
            db.session.commit()
            flash(message if changed else _("Nothing changed."), "success")
            return redirect(url_for("auth.user_roles", user_id=user.id))
    return render_template("auth/user_roles.html", form=form, user=user)
