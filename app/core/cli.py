"""Shared CLI: ``flask audit verify|export|verify-extract``, ``flask forms purge``, ``flask translate extract|update|compile``, ``flask demo seed``."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import click
from flask.cli import AppGroup

from app.core import audit
from app.extensions import db

ROOT = Path(__file__).resolve().parents[2]
TRANSLATIONS = ROOT / "translations"

audit_cli = AppGroup("audit", help="The hash-chained audit log.")
translate_cli = AppGroup("translate", help="Translation catalogues (Babel).")
demo_cli = AppGroup("demo", help="Demonstration data.")
forms_cli = AppGroup("forms", help="Housekeeping of the one-time tokens of create forms.")


@audit_cli.command("verify")
def verify() -> None:
    """Check every entry's hash and link; exit 1 naming the first bad entry."""
    result = audit.verify(db.session)
    if not result.ok:
        click.echo(f"Audit log BROKEN at entry {result.bad_entry_id}: {result.reason} ({result.checked} entries before it are intact).", err=True)
        sys.exit(1)
    click.echo(f"Audit log intact: {result.checked} entries verified.")


@audit_cli.command("export")
@click.argument("path", type=click.Path(dir_okay=False, writable=True))
def export(path: str) -> None:
    """Write the public extract: every entry as one JSON line, exactly as hashed (accounts appear only as user:N,
    never by name or e-mail), so anyone can recompute the chain."""
    count = audit.export_public(db.session, path)
    click.echo(f"{path}: {count} entries written. Accounts appear only as user:N.")


@audit_cli.command("verify-extract")
@click.argument("path", type=click.Path(dir_okay=False))
def verify_extract(path: str) -> None:
    """Check an extract (a committee pack's audit.jsonl): every entry's hash, increasing ids, and the links between
    neighbouring entries; exit 1 naming the first bad line."""
    from app.exports.verify_audit import verify_file

    ok, checked, reason = verify_file(path)
    if not ok:
        click.echo(f"{path}: BROKEN: {reason} ({checked} entries before it are intact).", err=True)
        sys.exit(1)
    click.echo(f"{path}: intact, {checked} entries verified.")


def _pybabel(*args: str) -> None:
    subprocess.run([sys.executable, "-m", "babel.messages.frontend", *args], check=True, cwd=ROOT)


def extract() -> None:
    _pybabel(
        "extract", "-F", str(TRANSLATIONS / "babel.cfg"), "-k", "_l", "-k", "lazy_gettext",
        "--no-location", "--sort-output", "--project", "Folkmoot", "--copyright-holder", "Folkmoot contributors",
        "-o", str(TRANSLATIONS / "messages.pot"), ".",
    )


@translate_cli.command("extract")
def extract_cmd() -> None:
    """Re-extract translations/messages.pot from the code and templates."""
    extract()


@translate_cli.command("update")
def update() -> None:
    """Extract, then merge new strings into every catalogue."""
    extract()
    _pybabel("update", "-i", str(TRANSLATIONS / "messages.pot"), "-d", str(TRANSLATIONS), "--no-fuzzy-matching")


@translate_cli.command("compile")
def compile_() -> None:
    """Compile the .po catalogues to .mo files."""
    _pybabel("compile", "-d", str(TRANSLATIONS))


@demo_cli.command("seed")
def seed() -> None:
    """Load (or refresh) the Cambridgeshire demonstration data; safe to run again."""
    from app.core.demo import seed_demo

    lines = seed_demo(db.session)
    db.session.commit()
    for line in lines:
        click.echo(line)


@forms_cli.command("purge")
@click.option("--days", type=click.IntRange(min=1), default=30, show_default=True,
              help="Forget tokens of forms sent more than this many days ago.")
def purge_forms(days: int) -> None:
    """Forget old one-time form tokens (for cron). A form sent again after this many days is acted on anew."""
    from datetime import timedelta

    from app.core import once
    from app.core.db import utcnow

    count = once.purge(db.session, utcnow() - timedelta(days=days))
    db.session.commit()
    click.echo(f"{count} form tokens older than {days} days forgotten.")


ballots_cli = AppGroup("ballots", help="Ballot secrecy at rest: the key of the ballot tokens.")


@ballots_cli.command("rekey")
@click.option("--new-secret-env", default="NEW_BALLOT_SECRET", show_default=True,
              help="The environment variable holding the new key (kept off the command line and the shell history).")
def rekey(new_secret_env: str) -> None:
    """Re-key every ballot token from the current key (BALLOT_SECRET, else SECRET_KEY) to a new one, in one
    transaction; then set BALLOT_SECRET to the new key and restart the application."""
    import os

    from flask import current_app

    from app.core import secrecy

    new = os.environ.get(new_secret_env, "")
    if len(new) < 32:
        click.echo(f"Set {new_secret_env} to the new key (at least 32 characters) first.", err=True)
        sys.exit(2)
    old = secrecy.ballot_key()
    if new.encode("utf-8") == old:
        click.echo("The new key is the current key: nothing to do.", err=True)
        sys.exit(2)
    try:
        done = secrecy.rekey(db.session, old, new.encode("utf-8"))
        from app.equality.services import rekey as rekey_equality

        answered = rekey_equality(db.session, old, new.encode("utf-8"))  # the equality-monitoring "answered" marks
    except ValueError as exc:
        db.session.rollback()
        click.echo(str(exc), err=True)
        sys.exit(1)
    db.session.commit()
    source = "BALLOT_SECRET" if current_app.config.get("BALLOT_SECRET") else "SECRET_KEY"
    click.echo(f"Re-keyed {done['budget']} budget ballots and {done['vote']} ranked ballots (the old key was {source}). "
               f"({answered} equality-monitoring marks moved too.) "
               f"Now set BALLOT_SECRET to the value of {new_secret_env} and restart the application.")
