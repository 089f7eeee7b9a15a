"""Reading the Office for National Statistics' postcode files as ONS ships them.

Two products carry a postcode's areas: the ONS Postcode Directory (ONSPD) and the National Statistics Postcode
Lookup (NSPL), both free from the ONS Open Geography Portal (https://geoportal.statistics.gov.uk, "Postcodes" →
"ONS Postcode Directory" or "National Statistics Postcode Lookup"; Open Government Licence).  Each is a ZIP of
about 2.7 million rows; the whole-UK CSV sits in its ``Data/`` folder.  Their headers differ by product and year:

- the postcode: ``pcds`` (the display form, "CB1 1PT"), or ``pcd``/``pcd2`` (padded to 7 or 8 characters);
- ``doterm``: the month a postcode was terminated (empty while it is live); terminated postcodes are skipped;
- the areas, by GSS code: ward ``osward`` (ONSPD) or ``ward``/``wdYYcd`` (NSPL, YY the boundary year); district
  ``oslaua``/``laua``/``ladYYcd``; parish ``parish``/``parYYcd``; county electoral division ``ced``/``cedYYcd``;
  county ``oscty``/``cty``/``ctyYYcd``.  Column names come in lower or upper case.

Each postcode is linked to the smallest place whose ``ons_code`` matches (parish, then division, then ward, then
district, then county); postcodes in none of the site's places are skipped and counted.  Rows are read one at a
time and written in batches, so the 1 GB file never sits in memory.
"""

from __future__ import annotations

import csv
import io
import re
import zipfile
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import IO

from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.core.errors import DomainError
from app.places.models import Place, Postcode

BATCH = 5000
# Area columns, smallest area first.  Each entry: the fixed names, then a pattern for year-suffixed names.
AREA_COLUMNS: list[tuple[str, tuple[str, ...], re.Pattern[str]]] = [
    ("parish", ("parish",), re.compile(r"^par(ish)?\d{2}cd$")),
    ("division", ("ced",), re.compile(r"^ced\d{2}cd$")),
    ("ward", ("osward", "ward"), re.compile(r"^wd\d{2}cd$")),
    ("district", ("oslaua", "laua"), re.compile(r"^(lad|lau)\d{2}cd$")),
    ("county", ("oscty", "cty"), re.compile(r"^cty\d{2}cd$")),
]
POSTCODE_COLUMNS = ("pcds", "pcd2", "pcd")


@dataclass(frozen=True)
class DirectoryReport:
    created: int
    updated: int
    terminated: int = 0  # skipped: no longer in use
    outside: int = 0  # skipped: in none of this site's places


def is_directory_header(header: list[str]) -> bool:
    names = {h.strip().lower() for h in header}
    return bool(names & set(POSTCODE_COLUMNS)) and "postcode" not in names


def _pick(names: list[str], fixed: tuple[str, ...], pattern: re.Pattern[str]) -> str | None:
    for name in fixed:
        if name in names:
            return name
    dated = sorted(n for n in names if pattern.match(n))
    return dated[-1] if dated else None  # the latest boundary year


def _compact(raw: str) -> str:
    return re.sub(r"\s+", "", raw or "").upper()


def _display(raw: str) -> str | None:
    compact = _compact(raw)
    if not 5 <= len(compact) <= 7:
        return None
    return f"{compact[:-3]} {compact[-3:]}"


def import_directory(session: Session, handle: Iterable[str]) -> DirectoryReport:
    """Import an ONSPD or NSPL CSV (any year's header), linking each live postcode to this site's places."""
    reader = csv.reader(handle)
    try:
        header = [h.strip().lstrip("\ufeff").lower() for h in next(reader)]
    except StopIteration:
        raise DomainError(_("The file is empty.")) from None
    postcode_col = next((c for c in POSTCODE_COLUMNS if c in header), None)
    if postcode_col is None:
        raise DomainError(_("Line 1: the header is missing the column(s) %(columns)s.", columns="pcds"))
    area_cols = [(kind, _pick(header, fixed, pattern)) for kind, fixed, pattern in AREA_COLUMNS]
    found = [(kind, header.index(col)) for kind, col in area_cols if col is not None]
    if not found:
        raise DomainError(_("Line 1: the header has no area columns (such as osward, oslaua or parish)."))
    pc_index = header.index(postcode_col)
    term_index = header.index("doterm") if "doterm" in header else None
    by_code = {code: pid for code, pid in session.execute(select(Place.ons_code, Place.id).where(Place.ons_code.is_not(None)))}
    created = updated = terminated = outside = 0
    batch: dict[str, int] = {}

    def flush() -> tuple[int, int]:
        if not batch:
            return 0, 0
        existing = {row.postcode: row for row in session.execute(
            select(Postcode).where(Postcode.postcode.in_(list(batch)))).scalars()}
        new = changed = 0
        for postcode, place_id in batch.items():
            row = existing.get(postcode)
            if row is None:
                session.add(Postcode(postcode=postcode, place_id=place_id))
                new += 1
            else:
                if row.place_id != place_id:
                    row.place_id = place_id
                changed += 1
        session.flush()
        batch.clear()
        return new, changed

    for number, row in enumerate(reader, start=2):
        if not row or len(row) <= pc_index:
            continue
        if term_index is not None and term_index < len(row) and row[term_index].strip():
            terminated += 1
            continue
        postcode = _display(row[pc_index])
        if postcode is None:
            raise DomainError(_("Line %(line)d: %(value)s is not a UK postcode.", line=number, value=row[pc_index]))
        place_id = next((by_code[row[i].strip().upper()] for _kind, i in found
                         if i < len(row) and row[i].strip().upper() in by_code), None)
        if place_id is None:
            outside += 1
            continue
        batch[postcode] = place_id
        if len(batch) >= BATCH:
            new, changed = flush()
            created, updated = created + new, updated + changed
    new, changed = flush()
    return DirectoryReport(created + new, updated + changed, terminated, outside)


@contextmanager
def open_directory(path: str) -> Iterator[IO[str]]:
    """A text stream of the CSV at ``path``, or of the main CSV inside an ONS ZIP (the largest CSV in it)."""
    if path.lower().endswith(".zip"):
        with zipfile.ZipFile(path) as archive:
            csvs = [i for i in archive.infolist() if i.filename.lower().endswith(".csv")]
            if not csvs:
                raise DomainError(_("The ZIP file holds no CSV file."))
            main = max(csvs, key=lambda i: i.file_size)
            with archive.open(main) as raw, io.TextIOWrapper(raw, encoding="utf-8-sig", errors="replace", newline="") as text:
                yield text
    else:
        with open(path, encoding="utf-8-sig", errors="replace", newline="") as text:
            yield text
