"""``python -m app.tally sortition PEOPLE.csv CATEGORIES.csv --size K``: re-run a citizens' panel selection.

Reads the files described in :mod:`app.tally.formats.sortition_csv` (the anonymised pool and the quotas a
draw page publishes, or the files of sortition-algorithms, stratification-app or the Nature 2021 replication
data), runs :func:`app.tally.sortition.select` and prints the panel, everyone's probability and the input
fingerprint (:func:`app.tally.sortition.inputs_sha256`, the commitment published before a draw).  ``--json``
prints one line.  ``--lottery M --ticket N`` takes the panel of ticket N in the uniform lottery over M panels
(:mod:`app.tally.sortition.transparent`: the list a draw page publishes before witnesses draw N); the seed is
then not used.  Exit status 0 on success, 3 if the solver fails, 2 on bad input (an :class:`~app.tally.records.InputError`,
including quotas no panel can meet, reported by ``__main__`` without a traceback).
"""

from __future__ import annotations

import argparse
import json
import sys
from collections import Counter
from pathlib import Path
from typing import Any

from app.tally import sortition
from app.tally.formats import sortition_csv
from app.tally.records import InputError
from app.tally.sortition import transparent
from app.tally.sortition.model import household_partition
from app.tally.sortition.solver import SolverError

__all__ = ["register", "run"]


def register(subparsers: Any) -> argparse.ArgumentParser:
    """Add the ``sortition`` sub-command to an ``argparse`` sub-parsers object and return its parser."""
    p: argparse.ArgumentParser = subparsers.add_parser(
        "sortition",
        help="re-run a citizens' panel selection (PEOPLE.csv, CATEGORIES.csv)",
        description="Select (or re-run the selection of) a citizens' panel by stratified sortition.",
    )
    p.add_argument("people", metavar="PEOPLE.csv", help="the pool: an id column and one column per category")
    p.add_argument(
        "categories",
        metavar="CATEGORIES.csv",
        help="quotas: feature,value,min,max or category,name,min,max or category,feature,min,max",
    )
    p.add_argument("--size", type=int, required=True, metavar="K", help="the panel size")
    p.add_argument("--method", choices=sortition.METHODS, default="leximin", help="default: leximin")
    p.add_argument("--seed", default="0", help="the seed string fixed for the draw (default 0)")
    p.add_argument("--id-column", default="id", help="column holding ids (default id; else rows are numbered)")
    p.add_argument(
        "--household-columns",
        default="",
        metavar="A,B",
        help="at most one person per household, households compared on these columns (normalised)",
    )
    p.add_argument("--lottery", type=int, metavar="M", help="round to a uniform lottery over M panels")
    p.add_argument(
        "--ticket",
        type=int,
        metavar="N",
        help="with --lottery M: take the panel of ticket N (1..M), the number drawn in public, instead of "
        "drawing a ticket from the seed (leximin or maximin only)",
    )
    p.add_argument(
        "--write-lottery",
        metavar="FILE",
        help="with --ticket: also write the lottery's M panels (ticket,seat_1,...) to FILE, to compare with a "
        "published list",
    )
    p.add_argument("--json", action="store_true", help="print one JSON line")
    p.set_defaults(func=run)
    return p


def _problem(args: argparse.Namespace) -> sortition.Problem:
    quotas = sortition_csv.read_categories(args.categories)
    houses = [c.strip() for c in args.household_columns.split(",") if c.strip()]
    people = sortition_csv.read_people(args.people, quotas, id_column=args.id_column, household_columns=houses)
    if args.size > len(people):
        raise InputError(f"--size {args.size} is larger than the pool of {len(people)}", source=args.people)
    if args.size < 1:
        raise InputError(f"--size must be at least 1 (got {args.size})")
    return sortition.Problem(people, quotas, args.size, household_rule=bool(houses))


def _human(args: argparse.Namespace, problem: sortition.Problem, s: sortition.Selection) -> str:
    lines = [
        f"{args.people}",
        f"  rule: {s.method}   size: {problem.size}   pool: {len(problem.people)}   "
        + (f"seed: {s.seed!r}" if args.ticket is None else f"ticket: {args.ticket} (no seed used)"),
        f"  input sha256: {s.inputs_sha256}",
        f"  how: {s.method_text}",
    ]
    if s.household_report:
        lines.append(f"  households: {s.household_report}")
    if args.ticket is not None:
        lines.append(f"  lottery sha256: {transparent.lottery_sha256([p for p, _w in s.distribution])}")
    if s.lottery is not None:
        lines.append(
            f"  lottery: {s.lottery} panels, ticket {s.lottery_index} drawn; rounding moved no probability by "
            f"more than {s.rounding_max_change or 0.0:.6f}"
        )
    lines.append(f"  panels in the distribution: {s.panels}   minimum probability: {s.min_probability:.6f}")
    lines.append("  probabilities by category value (lowest, mean, highest) and the panel against its quotas:")
    features = {p.id: p.features for p in problem.people}
    cats = {q.category for q in problem.quotas}
    on_panel = Counter((c, features[pid][c]) for pid in s.panel for c in cats)
    for q in problem.quotas:
        members = [pid for pid, f in features.items() if f[q.category] == q.value]
        probs = [s.probabilities[pid] for pid in members]
        got = on_panel[(q.category, q.value)]
        stats = (
            f"{min(probs):.4f} {sum(probs) / len(probs):.4f} {max(probs):.4f}" if probs else "no one in the pool"
        )
        lines.append(
            f"    {q.category + '=' + q.value:<28} pool {len(members):>5}  panel {got:>4}  quota [{q.min}, {q.max}]"
            f"{'' if q.min <= got <= q.max else '  BROKEN'}  p: {stats}"
        )
    lines.append(f"  panel ({len(s.panel)}): {', '.join(s.panel)}")
    lines.append(f"  seconds: {s.seconds:.2f}")
    return "\n".join(lines)


def _by_ticket(args: argparse.Namespace, problem: sortition.Problem) -> sortition.Selection:
    """The panel of ticket ``--ticket`` in the lottery over ``--lottery`` panels (no seed involved)."""
    if args.lottery is None:
        raise InputError("--ticket needs --lottery M (the number of panels in the published lottery)")
    lottery = transparent.transparent_lottery(problem, args.lottery, method=args.method)
    panel = lottery.panel(args.ticket)
    if args.write_lottery:
        Path(args.write_lottery).write_text(transparent.lottery_csv(lottery.panels), encoding="utf-8")
    probabilities = dict(lottery.probabilities)
    report = None
    if problem.household_rule:
        groups = household_partition(problem)
        report = (
            f"at most one person per household; households with two or more pool members: {len(groups)} "
            f"({sum(len(g) for g in groups)} people); addresses were compared after normalisation"
        )
    return sortition.Selection(
        panel=tuple(sorted(panel)),
        probabilities=probabilities,
        min_probability=min(probabilities.values(), default=0.0),
        distribution=tuple((p, 1 / lottery.size) for p in lottery.panels),
        panels=lottery.size,
        method=args.method,
        seed=args.seed,
        lottery=lottery.size,
        lottery_index=args.ticket,
        rounding_max_change=lottery.max_change,
        household_report=report,
        inputs_sha256=lottery.inputs_sha256,
        seconds=lottery.seconds,
        method_text=f"{args.method} rounded to a uniform lottery over {lottery.size} panels published in advance "
        f"(sha256 {lottery.sha256}); ticket {args.ticket} drawn in public",
    )


def run(args: argparse.Namespace) -> int:
    if args.write_lottery and args.ticket is None:
        raise InputError("--write-lottery needs --ticket")
    problem = _problem(args)
    try:
        if args.ticket is not None:
            s = _by_ticket(args, problem)
        else:
            s = sortition.select(problem, method=args.method, seed=args.seed, lottery=args.lottery)
    except SolverError as exc:  # pragma: no cover - an internal failure of the solver, not bad input
        print(f"error: the solver failed: {exc}", file=sys.stderr)
        return 3
    if args.json:
        out = {
            "file": args.people,
            "rule": s.method,
            "size": problem.size,
            "seed": s.seed if args.ticket is None else None,
            "input_sha256": s.inputs_sha256,
            "panel": list(s.panel),
            "probabilities": dict(s.probabilities),
            "min_probability": s.min_probability,
            "panels": s.panels,
            "seconds": round(s.seconds, 3),
            "lottery": s.lottery,
            "lottery_index": s.lottery_index,
            "rounding_max_change": s.rounding_max_change,
        }
        if args.ticket is not None:
            out["ticket"] = args.ticket
            out["lottery_sha256"] = transparent.lottery_sha256([p for p, _w in s.distribution])
        print(json.dumps(out, ensure_ascii=False))
    else:
        print(_human(args, problem, s))
    return 0
