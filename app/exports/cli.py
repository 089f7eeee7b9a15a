"""``flask exports list [--json]`` and ``flask exports pack KIND ID FILE.zip``."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import click

from app.exports import bp
from app.exports.pack import build_pack
from app.exports.targets import UnknownTarget, all_targets, resolve
from app.extensions import db


@bp.cli.command("list")
@click.option("--json", "as_json", is_flag=True, help="one JSON object per line")
def list_targets(as_json: bool) -> None:
    """Everything that can be exported: budget processes, ranked votes, citizens' panels, proposal consultations."""
    for t in all_targets(db.session):
        item = {"kind": t.kind, "id": t.key, "title": t.title, "state": t.state, "finished": t.is_finished}
        if as_json:
            click.echo(json.dumps(item, ensure_ascii=False))
        else:
            click.echo(f"{t.kind:9}  {t.key:32}  {t.state:12}  {'finished' if t.is_finished else '-':8}  {t.title}")


@bp.cli.command("pack")
@click.argument("kind")
@click.argument("key", metavar="ID")
@click.argument("file", type=click.Path(dir_okay=False, writable=True, path_type=Path))
@click.option("--locale", type=click.Choice(["en", "pl"]), default="en", show_default=True, help="the report's language")
def pack(kind: str, key: str, file: Path, locale: str) -> None:
    """Build the committee pack of KIND ID (budget, vote, panel: an id; proposals: PLACE_CODE:FROM:TO) into FILE.zip."""
    try:
        target = resolve(db.session, kind, key)
    except UnknownTarget as exc:
        click.echo(str(exc), err=True)
        sys.exit(1)
    result = build_pack(db.session, target, locale)
    file.write_bytes(result.zip_bytes())
    click.echo(f"Wrote {file}: {len(result.files)} files ({', '.join(sorted(result.files))}).")
    if result.pdf_missing:
        click.echo(f"Warning: no report.pdf. {result.pdf_missing}", err=True)
