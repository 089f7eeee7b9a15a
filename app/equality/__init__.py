"""Equality monitoring for budget processes and ranked votes: optional, consented questions whose answers are
kept only as counts and published only as aggregates of at least 10 (see :mod:`app.equality.models` and
:mod:`app.equality.suppression`)."""

from flask import Blueprint

bp = Blueprint("equality", __name__, url_prefix="/equality")

from app.equality import models, views  # noqa: E402,F401


@bp.record_once
def _globals(state) -> None:  # type: ignore[no-untyped-def]
    from app.equality.views import invitation

    state.app.jinja_env.globals.update(equality_invitation=invitation)
