"""Place and postcode imports and look-ups."""

from __future__ import annotations

import csv
import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import IO

from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.core.errors import DomainError
from app.places.models import ALLOWED_PARENTS, Place, PlaceKind, Postcode

PLACE_COLUMNS = ("code", "name", "kind", "parent_code", "population")
POSTCODE_COLUMNS = ("postcode", "place_code")
# The general shape of a UK postcode (outward code, a space, inward code).
# A Government Statistical Service code: a letter for the nation, two digits for the entity, six for the area.
GSS_CODE_RE = re.compile(r"^[EWSNL][0-9]{8}$")
_POSTCODE_RE = re.compile(r"^([A-Z]{1,2}[0-9][A-Z0-9]?) ?([0-9][A-Z]{2})$")


def normalise_postcode(raw: str) -> str | None:
    """'cb2 1tn' → 'CB2 1TN'; None when it is not shaped like a UK postcode."""
    compact = re.sub(r"\s+", "", raw or "").upper()
    m = _POSTCODE_RE.match(compact)
    if not m:
        return None
    return f"{m.group(1)} {m.group(2)}"


class UnknownPostcode(DomainError):
    """A well-formed postcode that is not in the directory (new-build streets never are): the resident may
    choose their ward instead, for an officer to confirm."""


# The kinds a resident may choose as their home area when the postcode is unknown.
CHOOSABLE_KINDS = (PlaceKind.DIVISION.value, PlaceKind.WARD.value)


def place_for_postcode(session: Session, raw: str) -> Place:
    """The place a postcode belongs to, or DomainError with a message for the postcode field."""
    postcode = normalise_postcode(raw)
    if postcode is None:
        raise DomainError(_("Enter a real postcode, like CB2 1TN."), field="postcode")
    row = session.get(Postcode, postcode)
    if row is None:
        raise UnknownPostcode(
            _("We could not find %(postcode)s in the postcode directory. Check it, or choose your ward from the list.",
              postcode=postcode),
            field="postcode",
        )
    return row.place


def home_for(session: Session, raw_postcode: str, ward_id: int | None) -> tuple[Place, bool]:
    """The home area for a postcode, and whether it still needs an officer's confirmation (True when the
    postcode is unknown and the resident chose their ward from the list instead)."""
    try:
        return place_for_postcode(session, raw_postcode), False
    except UnknownPostcode:
        if not ward_id:
            raise
    ward = session.get(Place, ward_id)
    if ward is None or ward.kind not in CHOOSABLE_KINDS:
        raise DomainError(_("Choose your ward from the list."), field="ward_id")
    return ward, True


def ward_choices(session: Session) -> list[tuple[int, str]]:
    """Wards and divisions, named with their district, for the "choose your ward" list."""
    rows = session.execute(select(Place).where(Place.kind.in_(CHOOSABLE_KINDS))).scalars()
    out = [(p.id, f"{p.name} ({p.parent.name})" if p.parent else p.name) for p in rows]
    return sorted(out, key=lambda pair: pair[1].lower())


def demo_postcodes(session: Session, limit: int = 6) -> list[tuple[str, str]]:
    """Some postcodes of demonstration places, with their area's name (shown on the demo's registration page)."""
    rows = session.execute(
        select(Postcode.postcode, Place.name).join(Place, Postcode.place_id == Place.id)
        .where(Place.is_demo_population.is_(True)).order_by(Postcode.postcode)
    ).all()
    step = max(1, len(rows) // limit) if rows else 1
    return [(r[0], r[1]) for r in rows[::step][:limit]]


@dataclass(frozen=True)
class ImportReport:
    created: int
    updated: int


class ImportError_(DomainError):
    pass


def _rows(handle: IO[str], required: tuple[str, ...]) -> Iterable[tuple[int, dict[str, str]]]:
    reader = csv.DictReader(handle)
    header = [h.strip() for h in (reader.fieldnames or [])]
    missing = [c for c in required if c not in header]
    if missing:
        raise ImportError_(_("Line 1: the header is missing the column(s) %(columns)s.", columns=", ".join(missing)))
    for number, row in enumerate(reader, start=2):
        yield number, {k.strip(): (v or "").strip() for k, v in row.items() if k is not None}


def import_places(session: Session, handle: IO[str]) -> ImportReport:
    """Create or update places from CSV (columns: code, name, kind, parent_code, population[, demo, ons_code]).

    ``ons_code`` is the place's ONS (GSS) code; when the column is absent and ``code`` is itself one, it is used.

    Parents may appear after their children in the file; the whole file applies or nothing does.
    """
    rows = list(_rows(handle, PLACE_COLUMNS))
    existing = {p.code: p for p in session.execute(select(Place)).scalars()}
    created = updated = 0
    pending: list[tuple[int, Place, str]] = []
    for number, row in rows:
        code, name, kind = row["code"], row["name"], row["kind"].lower()
        if not code or not name:
            raise ImportError_(_("Line %(line)d: code and name are required.", line=number))
        try:
            kind_enum = PlaceKind(kind)
        except ValueError:
            raise ImportError_(
                _("Line %(line)d: kind must be one of %(kinds)s.", line=number, kinds=", ".join(k.value for k in PlaceKind))
            ) from None
        population: int | None = None
        if row.get("population"):
            try:
                population = int(row["population"].replace(",", ""))
            except ValueError:
                raise ImportError_(_("Line %(line)d: population must be a whole number.", line=number)) from None
            if population < 0:
                raise ImportError_(_("Line %(line)d: population must be a whole number.", line=number))
        place = existing.get(code)
        if place is None:
            place = Place(code=code, name=name, kind=kind_enum.value, population=population)
            session.add(place)
            existing[code] = place
            created += 1
        else:
            place.name, place.kind, place.population = name, kind_enum.value, population
            updated += 1
        place.is_demo_population = row.get("demo", "").lower() in {"1", "yes", "true"}
        ons_code = (row.get("ons_code") or (code if GSS_CODE_RE.match(code) else "")).upper()
        if ons_code and not GSS_CODE_RE.match(ons_code):
            raise ImportError_(_("Line %(line)d: %(value)s is not an ONS code (like E05013050).", line=number, value=ons_code))
        place.ons_code = ons_code or None
        pending.append((number, place, row.get("parent_code", "")))
    for number, place, parent_code in pending:
        kind_enum = PlaceKind(place.kind)
        if not parent_code:
            if ALLOWED_PARENTS[kind_enum] and kind_enum is not PlaceKind.COUNTY:
                raise ImportError_(_("Line %(line)d: a %(kind)s needs a parent_code.", line=number, kind=kind_enum.value))
            place.parent = None
            continue
        parent = existing.get(parent_code)
        if parent is None:
            raise ImportError_(_("Line %(line)d: no place has the parent code %(code)s.", line=number, code=parent_code))
        if PlaceKind(parent.kind) not in ALLOWED_PARENTS[kind_enum]:
            raise ImportError_(
                _("Line %(line)d: a %(kind)s cannot sit inside a %(parent)s.", line=number, kind=kind_enum.value, parent=parent.kind)
            )
        if parent is place:
            raise ImportError_(_("Line %(line)d: a place cannot be its own parent.", line=number))
        place.parent = parent
    session.flush()
    return ImportReport(created, updated)


def import_postcodes(session: Session, handle: IO[str]) -> ImportReport:
    """Create or update postcode → place rows from CSV (columns: postcode, place_code)."""
    places = {p.code: p for p in session.execute(select(Place)).scalars()}
    created = updated = 0
    for number, row in _rows(handle, POSTCODE_COLUMNS):
        postcode = normalise_postcode(row["postcode"])
        if postcode is None:
            raise ImportError_(_("Line %(line)d: %(value)s is not a UK postcode.", line=number, value=row["postcode"]))
        place = places.get(row["place_code"])
        if place is None:
            raise ImportError_(_("Line %(line)d: no place has the code %(code)s.", line=number, code=row["place_code"]))
        existing = session.get(Postcode, postcode)
        if existing is None:
            session.add(Postcode(postcode=postcode, place_id=place.id))
            created += 1
        else:
            existing.place_id = place.id
            updated += 1
    session.flush()
    return ImportReport(created, updated)
