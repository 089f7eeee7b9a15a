"""Reading and writing the CSV files of citizens' panel selections (CATEGORIES.csv and PEOPLE.csv).

**CATEGORIES.csv** has a header and one row per category value, with a minimum and a maximum.  Three dialects
are accepted, recognised from the header (case and surrounding spaces ignored):

* ``feature,value,min,max`` - the Sortition Foundation's sortition-algorithms (``features.py``, which also
  writes ``min_flex``/``max_flex``; extra columns are ignored);
* ``category,name,min,max`` - the Sortition Foundation's stratification-app;
* ``category,feature,min,max`` - the replication data of Flanigan et al., *Nature* 2021.

**PEOPLE.csv** has a header; the id column (``id`` unless told otherwise) names each person, or, when the file
has no such column, people are numbered 1, 2, ... in file order.  Every category is a column; other columns are
ignored.  Household columns, when named, are joined and normalised into a household key
(:func:`app.tally.sortition.normalise_address`).

Files are read the way spreadsheet programs and those tools write them: UTF-8 with or without a byte-order
mark, CRLF or LF line ends, quoted fields, spaces around values stripped, blank lines skipped.  Column names and
category values match without regard to case, as sortition-algorithms matches them (``Female`` in a people row
is the categories file's ``female``; two values of one category that differ only in case are an error).  Every
error is an :class:`~app.tally.records.InputError` naming the file and line.

The writers produce the files the panels feature publishes for a draw: the anonymised pool (id, the category
answers and, under the household rule, an opaque household number; never a name or an address) and the quotas
(in the sortition-algorithms dialect).  Reading them back gives the same problem, so
:func:`app.tally.sortition.inputs_sha256` of the files matches the commitment published before the draw.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator, Sequence
from pathlib import Path

from app.tally.records import InputError
from app.tally.sortition.model import (
    Person,
    Problem,
    Quota,
    categories_of,
    household_partition,
    normalise_address,
)

__all__ = [
    "DIALECTS",
    "parse_categories",
    "parse_people",
    "read_categories",
    "read_people",
    "write_pool",
    "write_quotas",
]

#: (category column, value column) per dialect, in the order tried.
DIALECTS: tuple[tuple[str, str, str], ...] = (
    ("sortition-algorithms", "feature", "value"),
    ("stratification-app", "category", "name"),
    ("nature-2021", "category", "feature"),
)


def _rows(text: str) -> Iterator[tuple[int, list[str]]]:
    """(line number, stripped fields) for each non-blank row; the line is where the row starts."""
    if text.startswith("\ufeff"):
        text = text[1:]
    reader = csv.reader(io.StringIO(text, newline=""), skipinitialspace=True)
    line = 1
    for row in reader:
        start = line
        line = reader.line_num + 1
        fields = [f.strip() for f in row]
        if any(fields):
            yield start, fields


def _int(value: str, what: str, line: int, source: str) -> int:
    try:
        number = float(value)
    except ValueError:
        raise InputError(f"{what} {value!r} is not a number", line=line, source=source) from None
    if number != int(number) or number < 0:
        raise InputError(f"{what} {value!r} is not a whole number of people", line=line, source=source)
    return int(number)


def parse_categories(text: str, source: str = "categories") -> tuple[Quota, ...]:
    """Quotas from CATEGORIES.csv text in any of the :data:`DIALECTS`."""
    rows = _rows(text)
    try:
        line, header = next(rows)
    except StopIteration:
        raise InputError("the file is empty", source=source) from None
    names = [h.lower() for h in header]
    for _, cat_col, val_col in DIALECTS:
        if cat_col in names and val_col in names:
            break
    else:
        raise InputError(
            "the header must name feature,value,min,max or category,name,min,max or category,feature,min,max "
            f"(found {','.join(header)})",
            line=line,
            source=source,
        )
    for needed in ("min", "max"):
        if needed not in names:
            raise InputError(f"the header has no {needed!r} column", line=line, source=source)
    ci, vi, lo, hi = (names.index(c) for c in (cat_col, val_col, "min", "max"))
    quotas: list[Quota] = []
    seen: set[tuple[str, str]] = set()  # casefolded
    category_spelling: dict[str, str] = {}  # casefolded -> the first spelling, as one category
    for line, row in rows:
        row = row + [""] * (len(header) - len(row))
        cat, value = row[ci], row[vi]
        cat = category_spelling.setdefault(cat.casefold(), cat)
        if not cat or not value:
            raise InputError("a row needs both a category and a value", line=line, source=source)
        low = _int(row[lo], "min", line, source)
        high = _int(row[hi], "max", line, source)
        if low > high:
            raise InputError(
                f"quota for {cat}={value} has min {low} greater than max {high}", line=line, source=source
            )
        if (cat.casefold(), value.casefold()) in seen:
            raise InputError(f"{cat}={value} is listed twice (case is not a difference)", line=line, source=source)
        seen.add((cat.casefold(), value.casefold()))
        quotas.append(Quota(cat, value, low, high))
    if not quotas:
        raise InputError("no category values listed", source=source)
    return tuple(quotas)


def parse_people(
    text: str,
    quotas: Sequence[Quota],
    *,
    id_column: str = "id",
    household_columns: Sequence[str] = (),
    source: str = "people",
) -> tuple[Person, ...]:
    """People from PEOPLE.csv text, checked against the categories of ``quotas``."""
    cats = categories_of(tuple(quotas))
    rows = _rows(text)
    try:
        line, header = next(rows)
    except StopIteration:
        raise InputError("the file is empty", source=source) from None
    where = {h: i for i, h in reversed(list(enumerate(header)))}
    lower = {h.lower(): i for i, h in reversed(list(enumerate(header)))}

    def column(name: str, what: str) -> int:
        if name in where:
            return where[name]
        if name.lower() in lower:
            return lower[name.lower()]
        raise InputError(f"{what} {name!r} is not a column of the people file", line=line, source=source)

    cat_index = {c: column(c, "category") for c in cats}
    spelling = {c: {v.casefold(): v for v in values} for c, values in cats.items()}
    house_index = [column(h, "household column") for h in household_columns]
    id_index = where.get(id_column, lower.get(id_column.lower()))
    people: list[Person] = []
    seen: dict[str, int] = {}
    for number, (line, row) in enumerate(rows, start=1):
        row = row + [""] * (len(header) - len(row))
        pid = row[id_index] if id_index is not None else str(number)
        if not pid:
            raise InputError(f"empty {id_column!r}", line=line, source=source)
        if pid in seen:
            raise InputError(f"duplicate id {pid!r} (first on line {seen[pid]})", line=line, source=source)
        seen[pid] = line
        features: dict[str, str] = {}
        for c, i in cat_index.items():
            value = row[i] if row[i] in cats[c] else spelling[c].get(row[i].casefold(), row[i])
            if value not in cats[c]:
                allowed = ", ".join(cats[c])
                raise InputError(
                    f"unknown value {value!r} for {c!r} (the categories file lists: {allowed})",
                    line=line,
                    source=source,
                )
            features[c] = value
        household = normalise_address(*(row[i] for i in house_index)) if house_index else None
        people.append(Person(pid, features, household or None))
    return tuple(people)


def read_categories(path: str | Path) -> tuple[Quota, ...]:
    return parse_categories(Path(path).read_text(encoding="utf-8-sig"), str(path))


def read_people(
    path: str | Path, quotas: Sequence[Quota], *, id_column: str = "id", household_columns: Sequence[str] = ()
) -> tuple[Person, ...]:
    return parse_people(
        Path(path).read_text(encoding="utf-8-sig"),
        quotas,
        id_column=id_column,
        household_columns=household_columns,
        source=str(path),
    )


def write_pool(people: Sequence[Person], quotas: Sequence[Quota], *, households: bool = False) -> str:
    """The anonymised pool: ``id`` and one column per category (and ``household`` when ``households``).

    People are written in id order.  The household column holds ``h1``, ``h2``, ... for households of two or
    more pool members (numbered by their smallest id) and is empty for everyone else, so it reveals nothing
    but who shares a household.
    """
    cats = list(categories_of(tuple(quotas)))
    label: dict[str, str] = {}
    if households:
        problem = Problem(tuple(people), tuple(quotas), 0, household_rule=True)
        for i, group in enumerate(household_partition(problem), start=1):
            for pid in group:
                label[pid] = f"h{i}"
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["id", *cats, *(["household"] if households else [])])
    for p in sorted(people, key=lambda p: p.id):
        writer.writerow([p.id, *(p.features[c] for c in cats), *([label.get(p.id, "")] if households else [])])
    return out.getvalue()


def write_quotas(quotas: Sequence[Quota]) -> str:
    """The quotas in the sortition-algorithms dialect (``feature,value,min,max``)."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["feature", "value", "min", "max"])
    for q in quotas:
        writer.writerow([q.category, q.value, q.min, q.max])
    return out.getvalue()
