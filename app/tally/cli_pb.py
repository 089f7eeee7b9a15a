"""``python -m app.tally pb FILE…``: recount participatory budgets stored as pabulib ``.pb`` files.

The rule and completion come from each file's META ``rule`` unless ``--rule`` / ``--completion`` are given
(see :data:`app.tally.budget.RULE_ALIASES` for the META spellings understood).  Ties in score in greedy steps
follow the order of the file's PROJECTS section by default (the published ranking; pabulib's own checker
verifies greedy files the same way); ``--greedy-ties cost-then-lot`` uses the library default instead.  Human-readable output by
default; ``--json`` prints one JSON object per file per line.  Exit status: 0 when every count ran, 2 on bad
input (raised as :class:`~app.tally.records.InputError` and reported by ``__main__``).
"""

from __future__ import annotations

import argparse
import json
import random
import sys
import time
from fractions import Fraction
from typing import Any

from app.tally import budget
from app.tally.formats import pabulib

__all__ = ["register", "run"]

RULES = ("greedy", "greedy-no-skip", "equal-shares")


def register(subparsers: Any) -> argparse.ArgumentParser:
    """Add the ``pb`` sub-command to an ``argparse`` sub-parsers object and return its parser."""
    p: argparse.ArgumentParser = subparsers.add_parser(
        "pb",
        help="recount participatory budgets (pabulib .pb files)",
        description="Recount participatory budgets stored as pabulib .pb files.",
    )
    p.add_argument("files", nargs="+", metavar="FILE", help="pabulib .pb file(s)")
    p.add_argument("--rule", choices=RULES, help="counting rule (default: the file's META rule)")
    p.add_argument(
        "--completion",
        choices=budget.COMPLETIONS,
        help="completion for equal-shares (default: from META rule, else none)",
    )
    p.add_argument(
        "--utility",
        choices=("cost", "approval"),
        default="cost",
        help="Equal Shares utilities: cost (equalshares.net default) or approval/points",
    )
    p.add_argument(
        "--comparison-method",
        choices=("satisfaction", "exclusion-ratio"),
        default="satisfaction",
        help="how the add1-comparison step compares outcomes",
    )
    p.add_argument(
        "--greedy-ties",
        choices=tuple(pabulib.GREEDY_TIES),
        default="file-order",
        help="ties in score for greedy steps: file-order (the PROJECTS order, as pabulib's checker does;"
        " default) or cost-then-lot (lower cost first, then by lot)",
    )
    p.add_argument(
        "--add1-integral",
        action="store_true",
        help="start Add1 raises from floor(budget / n) (pabulib checker / compute tool 'integral' option)",
    )
    p.add_argument("--json", action="store_true", help="one JSON object per file per line")
    p.add_argument("--seed", type=int, default=0, help="seed for ties broken by lot (default 0)")
    p.add_argument(
        "--check",
        action="store_true",
        help="compare with the file's 'selected' column; exit 1 on a difference",
    )
    p.set_defaults(func=run)
    return p


def _progress(path: str) -> Any:
    start = time.monotonic()
    last = [start]

    def report(message: str) -> None:
        now = time.monotonic()
        if now - last[0] >= 1.0:
            last[0] = now
            print(f"{path}: {message} ({now - start:.0f}s)", file=sys.stderr, flush=True)

    return report


def count_file(path: str, args: argparse.Namespace) -> tuple[pabulib.PabulibFile, budget.BudgetResult]:
    pb = pabulib.read(path)
    result = pabulib.recount(
        pb,
        rule=args.rule,
        completion=args.completion,
        rng=random.Random(args.seed),
        greedy_ties=getattr(args, "greedy_ties", "file-order"),
        utility=args.utility,
        comparison=args.comparison_method,
        progress=_progress(path),
        add1_integral=bool(getattr(args, "add1_integral", False)),
    )
    return pb, result


def _fmt(value: int | Fraction, unit: int) -> str:
    v = Fraction(value) / unit
    if v.denominator == 1:
        return f"{int(v):,}"
    return f"{float(v):,.2f}"


def _human(
    path: str, pb: pabulib.PabulibFile, r: budget.BudgetResult, official: frozenset[str] | None
) -> str:
    e = pb.election
    unit = e.currency_unit
    by_id = {p.id: p for p in e.projects}
    lines = [
        f"{path}",
        f"  rule: {r.rule}" + (f", completion: {r.completion}" if r.rule == "equal-shares" else ""),
    ]
    lines.append(f"  budget: {_fmt(e.budget, unit)}   ballots: {len(e.ballots)}   input sha256: {pb.sha256}")
    if r.voter_budget is not None:
        lines.append(
            f"  each voter's budget: {_fmt(r.voter_budget, unit)} (after {r.add1_raises} Add1 raises)"
        )
    if r.comparison is not None:
        c = r.comparison
        lines.append(
            f"  comparison ({c.method}): {c.prefer_equal_shares} voters prefer Equal Shares, {c.prefer_greedy} prefer greedy;"
            f" used {c.used}"
        )
    lines.append(f"  funded ({len(r.selected)}), in the order funded:")
    phase = {x.project: x for x in r.rounds}
    for pid in r.selected:
        p = by_id[pid]
        name = f"  {p.name}" if p.name else ""
        rnd = phase.get(pid)
        how = ""
        if rnd is not None and rnd.phase == "equal-shares":
            how = f"  eff. votes {float(rnd.score):>10.2f}"
        elif rnd is not None and rnd.phase == "completion":
            how = "  (completion)"
        lines.append(
            f"    {pid:>12}  cost {_fmt(p.cost, unit):>14}  votes {r.scores[pid]:>8}{how}{name[:60]}"
        )
    lines.append(f"  total cost: {_fmt(r.total_cost, unit)}   money left: {_fmt(r.money_left, unit)}")
    lines.append(f"  not funded ({len(r.reasons)}):")
    for pid, reason in r.reasons.items():
        p = by_id[pid]
        detail = ", ".join(
            f"{k}={_fmt(getattr(reason, k), unit) if k in ('needed', 'left') else v}"
            for k, v in reason.to_dict().items()
            if k != "code" and not k.endswith("_exact")
        )
        lines.append(
            f"    {pid:>12}  cost {_fmt(p.cost, unit):>14}  votes {r.scores[pid]:>8}  {reason.code} {detail}"
        )
    for lot in r.lots:
        lines.append(
            f"  lot (stage {lot.stage}, {lot.purpose}): tied {', '.join(lot.tied)}; chosen {lot.chosen}"
        )
    if official is not None:
        same = official == frozenset(r.selected)
        lines.append(f"  matches the file's 'selected' column: {'yes' if same else 'NO'}")
    return "\n".join(lines)


def run(args: argparse.Namespace) -> int:
    """Count every file named in ``args.files``; print the results; return the exit status."""
    status = 0
    for path in args.files:
        pb, result = count_file(path, args)
        official = pb.official_selected()
        if args.check and official is not None and official != frozenset(result.selected):
            status = 1
        if args.json:
            obj: dict[str, Any] = {"file": path, "input_sha256": pb.sha256, **result.to_dict()}
            if official is not None:
                obj["matches_selected"] = official == frozenset(result.selected)
            print(json.dumps(obj, ensure_ascii=False), flush=True)
        else:
            print(_human(path, pb, result, official), flush=True)
    return status
