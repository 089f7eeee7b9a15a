"""The published, anonymised address list of an invitation lottery (ADDRESSES.csv), and its deprivation weights.

**ADDRESSES.csv** has a header naming at least ``address_id`` and ``area``, and optionally ``decile``:

* ``address_id`` - an opaque id for the household, unique in the file (a panel's draw page publishes ``H000001``,
  ``H000002``, ... in the order of the council's own references, never a UPRN or a full postcode);
* ``area`` - the household's area (a place code, or a postcode sector such as ``CB1 1``: nothing finer);
* ``decile`` - its index-of-deprivation decile, 1 (most deprived) to 10, or empty.

Other columns are ignored.  The order of the rows matters: the draw (:func:`app.tally.invitations.draw_invitations`)
is defined over the list in file order.

**Weights** are written ``decile=weight`` separated by commas (``1=2,2=1.5,3=1.25``); deciles not named weigh 1.
When weights are given, each household's stratum is ``AREA/decile-D`` (``AREA/decile-none`` without a decile)
and the stratum weighs its decile's weight; otherwise the stratum is the area.  This is how the panels feature
builds the draw, so the re-run command and the web draw read the same file the same way.
"""

from __future__ import annotations

import csv
import io
import math
import re
from dataclasses import dataclass
from pathlib import Path

from app.tally.invitations import Address
from app.tally.records import InputError

__all__ = ["AddressList", "format_weights", "parse_addresses", "parse_weights", "read_addresses", "write_addresses"]

HEADER = ("address_id", "area", "decile")
_WEIGHT = re.compile(r"^\s*(10|[1-9])\s*[=:]\s*([0-9]+(?:\.[0-9]+)?)\s*$")


@dataclass(frozen=True, slots=True)
class AddressList:
    """The draw's inputs read from a file: the addresses (in file order, each in its stratum) and the stratum
    weights (``None`` when no deprivation weights are used)."""

    addresses: tuple[Address, ...]
    stratum_weights: dict[str, float] | None


def parse_weights(text: str) -> dict[str, float]:
    """``"1=2, 2=1.5"`` -> ``{"1": 2.0, "2": 1.5}``; an :class:`InputError` for anything else."""
    weights: dict[str, float] = {}
    for part in re.split(r"[,;\n]+", text or ""):
        if not part.strip():
            continue
        m = _WEIGHT.match(part)
        if not m:
            raise InputError(f"weights are written decile=weight, deciles 1 to 10, e.g. 1=3,2=2 (found {part.strip()!r})")
        weight = float(m.group(2))
        if not (math.isfinite(weight) and weight > 0):
            raise InputError(f"the weight of decile {m.group(1)} must be more than 0 (found {m.group(2)})")
        if m.group(1) in weights:
            raise InputError(f"decile {m.group(1)} is weighted twice")
        weights[m.group(1)] = weight
    return weights


def format_weights(weights: dict[str, float]) -> str:
    """The inverse of :func:`parse_weights`, deciles in numeric order, whole weights without ``.0``."""
    return ",".join(f"{d}={w:g}" for d, w in sorted(weights.items(), key=lambda kv: int(kv[0])))


def write_addresses(rows: list[tuple[str, str, int | None]]) -> str:
    """ADDRESSES.csv text for ``(address_id, area, decile)`` rows, in the order given, LF line ends."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(HEADER)
    for address_id, area, decile in rows:
        writer.writerow([address_id, area, "" if decile is None else decile])
    return out.getvalue()


def parse_addresses(
    text: str, *, stratify: str | None = "area", weights: dict[str, float] | None = None, source: str = "addresses"
) -> AddressList:
    """The draw's addresses from ADDRESSES.csv text; ``stratify`` names the column whose values are the strata
    (``None``: the ``area`` column if there is one, else one stratum for the whole list)."""
    reader = csv.reader(io.StringIO(text.lstrip("\ufeff"), newline=""), skipinitialspace=True)
    try:
        header = [h.strip().lower() for h in next(reader)]
    except StopIteration:
        raise InputError("the file is empty", source=source) from None
    column = stratify.strip().lower() if stratify else ("area" if "area" in header else None)
    for needed in ("address_id", column):
        if needed is not None and needed not in header:
            raise InputError(f"the header has no {needed!r} column (found {','.join(header)})", line=1, source=source)
    if weights and "decile" not in header:
        raise InputError("weights need a 'decile' column", line=1, source=source)
    id_i = header.index("address_id")
    st_i = header.index(column) if column is not None else None
    dec_i = header.index("decile") if "decile" in header else None
    out: list[Address] = []
    stratum_weights: dict[str, float] = {}
    seen: dict[str, int] = {}
    for row in reader:
        line = reader.line_num
        fields = [f.strip() for f in row]
        if not any(fields):
            continue
        fields += [""] * (len(header) - len(fields))
        aid, stratum = fields[id_i], (fields[st_i] if st_i is not None else "all")
        if not aid:
            raise InputError("empty address_id", line=line, source=source)
        if aid in seen:
            raise InputError(f"duplicate address_id {aid!r} (first on line {seen[aid]})", line=line, source=source)
        seen[aid] = line
        if not stratum:
            raise InputError(f"empty {column!r}", line=line, source=source)
        decile = fields[dec_i] if dec_i is not None else ""
        if decile and not (decile.isdigit() and 1 <= int(decile) <= 10):
            raise InputError(f"the decile must be a whole number from 1 to 10 (found {decile!r})", line=line, source=source)
        if weights:
            stratum = f"{stratum}/decile-{int(decile) if decile else 'none'}"
            stratum_weights[stratum] = weights.get(str(int(decile)) if decile else "none", 1.0)
        out.append(Address(id=aid, stratum=stratum))
    if not out:
        raise InputError("the file lists no addresses", source=source)
    return AddressList(tuple(out), stratum_weights if weights else None)


def read_addresses(path: str | Path, *, stratify: str | None = "area", weights: dict[str, float] | None = None) -> AddressList:
    return parse_addresses(Path(path).read_text(encoding="utf-8-sig"), stratify=stratify, weights=weights, source=str(path))
