"""Citizens' panels by sortition: the invitation lottery, registration by code, quotas, the verifiable draw,
confirmations and replacements, the panel's workspace, and the retention of personal data."""

from flask import Blueprint

bp = Blueprint("panels", __name__, url_prefix="/panels", cli_group="panels")

from app.panels import cli, home, models, policy, sections, views  # noqa: E402,F401


@bp.context_processor
def panel_labels() -> dict[str, object]:
    return {"status_labels": {s.value: s.label for s in models.Status},
            "channel_labels": {c.value: c.label for c in models.Channel}}
