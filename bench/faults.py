"""Faults while residents sign in and cast (bench/load.py's swarm), one line per fault:

- ``worker``: SIGKILL a gunicorn worker in the middle of casting;
- ``postgres``: stop the (private) PostgreSQL cluster in the middle of casting, probe the site while it is down,
  start it again;
- ``redis``: stop the (private) Redis while residents sign in (the rate-limited form), probe, start it again;
- ``big-body``: send 10 MB request bodies to the sign-in and ballot forms;
- ``slow``: clients that trickle their request a byte at a time, more of them than gunicorn has threads.

After each: no half-written ballot, every receipt shown is found by the app's receipt check, no more ballots
than residents who tried, the app's count equals the rows stored; while a part was down every answer was one
of the app's own error pages (or a dropped connection, for requests the killed worker was serving); and the
app recovered by itself (for Redis: the rate limits are counted in Redis again, with no restart).

    python -m bench.faults [--residents N] [--users N] [--only worker,postgres,redis,big-body,slow]

It always uses a private PostgreSQL cluster (initdb/pg_ctl), never the shared server.
"""

from __future__ import annotations

import argparse
import socket
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
from collections import Counter
from collections.abc import Callable
from contextlib import ExitStack
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import create_engine, text

from bench.load import Stack, finish_swarm, open_stack, start_swarm
from bench.seed import Tally, seed, verify
from bench.stack import DEFAULT_THREADS, DEFAULT_WORKERS, missing_tools, wait_for_port

FAULTS = ("worker", "postgres", "redis", "big-body", "slow")
OUR_ERROR_PAGE = "Error code: "


@dataclass
class Outcome:
    fault: str
    tally: Tally
    probes: Counter[str] = field(default_factory=Counter)  # how the site answered while the part was down
    recovered_s: float | None = None  # seconds from the repair (or the fault) until the site answered normally
    note: str = ""
    swarm_failures: dict[str, int] = field(default_factory=dict)

    @property
    def clean(self) -> bool:
        """Every answer seen while the part was down was a page of ours (or a dropped connection)."""
        return all(kind.startswith(("200", "error page", "dropped")) for kind in self.probes)

    @property
    def ok(self) -> bool:
        swarm_clean = all(kind.startswith(("error page", "dropped")) for kind in self.swarm_failures)
        return self.tally.ok and self.clean and swarm_clean and self.recovered_s is not None

    def line(self) -> str:
        t = self.tally
        probes = ", ".join(f"{n} {k}" for k, n in sorted(self.probes.items())) or "none"
        seen = ", ".join(f"{n} {k}" for k, n in sorted(self.swarm_failures.items())) or "none"
        recovered = f"recovered in {self.recovered_s:.1f} s" if self.recovered_s is not None else "DID NOT RECOVER"
        return (f"fault {self.fault}: {t.receipts:,} casts, {t.stored:,} stored, {t.lost} lost, {t.duplicated} duplicated, "
                f"{t.half_written} half-written; while down: {probes}; residents saw: {seen}; {recovered}"
                f"{'; ' + self.note if self.note else ''} -> {'ok' if self.ok else 'FAILED'}")


def probe(url: str, data: bytes | None = None, timeout: float = 10.0) -> str:
    """One request; how it was answered: "200", "error page 503", "other 500", "dropped connection"."""
    try:
        with urllib.request.urlopen(urllib.request.Request(url, data=data), timeout=timeout) as resp:
            return str(resp.status)
    except urllib.error.HTTPError as exc:
        body = exc.read().decode("utf-8", "replace")
        return f"error page {exc.code}" if OUR_ERROR_PAGE in body else f"other {exc.code}"
    except (urllib.error.URLError, OSError):
        return "dropped connection"


def sign_in_probe(base: str) -> str:
    """A real sign-in attempt through the form (GET, CSRF token, POST) with a wrong password: the rate-limited
    request.  "200" when the form answered normally (it says the details were wrong)."""
    import http.cookiejar
    import re
    import urllib.parse

    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()))
    try:
        with opener.open(base + "/auth/sign-in", timeout=10) as resp:
            token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', resp.read().decode())
        data = urllib.parse.urlencode({"csrf_token": token.group(1) if token else "", "email": "nobody@example.org",
                                       "password": "not the password"}).encode()
        with opener.open(urllib.request.Request(base + "/auth/sign-in", data=data), timeout=10) as resp:
            return str(resp.status)
    except urllib.error.HTTPError as exc:
        body = exc.read().decode("utf-8", "replace")
        return f"error page {exc.code}" if OUR_ERROR_PAGE in body else f"other {exc.code}"
    except (urllib.error.URLError, OSError):
        return "dropped connection"


def stored_ballots(database_url: str) -> int:
    from config import database_url as normalise

    engine = create_engine(normalise(database_url), pool_pre_ping=True)
    try:
        with engine.connect() as conn:
            return int(conn.execute(text("SELECT (SELECT count(*) FROM budget_ballots) + (SELECT count(*) FROM vote_ballots)")).scalar_one())
    except Exception:  # noqa: BLE001 - the database may be the part that is down
        return -1
    finally:
        engine.dispose()


def wait_until(predicate: Callable[[], bool], timeout: float, step: float = 0.1) -> float | None:
    t = time.monotonic()
    while time.monotonic() - t < timeout:
        if predicate():
            return time.monotonic() - t
        time.sleep(step)
    return None


def probe_while(base: str, seconds: float, counter: Counter[str], paths: tuple[str, ...] = ("/votes/", "/health")) -> None:
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        for path in paths:
            counter[probe(base + path, timeout=5)] += 1
        time.sleep(0.2)


# ------------------------------------------------------------------------------------------------ the faults


def fault_worker(services: Stack, out: Outcome) -> None:
    server = services.server
    assert server is not None
    before = len(server.worker_pids())
    killed = server.kill_worker()
    probe_while(server.url, 1.0, out.probes, ("/health",))
    took = wait_until(lambda: len(server.worker_pids()) == before and killed not in server.worker_pids(), 60)
    out.recovered_s = took
    out.note = f"worker {killed} killed, {before} workers again"


def fault_postgres(services: Stack, out: Outcome) -> None:
    pg, server = services.pg, services.server
    assert pg is not None and server is not None
    pg.pg_ctl("stop", mode="fast")
    probe_while(server.url, 3.0, out.probes)
    t = time.monotonic()
    pg.pg_ctl("start")
    took = wait_until(lambda: probe(server.url + "/votes/") == "200", 60, step=0.2)
    out.recovered_s = None if took is None else time.monotonic() - t
    out.note = "stopped 3 s (fast shutdown), then started"


def fault_redis(services: Stack, out: Outcome) -> None:
    import redis as redis_client

    server = services.server
    assert server is not None
    services.redis.stop()
    # sign-in attempts (the rate-limited form) while Redis is down: normal pages, counted in the worker's memory
    end = time.monotonic() + 3.0
    while time.monotonic() < end:
        out.probes[sign_in_probe(server.url)] += 1
    services.redis.start()  # the same port: the app was not told
    t = time.monotonic()
    store = redis_client.Redis.from_url(services.redis.url)

    def back() -> bool:
        sign_in_probe(server.url)
        return int(store.dbsize()) > 0

    took = wait_until(back, 90, step=0.5)
    out.recovered_s = None if took is None else time.monotonic() - t
    out.note = "sign-ins went on with limits in worker memory; counted in Redis again" if took is not None else "limits never went back to Redis"


def _raw(port: int, head: bytes, body_chunks: Callable[[socket.socket], None], timeout: float = 30) -> str:
    with socket.create_connection(("127.0.0.1", port), timeout=timeout) as sock:
        try:
            sock.sendall(head)
            body_chunks(sock)
        except OSError:
            pass  # the server may answer (and close) before the body is all sent
        data = b""
        try:
            while chunk := sock.recv(65536):
                data += chunk
        except OSError:
            pass
    if not data:
        return "dropped connection"
    status = data.split(b"\r\n", 1)[0].split(b" ")
    code = status[1].decode() if len(status) > 1 else "?"
    return f"error page {code}" if OUR_ERROR_PAGE.encode() in data else (code if code == "200" else f"other {code}")


def fault_big_body(services: Stack, out: Outcome) -> None:
    server = services.server
    assert server is not None
    size = 10 * 1024 * 1024
    chunk = b"a" * 65536

    def send(sock: socket.socket) -> None:
        for _ in range(size // len(chunk)):
            sock.sendall(chunk)

    def one(path: str) -> None:
        head = (f"POST {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/x-www-form-urlencoded\r\n"
                f"Content-Length: {size}\r\nConnection: close\r\n\r\n").encode()
        out.probes[_raw(server.port, head, send)] += 1

    threads = [threading.Thread(target=one, args=(path,)) for path in ("/auth/sign-in", "/budgets/headings/1/ballot", "/votes/1/ballot") * 2]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    out.recovered_s = wait_until(lambda: probe(server.url + "/votes/") == "200", 30)
    out.note = "6 bodies of 10 MB"


def fault_slow(services: Stack, out: Outcome) -> None:
    server = services.server
    assert server is not None
    clients = server.workers * server.threads + 4  # more slow clients than the server has threads
    request = b"GET /votes/ HTTP/1.1\r\nHost: 127.0.0.1\r\nUser-Agent: slow\r\nConnection: close\r\n\r\n"

    def one() -> None:
        head_sent = b""
        try:
            with socket.create_connection(("127.0.0.1", server.port), timeout=60) as sock:
                for byte in request:
                    sock.sendall(bytes([byte]))
                    head_sent += bytes([byte])
                    time.sleep(0.1)
                data = b""
                while chunk := sock.recv(65536):
                    data += chunk
            code = data.split(b"\r\n", 1)[0].split(b" ")[1].decode() if data else "none"
            out.probes["200" if code == "200" else (f"error page {code}" if OUR_ERROR_PAGE.encode() in data else f"other {code}")] += 1
        except OSError:
            out.probes["dropped connection"] += 1

    threads = [threading.Thread(target=one) for _ in range(clients)]
    for th in threads:
        th.start()
    time.sleep(2)
    answered: Counter[str] = Counter()
    probe_while(server.url, 3.0, answered, ("/health", "/votes/"))
    for th in threads:
        th.join()
    out.recovered_s = wait_until(lambda: probe(server.url + "/votes/") == "200", 30)
    # Informational, not a check: how other visitors fared meanwhile depends on the machine's speed.
    out.note = (f"{clients} clients sending 1 byte per 0.1 s; other visitors meanwhile: "
                + ", ".join(f"{n} {k}" for k, n in sorted(answered.items())))


RUN: dict[str, Callable[[Stack, Outcome], None]] = {
    "worker": fault_worker, "postgres": fault_postgres, "redis": fault_redis, "big-body": fault_big_body, "slow": fault_slow,
}


def run_fault(services: Stack, name: str, residents: int, users: int, workdir: Path, workers: int = DEFAULT_WORKERS, threads: int = DEFAULT_THREADS,
              password_cost: tuple[int, int] | None = None) -> Outcome:
    plan = seed(services.database_url, residents, password_cost)
    server = services.serve(workers, threads)
    proc, result = start_swarm(plan, server.url, users, 0, workdir, tries=60)
    out = Outcome(name, Tally())
    if name == "redis":  # during the sign-ins, the rate-limited requests
        time.sleep(1.5)
    else:  # during the casts: once a fifth of the ballots are in
        wait_until(lambda: stored_ballots(services.database_url) >= residents // 5, 600, step=0.3)
    try:
        RUN[name](services, out)
    finally:
        if services.pg is not None and stored_ballots(services.database_url) < 0 and name == "postgres":
            services.pg.pg_ctl("start")
        if name == "redis" and (services.redis.proc is None or services.redis.proc.poll() is not None):
            services.redis.start()
            wait_for_port(services.redis.port)
    run = finish_swarm(proc, result)
    out.tally = verify(services.database_url, plan, [tuple(r) for r in run["receipts"]], run["attempted"])
    out.swarm_failures = dict(run["failures"])
    if run["gave_up"]:
        out.note += f"; residents who gave up: {run['gave_up']}"
        out.recovered_s = None
    return out


def run_faults(residents: int, users: int, only: tuple[str, ...] = FAULTS, report: Callable[[str], Any] = print,
               workers: int = DEFAULT_WORKERS, threads: int = DEFAULT_THREADS, password_cost: tuple[int, int] | None = None) -> list[Outcome]:
    outcomes = []
    with ExitStack() as stack, tempfile.TemporaryDirectory(prefix="folkmoot-faults-") as tmp:
        services = open_stack(stack, private_pg=True)
        for name in only:
            outcome = run_fault(services, name, residents, users, Path(tmp), workers, threads, password_cost)
            report(outcome.line())
            outcomes.append(outcome)
    return outcomes


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--residents", type=int, default=1_000, help="residents (each casts one ballot) per fault")
    parser.add_argument("--users", type=int, default=8, help="concurrent simulated users")
    parser.add_argument("--only", default=",".join(FAULTS))
    args = parser.parse_args()
    if (why := missing_tools()) is not None:
        raise SystemExit(f"bench/faults.py cannot run: {why}")
    only = tuple(f for f in args.only.split(",") if f)
    if unknown := [f for f in only if f not in RUN]:
        raise SystemExit(f"unknown fault(s): {', '.join(unknown)}; choose from {', '.join(FAULTS)}")
    outcomes = run_faults(args.residents, args.users, only, report=lambda line: print(line, flush=True))
    sys.exit(0 if all(o.ok for o in outcomes) else 1)


if __name__ == "__main__":
    main()
