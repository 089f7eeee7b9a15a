"""Citizens' panel selection: Folkmoot's LEXIMIN against sortition-algorithms' maximin on HiGHS, side by side.

Run with ``python -m bench.sortition`` (``--repeat N`` times Folkmoot's LEXIMIN N times and shows the best,
median and worst, ``--leximin-only`` skips the maximin runs, ``--only a|b`` runs one pool).  The machine's
load average is printed with each pool, as the times depend on it.  Two pools:

(a) a synthetic pool of 2,000 people with 7 categories and a panel of 60 (goal: under 60 s);
(b) a pool with the shape of the public 2,000-person example of Flanigan et al. (*Nature* 2021; panel of 200,
    1,162 s for LEXIMIN with Gurobi in the paper's table; goal: under 10 s).  The paper's data is not on this
    machine, so the pool is *generated* with the same size and panel size and four categories; the figures
    are for that generated pool, not the paper's file;
(c) the paper's public example itself (``example_large_200`` in the authors' replication data), rebuilt here from
    its published counts: 1 female conservative, 999 female liberals and 1,000 male conservatives, quotas of 99 to
    200 on each of the four values, panel of 200.  Its respondents file written out this way is byte-for-byte the
    size of the published one (33,019 characters); ``--write-paper DIR`` writes it with its categories file, so
    ``python -m app.tally sortition DIR/respondents.csv DIR/categories.csv --size 200`` recounts it.

The pools are drawn from a fixed seed; each category's pool shares are skewed (as self-selected respondents
are) and the quotas aim between the pool's shares and an even split, so the quotas bind.  sortition-algorithms
(GPL, a dev-only dependency) is run in a child process with a time limit; it solves over people, we over
types.  The exit status is 1 if the two minimum probabilities differ by more than 1e-4 (sortition-algorithms
stops its column generation at a tolerance of 5e-4).
"""

from __future__ import annotations

import argparse
import multiprocessing as mp
import os
import random
import statistics
import sys
import time
from collections.abc import Sequence
from typing import Any

from app.tally.sortition import Person, Problem, Quota, select


def synthetic_pool(n: int, categories: dict[str, int], k: int, seed: int = 1) -> Problem:
    """``n`` people with skewed answers on ``categories`` (name -> number of values) and binding quotas."""
    rng = random.Random(seed)
    people = []
    for i in range(n):
        features = {c: f"{c}{min(int(rng.expovariate(1.0) * nv / 2), nv - 1)}" for c, nv in categories.items()}
        people.append(Person(str(i + 1), features))
    quotas = []
    for c, nv in categories.items():
        for v in range(nv):
            have = sum(1 for p in people if p.features[c] == f"{c}{v}")
            target = (0.5 * have / n + 0.5 / nv) * k
            quotas.append(Quota(c, f"{c}{v}", max(0, int(target) - 1), min(have, int(target) + 2)))
    return Problem(tuple(people), tuple(quotas), k)


def paper_example() -> Problem:
    """Flanigan et al.'s public 2,000-person example (panel of 200), from its published counts."""
    answers = [("female", "conservative")] + [("female", "liberal")] * 999 + [("male", "conservative")] * 1000
    people = tuple(Person(str(i + 1), {"gender": g, "leaning": lean}) for i, (g, lean) in enumerate(answers))
    quotas = tuple(Quota(c, v, 99, 200) for c, v in (("gender", "female"), ("gender", "male"),
                                                       ("leaning", "liberal"), ("leaning", "conservative")))
    return Problem(people, quotas, 200)


def write_paper(folder: str) -> None:
    """The example's respondents.csv (no id column: people are numbered in file order) and categories.csv, in the
    replication data's ``category,feature,min,max`` dialect."""
    problem = paper_example()
    os.makedirs(folder, exist_ok=True)
    with open(os.path.join(folder, "respondents.csv"), "w", encoding="utf-8", newline="") as f:
        f.write("gender,leaning\n" + "\n".join(f"{p.features['gender']},{p.features['leaning']}" for p in problem.people))
    with open(os.path.join(folder, "categories.csv"), "w", encoding="utf-8", newline="") as f:
        f.write("category,feature,min,max\n" + "\n".join(f"{q.category},{q.value},{q.min},{q.max}"
                                                          for q in problem.quotas))


SEVEN = {"gender": 2, "age": 6, "region": 5, "education": 4, "ethnicity": 5, "tenure": 3, "attitude": 4}
PAPER_SHAPE = {"gender": 2, "age": 5, "region": 5, "climate_concern": 4}


def reference_maximin(problem: Problem, eps: float | None = None) -> tuple[float, float]:
    """(minimum probability, seconds) from sortition-algorithms' maximin with its HiGHS backend."""
    import sortition_algorithms.committee_generation.maximin as maximin
    from sortition_algorithms import Settings, read_in_features, read_in_people

    if eps is not None:
        maximin.EPS = eps
    categories = list(dict.fromkeys(q.category for q in problem.quotas))
    head = ["feature", "value", "min", "max"]
    body = [{"feature": q.category, "value": q.value, "min": str(q.min), "max": str(q.max)} for q in problem.quotas]
    features, _, _ = read_in_features(head, body, problem.size)
    settings = Settings(id_column="id", columns_to_keep=[], solver_backend="highspy")
    rows = [{"id": p.id, **dict(p.features)} for p in problem.people]
    people, _ = read_in_people(["id", *categories], rows, features, settings)
    start = time.perf_counter()
    committees, probabilities, _ = maximin.find_distribution_maximin(
        features, people, problem.size, [], solver_backend="highspy"
    )
    seconds = time.perf_counter() - start
    chance = {p.id: 0.0 for p in problem.people}
    for committee, pr in zip(committees, probabilities, strict=True):
        for pid in committee:
            chance[pid] += pr
    return min(chance.values()), seconds


def _child(problem: Problem, queue: Any) -> None:
    queue.put(reference_maximin(problem))


def run_reference(problem: Problem, timeout: float) -> tuple[float, float] | str:
    try:
        import sortition_algorithms  # noqa: F401
    except ImportError:
        return "not installed (pip install sortition-algorithms, the dev extra)"
    queue: Any = mp.get_context("fork").Queue()
    proc = mp.get_context("fork").Process(target=_child, args=(problem, queue))
    started = time.perf_counter()
    proc.start()
    proc.join(timeout)
    if proc.is_alive():
        proc.terminate()
        proc.join()
        return f"stopped after {time.perf_counter() - started:.0f} s without finishing"
    if queue.empty():
        return f"failed (exit code {proc.exitcode})"
    result: tuple[float, float] = queue.get()
    return result


def bench(name: str, problem: Problem, goal: float, timeout: float, repeat: int = 1) -> int:
    print(f"== {name}: {len(problem.people)} people, {len({q.category for q in problem.quotas})} categories, "
          f"panel {problem.size}; load average {os.getloadavg()[0]:.1f} (2-core machine)")
    runs = [select(problem, method="leximin", seed="bench") for _ in range(max(repeat, 1))]
    ours = min(runs, key=lambda s: s.seconds)
    print(f"  folkmoot leximin (HiGHS, types):   {ours.seconds:8.2f} s   min probability {ours.min_probability:.6f}"
          f"   goal < {goal:.0f} s: {'met' if ours.seconds < goal else 'MISSED'}")
    if repeat > 1:
        times = sorted(s.seconds for s in runs)
        print(f"    {repeat} runs: best {times[0]:.2f} s, median {statistics.median(times):.2f} s, "
              f"worst {times[-1]:.2f} s")
    print(f"    {ours.method_text}")
    if timeout <= 0:
        return 0
    mm = select(problem, method="maximin", seed="bench")
    print(f"  folkmoot maximin (HiGHS, types):   {mm.seconds:8.2f} s   min probability {mm.min_probability:.6f}")
    ref = run_reference(problem, timeout)
    if isinstance(ref, str):
        print(f"  sortition-algorithms maximin:      {ref}")
        return 0
    ref_min, ref_seconds = ref
    print(f"  sortition-algorithms maximin (HiGHS, people): {ref_seconds:8.2f} s   min probability {ref_min:.6f}")
    print(f"  ratio reference maximin / folkmoot leximin: {ref_seconds / ours.seconds:6.2f}x;"
          f"  reference maximin / folkmoot maximin: {ref_seconds / mm.seconds:6.2f}x")
    agree = abs(ref_min - ours.min_probability) <= 1e-4
    print(f"  minimum probabilities agree within 1e-4: {'yes' if agree else 'NO'}")
    return 0 if agree else 1


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.sortition", description=__doc__.splitlines()[0])
    parser.add_argument("--reference-timeout", type=float, default=900.0, help="seconds (default 900)")
    parser.add_argument("--only", choices=("a", "b", "c"), help="run one of the three pools")
    parser.add_argument("--write-paper", metavar="DIR", help="write the paper's example (c) as CSV files and stop")
    parser.add_argument("--repeat", type=int, default=1, help="run folkmoot's leximin this many times (best shown)")
    parser.add_argument("--leximin-only", action="store_true",
                        help="time only Folkmoot's leximin (no maximin, no sortition-algorithms)")
    args = parser.parse_args(argv)
    if hasattr(sys.stdout, "reconfigure"):
        sys.stdout.reconfigure(line_buffering=True)
    if args.write_paper:
        write_paper(args.write_paper)
        return 0
    status = 0
    timeout = 0.0 if args.leximin_only else args.reference_timeout
    if args.only in (None, "a"):
        status |= bench("(a) synthetic, 7 categories", synthetic_pool(2000, SEVEN, 60), 60, timeout, args.repeat)
    if args.only in (None, "b"):
        print("\n(b) the paper's 2,000-person example is not on this machine: this pool is GENERATED with its shape")
        status |= bench("(b) paper-shaped, generated", synthetic_pool(2000, PAPER_SHAPE, 200, seed=2), 10,
                        timeout, args.repeat)
    if args.only in (None, "c"):
        print()
        status |= bench("(c) the paper's example_large_200", paper_example(), 10, timeout, args.repeat)
    return status


if __name__ == "__main__":
    raise SystemExit(main())
