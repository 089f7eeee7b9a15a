"""``flask places import FILE.csv`` and ``flask places import-postcodes FILE.csv``."""

from __future__ import annotations

import csv
import itertools

import click
from flask.cli import AppGroup

from app.core.errors import DomainError
from app.extensions import db
from app.places import onspd, services

places_cli = AppGroup("places", help="Import places and postcodes.")


def _run(importer, path: str) -> None:  # type: ignore[no-untyped-def]
    try:
        with open(path, encoding="utf-8-sig", newline="") as handle:
            report = importer(db.session, handle)
    except DomainError as exc:
        db.session.rollback()
        raise click.ClickException(f"{path}: {exc.message} (nothing was imported)") from None
    db.session.commit()
    click.echo(f"{path}: {report.created} created, {report.updated} updated.")


@places_cli.command("import")
@click.argument("path", type=click.Path(exists=True, dir_okay=False))
def import_places(path: str) -> None:
    """Import places from CSV with columns code,name,kind,parent_code,population[,demo].

    kind is county, district, division, ward or parish; parent_code is empty for a county.
    """
    _run(services.import_places, path)


@places_cli.command("import-postcodes")
@click.argument("path", type=click.Path(exists=True, dir_okay=False))
def import_postcodes(path: str) -> None:
    """Import postcodes: the ONS Postcode Directory (ONSPD) or National Statistics Postcode Lookup (NSPL) as
    downloaded (the ZIP, or its CSV), or a CSV with columns postcode,place_code.

    ONSPD/NSPL rows link to places by their ONS codes (import places with an ons_code column, or with GSS codes
    as their codes); terminated postcodes and postcodes outside the site's places are skipped and counted.
    """
    try:
        with onspd.open_directory(path) as handle:
            first = handle.readline()
            header = next(csv.reader([first]), [])
            if onspd.is_directory_header(header):
                report = onspd.import_directory(db.session, itertools.chain([first], handle))
                db.session.commit()
                click.echo(f"{path}: {report.created} created, {report.updated} updated; skipped "
                           f"{report.terminated} terminated and {report.outside} outside this site's places.")
                return
    except DomainError as exc:
        db.session.rollback()
        raise click.ClickException(f"{path}: {exc.message} (nothing was imported)") from None
    _run(services.import_postcodes, path)

