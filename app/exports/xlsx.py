"""``results.xlsx``: one sheet per table with typed cells, frozen header rows and column widths, and a sheet
describing every column (openpyxl)."""

from __future__ import annotations

import io
from datetime import date

from flask_babel import gettext as _
from openpyxl import Workbook
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter

from app.exports.tables import TYPE_LABELS, Table

FORMATS = {"money": '"£"#,##0.00', "share": "0.0%", "int": "#,##0", "float": "#,##0.######", "date": "yyyy-mm-dd"}


def _sheet_name(slug: str, used: set[str]) -> str:
    name = slug[:31]
    n = 2
    while name in used:
        name = f"{slug[:28]}-{n}"
        n += 1
    used.add(name)
    return name


def workbook_bytes(tables: list[Table], title: str) -> bytes:
    wb = Workbook()
    about = wb.active
    about.title = "columns"
    about.append([_("Sheet"), _("Column"), _("Heading"), _("Type"), _("What it holds")])
    used = {"columns"}
    for table in tables:
        ws = wb.create_sheet(_sheet_name(table.slug, used))
        ws.append([c.title for c in table.columns])
        for cell in ws[1]:
            cell.font = Font(bold=True)
        for row in table.rows:
            ws.append([(v / 100 if c.type == "money" and v is not None else v) for c, v in zip(table.columns, row, strict=True)])
        for i, column in enumerate(table.columns, start=1):
            letter = get_column_letter(i)
            if column.type in FORMATS:
                for (cell,) in ws.iter_rows(min_row=2, min_col=i, max_col=i):
                    cell.number_format = FORMATS[column.type]
            longest = max([len(column.title)] + [len(_width_text(v)) for v in (r[i - 1] for r in table.rows)])
            ws.column_dimensions[letter].width = min(60, max(10, longest + 2))
            about.append([ws.title, column.key, column.title, str(TYPE_LABELS[column.type]), column.description])
        ws.freeze_panes = "A2"
    for cell in about[1]:
        cell.font = Font(bold=True)
    about.freeze_panes = "A2"
    for letter, width in zip("ABCDE", (24, 24, 30, 24, 70), strict=True):
        about.column_dimensions[letter].width = width
    wb.properties.title = title
    wb.properties.creator = "Folkmoot"
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def _width_text(value: object) -> str:
    if isinstance(value, date):
        return "2026-01-01"
    return "" if value is None else str(value)
