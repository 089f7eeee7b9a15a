"""Budget pages: processes, headings, pots and projects (officers); the ballot and receipt (residents);
paper batches, counting and what-if (officers); results and the recount file (public once finished)."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from typing import TypeVar

from flask import Response, abort, flash, redirect, render_template, request, url_for
from flask_babel import get_locale, ngettext
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select
from werkzeug.wrappers import Response as WResponse

from app.budgets import bp, count_jobs, count_views, forms, policy, presenters, queries, services
from app.budgets.models import (
    BallotType,
    BudgetHeading,
    BudgetProcess,
    BudgetProject,
    Completion,
    FundingPot,
    PaperBatch,
    Phase,
    Rule,
)
from app.core import count_jobs as core_jobs
from app.core import once
from app.core.errors import DomainError
from app.core.forms import attach_error
from app.core.permissions import Permission, public, requires
from app.extensions import db
from app.places.models import Place

T = TypeVar("T")


def _fail(form: forms.FlaskForm, exc: DomainError) -> None:
    db.session.rollback()
    attach_error(form, exc)


def _one_button(action: Callable[[], T]) -> tuple[bool, T | None]:
    """Run the action behind a one-button form (remove, discard, accept): its CSRF token was checked by
    CSRFProtect before the view ran, so there is nothing else to validate.  Commits and returns ``(True,
    result)``, or rolls back, flashes the rule that refused it and returns ``(False, None)``."""
    try:
        result = action()
    except DomainError as exc:
        db.session.rollback()
        flash(exc.message, "error")
        return False, None
    db.session.commit()
    return True, result


# --------------------------------------------------------------------------------------------- processes


@bp.route("/")
@public
def index() -> str:
    officer = policy.is_officer(current_user)
    return render_template("budgets/index.html", processes=queries.processes(db.session, include_drafts=officer))


def _process_form(process: BudgetProcess | None = None) -> forms.ProcessForm:
    form = forms.ProcessForm(obj=process)
    if process is not None and request.method == "GET":
        form.place.data = process.place_id
    places = db.session.execute(select(Place).order_by(Place.name)).scalars()
    form.place.choices = [(p.id, f"{p.name} ({p.kind_label})") for p in places]
    return form


def _process_data(form: forms.ProcessForm) -> services.ProcessData:
    place = db.session.get(Place, form.place.data)
    if place is None:
        raise DomainError(_("Choose an area."), field="place")
    return services.ProcessData(
        title=form.title.data or "", description=form.description.data or "", place=place,
        ballot_type=BallotType(form.ballot_type.data), rule=Rule(form.rule.data), completion=Completion(form.completion.data),
        max_choices=form.max_choices.data, max_points=form.max_points.data, language=str(_locale()),
        proposals_open_on=form.proposals_open_on.data, review_starts_on=form.review_starts_on.data,
        voting_opens_on=form.voting_opens_on.data, voting_closes_on=form.voting_closes_on.data, results_on=form.results_on.data,
        support_threshold=form.support_threshold.data, low_turnout_permille=form.low_turnout.data,
    )


def _locale() -> str:
    from flask_babel import get_locale

    return str(get_locale() or "en")


@bp.route("/new", methods=["GET", "POST"])
@requires(Permission.BUDGET_MANAGE)
def new() -> str | WResponse:
    form = _process_form()
    if form.validate_on_submit():
        if (again := once.claim(form)) is not None:
            return again
        try:
            process = services.create_process(db.session, current_user, _process_data(form))
        except DomainError as exc:
            _fail(form, exc)
        else:
            url = once.record(form, url_for("budgets.show", process_id=process.id))
            db.session.commit()
            flash(_("Budget created. Now add its headings."), "success")
            return redirect(url)
    return render_template("budgets/process_form.html", form=form, process=None)


@bp.route("/<int:process_id>")
@public
def show(process_id: int) -> str:
    process = queries.process_or_404(process_id)
    nxt = process.phase_enum.next
    return render_template("budgets/show.html", process=process, next_phase=nxt,
                           problems=[p for h in process.headings for p in services.heading_problems(h)],
                           accepting_proposals=policy.accepts_proposals(process), started=queries.phase_history(db.session, process),
                           back_to=services.BACK_TO.get(process.phase_enum) if not services.back_problems(db.session, process) else None,
                           cost_warnings=[w for h in process.headings for w in services.cost_warnings(h)] if policy.is_officer(current_user) else [],
                           publish_problems=services.phase_problems(db.session, process, nxt)
                           if nxt is Phase.FINISHED and policy.is_officer(current_user) else [])


@bp.route("/<int:process_id>/edit", methods=["GET", "POST"])
@requires(Permission.BUDGET_MANAGE, load=queries.process_or_404)
def edit(process: BudgetProcess) -> str | WResponse:
    form = _process_form(process)
    if form.validate_on_submit():
        try:
            services.update_process(db.session, current_user, process, _process_data(form))
        except DomainError as exc:
            _fail(form, exc)
        else:
            db.session.commit()
            flash(_("Budget saved."), "success")
            return redirect(url_for("budgets.show", process_id=process.id))
    return render_template("budgets/process_form.html", form=form, process=process)


@bp.route("/<int:process_id>/phase", methods=["GET", "POST"])
@requires(Permission.BUDGET_MANAGE, load=queries.process_or_404)
def phase(process: BudgetProcess) -> str | WResponse:
    """Confirm, then make, the move to the next stage: never a single click, with a warning when it is before
    its planned date and, for publishing, when turnout is below the officer's threshold."""
    nxt = process.phase_enum.next
    if nxt is None:
        return redirect(url_for("budgets.show", process_id=process.id))
    form = forms.PhaseForm(to_phase=nxt.value) if request.method == "GET" else forms.PhaseForm()
    if form.validate_on_submit():
        try:
            services.advance_phase(db.session, current_user, process, Phase(form.to_phase.data), form.reason.data or None,
                                   confirm_early=form.confirm_early.data, confirm_low_turnout=form.confirm_low_turnout.data)
        except DomainError as exc:
            _fail(form, exc)
        else:
            db.session.commit()
            flash(_("The budget is now in the “%(phase)s” stage.", phase=process.phase_enum.label), "success")
            return redirect(url_for("budgets.show", process_id=process.id))
    lows = services.low_turnouts(db.session, process) if nxt is Phase.FINISHED else []
    if lows:  # the confirmation names the figures
        form.confirm_low_turnout.label.text = services.low_turnout_text(process, lows)
    return render_template("budgets/phase_confirm.html", process=process, next_phase=nxt, form=form, effect=presenters.phase_effect(nxt),
                           problems=services.phase_problems(db.session, process, nxt), early=services.early_warning(process, nxt),
                           low_turnout=bool(lows))


@bp.route("/<int:process_id>/back", methods=["GET", "POST"])
@requires(Permission.BUDGET_MANAGE, load=queries.process_or_404)
def back(process: BudgetProcess) -> str | WResponse:
    """Go back a stage, with a reason: reopen voting, or back to set-up before any ballot exists."""
    form = forms.BackForm()
    if form.validate_on_submit():
        try:
            now = services.step_back(db.session, current_user, process, form.reason.data or "")
        except DomainError as exc:
            _fail(form, exc)
        else:
            db.session.commit()
            flash(_("The budget is back in the “%(phase)s” stage.", phase=now.label), "success")
            return redirect(url_for("budgets.show", process_id=process.id))
    return render_template("budgets/back.html", form=form, process=process, to=services.BACK_TO.get(process.phase_enum),
                           problems=services.back_problems(db.session, process))


# --------------------------------------------------------------------------------------------- headings and pots


@bp.route("/<int:process_id>/headings/new", methods=["GET", "POST"])
@requires(Permission.BUDGET_EDIT_SETUP, load=queries.process_or_404)
def new_heading(process: BudgetProcess) -> str | WResponse:
    form = forms.HeadingForm()
    form.place.choices = [(p.id, f"{p.name} ({p.kind_label})") for p in queries.heading_places(db.session, process)]
    if form.validate_on_submit():
        if (again := once.claim(form)) is not None:
            return again
        place = db.session.get(Place, form.place.data)
        try:
            if place is None:
                raise DomainError(_("Choose an area."), field="place")
            heading = services.add_heading(db.session, current_user, process, place, form.name.data or "", form.amount.data or 0, _minimum(form))
        except DomainError as exc:
            _fail(form, exc)
        else:
            url = once.record(form, url_for("budgets.edit_heading", heading_id=heading.id))
            db.session.commit()
            flash(_("Heading added. Now add its funding pots."), "success")
            return redirect(url)
    return render_template("budgets/heading_new.html", form=form, process=process)


def _minimum(form: forms.MinimumSupportMixin) -> services.Minimum:
    return services.Minimum(votes=form.min_votes.data, percent=form.min_percent.data)


def _warn_costs(heading: BudgetHeading, projects: list[BudgetProject] | None = None) -> None:
    for warning in services.cost_warnings(heading, projects):
        flash(warning, "warning")


@bp.route("/headings/<int:heading_id>")
@public
def heading(heading_id: int) -> str:
    heading = queries.heading_or_404(heading_id)
    return render_template(
        "budgets/heading.html", heading=heading, process=heading.process,
        totals=queries.ballot_totals(db.session, heading) if policy.is_officer(current_user) else None,
        refusal=services.vote_refusal(db.session, current_user, heading), results_visible=policy.may_see_results(current_user, heading),
        voted=services.ballot_of(db.session, current_user, heading) is not None,
    )


@bp.route("/headings/<int:heading_id>/edit", methods=["GET", "POST"])
@requires(Permission.BUDGET_EDIT_SETUP, load=queries.heading_or_404)
def edit_heading(heading: BudgetHeading) -> str | WResponse:
    form = (forms.HeadingEditForm(obj=heading, amount=heading.amount_pence, min_votes=heading.min_support_votes,
                                  min_percent=heading.min_support_percent) if request.method == "GET" else forms.HeadingEditForm())
    if form.validate_on_submit():
        try:
            services.update_heading(db.session, current_user, heading, form.name.data or "", form.amount.data or 0, _minimum(form))
        except DomainError as exc:
            _fail(form, exc)
        else:
            db.session.commit()
            flash(_("Heading saved."), "success")
            _warn_costs(heading)
            return redirect(url_for("budgets.edit_heading", heading_id=heading.id))
    return render_template("budgets/heading_edit.html", form=form, pot_form=forms.PotForm(formdata=None, prefix="pot"), heading=heading,
                           remove_form=forms.ConfirmForm(), problems=services.heading_problems(heading))


@bp.route("/headings/<int:heading_id>/pots", methods=["POST"])
@requires(Permission.BUDGET_EDIT_SETUP, load=queries.heading_or_404)
def add_pot(heading: BudgetHeading) -> str | WResponse:
    pot_form = forms.PotForm(prefix="pot")
    if pot_form.validate_on_submit():
        if (again := once.claim(pot_form)) is not None:
            return again
        try:
            services.add_pot(db.session, current_user, heading, pot_form.source.data or "", pot_form.amount.data or 0)
        except DomainError as exc:
            _fail(pot_form, exc)
        else:
            url = once.record(pot_form, url_for("budgets.edit_heading", heading_id=heading.id))
            db.session.commit()
            flash(_("Funding pot added."), "success")
            return redirect(url)
    form = forms.HeadingEditForm(obj=heading, formdata=None, amount=heading.amount_pence)
    return render_template("budgets/heading_edit.html", form=form, pot_form=pot_form, heading=heading,
                           remove_form=forms.ConfirmForm(), problems=services.heading_problems(heading))


@bp.route("/pots/<int:pot_id>/edit", methods=["GET", "POST"])
@requires(Permission.BUDGET_EDIT_SETUP, load=queries.pot_or_404)
def edit_pot(pot: FundingPot) -> str | WResponse:
    form = forms.PotForm(obj=pot, amount=pot.amount_pence) if request.method == "GET" else forms.PotForm()
    if form.validate_on_submit():
        try:
            services.update_pot(db.session, current_user, pot, form.source.data or "", form.amount.data or 0)
        except DomainError as exc:
            _fail(form, exc)
        else:
            db.session.commit()
            flash(_("Funding pot saved."), "success")
            return redirect(url_for("budgets.edit_heading", heading_id=pot.heading_id))
    return render_template("budgets/pot_edit.html", form=form, pot=pot, heading=pot.heading, remove_form=forms.ConfirmForm())


@bp.route("/pots/<int:pot_id>/remove", methods=["POST"])
@requires(Permission.BUDGET_EDIT_SETUP, load=queries.pot_or_404)
def remove_pot(pot: FundingPot) -> WResponse:
    heading = pot.heading
    if _one_button(lambda: services.remove_pot(db.session, current_user, pot))[0]:
        flash(_("Funding pot removed."), "success")
    return redirect(url_for("budgets.edit_heading", heading_id=heading.id))


@bp.route("/headings/<int:heading_id>/remove", methods=["POST"])
@requires(Permission.BUDGET_EDIT_SETUP, load=queries.heading_or_404)
def remove_heading(heading: BudgetHeading) -> WResponse:
    process_id, heading_id = heading.process_id, heading.id
    if not _one_button(lambda: services.remove_heading(db.session, current_user, heading))[0]:
        return redirect(url_for("budgets.edit_heading", heading_id=heading_id))
    flash(_("Heading removed."), "success")
    return redirect(url_for("budgets.show", process_id=process_id))


# --------------------------------------------------------------------------------------------- projects


@bp.route("/headings/<int:heading_id>/projects/new", methods=["GET", "POST"])
@requires(Permission.BUDGET_EDIT_SETUP, load=queries.heading_or_404)
def new_project(heading: BudgetHeading) -> str | WResponse:
    form = forms.ProjectForm()
    if form.validate_on_submit():
        if (again := once.claim(form)) is not None:
            return again
        data = services.ProjectData(form.title.data or "", form.description.data or "", form.cost.data or 0, _locale())
        try:
            project = services.add_project(db.session, current_user, heading, data)
        except DomainError as exc:
            _fail(form, exc)
        else:
            url = once.record(form, url_for("budgets.heading", heading_id=heading.id))
            db.session.commit()
            flash(_("Project added."), "success")
            _warn_costs(heading, [project])
            return redirect(url)
    return render_template("budgets/project_form.html", form=form, heading=heading, project=None)


@bp.route("/projects/<int:project_id>/edit", methods=["GET", "POST"])
@requires(Permission.BUDGET_EDIT_SETUP, load=queries.project_or_404)
def edit_project(project: BudgetProject) -> str | WResponse:
    form = forms.ProjectForm(obj=project, cost=project.cost_pence) if request.method == "GET" else forms.ProjectForm()
    if form.validate_on_submit():
        data = services.ProjectData(form.title.data or "", form.description.data or "", form.cost.data or 0)
        try:
            services.update_project(db.session, current_user, project, data)
        except DomainError as exc:
            _fail(form, exc)
        else:
            db.session.commit()
            flash(_("Project saved."), "success")
            _warn_costs(project.heading, [project])
            return redirect(url_for("budgets.heading", heading_id=project.heading_id))
    return render_template("budgets/project_form.html", form=form, heading=project.heading, project=project, remove_form=forms.ConfirmForm())


@bp.route("/projects/<int:project_id>/remove", methods=["POST"])
@requires(Permission.BUDGET_EDIT_SETUP, load=queries.project_or_404)
def remove_project(project: BudgetProject) -> WResponse:
    heading_id = project.heading_id
    if _one_button(lambda: services.remove_project(db.session, current_user, project))[0]:
        flash(_("Project removed."), "success")
    return redirect(url_for("budgets.heading", heading_id=heading_id))


@bp.route("/headings/<int:heading_id>/from-proposals", methods=["GET", "POST"])
@requires(Permission.BUDGET_EDIT_SETUP, load=queries.heading_or_404)
def from_proposals(heading: BudgetHeading) -> str | WResponse:
    proposals = queries.shortlisted_proposals(db.session, heading)
    form = forms.proposals_form_class(proposals)()
    if form.validate_on_submit():
        if (again := once.claim(form)) is not None:
            return again
        chosen = [p for p in proposals if form[f"prop{p.id}"].data]
        try:
            if not chosen:
                raise DomainError(_("Choose at least one proposal."))
            added = services.add_projects_from_proposals(db.session, current_user, heading, chosen)
        except DomainError as exc:
            _fail(form, exc)
        else:
            url = once.record(form, url_for("budgets.heading", heading_id=heading.id))
            db.session.commit()
            flash(ngettext("%(num)d project added from a proposal.", "%(num)d projects added from proposals.", len(added)), "success")
            _warn_costs(heading, added)
            return redirect(url)
    return render_template("budgets/from_proposals.html", form=form, heading=heading, proposals=proposals)


def _choices_from(form: forms.FlaskForm, heading: BudgetHeading, cumulative: bool, prefix: str = "") -> dict[int, int]:
    """Project id -> points (1 for a tick) from the form; a box the form does not have (a hand-made POST naming
    a project that is not on this ballot) is kept, so that the check refuses it instead of ignoring it."""
    out = {}
    for p in heading.projects:
        value = form[f"{prefix}p{p.id}"].data
        out[p.id] = int(value or 0) if cumulative else (1 if value else 0)
    pattern = re.compile(rf"{re.escape(prefix)}p(\d+)")
    for key in request.form:
        if (match := pattern.fullmatch(key)) is not None and int(match.group(1)) not in out and request.form[key].strip():
            out[int(match.group(1))] = 1
    return out


# --------------------------------------------------------------------------------------------- paper ballots


@bp.route("/headings/<int:heading_id>/paper", methods=["GET", "POST"])
@requires(Permission.BUDGET_KEY_PAPER, load=queries.heading_or_404)
def paper(heading: BudgetHeading) -> str | WResponse:
    form = forms.BatchForm()
    if form.validate_on_submit():
        if (again := once.claim(form)) is not None:
            return again
        try:
            batch = services.create_batch(db.session, current_user, heading, form.number.data or 0, form.size.data or 0)
        except DomainError as exc:
            _fail(form, exc)
        else:
            url = once.record(form, url_for("budgets.key_batch", batch_id=batch.id))
            db.session.commit()
            flash(_("Batch %(number)d created. Key its ballots.", number=batch.number), "success")
            return redirect(url)
    return render_template("budgets/paper.html", form=form, heading=heading, batches=queries.batches(db.session, heading))


@bp.route("/batches/<int:batch_id>")
@requires(Permission.BUDGET_KEY_PAPER, load=queries.batch_or_404)
def batch(batch: PaperBatch) -> str:
    return render_template("budgets/batch.html", batch=batch, heading=batch.heading, mismatches=services.batch_mismatches(batch),
                           accept_form=forms.ConfirmForm(), titles={p.id: p.title for p in batch.heading.projects})


@bp.route("/batches/<int:batch_id>/key", methods=["GET", "POST"])
@requires(Permission.BUDGET_KEY_PAPER, load=queries.batch_or_404)
def key_batch(batch: PaperBatch) -> str | WResponse:
    heading = batch.heading
    cumulative = heading.process.ballot_type_enum is BallotType.CUMULATIVE
    form_class = forms.keying_form_class(batch.size, heading.projects, cumulative)
    mine = next((k for k in batch.keyings if k.officer_id == current_user.id), None)
    if request.method == "GET" and mine is not None:
        data = {}
        for n, row in enumerate(json.loads(mine.content_json), start=1):
            data[f"b{n}_spoilt"] = row["spoilt"]
            for pid, pts in row["choices"].items():
                data[f"b{n}_p{pid}"] = pts if cumulative else True
        form = form_class(data=data)
    else:
        form = form_class()
    if form.validate_on_submit():
        rows = [
            services.PaperRow(choices=_choices_from(form, heading, cumulative, prefix=f"b{n}_"), spoilt=bool(form[f"b{n}_spoilt"].data))
            for n in range(1, batch.size + 1)
        ]
        try:
            services.key_batch(db.session, current_user, batch, rows)
        except DomainError as exc:
            _fail(form, exc)
        else:
            db.session.commit()
            flash(_("Your keying of batch %(number)d is saved.", number=batch.number), "success")
            return redirect(url_for("budgets.batch", batch_id=batch.id))
    return render_template("budgets/key_batch.html", form=form, batch=batch, heading=heading, cumulative=cumulative)


@bp.route("/batches/<int:batch_id>/accept", methods=["POST"])
@requires(Permission.BUDGET_KEY_PAPER, load=queries.batch_or_404)
def accept_batch(batch: PaperBatch) -> WResponse:
    batch_id, number = batch.id, batch.number
    accepted, n = _one_button(lambda: services.accept_batch(db.session, current_user, batch))
    if accepted:
        flash(_("Batch %(number)d accepted: %(n)d paper ballots added.", number=number, n=n), "success")
    return redirect(url_for("budgets.batch", batch_id=batch_id))


@bp.route("/batches/<int:batch_id>/discard", methods=["POST"])
@requires(Permission.BUDGET_KEY_PAPER, load=queries.batch_or_404)
def discard_batch(batch: PaperBatch) -> WResponse:
    batch_id, heading_id, number = batch.id, batch.heading_id, batch.number
    if not _one_button(lambda: services.discard_batch(db.session, current_user, batch))[0]:
        return redirect(url_for("budgets.batch", batch_id=batch_id))
    flash(_("Batch %(number)d discarded.", number=number), "success")
    return redirect(url_for("budgets.paper", heading_id=heading_id))


# --------------------------------------------------------------------------------------------- counting and results


@bp.route("/headings/<int:heading_id>/count", methods=["GET", "POST"])
@requires(Permission.BUDGET_COUNT, load=queries.heading_or_404)
def count(heading: BudgetHeading) -> str | WResponse:
    form = forms.ConfirmForm()
    if form.validate_on_submit():  # counted in the background (app/budgets/count_jobs.py)
        try:
            job, created = count_jobs.request_count(db.session, current_user, heading, str(get_locale() or "en"))
        except DomainError as exc:
            _fail(form, exc)
        else:
            db.session.commit()
            return count_views.after_count_request(heading, job.id, created)
    titles = {str(p.id): p.title for p in heading.projects}
    latest = services.latest_count(db.session, heading)
    return render_template("budgets/count.html", form=form, heading=heading, process=heading.process,
                           job=core_jobs.latest_job(db.session, count_jobs.KIND, heading.id),
                           what_if=services.what_if(db.session, heading) if request.args.get("compare") else None, titles=titles,
                           latest=latest, stale=services.count_is_stale(db.session, heading, latest),
                           minimum=services.current_minimum(db.session, heading), points=heading.process.ballot_type_enum is BallotType.CUMULATIVE)


def _shown_count(heading: BudgetHeading):  # type: ignore[no-untyped-def]
    if not policy.may_see_results(current_user, heading):
        abort(404)
    if policy.phase_allows(heading, policy.RESULTS_PUBLIC):
        return services.published_count(db.session, heading)
    return services.latest_count(db.session, heading)


@bp.route("/headings/<int:heading_id>/results")
@public
def results(heading_id: int) -> str:
    heading = queries.heading_or_404(heading_id)
    shown = _shown_count(heading)
    if shown is None:
        return render_template("budgets/results.html", heading=heading, process=heading.process, shown=None)
    outcomes = services.outcomes(heading, shown)
    result = json.loads(shown.result_json)
    titles = {str(p.id): p.title for p in heading.projects}
    bars, chart_height = presenters.chart(outcomes)
    return render_template(
        "budgets/results.html", heading=heading, process=heading.process, shown=shown, outcomes=outcomes,
        money_left=result["money_left"], total_cost=result["total_cost"],
        turnout=services.turnout(db.session, heading, shown), bars=bars, chart_height=chart_height,
        reasons={o.project.id: presenters.reason_text(o.reason, titles, points=heading.process.ballot_type_enum is BallotType.CUMULATIVE)
                 for o in outcomes if not o.funded},
        points=heading.process.ballot_type_enum is BallotType.CUMULATIVE,
        stale=not shown.is_published and services.count_is_stale(db.session, heading, shown),
        lots=presenters.lot_texts(result.get("lots", []), titles, shown.seed),
        minimum=services.minimum_of(heading, shown), file_sha256=services.export_sha256(db.session, heading, shown),
    )


@bp.route("/headings/<int:heading_id>/results.pb")
@public
def results_file(heading_id: int) -> Response:
    heading = queries.heading_or_404(heading_id)
    published = services.published_count(db.session, heading) if policy.phase_allows(heading, policy.RESULTS_PUBLIC) else None
    if published is None:
        abort(404)
    text = services.export_pabulib(db.session, heading, published)
    return Response(text, mimetype="text/plain; charset=utf-8",
                    headers={"Content-Disposition": f'attachment; filename="folkmoot-budget-heading-{heading.id}.pb"'})
