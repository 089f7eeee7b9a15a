"""Deliberation pages: the forum and spaces, debates, proposal threads, comments and replies, edits and their
history, notifications, assisted entry, reports and the moderation queue, the guiding coalition and its
recommendations."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select
from werkzeug.wrappers import Response

from app.auth.models import User
from app.core import once
from app.core.db import utcnow
from app.core.errors import DomainError
from app.core.forms import attach_error
from app.core.mail import queue_for_each
from app.core.permissions import Permission, can, public, requires, signed_in
from app.deliberation import bp, policy, queries, services
from app.deliberation.forms import (
    AccountModerationForm,
    AssistedCommentForm,
    CommentForm,
    ConfirmForm,
    DebateForm,
    EditCommentForm,
    HideForm,
    MemberForm,
    ReplyForm,
    ReportForm,
    RestoreForm,
    SpaceForm,
)
from app.deliberation.models import (
    Comment,
    Debate,
    Space,
    SpaceKind,
    SpaceMembership,
    SpaceRole,
)
from app.extensions import db
from app.places.models import Place
from app.proposals.models import Channel, Proposal


def _language() -> str:
    return str(get_locale() or "en")


def _fail(form: object, exc: DomainError) -> None:
    db.session.rollback()
    attach_error(form, exc)  # type: ignore[arg-type]


def thread_url(target: Proposal | Debate, anchor: str | None = None) -> str:
    if isinstance(target, Proposal):
        return url_for("proposals.show", proposal_id=target.id, _anchor=anchor)
    return url_for("deliberation.debate", debate_id=target.id, _anchor=anchor)


def comment_url(comment: Comment) -> str:
    return thread_url(policy.comment_target(comment), f"comment-{comment.id}")


def _queue_emails(posted: services.Posted) -> None:
    """E-mail those who chose it, in their language, once the comment (and its in-app notifications) is committed."""
    comment = posted.comment
    target = policy.comment_target(comment)
    link = url_for("deliberation.comment", comment_id=comment.id, _external=True)

    def compose(user: User) -> tuple[str, str]:
        body = render_template("deliberation/email_comment.txt", user=user, comment=comment, target=target, link=link)
        return _("New comment on “%(title)s”", title=policy.public_title(target)), body

    queue_for_each(db.session, posted.email_to, compose)


@bp.app_template_global()
def deliberation_thread(target: Proposal | Debate) -> dict[str, object]:
    """What the thread partial needs, for pages of other features (the proposal page includes it)."""
    form = CommentForm(formdata=None)
    form.body.id, form.stance.id = "thread-comment-body", "thread-comment-stance"
    form.body.description = policy.readers_text(target)
    return {
        "thread": queries.thread(db.session, target),
        "stances": queries.stance_counts(db.session, target),
        "form": form,
        "post_url": _post_url(target),
    }


@bp.app_template_global()
def deliberation_unread() -> int:
    return queries.unread_count(db.session, current_user)


@bp.app_template_filter()
def target_title(target: Proposal | Debate) -> str:
    return policy.public_title(target)


def _post_url(target: Proposal | Debate) -> str:
    if isinstance(target, Proposal):
        return url_for("deliberation.comment_on_proposal", proposal_id=target.id)
    return url_for("deliberation.comment_on_debate", debate_id=target.id)


# --- the forum, spaces and debates ---------------------------------------------------------------------------

@bp.route("/")
@public
def index() -> str:
    debates = queries.debates_in(db.session, None)
    return render_template(
        "deliberation/index.html",
        debates=debates,
        counts=queries.comment_counts(db.session, debates),
        spaces=queries.visible_spaces(db.session, current_user),
        coalition=services.coalition(db.session),
    )


def _place_choices(form: DebateForm) -> None:
    places = db.session.execute(select(Place).order_by(Place.name)).scalars().all()
    form.place.choices = [("", _("No particular place"))] + [(p.code, f"{p.name} ({p.kind_label})") for p in places]


def _new_debate(space: Space | None) -> str | Response:
    form = DebateForm()
    _place_choices(form)
    if form.validate_on_submit():
        if (again := once.claim(form)) is not None:
            return again
        place = db.session.execute(select(Place).where(Place.code == form.place.data)).scalar_one_or_none() if form.place.data else None
        data = services.DebateData(title=form.title.data or "", body=form.body.data or "", place=place, language=_language())
        try:
            debate = services.start_debate(db.session, current_user, space, data)  # type: ignore[arg-type]
        except DomainError as exc:
            _fail(form, exc)
        else:
            once.record(form, url_for("deliberation.debate", debate_id=debate.id))
            db.session.commit()
            flash(_("Your debate has started."), "success")
            return redirect(url_for("deliberation.debate", debate_id=debate.id))
    return render_template("deliberation/debate_form.html", form=form, space=space)


@bp.route("/debates/new", methods=["GET", "POST"])
@requires(Permission.DELIBERATION_START_DEBATE)
def new_debate() -> str | Response:
    return _new_debate(None)


@bp.route("/spaces/<slug>/debates/new", methods=["GET", "POST"])
@requires(Permission.DELIBERATION_START_DEBATE, load=queries.space_or_404)
def new_debate_in_space(space: Space) -> str | Response:
    return _new_debate(space)


@bp.route("/debates/<int:debate_id>")
@public
def debate(debate_id: int) -> str:
    debate = queries.debate_or_404(debate_id)
    return render_template("deliberation/debate.html", debate=debate, report_form=ConfirmForm())


@bp.route("/spaces")
@public
def spaces() -> str:
    managing = can(Permission.DELIBERATION_MANAGE_SPACES)
    all_spaces = db.session.execute(select(Space).order_by(Space.name)).scalars().all() if managing else []
    return render_template("deliberation/spaces.html", spaces=queries.visible_spaces(db.session, current_user),
                           all_spaces=all_spaces)


@bp.route("/spaces/new", methods=["GET", "POST"])
@requires(Permission.DELIBERATION_MANAGE_SPACES)
def new_space() -> str | Response:
    form = SpaceForm()
    if form.validate_on_submit():
        if (again := once.claim(form)) is not None:
            return again
        data = services.SpaceData(name=form.name.data or "", description=form.description.data or "",
                                  kind=SpaceKind(form.kind.data), is_restricted=bool(form.is_restricted.data))
        try:
            space = services.create_space(db.session, current_user, data)  # type: ignore[arg-type]
        except DomainError as exc:
            _fail(form, exc)
        else:
            once.record(form, url_for("deliberation.members", slug=space.slug))
            db.session.commit()
            flash(_("The space “%(name)s” has been created. Add its members.", name=space.name), "success")
            return redirect(url_for("deliberation.members", slug=space.slug))
    return render_template("deliberation/space_form.html", form=form)


@bp.route("/spaces/<slug>")
@public
def space(slug: str) -> str:
    space = queries.space_or_404(slug)
    debates = queries.debates_in(db.session, space)
    today = utcnow().date()
    return render_template(
        "deliberation/space.html", space=space, debates=debates, counts=queries.comment_counts(db.session, debates),
        members=[m for m in space.memberships if m.is_current(today)],
    )


@bp.route("/spaces/<slug>/members", methods=["GET", "POST"])
@requires(Permission.DELIBERATION_MANAGE_SPACES, load=queries.managed_space_or_404)
def members(space: Space) -> str | Response:
    form = MemberForm()
    if request.method == "GET":
        form.started_on.data = utcnow().date()
    if form.validate_on_submit():
        if (again := once.claim(form)) is not None:
            return again
        try:
            membership = services.add_member(
                db.session, current_user, space, form.email.data or "", SpaceRole(form.role.data),  # type: ignore[arg-type]
                form.started_on.data, form.term_ends_on.data,  # type: ignore[arg-type]
            )
        except DomainError as exc:
            _fail(form, exc)
        else:
            once.record(form, url_for("deliberation.members", slug=space.slug))
            db.session.commit()
            flash(_("%(name)s is now a member of %(space)s.", name=membership.user.public_name, space=space.name), "success")
            return redirect(url_for("deliberation.members", slug=space.slug))
    today = utcnow().date()
    return render_template("deliberation/members.html", space=space, form=form, today=today,
                           balance=services.balance(db.session, space), is_staff=policy.is_officer)


@bp.route("/memberships/<int:membership_id>/end", methods=["GET", "POST"])
@requires(Permission.DELIBERATION_MANAGE_SPACES, load=queries.membership_or_404)
def end_membership(membership: SpaceMembership) -> str | Response:
    form = ConfirmForm()
    space = membership.space
    if form.validate_on_submit():
        try:
            services.end_membership(db.session, current_user, membership)  # type: ignore[arg-type]
        except DomainError as exc:
            _fail(form, exc)
        else:
            db.session.commit()
            flash(_("The membership has ended."), "success")
            return redirect(url_for("deliberation.members", slug=space.slug))
    return render_template("deliberation/end_membership.html", form=form, membership=membership)


# --- threads, comments and replies ---------------------------------------------------------------------------

def _comment_page(target: Proposal | Debate) -> str | Response:
    form = CommentForm()
    form.body.description = policy.readers_text(target)
    if form.validate_on_submit():
        if (again := once.claim(form)) is not None:
            return again
        try:
            posted = services.add_comment(db.session, current_user, target, form.body.data or "",  # type: ignore[arg-type]
                                          form.stance.data or None, language=_language())
        except DomainError as exc:
            _fail(form, exc)
        else:
            _queue_emails(posted)
            once.record(form, comment_url(posted.comment))
            db.session.commit()
            flash(_("Your comment has been posted."), "success")
            return redirect(comment_url(posted.comment))
    return render_template("deliberation/comment_form.html", form=form, target=target,
                           thread=queries.thread(db.session, target))


@bp.route("/proposals/<int:proposal_id>/comments", methods=["GET", "POST"])
@requires(Permission.DELIBERATION_COMMENT, load=queries.proposal_or_404)
def comment_on_proposal(proposal: Proposal) -> str | Response:
    return _comment_page(proposal)


@bp.route("/debates/<int:debate_id>/comments", methods=["GET", "POST"])
@requires(Permission.DELIBERATION_COMMENT, load=queries.debate_or_404)
def comment_on_debate(debate: Debate) -> str | Response:
    return _comment_page(debate)


@bp.route("/comments/<int:comment_id>/reply", methods=["GET", "POST"])
@requires(Permission.DELIBERATION_COMMENT, load=queries.comment_or_404)
def reply(parent: Comment) -> str | Response:
    form = ReplyForm()
    target = policy.comment_target(parent)
    form.body.description = policy.readers_text(target)
    if form.validate_on_submit():
        if (again := once.claim(form)) is not None:
            return again
        try:
            posted = services.add_comment(db.session, current_user, target, form.body.data or "",  # type: ignore[arg-type]
                                          form.stance.data or None, parent=parent, language=_language())
        except DomainError as exc:
            _fail(form, exc)
        else:
            _queue_emails(posted)
            once.record(form, comment_url(posted.comment))
            db.session.commit()
            flash(_("Your reply has been posted."), "success")
            return redirect(comment_url(posted.comment))
    return render_template("deliberation/reply.html", form=form, parent=parent, target=target)


@bp.route("/comments/<int:comment_id>")
@public
def comment(comment_id: int) -> Response:
    return redirect(comment_url(queries.comment_or_404(comment_id)))


@bp.route("/comments/<int:comment_id>/edit", methods=["GET", "POST"])
@requires(Permission.DELIBERATION_EDIT_COMMENT, load=queries.comment_or_404)
def edit_comment(comment: Comment) -> str | Response:
    form = EditCommentForm(obj=comment)
    form.body.description = " ".join((str(form.body.description), policy.readers_text(policy.comment_target(comment))))
    if request.method == "GET":
        form.stance.data = comment.stance or ""
    if form.validate_on_submit():
        try:
            changed = services.edit_comment(db.session, current_user, comment, form.body.data or "",  # type: ignore[arg-type]
                                            form.stance.data or None)
        except DomainError as exc:
            _fail(form, exc)
        else:
            db.session.commit()
            flash(_("Your comment has been changed.") if changed else _("Nothing changed."), "success")
            return redirect(comment_url(comment))
    return render_template("deliberation/edit_comment.html", form=form, comment=comment,
                           target=policy.comment_target(comment))


@bp.route("/comments/<int:comment_id>/history")
@public
def history(comment_id: int) -> str:
    comment = queries.comment_or_404(comment_id)
    if comment.hidden_at is not None and not can(Permission.DELIBERATION_MODERATE):
        abort(404)  # a hidden comment's text, past or present, is for moderators only
    return render_template("deliberation/history.html", comment=comment, target=policy.comment_target(comment))


def _assisted(target: Proposal | Debate) -> str | Response:
    form = AssistedCommentForm()
    if form.validate_on_submit():
        if (again := once.claim(form)) is not None:
            return again
        data = services.AssistedComment(
            channel=Channel(form.channel.data), body=form.body.data or "", stance=form.stance.data or None,
            email=form.email.data or "", name=form.name.data or "", contact_note=form.contact_note.data or "",
        )
        try:
            posted = services.assisted_comment(db.session, current_user, target, data)  # type: ignore[arg-type]
        except DomainError as exc:
            _fail(form, exc)
        else:
            _queue_emails(posted)
            once.record(form, comment_url(posted.comment))
            db.session.commit()
            flash(_("The comment has been recorded, marked as entered by an officer."), "success")
            return redirect(comment_url(posted.comment))
    return render_template("deliberation/assisted.html", form=form, target=target)


@bp.route("/proposals/<int:proposal_id>/assisted-comment", methods=["GET", "POST"])
@requires(Permission.DELIBERATION_ASSISTED_COMMENT, load=queries.proposal_or_404)
def assisted_on_proposal(proposal: Proposal) -> str | Response:
    return _assisted(proposal)


@bp.route("/debates/<int:debate_id>/assisted-comment", methods=["GET", "POST"])
@requires(Permission.DELIBERATION_ASSISTED_COMMENT, load=queries.debate_or_404)
def assisted_on_debate(debate: Debate) -> str | Response:
    return _assisted(debate)


# --- notifications --------------------------------------------------------------------------------------------

@bp.route("/notifications", methods=["GET", "POST"])
@signed_in
def notifications() -> str | Response:
    """Suspended accounts too: they read their notifications and why they are suspended (and may mark them
    read, which only they see); they cannot post anything."""
    form = ConfirmForm()
    if form.validate_on_submit():
        services.mark_all_read(db.session, current_user)  # type: ignore[arg-type]
        db.session.commit()
        flash(_("All notifications are marked as read."), "success")
        return redirect(url_for("deliberation.notifications"))
    return render_template("deliberation/notifications.html", form=form,
                           notifications=queries.notifications_for(db.session, current_user),  # type: ignore[arg-type]
                           suspension=services.latest_suspension(db.session, current_user))  # type: ignore[arg-type]


# --- reports and moderation ----------------------------------------------------------------------------------

def _content_url(ref: services.ContentRef) -> str:
    obj = ref.obj
    if isinstance(obj, Comment):
        return comment_url(obj)
    if isinstance(obj, Debate):
        return url_for("deliberation.debate", debate_id=obj.id)
    return url_for("proposals.show", proposal_id=obj.id)


def _in_place_url(ref: services.ContentRef) -> str | None:
    """Where the content is, if the signed-in moderator can read it there (not inside a restricted space they
    are not a member of)."""
    return _content_url(ref) if policy.may_view_content(current_user, ref.obj) else None


def _review_url(ref: services.ContentRef) -> str:
    return url_for("deliberation.review", kind=ref.kind.value, content_id=ref.id)


@bp.route("/report/<kind>/<int:content_id>", methods=["GET", "POST"])
@requires(Permission.DELIBERATION_REPORT, load=queries.content_or_404)
def report(ref: services.ContentRef) -> str | Response:
    form = ReportForm()
    if form.validate_on_submit():
        if (again := once.claim(form)) is not None:
            return again
        try:
            services.report(db.session, current_user, ref, form.reason.data or "")  # type: ignore[arg-type]
        except DomainError as exc:
            _fail(form, exc)
        else:
            once.record(form, _content_url(ref))
            db.session.commit()
            flash(_("Thank you. A moderator will look at your report."), "success")
            return redirect(_content_url(ref))
    return render_template("deliberation/report.html", form=form, ref=ref, back=_content_url(ref))


@bp.route("/moderation")
@requires(Permission.DELIBERATION_MODERATE)
def moderation() -> str:
    return render_template("deliberation/moderation.html", items=queries.open_reports(db.session),
                           hidden=queries.hidden_content(db.session), in_place_url=_in_place_url, review_url=_review_url,
                           users=queries.find_users(db.session, request.args.get("q", "").strip()[:100]),
                           q=request.args.get("q", "").strip()[:100])


@bp.route("/moderation/<kind>/<int:content_id>")
@requires(Permission.DELIBERATION_MODERATE, load=queries.moderated_content_or_404)
def review(ref: services.ContentRef) -> str:
    """Reported or hidden content with its context, edit history and every report, wherever it is (restricted
    spaces included: see ``policy.may_review_content``)."""
    obj = ref.obj
    target = policy.comment_target(obj) if isinstance(obj, Comment) else obj
    return render_template(
        "deliberation/review.html", ref=ref, target=target, space=getattr(target, "space", None),
        answered=obj.in_reply_to if isinstance(obj, Comment) else None,
        reports=queries.reports_about(db.session, ref), open_reports=queries.has_open_reports(db.session, ref),
        in_place_url=_in_place_url(ref),
    )


@bp.route("/moderation/<kind>/<int:content_id>/hide", methods=["GET", "POST"])
@requires(Permission.DELIBERATION_MODERATE, load=queries.moderated_content_or_404)
def hide(ref: services.ContentRef) -> str | Response:
    form = HideForm()
    if form.validate_on_submit():
        try:
            services.hide(db.session, current_user, ref, form.reason.data or "")  # type: ignore[arg-type]
        except DomainError as exc:
            _fail(form, exc)
        else:
            db.session.commit()
            flash(_("Hidden. People now see the reason instead of the text."), "success")
            return redirect(url_for("deliberation.moderation"))
    return render_template("deliberation/hide.html", form=form, ref=ref, content_url=_in_place_url(ref),
                           review_url=_review_url(ref))


@bp.route("/moderation/<kind>/<int:content_id>/restore", methods=["GET", "POST"])
@requires(Permission.DELIBERATION_MODERATE, load=queries.moderated_content_or_404)
def restore(ref: services.ContentRef) -> str | Response:
    form = RestoreForm()
    if form.validate_on_submit():
        try:
            services.restore(db.session, current_user, ref, form.note.data or "")  # type: ignore[arg-type]
        except DomainError as exc:
            _fail(form, exc)
        else:
            db.session.commit()
            flash(_("Restored. Everyone can read it again."), "success")
            return redirect(url_for("deliberation.moderation"))
    return render_template("deliberation/restore.html", form=form, ref=ref, content_url=_in_place_url(ref),
                           review_url=_review_url(ref))


@bp.route("/moderation/<kind>/<int:content_id>/dismiss", methods=["GET", "POST"])
@requires(Permission.DELIBERATION_MODERATE, load=queries.moderated_content_or_404)
def dismiss(ref: services.ContentRef) -> str | Response:
    form = ConfirmForm()
    if form.validate_on_submit():
        try:
            services.dismiss_reports(db.session, current_user, ref)  # type: ignore[arg-type]
        except DomainError as exc:
            _fail(form, exc)
        else:
            db.session.commit()
            flash(_("The reports are closed and the content stays visible."), "success")
            return redirect(url_for("deliberation.moderation"))
    return render_template("deliberation/dismiss.html", form=form, ref=ref, content_url=_in_place_url(ref),
                           review_url=_review_url(ref))


@bp.route("/moderation/accounts/<int:user_id>", methods=["GET", "POST"])
@requires(Permission.DELIBERATION_MODERATE, load=queries.user_or_404)
def moderate_account(user: User) -> str | Response:
    form = AccountModerationForm()
    if form.validate_on_submit():
        try:
            services.moderate_account(db.session, current_user, user, form.action.data or "", form.reason.data or "")  # type: ignore[arg-type]
        except DomainError as exc:
            _fail(form, exc)
        else:
            db.session.commit()
            flash(_("Done: %(name)s's account has been updated.", name=user.public_name), "success")
            return redirect(url_for("deliberation.moderate_account", user_id=user.id))
    return render_template("deliberation/account.html", form=form, user=user,
                           warnings=queries.warnings_for(db.session, user),
                           comments=[c for c in queries.recent_comments_by(db.session, user, limit=50)
                                     if policy.may_view_comment(current_user, c)][:10])
