"""The ballot (residents) and the receipt check (everyone).

Casting goes through a confirmation step of its own when the ballot is blank (no project chosen: only as a
deliberate choice) or when it replaces an earlier ballot (the old and the new choices side by side).  The
ballot form carries a one-time token, so sending it twice records it once.
"""

from __future__ import annotations

from flask import render_template, request, url_for
from flask_login import current_user
from werkzeug.wrappers import Response as WResponse

from app.budgets import bp, forms, queries, services
from app.budgets.models import BallotType, BudgetBallot, BudgetHeading
from app.budgets.views import _choices_from, _fail
from app.core import once
from app.core.db import commit_keeping_loaded
from app.core.errors import DomainError
from app.core.permissions import public
from app.extensions import db


def _listed(heading: BudgetHeading, choices: dict[int, int]) -> list[tuple[str, int]]:
    """(title, points) of the chosen projects, in ballot order."""
    return [(p.title, choices[p.id]) for p in heading.projects if choices.get(p.id)]


def _confirm_page(heading: BudgetHeading, form: forms.FlaskForm, check: services.BallotCheck, existing: BudgetBallot | None) -> str:
    process = heading.process
    return render_template(
        "budgets/ballot_confirm.html", heading=heading, process=process, form=form, blank=not check.choices,
        old=_listed(heading, {c.project_id: c.points for c in existing.choices}) if existing is not None else None,
        new=_listed(heading, check.choices), cumulative=process.ballot_type_enum is BallotType.CUMULATIVE,
    )


@bp.route("/headings/<int:heading_id>/ballot", methods=["GET", "POST"])
@public
def ballot(heading_id: int) -> str | WResponse:
    heading = queries.heading_or_404(heading_id, with_projects=True)
    process = heading.process
    cumulative = process.ballot_type_enum is BallotType.CUMULATIVE
    refusal = services.vote_refusal(db.session, current_user, heading)
    existing = services.ballot_of(db.session, current_user, heading)
    form_class = forms.ballot_form_class(heading.projects, cumulative, process.max_points)
    if request.method == "GET" and existing is not None:
        form = form_class(data={f"p{c.project_id}": (c.points if cumulative else True) for c in existing.choices})
    else:
        form = form_class()
    check = None
    if request.method == "POST" and refusal is not None:
        form.form_errors.append(refusal)
    elif form.validate_on_submit():
        if (again := once.replay(form)) is not None:
            return again
        check = services.check_choices(heading, _choices_from(form, heading, cumulative))
        if not check.ok:
            form.form_errors.extend(check.problems)
        elif "cast" in request.form or "confirm" in request.form:
            confirmed = "confirm" in request.form
            if not confirmed and (not check.choices or existing is not None):
                return _confirm_page(heading, form, check, existing)
            return _cast(heading, form, check, replaced=existing is not None)
    if check is None and request.method == "GET" and existing is not None:
        check = services.check_choices(heading, {c.project_id: c.points for c in existing.choices})
    return render_template("budgets/ballot.html", heading=heading, process=process, form=form, refusal=refusal,
                           check=check, existing=existing, cumulative=cumulative)


def _cast(heading: BudgetHeading, form: forms.FlaskForm, check: services.BallotCheck, replaced: bool) -> str | WResponse:
    if (again := once.claim(form, url_for("budgets.heading", heading_id=heading.id))) is not None:
        return again
    try:
        code = services.cast_ballot(db.session, current_user, heading, check.choices, blank=not check.choices)
    except DomainError as exc:
        _fail(form, exc)
        return render_template("budgets/ballot.html", heading=heading, process=heading.process, form=form, refusal=None, check=check,
                               existing=services.ballot_of(db.session, current_user, heading),
                               cumulative=heading.process.ballot_type_enum is BallotType.CUMULATIVE)
    commit_keeping_loaded(db.session)  # the receipt page shows what this request loaded: nothing to load again
    return render_template("budgets/ballot_cast.html", heading=heading, process=heading.process, code=code, replaced=replaced,
                           blank=not check.choices)


@bp.route("/receipt")
@public
def receipt() -> str:
    form = forms.ReceiptForm(request.args)
    status = None
    looked_up = False
    if "code" in request.args and form.validate():
        looked_up = True
        status = services.check_receipt(db.session, form.code.data or "")
    return render_template("budgets/receipt.html", form=form, status=status, looked_up=looked_up)
