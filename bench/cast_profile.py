"""Where one cast's time goes, in-process: the SQL statements each request of a cast sends and the time it
takes, for every ballot type, without gunicorn or locust in the way.

    python -m bench.cast_profile [--residents N] [--profile] [--statements]

Seeds TEST_DATABASE_URL (PostgreSQL; every table is dropped and recreated) with bench/seed.py's budget and
vote, serves the production configuration (rate limits in memory) through Flask's test client, and has each
resident sign in, open their ballot and cast it exactly as bench/swarm.py does.  It prints, per request name,
the statements sent and the mean time (and the part of it spent in this process: Python, not PostgreSQL or
waiting); ``--statements`` lists one cast's statements of each kind, and
``--profile`` prints the functions where the ballot requests spent their own time (cProfile).
"""

from __future__ import annotations

import argparse
import cProfile
import io
import os
import pstats
import re
import time
from collections import defaultdict
from typing import Any

from sqlalchemy import event

from bench.seed import seed

# bench/swarm.py's patterns, repeated: importing it imports locust, which monkey-patches the standard library
# with gevent and would put gevent's loop into every database wait measured here
CSRF_RE = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')
HIDDEN_RE = re.compile(r'<input[^>]*type="hidden"[^>]*>')
NAME_RE = re.compile(r'name="([^"]+)"')
VALUE_RE = re.compile(r'value="([^"]*)"')
RECEIPT_RE = re.compile(r"<code>([A-Z2-9]{4}(?:-[A-Z2-9]{4}){3})</code>")


def hidden_fields(html: str) -> dict[str, str]:
    out = {}
    for tag in HIDDEN_RE.findall(html):
        name, value = NAME_RE.search(tag), VALUE_RE.search(tag)
        if name:
            out[name.group(1)] = value.group(1) if value else ""
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--residents", type=int, default=100)
    parser.add_argument("--profile", action="store_true")
    parser.add_argument("--statements", action="store_true")
    args = parser.parse_args()
    url = os.environ.get("TEST_DATABASE_URL", "")
    if not url.startswith("postgres"):
        raise SystemExit("bench/cast_profile.py needs TEST_DATABASE_URL pointing at a scratch PostgreSQL database")
    plan = seed(url, args.residents, (1, 1024))
    os.environ.update({"SECRET_KEY": "bench-only-not-secret-" + "x" * 32, "DATABASE_URL": url})
    os.environ.pop("REDIS_URL", None)
    from app import create_app
    from app.extensions import db

    app = create_app("production", {"SESSION_COOKIE_SECURE": False, "REMEMBER_COOKIE_SECURE": False,
                                    "RATELIMIT_LOGIN": "100000 per minute", "RATELIMIT_LOGIN_EMAIL": "100000 per minute",
                                    "SERVER_NAME": None, "PREFERRED_URL_SCHEME": "http"})
    sent: list[str] = []
    with app.app_context():
        @event.listens_for(db.engine, "before_cursor_execute")
        def _count(conn: Any, cursor: Any, statement: str, *rest: Any) -> None:
            sent.append(statement)

    stats: dict[str, list[tuple[float, float, int]]] = defaultdict(list)
    examples: dict[str, list[str]] = {}
    profiler = cProfile.Profile() if args.profile else None

    def request(client: Any, name: str, method: str, path: str, **kw: Any) -> Any:
        sent.clear()
        if profiler is not None and name != "sign-in":
            profiler.enable()
        t, cpu = time.perf_counter(), time.process_time()
        resp = client.open(path, method=method, follow_redirects=True, **kw)
        elapsed, cpu = time.perf_counter() - t, time.process_time() - cpu
        if profiler is not None:
            profiler.disable()
        stats[name].append((elapsed, cpu, len(sent)))
        examples.setdefault(name, list(sent))
        return resp

    for account in plan["accounts"]:
        client = app.test_client()
        page = client.get("/auth/sign-in")
        assert page.status_code == 200, page.status
        token = CSRF_RE.search(page.get_data(as_text=True)).group(1)  # type: ignore[union-attr]
        resp = request(client, "sign-in", "POST", "/auth/sign-in",
                       data={"csrf_token": token, "email": account["email"], "password": plan["password"]})
        assert "You are signed in." in resp.get_data(as_text=True), resp.status
        ballot = plan["ballots"][account["ballot"]]
        kind = ballot["kind"]
        page = request(client, f"{kind}: ballot page", "GET", ballot["url"])
        data = {**hidden_fields(page.get_data(as_text=True)), **ballot["fields"]}
        if kind == "ranked":
            checked = request(client, f"{kind}: check", "POST", ballot["url"], data={**data, "check": "1"})
            data = {**hidden_fields(checked.get_data(as_text=True)), **ballot["fields"]}
        resp = request(client, f"{kind}: cast", "POST", ballot["url"], data={**data, "cast": "1"})
        assert RECEIPT_RE.search(resp.get_data(as_text=True)), (kind, resp.status)

    print(f"{len(plan['accounts'])} residents, each signs in, opens a ballot and casts it (in-process, PostgreSQL)")
    for name, rows in sorted(stats.items()):
        ms = sum(row[0] for row in rows) / len(rows) * 1000
        cpu = sum(row[1] for row in rows) / len(rows) * 1000
        print(f"  {name:26} {len(rows):>5} req  {ms:7.1f} ms mean, {cpu:6.1f} ms of it in this process  {max(row[2] for row in rows):>3} statements")
    if args.statements:
        for name, statements in sorted(examples.items()):
            print(f"\n{name}:")
            for s in statements:
                print("   ", re.sub(r"\s+", " ", s)[:220])
    if profiler is not None:
        out = io.StringIO()
        pstats.Stats(profiler, stream=out).sort_stats("tottime").print_stats(40)
        print(out.getvalue())
    with app.app_context():
        db.engine.dispose()


if __name__ == "__main__":
    main()
