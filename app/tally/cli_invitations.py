"""``python -m app.tally invitations ADDRESSES.csv --households N --seed S``: re-run an invitation lottery.

Reads the anonymised address list a panel's invitation page publishes (:mod:`app.tally.formats.addresses_csv`:
``address_id,area,decile``), draws ``N`` households with :func:`app.tally.invitations.draw_invitations` and
prints the households drawn, the count per stratum and the inputs' SHA-256 (the value the page committed to
before the seed was known).  ``--stratify area`` apportions the invitations among areas in proportion to their
households; ``--weights 1=2,2=1.5`` weights deprivation deciles (with ``--stratify``, the areas' shares; without
it, each household's chance).  The same file, options and seed always give the same households.  ``--json``
prints one line.  Bad input: a message on stderr and exit status 2 (``__main__``), never a traceback.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import time
from pathlib import Path
from typing import Any

from app.tally.formats import addresses_csv
from app.tally.invitations import draw_invitations
from app.tally.records import InputError

__all__ = ["register", "run"]


def register(subparsers: Any) -> argparse.ArgumentParser:
    """Add the ``invitations`` sub-command to an ``argparse`` sub-parsers object and return its parser."""
    p: argparse.ArgumentParser = subparsers.add_parser(
        "invitations",
        help="re-run a citizens' panel invitation lottery (ADDRESSES.csv)",
        description="Draw (or re-draw) the households invited to register for a citizens' panel.",
    )
    p.add_argument("addresses", metavar="ADDRESSES.csv", help="address_id,area[,decile], one row per household")
    p.add_argument("--households", type=int, required=True, metavar="N", help="how many households to invite")
    p.add_argument("--seed", required=True, help="the seed string fixed for the draw")
    p.add_argument(
        "--stratify",
        metavar="COLUMN",
        help="apportion the invitations among the values of COLUMN (e.g. area) in proportion to households",
    )
    p.add_argument("--weights", default="", metavar="D=W,...", help="deprivation weights, e.g. 1=2,2=1.5,3=1.25")
    p.add_argument("--json", action="store_true", help="print one JSON line")
    p.set_defaults(func=run)
    return p


def run(args: argparse.Namespace) -> int:
    started = time.perf_counter()
    if args.households < 0:
        raise InputError(f"--households must not be negative (got {args.households})")
    weights = addresses_csv.parse_weights(args.weights)
    text = Path(args.addresses).read_text(encoding="utf-8-sig")
    listing = addresses_csv.parse_addresses(text, stratify=args.stratify, weights=weights, source=args.addresses)
    draw = draw_invitations(
        listing.addresses, args.households, args.seed, stratified=bool(args.stratify), weights=listing.stratum_weights
    )
    if args.json:
        print(json.dumps({
            "file": args.addresses,
            "file_sha256": hashlib.sha256(text.encode("utf-8")).hexdigest(),
            "households": draw.n,
            "seed": draw.seed,
            "stratified": draw.stratified,
            "weights": weights,
            "input_sha256": draw.inputs_sha256,
            "selected": list(draw.selected),
            "per_stratum": dict(draw.per_stratum),
            "method": draw.method,
            "seconds": round(time.perf_counter() - started, 3),
        }, ensure_ascii=False))
        return 0
    lines = [
        args.addresses,
        f"  households: {draw.n} of {len(listing.addresses)}   seed: {draw.seed!r}",
        f"  input sha256: {draw.inputs_sha256}",
        f"  how: {draw.method}",
        "  per stratum (drawn, expected):",
    ]
    lines += [f"    {s:<30} {n:>6}  {draw.expected[s]:>9.2f}" for s, n in draw.per_stratum.items()]
    lines.append(f"  drawn, in draw order ({len(draw.selected)}): {', '.join(draw.selected)}")
    print("\n".join(lines))
    return 0
