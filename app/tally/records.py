"""Types shared by every rule in the counting library: errors, lots drawn, input fingerprints."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path


class TallyError(Exception):
    """Base class for every error the counting library raises on purpose."""


class InputError(TallyError, ValueError):
    """Malformed input.  ``line`` is 1-based (``None`` when the problem is not tied to a line)."""

    def __init__(self, message: str, *, line: int | None = None, source: str | None = None) -> None:
        self.message = message
        self.line = line
        self.source = source
        where = ""
        if source is not None:
            where += f"{source}"
        if line is not None:
            where += f"{':' if where else 'line '}{line}" if source else f"line {line}"
        super().__init__(f"{where}: {message}" if where else message)


class VerificationError(TallyError):
    """An independent check disagreed with the library's own count on a count without ties."""


@dataclass(frozen=True, slots=True)
class Lot:
    """A tie broken by lot: which options were tied, at what point, and which one the seeded draw chose.

    ``purpose`` is machine-readable (e.g. ``"exclude"``, ``"elect"``, ``"surplus-order"``, ``"fund"``);
    ``stage`` is the round or stage number in which the lot was drawn.
    """

    stage: int
    purpose: str
    tied: tuple[str, ...]
    chosen: str


def sha256_bytes(data: bytes) -> str:
    """Hex SHA-256 of raw input bytes, recorded with every result so a recount can show it used the same input."""
    return hashlib.sha256(data).hexdigest()


def sha256_file(path: str | Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()
