"""Panel pages, part two: quotas and feasibility, the commitment, the seed and the draw, the public draw page and
its files, confirmation and replacements, and the panel's workspace."""

from __future__ import annotations

from decimal import Decimal

from flask import Response as FlaskResponse
from flask import abort, render_template, url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_login import current_user
from werkzeug.wrappers import Response

from app.core.mail import send_after_commit
from app.core.permissions import Permission, public, requires
from app.deliberation.forms import RecommendationForm
from app.deliberation.policy import may_view_space
from app.extensions import db
from app.panels import bp, forms, policy, queries
from app.panels.models import Method, Panel, Respondent, Status
from app.panels.services import confirmation, selection, workspace
from app.panels.views import one_button, run_form

# --- quotas -------------------------------------------------------------------------------------------------

def _shares(form: object, panel: Panel) -> dict[tuple[str, str], int]:
    out = {}
    for q in panel.questions:
        for i, value in enumerate(q.options):
            share = getattr(form, f"share-{q.category}-{i}").data or Decimal(0)
            out[(q.category, value)] = int(round(share * 10))
    return out


@bp.route("/<int:panel_id>/quotas", methods=["GET", "POST"])
@requires(Permission.PANEL_RUN, load=queries.panel_or_404)
def quotas(panel: Panel) -> str | Response:
    form = forms.quotas_form_class(panel.questions)(size=panel.size, method=panel.method,
                                                    leeway=panel.quota_leeway if panel.quotas else 1)
    existing = {(q.category, q.value): q for q in panel.quotas}
    if not form.is_submitted():
        for q in panel.questions:
            for i, value in enumerate(q.options):
                if (q.category, value) in existing:
                    getattr(form, f"share-{q.category}-{i}").data = Decimal(existing[(q.category, value)].share_permille) / 10
    plan = lambda: selection.QuotaPlan(size=form.size.data, method=Method(form.method.data), shares=_shares(form, panel),  # noqa: E731
                                       leeway=form.leeway.data or 0)
    done = run_form(form, lambda: selection.set_quotas(db.session, current_user, panel, plan()),
                    _("Quotas saved."), lambda _r: url_for("panels.quotas", panel_id=panel.id))
    return done or render_template("panels/quotas.html", form=form, panel=panel, relax_form=forms.ConfirmForm(),
                                   check=selection.feasibility(db.session, panel))


@bp.route("/<int:panel_id>/quotas/relax", methods=["POST"])
@requires(Permission.PANEL_RUN, load=queries.panel_or_404)
def relax(panel: Panel) -> Response:
    return one_button(lambda: selection.apply_relaxations(db.session, current_user, panel),
                      _("The suggested relaxations are applied."), url_for("panels.quotas", panel_id=panel.id))


# --- the commitment, the seed, the draw ------------------------------------------------------------------------

@bp.route("/<int:panel_id>/commit", methods=["GET", "POST"])
@requires(Permission.PANEL_RUN, load=queries.panel_or_404)
def commit(panel: Panel) -> str | Response:
    form = forms.CommitForm()
    done = run_form(form, lambda: selection.commit(db.session, current_user, panel, form.seed_plan.data or "", form.lottery.data),
                    _("The commitment is published. Record the seed when it has been fixed as announced."),
                    lambda _r: url_for("panels.draw", panel_id=panel.id))
    return done or render_template("panels/commit.html", form=form, panel=panel, check=selection.feasibility(db.session, panel))


@bp.route("/<int:panel_id>/seed", methods=["GET", "POST"])
@requires(Permission.PANEL_RUN, load=queries.drawn_panel_or_404)
def seed(panel: Panel) -> str | Response:
    draw = panel.selection
    target = lambda _r: url_for("panels.selection_page", panel_id=panel.id)  # noqa: E731
    if draw is not None and draw.lottery_size is not None:
        ticket = forms.TicketForm()
        done = run_form(ticket, lambda: selection.record_ticket_and_draw(db.session, current_user, panel, ticket.ticket.data),
                        _("The number drawn is recorded and the panel drawn."), target)
        return done or render_template("panels/seed.html", form=ticket, panel=panel, draw=draw, field_name="ticket",
                                       action=url_for("panels.seed", panel_id=panel.id),
                                       heading=_("Record the number drawn and draw the panel"))
    form = forms.SeedForm()
    done = run_form(form, lambda: selection.record_seed_and_draw(db.session, current_user, panel, form.seed.data or ""),
                    _("The seed is recorded and the panel drawn."), target)
    return done or render_template("panels/seed.html", form=form, panel=panel, draw=draw, field_name="seed",
                                   action=url_for("panels.seed", panel_id=panel.id), heading=_("Record the seed and draw the panel"))


@bp.route("/<int:panel_id>/draw")
@public
def draw(panel_id: int) -> str:
    panel = queries.drawn_panel_or_404(panel_id)
    sel = panel.selection
    assert sel is not None
    return render_template("panels/draw.html", panel=panel, draw=sel, result=sel.result,
                           command=selection.rerun_command(sel), by_category=selection.probabilities_by_category(sel)
                           if sel.result else [], lottery=selection.lottery_rows(sel))


def _file(text: str, name: str, mimetype: str) -> FlaskResponse:
    return FlaskResponse(text, mimetype=mimetype, headers={"Content-Disposition": f"attachment; filename={name}"})


def gone(panel: Panel) -> tuple[str, int]:
    """410 Gone: files about single people or households are deleted with the personal data (the hashes that
    identify them stay on the public pages)."""
    return render_template("errors/error.html", code=410, title=_("This file has been deleted"),
                           text=_("It held data about single people or households, and was deleted with the panel's "
                                  "personal data on its retention date. The SHA-256 that identified it is still "
                                  "published on the panel's pages."), detail=None), 410


@bp.route("/<int:panel_id>/pool.csv")
@public
def pool_file(panel_id: int) -> FlaskResponse | tuple[str, int]:
    panel = queries.drawn_panel_or_404(panel_id)
    if panel.purged_at is not None:
        return gone(panel)
    assert panel.selection is not None
    return _file(panel.selection.pool_csv, selection.POOL_FILE, "text/csv; charset=utf-8")


@bp.route("/<int:panel_id>/lottery.csv")
@public
def lottery_file(panel_id: int) -> FlaskResponse | tuple[str, int]:
    panel = queries.drawn_panel_or_404(panel_id)
    if panel.selection is None or panel.selection.lottery_size is None:
        abort(404)
    if panel.purged_at is not None:
        return gone(panel)
    return _file(panel.selection.lottery_csv or "", selection.LOTTERY_FILE, "text/csv; charset=utf-8")


@bp.route("/<int:panel_id>/quotas.csv")
@public
def quotas_file(panel_id: int) -> FlaskResponse:
    sel = queries.drawn_panel_or_404(panel_id).selection
    assert sel is not None
    return _file(sel.quotas_csv, selection.QUOTAS_FILE, "text/csv; charset=utf-8")


@bp.route("/<int:panel_id>/commitment.json")
@public
def commitment_file(panel_id: int) -> FlaskResponse:
    sel = queries.drawn_panel_or_404(panel_id).selection
    assert sel is not None
    return _file(sel.commitment_text, "commitment.json", "application/json; charset=utf-8")


# --- the officers' view, confirmation and replacements ---------------------------------------------------------

@bp.route("/<int:panel_id>/selection")
@requires(Permission.PANEL_RUN, load=queries.drawn_panel_or_404)
def selection_page(panel: Panel) -> str:
    sel = panel.selection
    assert sel is not None
    return render_template("panels/selection.html", panel=panel, draw=sel, result=sel.result,
                           drawn=confirmation.drawn(db.session, panel), final=confirmation.is_final(db.session, panel),
                           by_category=selection.probabilities_by_category(sel) if sel.result else [],
                           replaced={r.withdrawn_public_id for r in sel.replacements}, button=forms.ConfirmForm())


@bp.route("/<int:panel_id>/members/<int:respondent_id>", methods=["GET", "POST"])
@requires(Permission.PANEL_VIEW_PERSONAL, load=queries.respondent_or_404)
def mark(respondent: Respondent) -> str | Response:
    form = forms.MarkForm(status=respondent.status if respondent.status != Status.SELECTED.value else None,
                          comment=respondent.status_comment)
    done = run_form(form, lambda: confirmation.mark(db.session, current_user, respondent, Status(form.status.data),
                                                    form.comment.data or ""),
                    _("Answer recorded."), lambda _r: url_for("panels.selection_page", panel_id=respondent.panel_id))
    return done or render_template("panels/mark.html", form=form, panel=respondent.panel, respondent=respondent)


@bp.route("/<int:panel_id>/members/<int:respondent_id>/replace", methods=["POST"])
@requires(Permission.PANEL_RUN, load=queries.respondent_or_404)
def replace(respondent: Respondent) -> Response:
    return one_button(lambda: confirmation.replace(db.session, current_user, respondent),
                      _("A replacement is drawn. Contact them to confirm."),
                      url_for("panels.selection_page", panel_id=respondent.panel_id))


# --- the workspace ------------------------------------------------------------------------------------------------

def _invite(invited: list[workspace.Invited], panel: Panel) -> None:
    for item in invited:
        link = url_for("auth.reset_password", token=item.token, _external=True)
        body = render_template("panels/email_invite.txt", panel=panel, name=item.user.display_name, link=link)
        send_after_commit(db.session, item.user.email or "", _("You are a member of %(panel)s", panel=panel.title), body)


@bp.route("/<int:panel_id>/workspace/open", methods=["POST"])
@requires(Permission.PANEL_RUN, load=queries.drawn_panel_or_404)
def open_workspace(panel: Panel) -> Response:
    return one_button(lambda: _invite(workspace.open_workspace(db.session, current_user, panel), panel),
                      _("The panel's space is open and its confirmed members are invited."),
                      url_for("panels.workspace_page", panel_id=panel.id))


@bp.route("/<int:panel_id>/workspace")
@requires(Permission.PANEL_VIEW_WORKSPACE, load=queries.panel_or_404)
def workspace_page(panel: Panel) -> str:
    return render_template("panels/workspace.html", panel=panel, meetings=workspace.meetings(db.session, panel),
                           evidence=workspace.evidence(db.session, panel),
                           recommendations=workspace.recommendations(db.session, panel), runs=policy.runs(current_user, panel),
                           sees_space=may_view_space(current_user, panel.space))


@bp.route("/<int:panel_id>/workspace/meetings", methods=["GET", "POST"])
@requires(Permission.PANEL_RUN, load=queries.panel_or_404)
def new_meeting(panel: Panel) -> str | Response:
    form = forms.MeetingForm()
    done = run_form(form, lambda: workspace.add_meeting(db.session, current_user, panel, form.title.data or "",
                                                        form.starts_at.data, form.location.data or ""),
                    _("Meeting added to the timetable."), lambda _r: url_for("panels.workspace_page", panel_id=panel.id))
    return done or render_template("panels/workspace_form.html", form=form, panel=panel, heading=_("Add a meeting"))


@bp.route("/<int:panel_id>/workspace/evidence", methods=["GET", "POST"])
@requires(Permission.PANEL_RUN, load=queries.panel_or_404)
def new_evidence(panel: Panel) -> str | Response:
    form = forms.EvidenceForm()
    done = run_form(form, lambda: workspace.add_evidence(db.session, current_user, panel, form.title.data or "",
                                                         form.url.data or "", form.source.data or "", form.summary.data or ""),
                    _("Added to the evidence library."), lambda _r: url_for("panels.workspace_page", panel_id=panel.id))
    return done or render_template("panels/workspace_form.html", form=form, panel=panel, heading=_("Add evidence"))


@bp.route("/<int:panel_id>/workspace/recommendations/new", methods=["GET", "POST"])
@requires(Permission.PANEL_RECOMMEND, load=queries.panel_or_404)
def recommend(panel: Panel) -> str | Response:
    form = RecommendationForm()
    done = run_form(form, lambda: workspace.recommend(db.session, current_user, panel, form.title.data or "",
                                                      form.text.data or "", str(get_locale() or "en")),
                    _("Your draft is with the panel's members. It goes out to the council when enough of them agree."),
                    lambda rec: url_for("deliberation.recommendation", recommendation_id=rec.id))
    return done or render_template("panels/workspace_form.html", form=form, panel=panel, heading=_("Publish a recommendation"))
