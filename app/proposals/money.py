"""Amounts typed in pounds ("2,500", "£2500.50") ↔ integer pence."""

from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation

MAX_PENCE = 100_000_000_00  # £100 million: larger is surely a typing mistake

_POUNDS = re.compile(r"^(?:\d{1,3}(?:,\d{3})+|\d+)(?:\.\d{1,2})?$")


class AmountError(ValueError):
    """``code`` says what is wrong: "format", "pence", "negative" or "too_large"."""

    def __init__(self, code: str) -> None:
        super().__init__(code)
        self.code = code


def parse_pounds(raw: str | None) -> int | None:
    """"" → None; "2,500" → 250000; "2500.5" → 250050; "£1,234.56" → 123456.  Raises AmountError."""
    text = (raw or "").strip().replace(" ", "")
    if not text:
        return None
    if text.startswith("-"):
        raise AmountError("negative")
    if text.startswith("£"):
        text = text[1:]
    if re.fullmatch(r"[\d,]*\.\d{3,}", text):
        raise AmountError("pence")
    if not _POUNDS.match(text):
        raise AmountError("format")
    try:
        pence = int((Decimal(text.replace(",", "")) * 100).to_integral_exact())
    except InvalidOperation:  # pragma: no cover - the pattern already excludes these
        raise AmountError("format") from None
    if pence > MAX_PENCE:
        raise AmountError("too_large")
    return pence


def pounds_text(pence: int | None) -> str:
    """Integer pence → the plain text shown back in a form field ("2500" or "2500.50")."""
    if pence is None:
        return ""
    pounds, rest = divmod(pence, 100)
    return f"{pounds}" if rest == 0 else f"{pounds}.{rest:02d}"
