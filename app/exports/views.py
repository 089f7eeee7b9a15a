"""The committee pack page of a process (officers): the report's text, building the pack, downloading it."""

from __future__ import annotations

from flask import Response, abort, flash, redirect, render_template, url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_login import current_user
from werkzeug.wrappers import Response as WResponse

from app.core import jobs
from app.core.errors import DomainError
from app.core.forms import attach_error
from app.core.permissions import Permission, requires
from app.exports import bp, forms, services
from app.exports.models import TEXT_SECTIONS, BuildState, PackBuild
from app.exports.pack import pack_name
from app.exports.report import texts_for
from app.exports.targets import Target, UnknownTarget, resolve
from app.extensions import db


def target_or_404(kind: str, key: str) -> Target:
    try:
        return resolve(db.session, kind, key)
    except UnknownTarget:
        abort(404)


@bp.route("/<kind>/<key>", methods=["GET", "POST"])
@requires(Permission.EXPORT_PACK, load=target_or_404)
def pack_page(target: Target) -> str | WResponse:
    texts = texts_for(db.session, target.kind, target.key)
    form = forms.ReportForm(obj=texts)
    if form.validate_on_submit():
        try:
            services.save_report(db.session, current_user, target, {n: getattr(form, n).data for n in ("meeting", *TEXT_SECTIONS)})
        except DomainError as exc:
            db.session.rollback()
            attach_error(form, exc)
        else:
            db.session.commit()
            flash(_("The report's text is saved."), "success")
            return redirect(url_for("exports.pack_page", kind=target.kind, key=target.key))
    return render_template("exports/pack.html", target=target, form=form, build_form=forms.BuildForm(),
                           build=services.latest_build(db.session, target))


@bp.route("/<kind>/<key>/build", methods=["POST"])
@requires(Permission.EXPORT_PACK, load=target_or_404)
def build(target: Target) -> WResponse:
    pack = services.request_build(db.session, current_user, target, str(get_locale() or "en"))
    db.session.commit()
    jobs.enqueue("app.exports.services.run_build", pack.id)
    flash(_("The pack is being built. Refresh this page to see when it is ready."), "success")
    return redirect(url_for("exports.pack_page", kind=target.kind, key=target.key))


def ready_pack_or_404(kind: str, key: str, build_id: int) -> PackBuild:
    pack = db.session.get(PackBuild, build_id)
    if pack is None or (pack.kind, pack.object_key) != (kind, key) or pack.state != BuildState.READY.value:
        abort(404)
    return pack


@bp.route("/<kind>/<key>/packs/<int:build_id>.zip")
@requires(Permission.EXPORT_PACK, load=ready_pack_or_404)
def download(pack: PackBuild) -> Response:
    target = target_or_404(pack.kind, pack.object_key)
    return Response(pack.content or b"", mimetype="application/zip",
                    headers={"Content-Disposition": f'attachment; filename="{pack_name(target)}"'})


@bp.route("/")
@requires(Permission.EXPORT_PACK)
def index() -> str:
    from app.exports.targets import all_targets

    labels = {"budget": _("Participatory budget"), "vote": _("Ranked vote"), "panel": _("Citizens' panel"),
              "proposals": _("Proposal consultation")}
    return render_template("exports/index.html", targets=all_targets(db.session), kind_labels=labels)
