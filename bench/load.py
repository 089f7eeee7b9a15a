"""Benchmark: residents signing in and casting ballots concurrently, against a hello-world endpoint on the same
server in the same run (goals: casting at least 30% of hello-world's throughput, p99 under 250 ms where
hello-world's p99 is under 50 ms; zero lost or duplicated ballots).

gunicorn (gthread workers, production configuration) on PostgreSQL, with the rate limits in Redis, all on
127.0.0.1 and started and stopped here.  PostgreSQL is TEST_DATABASE_URL when set (every table there is
dropped and recreated, so point it only at a scratch database), otherwise a private cluster in a temporary
directory; Redis is always a private redis-server.  The residents (locust, headless) run in a child process
(bench/swarm.py): each signs in, opens their ballot (approval, k-approval, knapsack, cumulative or ranked, in
turn) and casts it through the real forms.  Afterwards the ballots are counted in the tables, with the app's
own count, and by looking up every receipt shown.

    python -m bench.load [--casts N] [--users N] [--workers N] [--threads N] [--hello-seconds S] [--password-cost T,M]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bench.seed import Tally, seed, verify
from bench.stack import (
    DEFAULT_THREADS,
    DEFAULT_WORKERS,
    ROOT,
    Gunicorn,
    PrivatePostgres,
    PrivateRedis,
    missing_tools,
)


@dataclass
class Stack:
    """PostgreSQL, Redis and gunicorn for one run; ``pg`` is None when TEST_DATABASE_URL is used."""

    database_url: str
    redis: PrivateRedis
    pg: PrivatePostgres | None = None
    server: Gunicorn | None = None

    def serve(self, workers: int, threads: int) -> Gunicorn:
        if self.server is not None:
            self.server.stop()
        self.server = Gunicorn(self.database_url, self.redis.url, workers=workers, threads=threads).start()
        return self.server


def open_stack(stack: ExitStack, private_pg: bool) -> Stack:
    url = os.environ.get("TEST_DATABASE_URL")
    pg = None
    if private_pg or not url:
        pg = PrivatePostgres().start()
        stack.callback(pg.stop)
        url = pg.url
    elif not url.startswith("postgres"):
        raise SystemExit("bench/load.py measures PostgreSQL: TEST_DATABASE_URL must be a PostgreSQL URL (or unset)")
    redis = PrivateRedis().start()
    stack.callback(redis.stop)
    out = Stack(url, redis, pg)
    stack.callback(lambda: out.server.stop() if out.server else None)
    return out


def start_swarm(plan: dict[str, Any], host: str, users: int, hello_seconds: float, workdir: Path,
                tries: int = 20) -> tuple[subprocess.Popen[bytes], Path]:
    plan_file, result = workdir / "plan.json", workdir / "result.json"
    plan_file.write_text(json.dumps(plan), encoding="utf-8")
    result.unlink(missing_ok=True)
    proc = subprocess.Popen([sys.executable, "-m", "bench.swarm", str(plan_file), str(result), "--host", host,
                             "--users", str(users), "--hello-seconds", str(hello_seconds), "--tries", str(tries)],
                            cwd=ROOT, env={**os.environ, "PYTHONPATH": str(ROOT)},
                            stdout=subprocess.DEVNULL, stderr=open(workdir / "swarm.log", "wb"))  # noqa: SIM115
    return proc, result


def finish_swarm(proc: subprocess.Popen[bytes], result: Path, timeout: float = 1800) -> dict[str, Any]:
    if proc.wait(timeout) != 0 or not result.exists():
        log = (result.parent / "swarm.log").read_text(errors="replace")[-3000:]
        raise RuntimeError(f"the swarm failed (exit {proc.returncode}):\n{log}")
    return json.loads(result.read_text(encoding="utf-8"))


def summary(casts: int, tally: Tally, run: dict[str, Any]) -> str:
    hello = run["phases"].get("hello", {})
    hello_req = hello.get("requests", {}).get("hello", {})
    hello_rps = hello_req.get("rps", 0.0)
    cast_phase = run["phases"]["cast"]
    cast_rps = len(run["receipts"]) / cast_phase["seconds"] if cast_phase["seconds"] else 0.0
    cast_req = cast_phase["requests"].get("cast", {})
    share = f"{100 * cast_rps / hello_rps:.0f}%" if hello_rps else "n/a"
    return (f"load: {casts:,} casts, {tally.stored:,} stored, {tally.lost:,} lost, {tally.duplicated:,} duplicated; "
            f"cast {cast_rps:,.0f} req/s = {share} of hello {hello_rps:,.0f} req/s; "
            f"p99 {cast_req.get('p99', 0):.0f} ms (hello p99 {hello_req.get('p99', 0):.0f} ms)")


def details(tally: Tally, run: dict[str, Any]) -> list[str]:
    lines = []
    for phase, data in run["phases"].items():
        for name, r in sorted(data["requests"].items()):
            lines.append(f"  {phase:8} {name:28} {r['n']:>7,} req {r['rps']:>8,.1f}/s  p50 {r['p50']:>6.0f}  p95 {r['p95']:>6.0f}  "
                         f"p99 {r['p99']:>6.0f} ms  failures {r['failures']}")
    lines.append(f"  casts by kind (receipts, stored): {tally.by_kind}; app count {tally.counted:,}; "
                 f"receipts found {tally.receipts_found:,}; half-written {tally.half_written}; "
                 f"failures seen {run['failures'] or 'none'}; gave up {run['gave_up'] or 'none'}")
    return lines


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--casts", type=int, default=2_000, help="residents, each casting one ballot")
    parser.add_argument("--users", type=int, default=16, help="concurrent simulated users")
    parser.add_argument("--workers", type=int, default=DEFAULT_WORKERS, help="gunicorn workers (default: one per core, at least 2)")
    parser.add_argument("--threads", type=int, default=DEFAULT_THREADS, help="threads per worker")
    parser.add_argument("--hello-seconds", type=float, default=10.0)
    parser.add_argument("--private-pg", action="store_true", help="a private cluster even when TEST_DATABASE_URL is set")
    parser.add_argument("--password-cost", default=None, metavar="T,M",
                        help="argon2 time cost and memory cost (KiB) of the residents' password hash (default: the production "
                             "configuration's); a stored hash carries its parameters, so this sets what a sign-in costs")
    args = parser.parse_args()
    cost = tuple(int(x) for x in args.password_cost.split(",")) if args.password_cost else None
    if (why := missing_tools()) is not None:
        raise SystemExit(f"bench/load.py cannot run: {why}")
    with ExitStack() as stack, tempfile.TemporaryDirectory(prefix="folkmoot-load-") as tmp:
        services = open_stack(stack, args.private_pg)
        plan = seed(services.database_url, args.casts, cost)  # type: ignore[arg-type]
        server = services.serve(args.workers, args.threads)
        proc, result = start_swarm(plan, server.url, args.users, args.hello_seconds, Path(tmp))
        run = finish_swarm(proc, result)
        tally = verify(services.database_url, plan, [tuple(r) for r in run["receipts"]], run["attempted"])
        print(summary(len(run["receipts"]), tally, run))
        for line in details(tally, run):
            print(line)
        from config import Config

        t_cost, m_cost = cost or (Config.ARGON2_TIME_COST, Config.ARGON2_MEMORY_COST)
        print(f"  gunicorn: {args.workers} workers × {args.threads} threads; {args.users} concurrent users; "
              f"argon2id t={t_cost} m={m_cost} KiB; "
              f"sign-in phase {run['phases']['sign-in']['seconds']:.1f} s, cast phase {run['phases']['cast']['seconds']:.1f} s")
        if not tally.ok:
            sys.exit(1)


if __name__ == "__main__":
    main()
