"""Delegation pages: delegates (public), offering and withdrawing, delegating and revoking, where my vote
goes, the weight I carry, my history, notification opt-ins, and marking group accounts (officers)."""

from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from werkzeug.wrappers import Response as WResponse

from app.core.errors import DomainError
from app.core.forms import attach_error
from app.core.permissions import Permission, public, requires
from app.delegation import bp, forms, presenters, queries, services, where
from app.delegation.models import DelegateProfile, ScopeKind
from app.extensions import db


def _fail(form: forms.FlaskForm, exc: DomainError) -> None:
    db.session.rollback()
    attach_error(form, exc)


@bp.route("/")
@requires(Permission.DELEGATION_DELEGATE)
def index() -> str:
    rows = services.delegations_of(db.session, current_user)
    groups: dict[tuple[str, int], list] = {}
    for d in rows:
        groups.setdefault((d.scope_kind, d.scope_key), []).append(d)
    scopes = [(services.scope_name(db.session, k, key), k, key, ds) for (k, key), ds in groups.items()]
    return render_template("delegation/index.html", scopes=scopes, profile=services.profile_of(db.session, current_user),
                           revoke_form=forms.RevokeForm())


@bp.route("/delegates")
@public
def delegates() -> str:
    return render_template("delegation/delegates.html", profiles=services.delegates(db.session))


@bp.route("/delegates/<int:user_id>")
@public
def profile(user_id: int) -> str:
    return render_template("delegation/profile.html", profile=queries.profile_or_404(user_id))


@bp.route("/offer", methods=["GET", "POST"])
@requires(Permission.DELEGATION_OFFER)
def offer() -> str | WResponse:
    existing = services.profile_of(db.session, current_user)
    form = forms.ProfileForm(obj=existing if existing and existing.is_active else None)
    form.topics.choices, form.places.choices = queries.topic_choices(db.session), queries.place_choices(db.session)
    if request.method == "GET" and existing is not None and existing.is_active:
        form.topics.data, form.places.data = [t.id for t in existing.topics], [p.id for p in existing.places]
    if form.validate_on_submit():
        data = services.ProfileData(form.statement.data or "", queries.topics_by_ids(db.session, form.topics.data or []),
                                    queries.places_by_ids(db.session, form.places.data or []), bool(form.accepts_disclosure.data),
                                    bool(form.name_in_results.data), _locale())
        try:
            services.offer(db.session, current_user, data)
        except DomainError as exc:
            _fail(form, exc)
        else:
            db.session.commit()
            flash(_("You are a delegate. Members can now delegate their vote to you."), "success")
            return redirect(url_for("delegation.profile", user_id=current_user.id))
    return render_template("delegation/offer.html", form=form, existing=existing)


def _locale() -> str:
    from flask_babel import get_locale

    return str(get_locale() or "en")


@bp.route("/withdraw", methods=["GET", "POST"])
@requires(Permission.DELEGATION_OFFER)
def withdraw() -> str | WResponse:
    form = forms.ConfirmForm()
    if form.validate_on_submit():
        try:
            ended = services.withdraw(db.session, current_user)
        except DomainError as exc:
            _fail(form, exc)
        else:
            db.session.commit()
            flash(_("You are no longer a delegate. %(num)d delegations to you ended.", num=ended), "success")
            return redirect(url_for("delegation.index"))
    return render_template("delegation/withdraw.html", form=form)


def _delegation_form() -> forms.DelegationForm:
    form = forms.DelegationForm()
    none = [(0, _("Choose a delegate"))]
    choices = queries.delegate_choices(db.session, current_user.id)
    form.delegate1.choices = none + choices
    form.delegate2.choices = form.delegate3.choices = [(0, _("No backup"))] + choices
    form.topic.choices = [(0, _("Choose a topic"))] + queries.topic_choices(db.session)
    form.place.choices = [(0, _("Choose a place"))] + queries.place_choices(db.session)
    if request.method == "GET" and request.args.get("delegate", "").isdigit():
        form.delegate1.data = int(request.args["delegate"])
    return form


@bp.route("/new", methods=["GET", "POST"])
@requires(Permission.DELEGATION_DELEGATE)
def new() -> str | WResponse:
    form = _delegation_form()
    if form.validate_on_submit():
        chosen = queries.users_by_ids(db.session, [v for v in (form.delegate1.data, form.delegate2.data, form.delegate3.data) if v])
        kind = ScopeKind(form.scope.data)
        scope = services.Scope(kind, queries.topics_by_ids(db.session, [form.topic.data or 0])[0] if form.topic.data else None,
                               queries.places_by_ids(db.session, [form.place.data or 0])[0] if form.place.data else None)
        try:
            services.set_delegation(db.session, current_user, scope, chosen, form.max_depth.data or None, bool(form.show_my_name.data))
        except DomainError as exc:
            _fail(form, exc)
        else:
            db.session.commit()
            flash(_("Your delegation is saved."), "success")
            return redirect(url_for("delegation.where_page"))
    return render_template("delegation/new.html", form=form)


@bp.route("/revoke", methods=["POST"])
@requires(Permission.DELEGATION_DELEGATE)
def revoke() -> WResponse:
    form = forms.RevokeForm()
    try:
        if not form.validate_on_submit() or form.scope_kind.data not in {k.value for k in ScopeKind} or not str(form.scope_key.data).isdigit():
            raise DomainError(_("That delegation could not be found."))
        services.revoke(db.session, current_user, ScopeKind(form.scope_kind.data), int(form.scope_key.data))
    except DomainError as exc:
        db.session.rollback()
        flash(exc.message, "error")
    else:
        db.session.commit()
        flash(_("Delegation revoked. Your history keeps it."), "success")
    return redirect(url_for("delegation.index"))


@bp.route("/where")
@requires(Permission.DELEGATION_DELEGATE)
def where_page() -> str:
    return render_template("delegation/where.html", situations=where.situations(db.session, current_user), presenters=presenters)


@bp.route("/weight")
@requires(Permission.DELEGATION_VIEW_WEIGHT)
def weight() -> str:
    return render_template("delegation/weight.html", weights=services.weights_of(db.session, current_user),
                           profile=services.profile_of(db.session, current_user))


@bp.route("/history")
@requires(Permission.DELEGATION_DELEGATE)
def history() -> str:
    events = services.history(db.session, current_user)
    return render_template("delegation/history.html", events=events, presenters=presenters,
                           scope_names={(e.scope_kind, e.scope_key): services.scope_name(db.session, e.scope_kind, e.scope_key) for e in events})


@bp.route("/preferences", methods=["GET", "POST"])
@requires(Permission.DELEGATION_DELEGATE)
def preferences() -> str | WResponse:
    form = forms.PrefsForm(obj=services.prefs_of(db.session, current_user))
    if form.validate_on_submit():
        services.update_prefs(db.session, current_user, bool(form.delegate_voted.data), bool(form.delegate_stopped.data),
                              bool(form.delegated_to_me.data))
        db.session.commit()
        flash(_("Your notification choices are saved."), "success")
        return redirect(url_for("delegation.index"))
    return render_template("delegation/preferences.html", form=form, email_on=current_user.notify_email)


@bp.route("/delegates/<int:user_id>/group", methods=["GET", "POST"])
@requires(Permission.DELEGATION_MANAGE_GROUPS, load=queries.profile_or_404)
def group(profile: DelegateProfile) -> str | WResponse:
    form = forms.GroupForm(obj=profile)
    if form.validate_on_submit():
        try:
            services.set_group(db.session, current_user, profile, bool(form.is_group.data), form.group_name.data or "")
        except DomainError as exc:
            _fail(form, exc)
        else:
            db.session.commit()
            flash(_("Saved."), "success")
            return redirect(url_for("delegation.profile", user_id=profile.user_id))
    return render_template("delegation/group.html", form=form, profile=profile)
