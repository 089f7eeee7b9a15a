"""Benchmark: Folkmoot's exact Method of Equal Shares (with Add1) against pabutools, side by side in one run.

Run with ``python -m bench.budget`` (options: ``--voters``, ``--projects``, ``--seed``, ``--pabutools-add1``).

1. Wieliczka 2023 Green Budget (pabulib; ../shared/data/pabulib/): the full Add1 completion (raise each
   voter's budget by 1 until the next raise overspends), ours against pabutools' ``method_of_equal_shares``
   rerun at each raise (exact gmpy2 fractions, its faster multi-profile form, ties: more votes then lower cost).
2. A synthetic instance (100 projects x 100,000 voters by default).  pabutools needs tens of seconds per Equal
   Shares run here, so its full Add1 (dozens of runs) would take many minutes: by default both sides are
   timed on one run at budget / n, and our full Add1 time is shown alone (``--pabutools-add1`` runs theirs).

pabutools is GPL-3.0 and only used here as the reference, never by ``app/``.
"""

from __future__ import annotations

import argparse
import random
import time
from collections.abc import Sequence
from fractions import Fraction
from pathlib import Path
from typing import Any

import numpy as np

from app.tally import equal_shares
from app.tally.budget import Ballot, BudgetElection, Project
from app.tally.formats import pabulib

DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data" / "pabulib"
WIELICZKA = DATA / "Poland_Wieliczka_2023_Green_Budget.pb"


def synthetic(m: int, n: int, seed: int) -> BudgetElection:
    """``n`` approval ballots over ``m`` projects; uneven popularity (Dirichlet), 1..11 approvals each."""
    rng = np.random.default_rng(seed)
    costs = (rng.integers(10, 500, m) * 1000).tolist()
    pop = rng.dirichlet(np.ones(m) * 0.7)
    keys = np.log(pop + 1e-300)[None, :] + rng.gumbel(
        size=(n, m)
    )  # Gumbel top-k = sampling without replacement
    order = np.argsort(-keys, axis=1)
    lengths = rng.integers(1, 12, n)
    ids = [f"{j:03d}" for j in range(m)]
    ballots = tuple(Ballot(tuple(sorted(ids[j] for j in order[i, : lengths[i]]))) for i in range(n))
    return BudgetElection(
        tuple(Project(i, c) for i, c in zip(ids, costs, strict=True)), int(sum(costs) // 4), ballots
    )


def to_pabutools(e: BudgetElection) -> tuple[Any, Any]:
    from pabutools.election import ApprovalBallot, ApprovalProfile, Instance  # type: ignore[import-untyped]
    from pabutools.election import Project as PProject

    projects = {p.id: PProject(p.id, p.cost) for p in e.projects}
    inst = Instance(projects.values(), budget_limit=e.budget)
    prof = ApprovalProfile(
        [ApprovalBallot({projects[p] for p in b.projects}) for b in e.ballots], instance=inst
    )
    return inst, prof.as_multiprofile()


def _tie_rule(e: BudgetElection) -> Any:
    from pabutools.tiebreaking import TieBreakingRule  # type: ignore[import-untyped]

    votes: dict[str, int] = {p.id: 0 for p in e.projects}
    for b in e.ballots:
        for p in b.projects:
            votes[p] += 1
    return TieBreakingRule(lambda inst, prof, proj: (-votes[proj.name], proj.cost, proj.name))


def pabutools_mes(inst: Any, prof: Any, e: BudgetElection, raise_by: int) -> set[str]:
    from pabutools.election import Cost_Sat
    from pabutools.rules import method_of_equal_shares  # type: ignore[import-untyped]

    n = len(e.ballots)
    inst.budget_limit = e.budget + raise_by * n  # each voter's share: budget / n + raise_by
    out = method_of_equal_shares(inst, prof, sat_class=Cost_Sat, tie_breaking=_tie_rule(e))
    inst.budget_limit = e.budget
    return {p.name for p in out}


def pabutools_add1(inst: Any, prof: Any, e: BudgetElection) -> tuple[set[str], int]:
    cost = {p.id: p.cost for p in e.projects}
    kept = pabutools_mes(inst, prof, e, 0)
    k = 0
    while True:
        nxt = pabutools_mes(inst, prof, e, k + 1)
        if sum(cost[p] for p in nxt) > e.budget:
            return kept, k
        kept, k = nxt, k + 1


def ours_add1(e: BudgetElection) -> tuple[set[str], int]:
    r = equal_shares.equal_shares(e, completion="add1", tiebreak=("votes", "cost", "lot"))
    return set(r.selected), r.add1_raises


def ours_single(e: BudgetElection) -> tuple[set[str], float]:
    """One run from the ballots; also returns the time of the run alone (without grouping the ballots)."""
    prep = equal_shares.prepare(e)
    t0 = time.perf_counter()
    run = equal_shares.run_mes(prep, Fraction(e.budget, prep.n), random.Random(0), details=False)
    return {prep.ids[j] for j in run.funded}, time.perf_counter() - t0


def timed(fn: Any, *args: Any) -> tuple[Any, float]:
    t0 = time.perf_counter()
    out = fn(*args)
    return out, time.perf_counter() - t0


def main(argv: Sequence[str] | None = None) -> int:
    ap = argparse.ArgumentParser(
        prog="python -m bench.budget", description=__doc__.split("\n")[0] if __doc__ else ""
    )
    ap.add_argument("--voters", type=int, default=100_000)
    ap.add_argument("--projects", type=int, default=100)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument(
        "--pabutools-add1", action="store_true", help="also run pabutools' full Add1 on the synthetic set"
    )
    args = ap.parse_args(argv)
    status = 0
    print("== Method of Equal Shares with Add1: Folkmoot (exact, NumPy) vs pabutools (exact gmpy2)")

    if WIELICZKA.is_file():
        pb = pabulib.read(WIELICZKA)
        e = pb.election
        (ours, our_k), t_ours = timed(ours_add1, e)
        inst, prof = to_pabutools(e)
        (theirs, their_k), t_theirs = timed(pabutools_add1, inst, prof, e)
        same = ours == theirs
        status |= 0 if same else 1
        official = pb.official_selected()
        print(f"Wieliczka 2023 ({len(e.ballots)} voters, {len(e.projects)} projects), full Add1:")
        print(f"  ours      {t_ours:8.2f} s  ({our_k} raises, {len(ours)} projects)")
        print(f"  pabutools {t_theirs:8.2f} s  ({their_k} raises, {len(theirs)} projects)")
        print(f"  same outcome: {same}; equals the official result: {ours == official}")
        print(f"  ratio: {t_theirs / t_ours:.1f}x faster")
    else:
        print(f"Wieliczka file not found at {WIELICZKA}; skipped")

    e = synthetic(args.projects, args.voters, args.seed)
    print(f"Synthetic ({args.voters} voters, {args.projects} projects, budget {e.budget}):")
    (ours1, t_run), t_ours1 = timed(ours_single, e)
    inst, prof = to_pabutools(e)
    theirs1, t_theirs1 = timed(pabutools_mes, inst, prof, e, 0)
    same = ours1 == theirs1
    status |= 0 if same else 1
    print("  one Equal Shares run at budget / n:")
    print(
        f"    ours      {t_ours1:8.2f} s  ({len(ours1)} projects; the run alone {t_run:.2f} s, the rest groups ballots)"
    )
    print(f"    pabutools {t_theirs1:8.2f} s  ({len(theirs1)} projects)")
    print(
        f"    same outcome: {same}; ratio: {t_theirs1 / t_ours1:.1f}x faster"
        f" ({t_theirs1 / t_run:.0f}x on the run alone; pabutools' profile building is not timed)"
    )
    (ours_a, k), t_ours_a = timed(ours_add1, e)
    print(
        f"  full Add1: ours {t_ours_a:.2f} s ({k} raises, {k + 2} Equal Shares runs, {len(ours_a)} projects)"
    )
    if args.pabutools_add1:
        (theirs_a, their_k), t_theirs_a = timed(pabutools_add1, inst, prof, e)
        same = ours_a == theirs_a
        status |= 0 if same else 1
        print(f"  full Add1: pabutools {t_theirs_a:.2f} s ({their_k} raises); same outcome: {same}")
        print(f"  ratio: {t_theirs_a / t_ours_a:.1f}x faster")
    else:
        est = t_theirs1 * (k + 2)
        print(
            f"  full Add1: pabutools not run (about {k + 2} runs x {t_theirs1:.1f} s = ~{est / 60:.0f} min);"
            f" estimated ratio {est / t_ours_a:.0f}x (use --pabutools-add1 to measure)"
        )
    return status


if __name__ == "__main__":
    raise SystemExit(main())
