"""The tables of a committee pack: typed columns, one set of rows, written as report tables, XLSX sheets and CSV.

Cells hold plain values (int, float, str, date; money as integer pence); each column says its type, so the
report formats them for the reader's language, the workbook types them, and the CSV writes them plainly.  A
number column may hold words instead of a number where a figure is withheld ("fewer than 10").
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from flask_babel import lazy_gettext as _l

TYPE_LABELS = {"text": _l("text"), "int": _l("whole number"), "money": _l("money in pounds (GBP)"),
               "share": _l("share, from 0 to 1"), "float": _l("decimal number"), "date": _l("date")}


@dataclass(frozen=True)
class Column:
    key: str
    title: str
    type: str  # text | int | money | share | float | date
    description: str


@dataclass
class Table:
    slug: str  # the CSV file and sheet name
    title: str
    columns: list[Column]
    rows: list[list[Any]] = field(default_factory=list)

    def csv_text(self) -> str:
        out = io.StringIO()
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow([c.key for c in self.columns])
        for row in self.rows:
            writer.writerow([_csv_cell(c, v) for c, v in zip(self.columns, row, strict=True)])
        return out.getvalue()


def _csv_cell(column: Column, value: Any) -> str:
    if value is None:
        return ""
    if column.type == "money":
        return f"{value / 100:.2f}"
    if isinstance(value, date):
        return value.isoformat()
    return str(value)


def formatted(column: Column, value: Any) -> str:
    """A cell as the report shows it, in the current language."""
    from app.core.i18n import day, money, number, percent

    if value is None:
        return "–"
    if isinstance(value, str):  # words in a number column, such as "fewer than 10"
        return value
    if column.type == "money":
        return money(value)
    if column.type == "share":
        return percent(value, 1)
    if column.type in ("int", "float"):
        return number(value)
    if column.type == "date":
        return day(value)
    return str(value)
