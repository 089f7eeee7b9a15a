"""``flask votes list [--json]``, ``flask votes result VOTE_ID --json`` and ``flask votes export VOTE_ID FILE``."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import click

from app.extensions import db
from app.voting import bp, counting, queries
from app.voting.models import Vote, VoteState


@bp.cli.command("list")
@click.option("--json", "as_json", is_flag=True, help="one JSON object per line")
def list_votes(as_json: bool) -> None:
    """Every vote with its id, title, rule, seats and state."""
    for vote in sorted(queries.votes(db.session), key=lambda v: v.id):
        item = {"id": vote.id, "title": vote.title, "rule": vote.rule, "seats": vote.seats, "state": vote.state}
        if as_json:
            click.echo(json.dumps(item, ensure_ascii=False))
        else:
            click.echo(f"{vote.id:>5}  {vote.rule:8}  {vote.seats:>3}  {vote.state:10}  {vote.title}")


def _counted(vote_id: int, published_only: bool) -> tuple[Vote, counting.VoteCount]:
    vote = db.session.get(Vote, vote_id)
    if vote is None:
        click.echo(f"No vote with id {vote_id}.", err=True)
        sys.exit(1)
    count = counting.count_of(db.session, vote)
    if count is None or (published_only and vote.state != VoteState.PUBLISHED.value):
        click.echo(f"Vote {vote_id} has no published result.", err=True)
        sys.exit(1)
    return vote, count


@bp.cli.command("result")
@click.argument("vote_id", type=int)
@click.option("--json", "as_json", is_flag=True, help="the result as python -m app.tally … --json prints it")
def result(vote_id: int, as_json: bool) -> None:
    """The published result of VOTE_ID."""
    vote, count = _counted(vote_id, True)
    payload = json.loads(count.result_json)
    if as_json:
        click.echo(json.dumps(payload, ensure_ascii=False))
    else:
        click.echo(f"{vote.title}: {vote.rule}, seed {count.seed}, inputs sha256 {count.inputs_hash}")
        click.echo("elected: " + ", ".join(payload.get("elected", [])))


@bp.cli.command("export")
@click.argument("vote_id", type=int)
@click.argument("file", type=click.Path(dir_okay=False, writable=True, path_type=Path))
def export(vote_id: int, file: Path) -> None:
    """Write VOTE_ID's anonymised, shuffled, weighted ballots as BLT; ``python -m app.tally RULE FILE --seed SEED``
    recounts the published result."""
    vote, count = _counted(vote_id, True)
    file.write_bytes(count.blt_text.encode("utf-8"))
    rule = {"irv": "irv", "stv": "stv", "schulze": "schulze"}[vote.rule]
    click.echo(f"Wrote {file} (sha256 {count.inputs_hash}). Recount: python -m app.tally {rule} {file} --seed {count.seed}")
