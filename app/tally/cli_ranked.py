"""``python -m app.tally irv|stv|schulze FILE…``: recount ranked elections from BLT files.

Each file is read with :func:`app.tally.formats.blt.read_blt` and counted; by default a round/stage table is
printed, with ``--json`` one JSON object per file per line (keys: ``file``, ``rule``, ``title``,
``input_sha256``, ``seed``, ``candidates``, ``elected``, ``rounds``, ``lots`` and rule-specific extras).
A file that cannot be read or counted (malformed input, :class:`app.tally.records.InputError`; or a missing
file) gives one error line -- with ``--json`` an object ``{"file": ..., "error": ..., "line": ...}`` in its
place in the output -- and the batch carries on with the next file; the command then exits with status 2.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable, Sequence
from typing import Any

from app.tally.formats.blt import read_blt
from app.tally.ranked import IrvResult, RankedElection, count_irv
from app.tally.records import InputError, Lot
from app.tally.schulze import SchulzeResult, count_schulze
from app.tally.stv import StvResult, count_stv_scottish, fmt
from app.tally.tiebreak import TIEBREAKS

#: Counts with at least this much ballot weight report progress on stderr.
PROGRESS_WEIGHT = 100_000
_NAME_WIDTH = 28


def register(subparsers: Any) -> None:
    """Add the ``irv``, ``stv`` and ``schulze`` sub-commands to an ``argparse`` sub-parser collection."""

    def common(p: argparse.ArgumentParser) -> None:
        p.add_argument("files", nargs="+", metavar="FILE", help="BLT ballot file(s)")
        p.add_argument("--json", action="store_true", help="print one JSON object per file per line")
        p.add_argument("--seed", type=int, default=0, help="seed for any lot drawn (default 0)")

    irv = subparsers.add_parser("irv", help="instant-runoff voting (single winner) from BLT files")
    common(irv)
    irv.add_argument("--tiebreak", choices=TIEBREAKS, default="backwards", help="elimination tie-break")
    irv.add_argument("--no-verify", action="store_true", help="skip the independent pyrankvote check")
    irv.set_defaults(func=run_irv)

    stv = subparsers.add_parser(
        "stv", help="single transferable vote, Scottish rules (SSI 2007/42 sch. 1 rr. 45-52), from BLT files"
    )
    common(stv)
    stv.add_argument("--seats", type=int, default=None, help="override the number of seats in the file")
    stv.add_argument(
        "--tiebreak", choices=TIEBREAKS, default="backwards", help="tie-break (Order: backwards)"
    )
    stv.set_defaults(func=run_stv)

    schulze = subparsers.add_parser("schulze", help="Schulze method ranking (winning votes) from BLT files")
    common(schulze)
    schulze.set_defaults(func=run_schulze)


# ----------------------------------------------------------------------------------------------------


def _lots(lots: Sequence[Lot]) -> list[dict[str, Any]]:
    return [
        {"stage": lot.stage, "purpose": lot.purpose, "tied": list(lot.tied), "chosen": lot.chosen}
        for lot in lots
    ]


def _num(v: int) -> float:
    """A fixed-point STV value as a JSON number with exactly its five decimals."""
    return float(fmt(v))


def _short(name: str) -> str:
    return name if len(name) <= _NAME_WIDTH else name[: _NAME_WIDTH - 1] + "…"


def _table(header: list[str], rows: list[list[str]]) -> str:
    widths = [max(len(r[i]) for r in [header, *rows]) for i in range(len(header))]
    lines = []
    for r in [header, *rows]:
        cells = [r[0].ljust(widths[0])] + [c.rjust(w) for c, w in zip(r[1:], widths[1:], strict=True)]
        lines.append("  ".join(cells).rstrip())
    return "\n".join(lines)


def _failure(path: str, exc: InputError | OSError) -> dict[str, Any]:
    """The error record of a file that could not be read or counted: ``file``, ``error`` and ``line``."""
    if isinstance(exc, InputError):
        line = exc.line
        message = f"line {line}: {exc.message}" if line is not None else exc.message
    else:
        line = None
        message = exc.strerror or str(exc)
    return {"file": path, "error": message, "line": line}


def _each(
    args: argparse.Namespace, count: Callable[[RankedElection, str], tuple[dict[str, Any], str]]
) -> int:
    """Count every file in turn.  A file that cannot be read or counted gives an error line (with ``--json``
    a ``{"file", "error", "line"}`` object on stdout, otherwise ``error: FILE:LINE: message`` on stderr) and
    the batch carries on; the exit status is 2 if any file failed, else 0."""
    failed = 0
    for path in args.files:
        try:
            election, digest = read_blt(path)
            big = election.total_weight >= PROGRESS_WEIGHT
            if big:
                print(f"{path}: {election.total_weight} ballots, counting…", file=sys.stderr)
            record, text = count(election, "progress" if big else "")
        except (InputError, OSError) as exc:
            failed += 1
            failure = _failure(path, exc)
            if args.json:
                print(json.dumps(failure, ensure_ascii=False), flush=True)
            where = f"{path}:{failure['line']}" if failure["line"] is not None else path
            error = exc.message if isinstance(exc, InputError) else failure["error"]
            print(f"error: {where}: {error}", file=sys.stderr, flush=True)
            continue
        payload: dict[str, Any] = {
            "file": path,
            "rule": record.pop("rule"),
            "title": election.title,
            "input_sha256": digest,
            "seed": args.seed,
            "candidates": list(election.candidates),
            "withdrawn": [election.candidates[c] for c in sorted(election.withdrawn)],
            **record,
        }
        if args.json:
            print(json.dumps(payload, ensure_ascii=False), flush=True)
        else:
            print(f"== {path}  ({election.title or 'untitled'})")
            print(f"input sha256 {digest}; seed {args.seed}")
            print(text)
            print(flush=True)
    if failed:
        print(f"{failed} of {len(args.files)} file(s) could not be counted", file=sys.stderr)
        return 2
    return 0


# ----------------------------------------------------------------------------------------------------


def irv_record(result: IrvResult) -> dict[str, Any]:
    """JSON-ready form of an :class:`IrvResult`."""
    return {
        "rule": "irv",
        "elected": list(result.elected),
        "winner": result.winner,
        "tiebreak": result.tiebreak,
        "total_weight": result.total_weight,
        "valid_weight": result.valid_weight,
        "rounds": [
            {
                "round": r.number,
                "votes": dict(r.votes),
                "exhausted": r.exhausted,
                "continuing": r.continuing_total,
                "eliminated": r.eliminated,
                "elected": r.elected,
                "tie": r.tie,
            }
            for r in result.rounds
        ],
        "lots": _lots(result.lots),
        "verification": {
            "checker": result.verification.checker,
            "status": result.verification.status,
            "detail": result.verification.detail,
        },
    }


def irv_text(result: IrvResult) -> str:
    """Human-readable round table for an :class:`IrvResult`."""
    header = ["Candidate"] + [f"R{r.number}" for r in result.rounds]
    rows = []
    for name in result.candidates:
        if not result.rounds or name not in result.rounds[0].votes:
            continue
        rows.append([_short(name)] + [str(r.votes[name]) if name in r.votes else "" for r in result.rounds])
    rows.append(["Exhausted"] + [str(r.exhausted) for r in result.rounds])
    rows.append(["Eliminated"] + [_short(r.eliminated or "") for r in result.rounds])
    lines = [_table(header, rows)]
    for r in result.rounds:
        if r.tie:
            lines.append(f"round {r.number}: {r.tie}")
    lines.append(f"winner: {result.winner or 'none'}")
    lines.append(
        f"check: {result.verification.checker}: {result.verification.status} ({result.verification.detail})"
    )
    return "\n".join(lines)


def run_irv(args: argparse.Namespace) -> int:
    def count(election: RankedElection, progress: str) -> tuple[dict[str, Any], str]:
        result = count_irv(
            election,
            tiebreak=args.tiebreak,
            seed=args.seed,
            verify=not args.no_verify,
            progress=bool(progress),
        )
        return irv_record(result), irv_text(result)

    return _each(args, count)


# ----------------------------------------------------------------------------------------------------


def stv_record(result: StvResult) -> dict[str, Any]:
    """JSON-ready form of an :class:`StvResult` (vote values as numbers with five decimals)."""
    return {
        "rule": "stv-scottish",
        "elected": list(result.elected),
        "excluded": list(result.excluded),
        "seats": result.seats,
        "valid_papers": result.valid_papers,
        "quota": result.quota,
        "tiebreak": result.tiebreak,
        "rounds": [
            {
                "stage": s.number,
                "action": s.action,
                "candidate": s.candidate,
                "transfer_values": [[_num(a), _num(b)] for a, b in s.transfer_values],
                "transfers": {k: _num(v) for k, v in s.transfers.items()},
                "non_transferable": _num(s.non_transferable),
                "rounding_loss": _num(s.rounding_loss),
                "totals": {k: _num(v) for k, v in s.totals.items()},
                "non_transferable_total": _num(s.non_transferable_total),
                "elected": list(s.elected),
                "excluded": list(s.excluded),
                "notes": list(s.notes),
            }
            for s in result.stages
        ],
        "lots": _lots(result.lots),
    }


def stv_text(result: StvResult) -> str:
    """Human-readable stage table for an :class:`StvResult` (transfers and totals per stage)."""
    active = [c for c in result.candidates if c not in result.withdrawn]
    header = ["Candidate"]
    for s in result.stages:
        header += [f"S{s.number} +/-", f"S{s.number} total"] if s.number > 1 else ["S1"]
    rows = []
    for name in active:
        row = [_short(name)]
        for s in result.stages:
            if s.number > 1:
                row.append(fmt(s.transfers.get(name, 0)) if s.transfers.get(name, 0) else "")
            row.append(fmt(s.totals[name]))
        rows.append(row)
    nt_row = ["Non-transferable"]
    for s in result.stages:
        if s.number > 1:
            nt_row.append(fmt(s.non_transferable + s.rounding_loss))
        nt_row.append(fmt(s.non_transferable_total))
    rows.append(nt_row)
    lines = [
        f"Scottish STV (SSI 2007/42 sch. 1 rr. 45-52): {result.seats} seat(s), "
        f"{result.valid_papers} valid papers, quota {result.quota}",
        _table(header, rows),
    ]
    for s in result.stages:
        what = "first preferences" if s.action == "first-preferences" else f"{s.action} of {s.candidate}"
        extra = ""
        if s.rounding_loss:
            extra += f"; lost to rounding {fmt(s.rounding_loss)}"
        if s.transfer_values:
            extra += "; transfer values " + ", ".join(f"{fmt(a)}->{fmt(b)}" for a, b in s.transfer_values)
        if s.elected:
            extra += f"; elected {', '.join(s.elected)}"
        lines.append(f"stage {s.number}: {what}{extra}")
        for note in s.notes:
            lines.append(f"  {note}")
    lines.append(f"elected (in order): {', '.join(result.elected)}")
    return "\n".join(lines)


def run_stv(args: argparse.Namespace) -> int:
    if args.seats is not None and args.seats < 1:
        raise InputError(f"--seats must be at least 1, got {args.seats}")

    def count(election: RankedElection, progress: str) -> tuple[dict[str, Any], str]:
        result = count_stv_scottish(
            election, seats=args.seats, tiebreak=args.tiebreak, seed=args.seed, progress=bool(progress)
        )
        return stv_record(result), stv_text(result)

    return _each(args, count)


# ----------------------------------------------------------------------------------------------------


def schulze_record(result: SchulzeResult) -> dict[str, Any]:
    """JSON-ready form of a :class:`SchulzeResult`."""
    return {
        "rule": "schulze",
        "elected": [] if result.winner is None else [result.winner],
        "ranking": list(result.ranking),
        "tiers": [list(t) for t in result.tiers],
        "order": list(result.candidates),
        "d": [list(r) for r in result.d],
        "p": [list(r) for r in result.p],
        "rounds": [],
        "lots": _lots(result.lots),
    }


def schulze_text(result: SchulzeResult) -> str:
    """Human-readable d and p matrices and the ranking."""
    short = [_short(c) for c in result.candidates]
    lines = ["d[i][j]: weight preferring row to column"]
    lines.append(_table([""] + short, [[short[i]] + [str(x) for x in row] for i, row in enumerate(result.d)]))
    lines.append("p[i][j]: strongest path (winning votes)")
    lines.append(_table([""] + short, [[short[i]] + [str(x) for x in row] for i, row in enumerate(result.p)]))
    lines.append("tiers: " + " > ".join(" = ".join(t) for t in result.tiers))
    lines.append("ranking: " + " > ".join(result.ranking))
    for lot in result.lots:
        lines.append(f"lot at position {lot.stage}: {lot.chosen} chosen from {', '.join(lot.tied)}")
    return "\n".join(lines)


def run_schulze(args: argparse.Namespace) -> int:
    def count(election: RankedElection, progress: str) -> tuple[dict[str, Any], str]:
        result = count_schulze(election, seed=args.seed)
        return schulze_record(result), schulze_text(result)

    return _each(args, count)
