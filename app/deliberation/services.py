"""Deliberation rules: spaces and memberships, debates, comments and replies, edits with history,
notifications, assisted entry, reports and moderation, recommendations and the council's responses.

Services take the acting user explicitly, raise DomainError, flush and never commit; views commit.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, timedelta

from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from app.auth import services as accounts
from app.auth.models import Role, User
from app.core import audit
from app.core.db import utcnow
from app.core.errors import DomainError
from app.deliberation import policy
from app.deliberation.models import (
    AccountAction,
    AccountWarning,
    Comment,
    CommentRevision,
    ContentKind,
    CouncilResponse,
    Debate,
    Notification,
    Outcome,
    Recommendation,
    Report,
    Space,
    SpaceKind,
    SpaceMembership,
    SpaceRole,
    Stance,
)
from app.places.models import Place
from app.proposals.models import Channel, OfflineContributor, Proposal

COMMENT_MAX = 10_000
TITLE_MAX = 200
DEBATE_BODY_MAX = 20_000
REASON_MAX = 2_000
RECOMMENDATION_MAX = 20_000
NAME_MAX = 120
DESCRIPTION_MAX = 5_000
COALITION_TERM_YEARS = 2
MAX_DEPTH = 2  # levels 0 (comment), 1 (reply) and 2 (reply to a reply)

Target = Proposal | Debate


def _require_text(value: str | None, limit: int, field_name: str, empty: str, too_long: str) -> str:
    """User text is stored exactly as given; only its presence and length are checked."""
    text = value or ""
    if not text.strip():
        raise DomainError(empty, field=field_name)
    if len(text) > limit:
        raise DomainError(too_long, field=field_name)
    return text


def _comment_body(body: str | None) -> str:
    return _require_text(
        body, COMMENT_MAX, "body", _("Enter your comment"),
        _("Your comment must be %(max)d characters or fewer", max=COMMENT_MAX),
    )


def _stance(value: str | None) -> str | None:
    if not value:
        return None
    try:
        return Stance(value).value
    except ValueError:
        raise DomainError(_("Choose for, against, question or no stance"), field="stance") from None


# --- spaces -----------------------------------------------------------------------------------------------

def slugify(name: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")[:60] or "space"


@dataclass(frozen=True)
class SpaceData:
    name: str
    description: str
    kind: SpaceKind
    is_restricted: bool


def create_space(session: Session, officer: User, data: SpaceData) -> Space:
    name = _require_text(data.name, NAME_MAX, "name", _("Enter a name for the space"),
                         _("The name must be %(max)d characters or fewer", max=NAME_MAX)).strip()
    if len(data.description or "") > DESCRIPTION_MAX:
        raise DomainError(_("The description must be 5,000 characters or fewer"), field="description")
    if data.kind is SpaceKind.COALITION and coalition(session) is not None:
        raise DomainError(_("There is already a guiding coalition space."), field="kind")
    # The guiding coalition, panels and working groups deliberate among their members.
    restricted = data.is_restricted or data.kind is not SpaceKind.PUBLIC
    base = slugify(name)
    slug, n = base, 1
    while session.execute(select(Space.id).where(Space.slug == slug)).first() is not None:
        n += 1
        slug = f"{base[:55]}-{n}"
    space = Space(name=name, slug=slug, description=data.description or "", kind=data.kind.value,
                  is_restricted=restricted, created_by_id=officer.id)
    session.add(space)
    session.flush()
    audit.record(session, "deliberation.space_created", actor=officer, obj=space,
                 data={"kind": space.kind, "restricted": space.is_restricted})
    return space


def coalition(session: Session) -> Space | None:
    return session.execute(
        select(Space).where(Space.kind == SpaceKind.COALITION.value).order_by(Space.id).limit(1)
    ).scalar_one_or_none()


def add_years(day: date, years: int) -> date:
    try:
        return day.replace(year=day.year + years)
    except ValueError:  # 29 February
        return day.replace(year=day.year + years, day=28)


def add_member(
    session: Session, officer: User, space: Space, email: str, role: SpaceRole,
    started_on: date, term_ends_on: date | None,
) -> SpaceMembership:
    user = accounts.find_by_email(session, email)
    if user is None or user.is_deleted:
        raise DomainError(_("There is no account with that email address."), field="email")
    if space.kind == SpaceKind.WORKING_GROUP.value and not policy.is_officer(user):
        raise DomainError(_("Only council staff can be members of an officers' working group."), field="email")
    if term_ends_on is None and space.kind == SpaceKind.COALITION.value:
        term_ends_on = add_years(started_on, COALITION_TERM_YEARS)
    if term_ends_on is not None and term_ends_on < started_on:
        raise DomainError(_("The end of the term must be on or after its start"), field="term_ends_on")
    existing = session.execute(
        select(SpaceMembership).where(SpaceMembership.space_id == space.id, SpaceMembership.user_id == user.id)
    ).scalar_one_or_none()
    today = utcnow().date()
    if existing is not None:
        if existing.is_current(today) or existing.started_on > today:
            raise DomainError(_("%(name)s is already a member of this space.", name=user.public_name), field="email")
        membership = existing  # a new term for a former member: the row records the current term
        membership.role, membership.started_on, membership.term_ends_on = role.value, started_on, term_ends_on
    else:
        membership = SpaceMembership(space=space, user_id=user.id, role=role.value, started_on=started_on,
                                     term_ends_on=term_ends_on)
        session.add(membership)
    try:
        with session.begin_nested():
            session.flush()
    except IntegrityError:
        raise DomainError(_("%(name)s is already a member of this space.", name=user.public_name), field="email") from None
    audit.record(session, "deliberation.member_added", actor=officer, obj=space,
                 data={"user_id": user.id, "role": role.value, "started_on": started_on.isoformat(),
                       "term_ends_on": term_ends_on.isoformat() if term_ends_on else None})
    return membership


def end_membership(session: Session, officer: User, membership: SpaceMembership) -> None:
    today = utcnow().date()
    if not membership.is_current(today) and membership.started_on <= today:
        raise DomainError(_("This membership has already ended."))
    # The row stays as the record of the term, which ends yesterday, so access ends now; a membership that
    # had not yet begun is simply withdrawn.
    yesterday = today - timedelta(days=1)
    space, user_id = membership.space, membership.user_id
    if membership.started_on <= yesterday:
        membership.term_ends_on = yesterday
    else:
        session.delete(membership)
    session.flush()
    audit.record(session, "deliberation.member_removed", actor=officer, obj=space, data={"user_id": user_id})


@dataclass(frozen=True)
class Balance:
    officers: int
    residents: int

    @property
    def total(self) -> int:
        return self.officers + self.residents


def balance(session: Session, space: Space) -> Balance:
    """Staff (officers and administrators) and residents among the space's current members."""
    today = utcnow().date()
    officers = residents = 0
    for m in space.memberships:
        if not m.is_current(today):
            continue
        if m.user.has_role(Role.OFFICER) or m.user.has_role(Role.ADMINISTRATOR):
            officers += 1
        else:
            residents += 1
    return Balance(officers, residents)


# --- debates ----------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class DebateData:
    title: str
    body: str
    place: Place | None = None
    language: str | None = None


def start_debate(session: Session, author: User, space: Space | None, data: DebateData) -> Debate:
    if not policy.may_start_debate(author, space) or author.is_suspended:
        raise DomainError(_("You cannot start a debate here."))
    title = _require_text(data.title, TITLE_MAX, "title", _("Enter a title"),
                          _("The title must be %(max)d characters or fewer", max=TITLE_MAX))
    body = _require_text(data.body, DEBATE_BODY_MAX, "body", _("Enter what you want to discuss"),
                         _("The text must be %(max)d characters or fewer", max=DEBATE_BODY_MAX))
    debate = Debate(space=space, title=title, body=body, place=data.place, language=data.language, author_id=author.id)
    session.add(debate)
    session.flush()
    audit.record(session, "deliberation.debate_started", actor=author, obj=debate,
                 data={"space_id": space.id if space else None})
    return debate


# --- comments and notifications ----------------------------------------------------------------------------

@dataclass
class Posted:
    comment: Comment
    email_to: list[User] = field(default_factory=list)


def _place_in_thread(comment: Comment, parent: Comment | None) -> None:
    if parent is None:
        comment.depth = 0
        return
    comment.in_reply_to_id = parent.id
    if parent.depth >= MAX_DEPTH:
        # Deeper replies sit beside their parent at the last level, shown as "in reply to …".
        comment.parent_id = parent.parent_id
        comment.depth = MAX_DEPTH
    else:
        comment.parent_id = parent.id
        comment.depth = parent.depth + 1


def _check_target(user: User, target: Target, parent: Comment | None) -> None:
    if parent is not None:
        if policy.comment_target(parent) is not target:
            raise DomainError(_("That comment is not in this thread."))
        if parent.hidden_at is not None:
            raise DomainError(_("You cannot reply to a hidden comment."))
    if not policy.target_is_open(target):
        raise DomainError(_("This thread is closed to new comments."))


def _attach(comment: Comment, target: Target) -> None:
    if isinstance(target, Proposal):
        comment.proposal_id = target.id
    else:
        comment.debate_id = target.id


def add_comment(
    session: Session, author: User, target: Target, body: str, stance: str | None = None,
    parent: Comment | None = None, language: str | None = None,
) -> Posted:
    if author.is_suspended or not policy.may_comment(author, parent or target):
        raise DomainError(_("You cannot comment here."))
    _check_target(author, target, parent)
    comment = Comment(author_id=author.id, body=_comment_body(body), stance=_stance(stance), language=language,
                      channel=Channel.ONLINE.value)
    _attach(comment, target)
    _place_in_thread(comment, parent)
    session.add(comment)
    session.flush()
    audit.record(session, "deliberation.comment_posted", actor=author, obj=comment,
                 data={"target": _target_ref(target), "in_reply_to": comment.in_reply_to_id})
    return Posted(comment, notify(session, comment, target))


def _target_ref(target: Target) -> str:
    return f"{'proposal' if isinstance(target, Proposal) else 'debate'}:{target.id}"


def notify(session: Session, comment: Comment, target: Target) -> list[User]:
    """Tell the subject's author and the thread's participants; return whom to email as well
    (only those who chose email and reply notifications)."""
    kinds: dict[int, str] = {}
    if comment.in_reply_to_id is not None:
        answered = session.get(Comment, comment.in_reply_to_id)
        if answered is not None and answered.author_id is not None:
            kinds[answered.author_id] = "reply"
    if target.author_id is not None:
        kinds.setdefault(target.author_id, "comment")
    column = Comment.proposal_id if isinstance(target, Proposal) else Comment.debate_id
    for (user_id,) in session.execute(
        select(Comment.author_id).where(column == target.id, Comment.author_id.is_not(None), Comment.hidden_at.is_(None)).distinct()
    ):
        kinds.setdefault(user_id, "comment")
    for skip in (comment.author_id, comment.entered_by_id):
        kinds.pop(skip, None)  # type: ignore[arg-type]
    email_to: list[User] = []
    for user_id, kind in sorted(kinds.items()):
        user = session.get(User, user_id)
        if user is None or user.is_deleted or not policy.may_view_target(user, target):
            continue
        session.add(Notification(user_id=user_id, kind=kind, comment_id=comment.id))
        if user.notify_email and user.notify_replies and user.email:
            email_to.append(user)
    session.flush()
    return email_to


def mark_all_read(session: Session, user: User) -> int:
    now = utcnow()
    rows = session.execute(
        select(Notification).where(Notification.user_id == user.id, Notification.read_at.is_(None))
    ).scalars().all()
    for n in rows:
        n.read_at = now
    session.flush()
    return len(rows)


def edit_comment(session: Session, user: User, comment: Comment, body: str, stance: str | None) -> bool:
    """Change a comment's text or stance; the previous version is kept.  False when nothing changed."""
    if not policy.may_edit_comment(user, comment) or user.is_suspended:
        raise DomainError(_("You can only edit your own comments."))
    new_body, new_stance = _comment_body(body), _stance(stance)
    if new_body == comment.body and new_stance == comment.stance:
        return False
    now = utcnow()
    comment.revisions.append(CommentRevision(
        body=comment.body, stance=comment.stance, written_at=comment.edited_at or comment.created_at,
        replaced_at=now, edited_by_id=user.id,
    ))
    comment.body, comment.stance, comment.edited_at = new_body, new_stance, now
    session.flush()
    audit.record(session, "deliberation.comment_edited", actor=user, obj=comment,
                 data={"revisions": len(comment.revisions)})
    return True


@dataclass(frozen=True)
class AssistedComment:
    channel: Channel
    body: str
    stance: str | None = None
    email: str = ""  # an existing account
    name: str = ""  # or a named offline contributor
    contact_note: str = ""


def assisted_comment(session: Session, officer: User, target: Target, data: AssistedComment) -> Posted:
    """An officer records a comment received on paper, by phone or in person, on a resident's behalf."""
    if not policy.may_enter_comment_for_someone(officer, target) or officer.is_suspended:
        raise DomainError(_("You cannot enter comments here."))
    if data.channel is Channel.ONLINE:
        raise DomainError(_("Choose how the comment was received"), field="channel")
    email, name = (data.email or "").strip(), (data.name or "").strip()
    if bool(email) == bool(name):
        raise DomainError(_("Enter either the email address of the resident's account or their name, not both"), field="email")
    _check_target(officer, target, None)
    comment = Comment(body=_comment_body(data.body), stance=_stance(data.stance), channel=data.channel.value,
                      entered_by_id=officer.id)
    if email:
        resident = accounts.find_by_email(session, email)
        if resident is None or resident.is_deleted:
            raise DomainError(_("There is no account with that email address."), field="email")
        comment.author_id = resident.id
    else:
        if len(name) > NAME_MAX:
            raise DomainError(_("The name must be %(max)d characters or fewer", max=NAME_MAX), field="name")
        contributor = OfflineContributor(name=name, contact_note=(data.contact_note or "").strip()[:200] or None)
        session.add(contributor)
        session.flush()
        comment.offline_contributor_id = contributor.id
    _attach(comment, target)
    _place_in_thread(comment, None)
    session.add(comment)
    session.flush()
    audit.record(session, "deliberation.comment_assisted", actor=officer, obj=comment,
                 data={"target": _target_ref(target), "channel": comment.channel, "author_id": comment.author_id,
                       "offline_contributor_id": comment.offline_contributor_id})
    return Posted(comment, notify(session, comment, target))


# --- reports and moderation --------------------------------------------------------------------------------

@dataclass(frozen=True)
class ContentRef:
    kind: ContentKind
    obj: Comment | Debate | Proposal

    @property
    def id(self) -> int:
        return self.obj.id


def report(session: Session, user: User, ref: ContentRef, reason: str) -> Report:
    reason = _require_text(reason, REASON_MAX, "reason", _("Tell us what is wrong with it"),
                           _("The reason must be %(max)d characters or fewer", max=REASON_MAX))
    exists = session.execute(select(Report.id).where(
        Report.content_kind == ref.kind.value, Report.content_id == ref.id, Report.reporter_id == user.id
    )).first()
    already = _("You have already reported this. A moderator will look at it.")
    if exists is not None:
        raise DomainError(already)
    row = Report(content_kind=ref.kind.value, content_id=ref.id, reporter_id=user.id, reason=reason)
    session.add(row)
    try:
        with session.begin_nested():
            session.flush()
    except IntegrityError:
        raise DomainError(already) from None
    audit.record(session, "moderation.report", actor=user, obj=row, data={"kind": ref.kind.value, "id": ref.id})
    return row


def _close_reports(session: Session, moderator: User, ref: ContentRef, resolution: str) -> int:
    rows = session.execute(select(Report).where(
        Report.content_kind == ref.kind.value, Report.content_id == ref.id, Report.resolved_at.is_(None)
    )).scalars().all()
    now = utcnow()
    for r in rows:
        r.resolved_at, r.resolved_by_id, r.resolution = now, moderator.id, resolution
    return len(rows)


def hide(session: Session, moderator: User, ref: ContentRef, reason: str) -> None:
    """Hide content with a public reason.  The text is kept, never deleted, for appeal."""
    if not policy.may_moderate(moderator, ref.obj) or moderator.is_suspended:
        raise DomainError(_("Only moderators can hide content."))
    reason = _require_text(reason, REASON_MAX, "reason", _("Enter the reason people will see"),
                           _("The reason must be %(max)d characters or fewer", max=REASON_MAX))
    if ref.obj.hidden_at is not None:
        raise DomainError(_("This is already hidden."))
    ref.obj.hidden_at = utcnow()
    ref.obj.hidden_reason = reason
    closed = _close_reports(session, moderator, ref, "hidden")
    session.flush()
    audit.record(session, "moderation.hide", actor=moderator, obj=ref.obj,
                 data={"kind": ref.kind.value, "reason": reason, "reports_closed": closed})


def restore(session: Session, moderator: User, ref: ContentRef, note: str = "") -> None:
    if not policy.may_moderate(moderator, ref.obj) or moderator.is_suspended:
        raise DomainError(_("Only moderators can restore content."))
    if ref.obj.hidden_at is None:
        raise DomainError(_("This is not hidden."))
    if len(note or "") > REASON_MAX:
        raise DomainError(_("The note must be %(max)d characters or fewer", max=REASON_MAX), field="note")
    old_reason = ref.obj.hidden_reason
    ref.obj.hidden_at = None
    ref.obj.hidden_reason = None
    session.flush()
    audit.record(session, "moderation.restore", actor=moderator, obj=ref.obj,
                 data={"kind": ref.kind.value, "was_hidden_because": old_reason, "note": note or ""})


def dismiss_reports(session: Session, moderator: User, ref: ContentRef) -> int:
    if not policy.may_moderate(moderator, ref.obj) or moderator.is_suspended:
        raise DomainError(_("Only moderators can dismiss reports."))
    closed = _close_reports(session, moderator, ref, "dismissed")
    if not closed:
        raise DomainError(_("There are no open reports about this."))
    session.flush()
    audit.record(session, "moderation.dismiss", actor=moderator, obj=ref.obj,
                 data={"kind": ref.kind.value, "reports_closed": closed})
    return closed


def _tell(session: Session, moderator: User, user: User, action: AccountAction, reason: str) -> AccountWarning:
    """Record what was done to the account with its reason, and tell the person in their notifications (which a
    suspended account can still read)."""
    note = AccountWarning(user_id=user.id, moderator_id=moderator.id, action=action.value, reason=reason)
    session.add(note)
    session.flush()
    kind = {AccountAction.WARN: "warning", AccountAction.SUSPEND: "suspended", AccountAction.UNSUSPEND: "unsuspended"}[action]
    session.add(Notification(user_id=user.id, kind=kind, warning_id=note.id))
    session.flush()
    return note


def moderate_account(session: Session, moderator: User, user: User, action: str, reason: str) -> None:
    """Warn, suspend or lift the suspension of an account.  Behaviour is challenged, not people: the reason
    says what was wrong, and the person is told it."""
    if not policy.may_moderate(moderator, user) or moderator.is_suspended:
        raise DomainError(_("You cannot moderate this account."))
    if user.is_deleted:
        raise DomainError(_("This account has been deleted."))
    try:
        chosen = AccountAction(action)
    except ValueError:
        raise DomainError(_("Choose what to do"), field="action") from None
    reason = _require_text(reason, REASON_MAX, "reason", _("Enter the reason"),
                           _("The reason must be %(max)d characters or fewer", max=REASON_MAX))
    if chosen is AccountAction.SUSPEND:
        if user.is_suspended:
            raise DomainError(_("This account is already suspended."), field="action")
        if user.has_role(Role.ADMINISTRATOR):
            raise DomainError(_("An administrator's account cannot be suspended by a moderator."), field="action")
        user.is_suspended = True
    elif chosen is AccountAction.UNSUSPEND:
        if not user.is_suspended:
            raise DomainError(_("This account is not suspended."), field="action")
        user.is_suspended = False
    note = _tell(session, moderator, user, chosen, reason)
    audit.record(session, f"moderation.{chosen.value}", actor=moderator, obj=user,
                 data={"reason": reason, "warning_id": note.id})


def latest_suspension(session: Session, user: User) -> AccountWarning | None:
    """Why the account is suspended (the newest suspension's record), or None when it is not suspended."""
    if not user.is_suspended:
        return None
    return session.execute(
        select(AccountWarning).where(AccountWarning.user_id == user.id, AccountWarning.action == AccountAction.SUSPEND.value)
        .order_by(AccountWarning.created_at.desc(), AccountWarning.id.desc()).limit(1)
    ).scalar_one_or_none()


# --- the guiding coalition's recommendations ---------------------------------------------------------------

def publish_recommendation(
    session: Session, actor: User, space: Space, title: str, text: str, published_on: date, language: str | None = None,
) -> Recommendation:
    if space.kind not in (SpaceKind.COALITION.value, SpaceKind.PANEL.value):
        raise DomainError(_("Only the guiding coalition and citizens' panels publish recommendations."))
    if not policy.may_publish_recommendation(actor, space) or actor.is_suspended:
        raise DomainError(_("You cannot publish recommendations."))
    title = _require_text(title, TITLE_MAX, "title", _("Enter a title"),
                          _("The title must be %(max)d characters or fewer", max=TITLE_MAX))
    text = _require_text(text, RECOMMENDATION_MAX, "text", _("Enter the recommendation"),
                         _("The recommendation must be %(max)d characters or fewer", max=RECOMMENDATION_MAX))
    rec = Recommendation(space_id=space.id, title=title, text=text, published_on=published_on, language=language,
                         created_by_id=actor.id)
    session.add(rec)
    session.flush()
    audit.record(session, "deliberation.recommendation_published", actor=actor, obj=rec,
                 data={"title": title, "published_on": published_on.isoformat()})
    return rec


def respond(
    session: Session, officer: User, rec: Recommendation, outcome: Outcome, explanation: str, responded_on: date,
) -> CouncilResponse:
    if not policy.is_officer(officer) or officer.is_suspended:
        raise DomainError(_("Only council officers can enter the council's response."))
    if rec.response is not None:
        raise DomainError(_("The council has already responded to this recommendation."))
    explanation = _require_text(explanation, RECOMMENDATION_MAX, "explanation", _("Explain the council's response"),
                                _("The explanation must be %(max)d characters or fewer", max=RECOMMENDATION_MAX))
    if responded_on < rec.published_on:
        raise DomainError(_("The response cannot be dated before the recommendation"), field="responded_on")
    response = CouncilResponse(recommendation_id=rec.id, outcome=outcome.value, explanation=explanation,
                               responded_on=responded_on, entered_by_id=officer.id)
    session.add(response)
    try:
        with session.begin_nested():
            session.flush()
    except IntegrityError:
        raise DomainError(_("The council has already responded to this recommendation.")) from None
    session.refresh(rec)
    audit.record(session, "deliberation.recommendation_response", actor=officer, obj=rec,
                 data={"outcome": outcome.value, "responded_on": responded_on.isoformat()})
    return response


