"""``flask budgets list`` and ``flask budgets export HEADING_ID --format pabulib FILE``."""

from __future__ import annotations

import hashlib
import sys
from pathlib import Path

import click

from app.budgets import bp, queries, services
from app.budgets.models import BudgetHeading
from app.core.errors import DomainError
from app.extensions import db


@bp.cli.command("list")
def list_headings() -> None:
    """Every heading with its id, place, phase and counting rule."""
    headings = queries.all_headings(db.session)
    if not headings:
        click.echo("No budget headings.")
        return
    click.echo(f"{'id':>5}  {'process':40}  {'heading':30}  {'place':24}  {'phase':20}  rule")
    for h in headings:
        p = h.process
        click.echo(f"{h.id:>5}  {p.title[:40]:40}  {h.name[:30]:30}  {h.place.name[:24]:24}  {p.phase:20}  {p.pabulib_rule}")


@bp.cli.command("export")
@click.argument("heading_id", type=int)
@click.argument("file", type=click.Path(dir_okay=False, writable=True, path_type=Path))
@click.option("--format", "fmt", type=click.Choice(["pabulib"]), default="pabulib", show_default=True)
def export(heading_id: int, file: Path, fmt: str) -> None:
    """Write HEADING_ID's ballots and published result as a pabulib .pb file for an independent recount."""
    heading = db.session.get(BudgetHeading, heading_id)
    if heading is None:
        click.echo(f"No heading with id {heading_id}.", err=True)
        sys.exit(1)
    count = services.published_count(db.session, heading)
    if count is None:
        count = services.latest_count(db.session, heading)
        if count is None:
            click.echo(f"Heading {heading_id} has not been counted yet.", err=True)
            sys.exit(1)
        click.echo(f"Warning: the results of heading {heading_id} are not published; exporting the latest count.", err=True)
    try:
        text = services.export_pabulib(db.session, heading, count)
    except DomainError as exc:
        click.echo(exc.message, err=True)
        sys.exit(1)
    file.write_text(text, encoding="utf-8")
    digest = hashlib.sha256(text.encode("utf-8")).hexdigest()  # what the results page and the recount show
    click.echo(f"Wrote {file} (rule {services.pabulib_rule(count.rule, count.completion)}, seed {count.seed}, file sha256 {digest}, "
               f"count inputs sha256 {count.inputs_hash}).")
