"""The marked register of a heading (officers only): find a resident, issue a paper ballot against the register,
cancel a spoilt issue with its reason.  The public sees turnout figures on the heading page, never names."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user
from werkzeug.wrappers import Response as WResponse

from app.auth.models import User
from app.budgets import bp, forms, policy, queries, services
from app.budgets.models import BallotChannel, BudgetHeading
from app.budgets.views import _fail
from app.core.errors import DomainError
from app.core.permissions import Permission, requires
from app.delegation.resolution import live_graph
from app.extensions import db


def _heading_and_resident(heading_id: int, resident_id: int) -> tuple[BudgetHeading, User]:
    """The heading and the resident named in the URL (404 when either is missing)."""
    resident = db.session.get(User, resident_id)
    if resident is None or resident.is_deleted:
        abort(404)
    return queries.heading_or_404(heading_id), resident


def _page(heading: BudgetHeading, search: forms.RegisterSearchForm, issue: forms.IssueForm, found: list[User] | None) -> str:
    marks = queries.marks_for(db.session, heading, [u.id for u in found or []])
    graph = live_graph(db.session) if found else None
    # a delegate is told, before a paper ballot is issued, that it cannot carry their delegators' votes
    delegators = {u.id: len(services.carried_by(db.session, heading, u.id, graph)) for u in found or [] if u.id not in marks}
    return render_template(
        "budgets/register.html", heading=heading, search=search, issue=issue, found=found, marks=marks, delegators=delegators,
        counts=queries.register_counts_by_channel(db.session, [heading.id])[heading.id],
        issues=queries.paper_issues(db.session, heading), cancellations=queries.cancellations(db.session, heading),
        allowance=services.paper_allowance(db.session, heading), may_issue=policy.phase_allows(heading, policy.VOTE),
        channel_labels={c.value: c.label for c in BallotChannel},
    )


@bp.route("/headings/<int:heading_id>/register")
@requires(Permission.BUDGET_MANAGE, load=queries.heading_or_404)
def register(heading: BudgetHeading) -> str:
    search = forms.RegisterSearchForm(request.args)
    found = None
    if any(request.args.get(k) for k in ("poll_card", "name", "postcode")) and search.validate():
        try:
            found = services.find_residents(db.session, poll_card=search.poll_card.data or "", name=search.name.data or "",
                                            postcode=search.postcode.data or "")
        except DomainError as exc:
            search.poll_card.errors = [exc.message]
    return _page(heading, search, forms.IssueForm(), found)


@bp.route("/headings/<int:heading_id>/register/<int:resident_id>/issue", methods=["POST"])
@requires(Permission.BUDGET_MANAGE, load=_heading_and_resident)
def issue_paper(found: tuple[BudgetHeading, User]) -> str | WResponse:
    heading, resident = found
    form = forms.IssueForm()
    if form.validate_on_submit():
        try:
            issued = services.issue_paper_ballot(db.session, current_user, heading, resident, BallotChannel(form.channel.data))
        except DomainError as exc:
            _fail(form, exc)
        else:
            db.session.commit()
            flash(_("Paper ballot issued to %(name)s and marked on the register.", name=resident.display_name or ""), "success")
            if issued.delegators:
                flash(ngettext("%(name)s is a delegate: a paper ballot cannot carry delegated votes, so the %(num)d resident whose vote they would have carried has been told to vote themself before voting closes.",
                               "%(name)s is a delegate: a paper ballot cannot carry delegated votes, so the %(num)d residents whose votes they would have carried have been told to vote themselves before voting closes.",
                               issued.delegators, name=resident.display_name or ""), "warning")
            return redirect(url_for("budgets.register", heading_id=heading.id))
    search = forms.RegisterSearchForm(request.args)
    return _page(heading, search, form, [resident])


@bp.route("/headings/<int:heading_id>/register/<int:resident_id>/cancel", methods=["GET", "POST"])
@requires(Permission.BUDGET_MANAGE, load=_heading_and_resident)
def cancel_issue(found: tuple[BudgetHeading, User]) -> str | WResponse:
    heading, resident = found
    mark = services.register_mark(db.session, heading.id, resident.id)
    form = forms.CancelIssueForm()
    if form.validate_on_submit():
        try:
            services.cancel_issue(db.session, current_user, heading, resident, form.reason.data or "")
        except DomainError as exc:
            _fail(form, exc)
        else:
            db.session.commit()
            flash(_("The paper ballot issue to %(name)s is cancelled. A new paper can be issued.", name=resident.display_name or ""), "success")
            return redirect(url_for("budgets.register", heading_id=heading.id))
    return render_template("budgets/register_cancel.html", heading=heading, resident=resident, mark=mark, form=form,
                           channel_labels={c.value: c.label for c in BallotChannel})
