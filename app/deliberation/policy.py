"""Who may do what in deliberation.

``can()`` answers no for anonymous and suspended accounts before these functions are asked, so a suspended
account cannot comment, report or publish anything.  ``may_view_space`` / ``may_view_debate`` /
``may_view_comment`` are also used directly (for anonymous visitors too) by the loaders, which answer 404 when
they say no: a restricted space and everything in it is invisible to non-members.  The one exception is
moderation (``may_review_content``): moderators may open content in a restricted space while it is reported or
hidden, so that every report can be handled.
"""

from __future__ import annotations

from typing import Any

from flask_babel import gettext as _

from app.auth.models import Role
from app.core.db import utcnow
from app.core.permissions import Permission, policy
from app.deliberation.models import Comment, Debate, Recommendation, Space, SpaceKind, SpaceMembership
from app.proposals.models import Proposal, ProposalState
from app.proposals.policy import may_view as may_view_proposal


def _signed_in(user: Any) -> bool:
    return user is not None and bool(getattr(user, "is_authenticated", False))


def is_officer(user: Any) -> bool:
    return _signed_in(user) and bool(user.has_role(Role.OFFICER) or user.has_role(Role.ADMINISTRATOR))


def is_moderator(user: Any) -> bool:
    return _signed_in(user) and bool(user.has_role(Role.MODERATOR) or user.has_role(Role.ADMINISTRATOR))


def current_membership(user: Any, space: Space) -> SpaceMembership | None:
    if not _signed_in(user):
        return None
    today = utcnow().date()
    for m in space.memberships:
        if m.user_id == user.id and m.is_current(today):
            return m
    return None


def may_view_space(user: Any, space: Space | None) -> bool:
    """Public spaces: everyone.  Restricted spaces: their current members only; an officers' working group, only
    those of its members who are still council staff."""
    if space is None or not space.is_restricted:
        return True
    if space.kind == SpaceKind.WORKING_GROUP.value and not is_officer(user):
        return False
    return current_membership(user, space) is not None


def readers_text(target: Proposal | Debate | Space | None) -> str:
    """Who can read what is written here, in plain words, for the hint beside every comment box."""
    space = target if isinstance(target, Space) else getattr(target, "space", None)
    if space is None or not space.is_restricted:
        return _("Challenge ideas, not people. Everyone can read what you write.")
    if space.kind == SpaceKind.WORKING_GROUP.value:
        return _("Challenge ideas, not people. Only the council staff who are current members of “%(space)s” "
                 "can read what you write.", space=space.name)
    return _("Challenge ideas, not people. Only the current members of “%(space)s” can read what you write: "
             "it is not public.", space=space.name)


def may_view_debate(user: Any, debate: Debate) -> bool:
    return may_view_space(user, debate.space)


def may_view_target(user: Any, target: Proposal | Debate) -> bool:
    if isinstance(target, Proposal):
        return may_view_proposal(user, target)
    return may_view_debate(user, target)


def comment_target(comment: Comment) -> Proposal | Debate:
    return comment.proposal if comment.proposal_id is not None else comment.debate  # type: ignore[return-value]


def may_view_comment(user: Any, comment: Comment) -> bool:
    return may_view_target(user, comment_target(comment))


def may_view_content(user: Any, content: Comment | Debate | Proposal) -> bool:
    """May ``user`` read this comment, debate or proposal where it is?"""
    if isinstance(content, Comment):
        return may_view_comment(user, content)
    if isinstance(content, Debate):
        return may_view_debate(user, content)
    return may_view_proposal(user, content)


def may_review_content(user: Any, content: Comment | Debate | Proposal, reported: bool) -> bool:
    """May ``user`` open this content in moderation (to read it with its reports, hide, restore or dismiss)?

    Moderators must be able to handle a report wherever the content is, so inside a restricted space they are
    not a member of they may open content that has an open report (``reported``) or is hidden, from the queue.
    They do not browse restricted spaces otherwise: anything else there stays invisible (404) to them, as to
    every non-member.  Content they could read anyway they may always review.  Drafts stay private to their
    owner and officers (nobody else can see them to report them).
    """
    if not is_moderator(user) or getattr(user, "is_suspended", False):
        return False
    if may_view_content(user, content):
        return True
    if isinstance(content, Proposal) and content.state == ProposalState.DRAFT.value:
        return False
    return reported or content.hidden_at is not None


def target_is_open(target: Proposal | Debate) -> bool:
    """A thread takes comments while its subject is visible: not hidden, and (for a proposal) published."""
    if target.hidden_at is not None:
        return False
    if isinstance(target, Proposal):
        return target.state != ProposalState.DRAFT.value
    return True


@policy(Permission.DELIBERATION_COMMENT)
def may_comment(user: Any, target: Any) -> bool:
    """Comment on a proposal or debate, or reply to a comment (``target`` is then the comment)."""
    if target is None:
        return True
    if isinstance(target, Comment):
        if target.hidden_at is not None:
            return False
        target = comment_target(target)
    if not isinstance(target, Proposal | Debate):
        return False
    return may_view_target(user, target) and target_is_open(target)


@policy(Permission.DELIBERATION_EDIT_COMMENT)
def may_edit_comment(user: Any, comment: Any) -> bool:
    if not isinstance(comment, Comment):
        return False
    return (
        comment.author_id == user.id
        and comment.entered_by_id is None
        and comment.hidden_at is None
        and may_comment(user, comment_target(comment))
    )


@policy(Permission.DELIBERATION_START_DEBATE)
def may_start_debate(user: Any, space: Any) -> bool:
    """In the public forum (``None``) anyone signed in; in a space, whoever may see it."""
    if space is None:
        return True
    return isinstance(space, Space) and may_view_space(user, space)


@policy(Permission.DELIBERATION_ASSISTED_COMMENT)
def may_enter_comment_for_someone(user: Any, target: Any) -> bool:
    if not is_officer(user):
        return False
    return target is None or (isinstance(target, Proposal | Debate) and may_comment(user, target))


@policy(Permission.DELIBERATION_REPORT)
def may_report(user: Any, content: Any) -> bool:
    return True  # any signed-in, non-suspended account; the loader has already checked it can see the content


@policy(Permission.DELIBERATION_MODERATE)
def may_moderate(user: Any, obj: Any) -> bool:
    if not is_moderator(user):
        return False
    # Moderators act on behaviour, never on their own account.
    return not (obj is not None and getattr(obj, "__tablename__", None) == "users" and obj.id == user.id)


@policy(Permission.DELIBERATION_MANAGE_SPACES)
def may_manage_spaces(user: Any, _: Any) -> bool:
    return is_officer(user)


@policy(Permission.DELIBERATION_PUBLISH_RECOMMENDATION)
def may_publish_recommendation(user: Any, space: Any) -> bool:
    """Current members of the guiding coalition or of a citizens' panel propose its recommendations (officers too,
    when they are members); a recommendation goes out only once enough members agree."""
    return (isinstance(space, Space) and space.kind in (SpaceKind.COALITION.value, SpaceKind.PANEL.value)
            and current_membership(user, space) is not None)


@policy(Permission.DELIBERATION_AGREE_RECOMMENDATION)
def may_vote_on_recommendation(user: Any, recommendation: Any) -> bool:
    """One member, one vote, while the recommendation is a draft."""
    return (isinstance(recommendation, Recommendation) and recommendation.is_draft
            and current_membership(user, recommendation.space) is not None)


def may_view_recommendation(user: Any, recommendation: Recommendation) -> bool:
    """Published: everyone.  A draft: the current members of its space."""
    return not recommendation.is_draft or current_membership(user, recommendation.space) is not None


@policy(Permission.DELIBERATION_RESPOND_RECOMMENDATION)
def may_respond(user: Any, recommendation: Any) -> bool:
    if not is_officer(user):
        return False
    return recommendation is None or (
        isinstance(recommendation, Recommendation) and not recommendation.is_draft and recommendation.response is None
    )


def public_title(target: Proposal | Debate) -> str:
    """The subject's title as anyone may see it: a hidden proposal or debate is named only as hidden (e-mails,
    notifications and thread headings say this, never the hidden title)."""
    if target.hidden_at is not None:
        return _("Hidden proposal") if isinstance(target, Proposal) else _("Hidden debate")
    return target.title
