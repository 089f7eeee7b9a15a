"""Committee packs (report, tables, methodology, recount files, audit extract, manifest) and the public
open-data pages of finished processes."""

from flask import Blueprint

bp = Blueprint("exports", __name__, url_prefix="/exports", cli_group="exports")
open_data_bp = Blueprint("open_data", __name__, url_prefix="/open-data")

from app.exports import cli, models, open_data, policy, views  # noqa: E402,F401


@bp.record_once
def _globals(state) -> None:  # type: ignore[no-untyped-def]
    from app.exports.participation import participation_for
    from app.exports.tables import formatted

    state.app.jinja_env.globals.update(participation_for=participation_for, cell=formatted)
