"""Telling residents that a budget's results are published.

When a process finishes, every resident who wants "results of votes and budgets in my area" (``notify_results``)
and whose home place is one of its headings' places, or lies within one, gets one notification for the process
(one INSERT … SELECT, however many residents; the database allows one per person per process), and those who
chose e-mail get one in their own language, sent after the commit, synchronously and bounded (see
app.deliberation.notices: a job queue is needed to e-mail many thousands).
"""

from __future__ import annotations

from flask import render_template, url_for
from flask_babel import gettext as _
from sqlalchemy import Select, select
from sqlalchemy.orm import Session

from app.auth.models import User
from app.budgets.models import BudgetHeading, BudgetProcess
from app.core.mail import queue_for_each
from app.delegation import where
from app.delegation.resolution import BallotScope, Graph, Resolution, scope_for
from app.deliberation.models import Notification
from app.deliberation.notices import Notice, email_recipients, notify_users, register_subject
from app.places.models import Place

SUBJECT = "budget_process"
KIND = "results"


def _residents_of(process: BudgetProcess) -> Select[tuple[int]]:
    """The ids of residents who want results and live in a heading's place or below it (one recursive CTE)."""
    tree = select(BudgetHeading.place_id.label("id")).where(BudgetHeading.process_id == process.id).cte("area", recursive=True)
    tree = tree.union(select(Place.id).where(Place.parent_id == tree.c.id))
    return select(User.id).where(User.notify_results.is_(True), User.home_place_id.in_(select(tree.c.id)))


def announce_results(session: Session, process: BudgetProcess) -> int:
    """Notify the process's residents that its results are published; returns how many were notified."""
    sent = notify_users(session, KIND, SUBJECT, process.id, _residents_of(process))
    if sent.count:
        recipients = email_recipients(session, SUBJECT, process.id, sent, [User.notify_results.is_(True)])

        def compose(user: User) -> tuple[str, str]:
            link = url_for("budgets.show", process_id=process.id, _external=True)
            body = render_template("budgets/email_results.txt", user=user, process=process, link=link)
            return _("Results of “%(title)s”", title=process.title), body

        queue_for_each(session, recipients, compose)
    return sent.count


@register_subject(SUBJECT)
def describe_results(session: Session, user: User, notification: Notification) -> Notice | None:
    process = session.get(BudgetProcess, notification.subject_id)
    if process is None or process.results_published_at is None:
        return None
    return Notice(
        text=_("The results of “%(title)s” are published.", title=process.title),
        url=url_for("budgets.show", process_id=process.id),
        link_text=_("See the results"),
    )


DELEGATE_SUBJECT = "budget_delegate"
DELEGATE_KIND = "delegate_voted"  # the same opt-in as a ranked vote's "your delegate voted"


def delegate_voted(session: Session, heading: BudgetHeading, voter: User) -> int:
    """Tell the opted-in members whose vote ``voter``'s online ballot in ``heading`` now casts (one notification
    per member per heading).  It says that their delegate voted, not how: budget ballots stay secret."""
    from app.budgets.services.delegation import resolve_heading
    from app.delegation.models import DelegationNoticePrefs
    from app.delegation.notices import send_notice
    from app.delegation.services import active_profile

    if active_profile(session, voter.id) is None:
        return 0
    res, _voters = resolve_heading(session, heading)
    if voter.id >= len(res.result.cast_by):
        return 0
    represented = [int(m) for m in (res.result.cast_by == voter.id).nonzero()[0] if int(m) != voter.id]
    if not represented:
        return 0
    users = select(DelegationNoticePrefs.user_id).where(DelegationNoticePrefs.delegate_voted.is_(True),
                                                         DelegationNoticePrefs.user_id.in_(represented))
    return send_notice(session, DELEGATE_KIND, DELEGATE_SUBJECT, heading.id, users, title=lambda: _("Your delegate voted"),
                       sentence=lambda: _delegate_sentence(heading), endpoint="budgets.heading", heading_id=heading.id)


def _delegate_sentence(heading: BudgetHeading) -> str:
    return _("Your delegate voted in “%(heading)s” of “%(budget)s”. Unless you vote there yourself while voting is open, your vote goes with theirs.",
             heading=heading.name, budget=heading.process.title)


@register_subject(DELEGATE_SUBJECT)
def describe_delegate_voted(session: Session, user: User, notification: Notification) -> Notice | None:
    heading = session.get(BudgetHeading, notification.subject_id)
    if heading is None:
        return None
    return Notice(text=_delegate_sentence(heading), url=url_for("budgets.heading", heading_id=heading.id), link_text=_("See the ballot"))


@where.register_source
def open_headings(session: Session, member: User, graph: Graph) -> list[tuple[str, str, BallotScope, Resolution]]:
    """Each budget heading open for voting that the member may vote in, with the chain their vote follows there
    as things stand (for the delegation feature's "where my vote goes today" page)."""
    from app.budgets import policy, queries
    from app.budgets.models import Phase
    from app.budgets.services.delegation import resolve_heading

    if member.home_place is None:
        return []
    out = []
    for heading in queries.headings_for_place(session, member.home_place):
        if heading.process.phase_enum is Phase.BALLOTING and policy.vote_refusal(member, heading) is None:
            res, _voters = resolve_heading(session, heading, graph)
            out.append((_("%(budget)s: %(heading)s", budget=heading.process.title, heading=heading.name),
                        url_for("budgets.heading", heading_id=heading.id), scope_for(heading.place, None), res))
    return out
