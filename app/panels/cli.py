"""``flask panels list`` and ``flask panels purge`` (for cron: deletes the personal data of every panel whose
retention date has come, keeping anonymised counts; does nothing, and says so, when none is due)."""

from __future__ import annotations

from datetime import date

import click

from app.extensions import db
from app.panels import bp, queries
from app.panels.services import privacy


@bp.cli.command("list")
def list_panels() -> None:
    """Every panel with its id, retention date and whether its personal data is purged."""
    rows = queries.panels(db.session)
    if not rows:
        click.echo("No panels.")
        return
    for p in rows:
        state = f"purged {p.purged_at:%Y-%m-%d}" if p.purged_at else f"personal data kept until {p.retention_until}"
        click.echo(f"{p.id:>5}  {p.title[:50]:50}  {state}")


@bp.cli.command("purge")
@click.option("--today", type=click.DateTime(formats=["%Y-%m-%d"]), default=None,
              help="Treat this date as today (YYYY-MM-DD); for catching up or testing.")
def purge(today: object) -> None:
    """Delete the personal data of panels past their retention date (safe to run daily from cron)."""
    day: date | None = today.date() if today is not None else None  # type: ignore[attr-defined]
    done = privacy.purge_due(db.session, day)
    db.session.commit()
    if not done:
        click.echo("No panel is due for deletion.")
    for panel, summary in done:
        click.echo(f"Panel {panel.id} ({panel.title}): personal data of {summary['respondents']} respondents and "
                   f"{summary['invited']} invitations deleted; anonymised counts kept.")
