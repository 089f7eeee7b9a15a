"""``flask budgets list`` and ``flask budgets export HEADING_ID FILE --format pabulib|results-csv|ballots-csv``."""

from __future__ import annotations

import csv
import hashlib
import io
import sys
from pathlib import Path

import click

from app.budgets import bp, queries, services
from app.budgets.models import BudgetHeading
from app.core.errors import DomainError
from app.extensions import db
from app.tally.formats import pabulib

FORMATS = ("pabulib", "results-csv", "ballots-csv")


@bp.cli.command("list")
def list_headings() -> None:
    """Every heading with its id, place, phase and counting rule."""
    headings = queries.all_headings(db.session)
    if not headings:
        click.echo("No budget headings.")
        return
    rows = [(str(h.id), h.process.title, h.name, h.place.name, h.process.phase, h.process.pabulib_rule) for h in headings]
    header = ("id", "process", "heading", "place", "phase", "rule")
    widths = [max(len(r[i]) for r in [header, *rows]) for i in range(len(header))]
    for row in [header, *rows]:  # whole names: columns as wide as their longest entry
        click.echo("  ".join(cell.rjust(widths[0]) if i == 0 else cell.ljust(widths[i]) for i, cell in enumerate(row)).rstrip())


@bp.cli.command("export")
@click.argument("heading_id", type=int)
@click.argument("file", type=click.Path(dir_okay=False, writable=True, path_type=Path))
@click.option("--format", "fmt", type=click.Choice(FORMATS), default="pabulib", show_default=True,
              help="pabulib: the .pb file for a recount; results-csv: one row per project with its votes and "
                   "whether it was funded; ballots-csv: the anonymised, shuffled ballots, one row each.")
def export(heading_id: int, file: Path, fmt: str) -> None:
    """Write HEADING_ID's ballots and published result: a pabulib .pb file for an independent recount, or CSV."""
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
    if fmt != "pabulib":
        pb = pabulib.parse(text)
        table = (pb.project_columns, pb.project_rows) if fmt == "results-csv" else (pb.vote_columns, pb.vote_rows)
        out = io.StringIO()
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow(table[0])
        writer.writerows(table[1])
        file.write_text(out.getvalue(), encoding="utf-8")
        click.echo(f"Wrote {file} ({fmt}, {len(table[1])} rows, from the pabulib export of count {count.id}).")
        return
    file.write_text(text, encoding="utf-8")
    digest = hashlib.sha256(text.encode("utf-8")).hexdigest()  # what the results page and the recount show
    click.echo(f"Wrote {file} (rule {services.pabulib_rule(count.rule, count.completion)}, seed {count.seed}, file sha256 {digest}, "
               f"count inputs sha256 {count.inputs_hash}).")
