"""Read-side queries and loaders for deliberation.  Loaders answer 404 for what the visitor may not see,
including everything inside a restricted space they are not a member of."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from flask import abort
from flask_login import current_user
from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session, selectinload

from app.auth.models import User
from app.deliberation import notices, policy
from app.deliberation.models import (
    AccountWarning,
    Comment,
    ContentKind,
    Debate,
    Notification,
    Recommendation,
    RecommendationStatus,
    RecommendationVote,
    Report,
    Space,
    SpaceMembership,
)
from app.deliberation.services import ContentRef, Target
from app.extensions import db
from app.proposals.models import Proposal

# --- loaders (used by @requires(load=…) and by public views) ------------------------------------------------


def space_or_404(slug: str) -> Space:
    space = db.session.execute(select(Space).where(Space.slug == slug)).scalar_one_or_none()
    if space is None or not policy.may_view_space(current_user, space):
        abort(404)
    return space


def managed_space_or_404(slug: str) -> Space:
    """For the membership pages: officers manage every space (they see its members, not its content).  To
    anyone else a restricted space they are not in does not exist (404), as on every other URL."""
    space = db.session.execute(select(Space).where(Space.slug == slug)).scalar_one_or_none()
    if space is None or not (policy.is_officer(current_user) or policy.may_view_space(current_user, space)):
        abort(404)
    return space


def membership_or_404(membership_id: int) -> SpaceMembership:
    membership = db.session.get(SpaceMembership, membership_id)
    if membership is None or not (policy.is_officer(current_user) or policy.may_view_space(current_user, membership.space)):
        abort(404)
    return membership


def debate_or_404(debate_id: int) -> Debate:
    debate = db.session.get(Debate, debate_id)
    if debate is None or not policy.may_view_debate(current_user, debate):
        abort(404)
    return debate


def proposal_or_404(proposal_id: int) -> Proposal:
    proposal = db.session.get(Proposal, proposal_id)
    if proposal is None or not policy.may_view_proposal(current_user, proposal):
        abort(404)
    return proposal


def comment_or_404(comment_id: int) -> Comment:
    comment = db.session.get(Comment, comment_id)
    if comment is None or not policy.may_view_comment(current_user, comment):
        abort(404)
    return comment


def coalition_or_404() -> Space:
    from app.deliberation.services import coalition

    space = coalition(db.session)
    if space is None:
        abort(404)
    return space


def recommendation_or_404(recommendation_id: int) -> Recommendation:
    """A published recommendation, or a draft for the current members of its space; otherwise 404."""
    rec = db.session.get(Recommendation, recommendation_id)
    if rec is None or not policy.may_view_recommendation(current_user, rec):
        abort(404)
    return rec


def _content(kind: str, content_id: int) -> ContentRef:
    try:
        content_kind = ContentKind(kind)
    except ValueError:
        abort(404)
    ref = _ref(db.session, content_kind, content_id)
    if ref is None:
        abort(404)
    return ref


def content_or_404(kind: str, content_id: int) -> ContentRef:
    """Content the visitor can read where it is (for reporting it)."""
    ref = _content(kind, content_id)
    if not policy.may_view_content(current_user, ref.obj):
        abort(404)
    return ref


def moderated_content_or_404(kind: str, content_id: int) -> ContentRef:
    """For the moderation pages: what the visitor can read, and for moderators also reported or hidden content in
    restricted spaces (``policy.may_review_content``); anything else there is 404, as for every non-member."""
    ref = _content(kind, content_id)
    if policy.may_view_content(current_user, ref.obj):
        return ref
    if not policy.may_review_content(current_user, ref.obj, has_open_reports(db.session, ref)):
        abort(404)
    return ref


def has_open_reports(session: Session, ref: ContentRef) -> bool:
    return session.execute(select(Report.id).where(
        Report.content_kind == ref.kind.value, Report.content_id == ref.id, Report.resolved_at.is_(None)
    ).limit(1)).first() is not None


def reports_about(session: Session, ref: ContentRef) -> list[Report]:
    """Every report about the content, open and closed, oldest first."""
    return list(session.execute(
        select(Report).where(Report.content_kind == ref.kind.value, Report.content_id == ref.id)
        .order_by(Report.created_at, Report.id).options(selectinload(Report.reporter))
    ).scalars())


def user_or_404(user_id: int) -> User:
    user = db.session.get(User, user_id)
    if user is None or user.is_deleted:
        abort(404)
    return user


# --- threads ----------------------------------------------------------------------------------------------

@dataclass
class Node:
    comment: Comment
    children: list[Node] = field(default_factory=list)


@dataclass
class Thread:
    target: Target
    nodes: list[Node]
    count: int

    @property
    def is_proposal(self) -> bool:
        return isinstance(self.target, Proposal)


def thread(session: Session, target: Target) -> Thread:
    column = Comment.proposal_id if isinstance(target, Proposal) else Comment.debate_id
    comments = session.execute(
        select(Comment).where(column == target.id).order_by(Comment.created_at, Comment.id).options(
            selectinload(Comment.author), selectinload(Comment.offline_contributor), selectinload(Comment.in_reply_to)
        )
    ).scalars().all()
    nodes = {c.id: Node(c) for c in comments}
    roots: list[Node] = []
    for c in comments:
        parent = nodes.get(c.parent_id) if c.parent_id is not None else None
        (parent.children if parent is not None else roots).append(nodes[c.id])
    return Thread(target, roots, len(comments))


def stance_counts(session: Session, target: Target) -> dict[str, int]:
    column = Comment.proposal_id if isinstance(target, Proposal) else Comment.debate_id
    rows = session.execute(
        select(Comment.stance, func.count(Comment.id)).where(
            column == target.id, Comment.stance.is_not(None), Comment.hidden_at.is_(None)
        ).group_by(Comment.stance)
    ).all()
    return {stance: n for stance, n in rows}


# --- lists ------------------------------------------------------------------------------------------------

def visible_spaces(session: Session, user: object) -> list[Space]:
    spaces = session.execute(select(Space).order_by(Space.name)).scalars().all()
    return [s for s in spaces if policy.may_view_space(user, s)]


def debates_in(session: Session, space: Space | None, include_hidden: bool = True) -> list[Debate]:
    stmt = select(Debate).where(Debate.space_id.is_(None) if space is None else Debate.space_id == space.id)
    if not include_hidden:
        stmt = stmt.where(Debate.hidden_at.is_(None))
    return list(session.execute(stmt.order_by(Debate.created_at.desc(), Debate.id.desc())).scalars())


def comment_counts(session: Session, debates: list[Debate]) -> dict[int, int]:
    if not debates:
        return {}
    rows = session.execute(
        select(Comment.debate_id, func.count(Comment.id)).where(Comment.debate_id.in_([d.id for d in debates]))
        .group_by(Comment.debate_id)
    ).all()
    return {debate_id: n for debate_id, n in rows}


def notifications_for(session: Session, user: User, limit: int = 100, unread_only: bool = False) -> list[Notification]:
    """The newest notifications, less those about threads the person can no longer see (a space they left) and
    those about another feature's subject that is gone or hidden from them; each of the latter gets its
    ``notice``, worded now in the reader's language."""
    query = select(Notification).where(Notification.user_id == user.id)
    if unread_only:
        query = query.where(Notification.read_at.is_(None))
    rows = session.execute(
        query.order_by(Notification.created_at.desc(), Notification.id.desc()).limit(limit)
    ).scalars()
    shown = []
    for n in rows:
        if n.subject_type is not None:
            n.notice = notices.describe(session, user, n)
            if n.notice is None:
                continue
        elif n.comment is not None and not policy.may_view_comment(user, n.comment):
            continue
        shown.append(n)
    return shown


def unread_count(session: Session, user: Any) -> int:
    """How many unread notifications the notifications page shows the person (the same filter, so the count in
    the header never promises one they cannot see).  Most pages have none to filter: one COUNT answers them."""
    if user is None or not getattr(user, "is_authenticated", False):
        return 0
    unread = session.execute(
        select(func.count(Notification.id)).where(Notification.user_id == user.id, Notification.read_at.is_(None))
    ).scalar_one()
    return len(notifications_for(session, user, limit=unread, unread_only=True)) if unread else 0


def recommendations(session: Session) -> list[Recommendation]:
    """Published recommendations (drafts are for the coalition's members: :func:`draft_recommendations`)."""
    return list(session.execute(
        select(Recommendation).where(Recommendation.status == RecommendationStatus.PUBLISHED.value)
        .order_by(Recommendation.published_on.desc(), Recommendation.id.desc())
        .options(selectinload(Recommendation.response))
    ).scalars())


def draft_recommendations(session: Session, space: Space) -> list[Recommendation]:
    return list(session.execute(
        select(Recommendation).where(Recommendation.space_id == space.id,
                                     Recommendation.status == RecommendationStatus.DRAFT.value)
        .order_by(Recommendation.created_at.desc(), Recommendation.id.desc())
    ).scalars())


def recommendation_vote_of(session: Session, rec: Recommendation, user: Any) -> RecommendationVote | None:
    if not getattr(user, "is_authenticated", False):
        return None
    return session.execute(select(RecommendationVote).where(
        RecommendationVote.recommendation_id == rec.id, RecommendationVote.user_id == user.id)).scalar_one_or_none()


@dataclass
class QueueItem:
    ref: ContentRef
    reports: list[Report]


def open_reports(session: Session) -> list[QueueItem]:
    rows = session.execute(
        select(Report).where(Report.resolved_at.is_(None)).order_by(Report.created_at, Report.id)
        .options(selectinload(Report.reporter))
    ).scalars().all()
    grouped: dict[tuple[str, int], list[Report]] = {}
    for r in rows:
        grouped.setdefault((r.content_kind, r.content_id), []).append(r)
    items = []
    for (kind, content_id), reports in grouped.items():
        ref = _ref(session, kind, content_id)
        if ref is not None:
            items.append(QueueItem(ref, reports))
    return items


def hidden_content(session: Session) -> list[ContentRef]:
    refs: list[ContentRef] = []
    for kind, model in ((ContentKind.COMMENT, Comment), (ContentKind.DEBATE, Debate), (ContentKind.PROPOSAL, Proposal)):
        for obj in session.execute(select(model).where(model.hidden_at.is_not(None)).order_by(model.hidden_at.desc())).scalars():
            refs.append(ContentRef(kind, obj))
    return refs


def _ref(session: Session, kind: str | ContentKind, content_id: int) -> ContentRef | None:
    content_kind = ContentKind(kind)
    model = {ContentKind.COMMENT: Comment, ContentKind.DEBATE: Debate, ContentKind.PROPOSAL: Proposal}[content_kind]
    obj = session.get(model, content_id)
    return ContentRef(content_kind, obj) if obj is not None else None


def find_users(session: Session, q: str) -> list[User]:
    if not q:
        return []
    like = f"%{q.lower()}%"
    return list(session.execute(
        select(User).where(User.is_deleted.is_(False), or_(User.email.ilike(like), User.display_name.ilike(like)))
        .order_by(User.display_name).limit(25)
    ).scalars())


def warnings_for(session: Session, user: User) -> list[AccountWarning]:
    return list(session.execute(
        select(AccountWarning).where(AccountWarning.user_id == user.id).order_by(AccountWarning.created_at.desc())
    ).scalars())


def recent_comments_by(session: Session, user: User, limit: int = 10) -> list[Comment]:
    return list(session.execute(
        select(Comment).where(Comment.author_id == user.id).order_by(Comment.created_at.desc(), Comment.id.desc()).limit(limit)
    ).scalars())
