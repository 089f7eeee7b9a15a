"""Home page, language switcher and the audit log page."""

from __future__ import annotations

from flask import current_app, redirect, render_template, request, session, url_for
from flask_login import current_user
from sqlalchemy import select
from werkzeug.exceptions import NotFound
from werkzeug.wrappers import Response

from app.auth import queries as account_queries
from app.auth import services as account_services
from app.core import bp, home
from app.core.forms import safe_next
from app.core.models import AuditEntry
from app.core.permissions import Permission, public, requires
from app.extensions import db
from app.places import queries as place_queries


@bp.route("/")
@public
def index() -> str:
    areas = home.areas_for(current_user)
    return render_template("core/index.html", roots=place_queries.roots(db.session),
                           sections=home.sections(db.session, areas), personal=areas is not None)


@bp.route("/health")
@public
def health() -> Response:
    """A liveness check for load balancers and process monitors: it answers while the server process runs,
    touching neither the database nor the session (so it is also the reference "hello world" that
    ``bench/load.py`` measures casting against)."""
    return Response("ok\n", mimetype="text/plain")


@bp.route("/language/<code>")
@public
def set_language(code: str) -> Response:
    """Plain-link language switcher: remembers the choice in the session and, when signed in, the account."""
    if code not in current_app.config["LANGUAGES"]:
        raise NotFound()
    session["locale"] = code
    if current_user.is_authenticated:
        account_services.set_locale(db.session, current_user, code)  # type: ignore[arg-type]
        db.session.commit()
    return redirect(safe_next(url_for("core.index")))


@bp.route("/audit")
@requires(Permission.AUDIT_VIEW)
def audit_log() -> str:
    page = request.args.get("page", 1, type=int)
    pagination = db.paginate(select(AuditEntry).order_by(AuditEntry.id.desc()), page=page, per_page=50, error_out=False)
    # Officers see who: the log itself names accounts only as user:N (its public extract stays anonymous).
    ids = {e.actor_id for e in pagination.items if e.actor_id is not None}
    ids |= {int(e.object_id) for e in pagination.items if e.object_type == "users" and (e.object_id or "").isdigit()}
    return render_template("core/audit.html", pagination=pagination, people=account_queries.names_by_id(ids))


@bp.route("/accessibility")
@public
def accessibility() -> str:
    return render_template("core/accessibility.html")
