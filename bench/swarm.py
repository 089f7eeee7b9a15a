"""The simulated residents (locust, headless, driven from Python), run as a child process of bench/load.py or
bench/faults.py because locust monkey-patches the standard library with gevent.

    python -m bench.swarm PLAN.json RESULT.json --host http://127.0.0.1:PORT --users N [--hello-seconds S]

Three phases against one server, each with N concurrent users and no think time:
1. ``hello``: GET /health for S seconds (the reference);
2. ``sign-in``: every resident of the plan signs in through the real form (GET, read the CSRF token, POST);
3. ``cast``: every resident opens their ballot and casts it through the real form (GET the form, read the CSRF
   and one-time tokens; a ranked ballot is checked first, as the page requires; POST "cast"), and keeps the
   receipt code the page shows.

A resident whose request fails (a server error page, a refused connection) tries again after half a second,
from a fresh GET, up to ``--tries`` times; a budget ballot found already stored by an earlier attempt that got
no answer is confirmed as a replacement, as the page asks.  The result file holds, per request name, the count,
failures and p50/p95/p99 in ms, each phase's wall time, the receipts, and how the failures looked (an error
page of ours, another page, or a dropped connection).
"""

from __future__ import annotations

import argparse
import json
import re
import time
from collections import Counter, defaultdict
from http.cookiejar import CookieJar
from typing import Any

import gevent
from gevent.queue import Empty, Queue
from locust import FastHttpUser, constant, events, task
from locust.env import Environment
from locust.exception import StopUser

CSRF_RE = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')
HIDDEN_RE = re.compile(r'<input[^>]*type="hidden"[^>]*>')
NAME_RE = re.compile(r'name="([^"]+)"')
VALUE_RE = re.compile(r'value="([^"]*)"')
RECEIPT_RE = re.compile(r"<code>([A-Z2-9]{4}(?:-[A-Z2-9]{4}){3})</code>")
OUR_ERROR_PAGE = "Error code: "


class State:
    plan: dict[str, Any] = {}
    todo: Queue = Queue()
    jars: dict[int, list[Any]] = {}
    receipts: list[tuple[int, str]] = []
    attempted: set[int] = set()
    gave_up: Counter[str] = Counter()
    failures: Counter[str] = Counter()
    times: dict[str, list[float]] = defaultdict(list)
    fails: Counter[str] = Counter()
    tries = 20
    busy = 0


def hidden_fields(html: str) -> dict[str, str]:
    out = {}
    for tag in HIDDEN_RE.findall(html):
        name, value = NAME_RE.search(tag), VALUE_RE.search(tag)
        if name:
            out[name.group(1)] = value.group(1) if value else ""
    return out


def classify(resp: Any) -> str:
    """How a failed answer looked: one of our error pages (with its status), another page, or no answer."""
    code = getattr(resp, "status_code", 0) or 0
    text = (resp.text or "") if code else ""
    if not code:
        return "dropped connection"
    if OUR_ERROR_PAGE in (text or ""):
        return f"error page {code}"
    return f"other {code}"


@events.request.add_listener
def _record(request_type: str, name: str, response_time: float, response_length: int, exception: Any = None, **_: Any) -> None:
    State.times[name].append(response_time)
    if exception is not None:
        State.fails[name] += 1


class Resident(FastHttpUser):
    wait_time = constant(0)
    network_timeout = 30.0
    connection_timeout = 10.0

    def _next(self) -> tuple[int, int]:
        try:
            return State.todo.get_nowait()
        except Empty:
            raise StopUser() from None

    def _failed(self, account: int, tries: int, resp: Any) -> None:
        State.failures[classify(resp)] += 1
        if tries + 1 < State.tries:
            gevent.sleep(0.5)
            State.todo.put((account, tries + 1))
        else:
            State.gave_up[classify(resp)] += 1

    def _ok(self, resp: Any, needle: str | None = None) -> bool:
        return bool(resp.status_code == 200 and (needle is None or needle in (resp.text or "")))


class Hello(Resident):
    @task
    def hello(self) -> None:
        self.client.get("/health", name="hello")


class SignIn(Resident):
    @task
    def sign_in(self) -> None:
        account, tries = self._next()
        State.busy += 1
        try:
            self.client.cookiejar.clear()
            page = self.client.get("/auth/sign-in", name="sign-in page")
            if not self._ok(page, "csrf_token"):
                return self._failed(account, tries, page)
            resp = self.client.post("/auth/sign-in", name="sign-in", data={
                "csrf_token": CSRF_RE.search(page.text).group(1),  # type: ignore[union-attr]
                "email": State.plan["accounts"][account]["email"], "password": State.plan["password"]})
            if not self._ok(resp, "You are signed in."):
                return self._failed(account, tries, resp)
            State.jars[account] = list(self.client.cookiejar)
        finally:
            State.busy -= 1


class Cast(Resident):
    @task
    def cast(self) -> None:
        account, tries = self._next()
        State.busy += 1
        try:
            self._cast(account, tries)
        finally:
            State.busy -= 1

    def _cast(self, account: int, tries: int) -> None:
        jar: CookieJar = self.client.cookiejar
        jar.clear()
        for cookie in State.jars[account]:
            jar.set_cookie(cookie)
        index = State.plan["accounts"][account]["ballot"]
        ballot = State.plan["ballots"][index]
        page = self.client.get(ballot["url"], name="ballot page")
        if not self._ok(page, "csrf_token"):
            return self._failed(account, tries, page)
        data = {**hidden_fields(page.text), **ballot["fields"]}
        if ballot["kind"] == "ranked":
            checked = self.client.post(ballot["url"], name="ranked check", data={**data, "check": "1"})
            if not self._ok(checked, 'name="checked"'):
                return self._failed(account, tries, checked)
            data = {**hidden_fields(checked.text), **ballot["fields"]}
        State.attempted.add(account)
        resp = self.client.post(ballot["url"], name="cast", data={**data, "cast": "1"})
        if self._ok(resp, 'name="confirm"') and not RECEIPT_RE.search(resp.text):
            # an earlier attempt was stored though its answer never came: the page asks to confirm the replacement
            resp = self.client.post(ballot["url"], name="cast (confirm replacement)", data={**hidden_fields(resp.text), **ballot["fields"], "confirm": "1"})
        found = RECEIPT_RE.search(resp.text or "") if resp.status_code == 200 else None
        if found is None:
            return self._failed(account, tries, resp)
        State.receipts.append((index, found.group(1)))


def run_phase(host: str, user_class: type[Resident], users: int, seconds: float | None = None) -> float:
    env = Environment(user_classes=[user_class], host=host, events=events)
    runner = env.create_local_runner()
    t = time.perf_counter()
    runner.start(users, spawn_rate=max(users, 1) * 10)
    if seconds is not None:
        gevent.sleep(seconds)
    else:
        gevent.sleep(0.2)
        while not State.todo.empty() or State.busy > 0:
            gevent.sleep(0.05)
    runner.quit()
    return time.perf_counter() - t


def percentiles(values: list[float]) -> dict[str, float]:
    if not values:
        return {"n": 0, "p50": 0.0, "p95": 0.0, "p99": 0.0}
    ordered = sorted(values)

    def at(q: float) -> float:
        return round(ordered[min(len(ordered) - 1, int(q * len(ordered)))], 1)

    return {"n": len(ordered), "p50": at(0.50), "p95": at(0.95), "p99": at(0.99)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("plan")
    parser.add_argument("result")
    parser.add_argument("--host", required=True)
    parser.add_argument("--users", type=int, default=16)
    parser.add_argument("--hello-seconds", type=float, default=10.0)
    parser.add_argument("--tries", type=int, default=20)
    args = parser.parse_args()
    with open(args.plan, encoding="utf-8") as handle:
        State.plan = json.load(handle)
    State.tries = args.tries
    accounts = range(len(State.plan["accounts"]))
    phases: dict[str, dict[str, Any]] = {}
    marks: dict[str, int] = {}
    for phase, user_class in (("hello", Hello), ("sign-in", SignIn), ("cast", Cast)):
        State.times.clear()
        State.fails.clear()
        if phase == "sign-in":
            for n in accounts:
                State.todo.put((n, 0))
        elif phase == "cast":
            for n in accounts:
                if n in State.jars:
                    State.todo.put((n, 0))
        marks[phase] = len(State.receipts)
        if phase == "hello" and args.hello_seconds <= 0:
            continue
        seconds = run_phase(args.host, user_class, args.users, args.hello_seconds if phase == "hello" else None)
        phases[phase] = {"seconds": round(seconds, 3),
                         "requests": {name: {**percentiles(times), "failures": State.fails[name], "rps": round(len(times) / seconds, 1)}
                                      for name, times in State.times.items()}}
    result = {"phases": phases, "receipts": State.receipts, "attempted": len(State.attempted),
              "signed_in": len(State.jars), "residents": len(State.plan["accounts"]),
              "failures": dict(State.failures), "gave_up": dict(State.gave_up)}
    with open(args.result, "w", encoding="utf-8") as handle:
        json.dump(result, handle)


if __name__ == "__main__":
    main()
