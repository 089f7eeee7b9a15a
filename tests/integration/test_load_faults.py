"""The CI-sized run of bench/faults.py: gunicorn on a private PostgreSQL cluster with a private Redis, simulated
residents (locust) signing in and casting every kind of ballot, and one fault of each kind while they do:
a gunicorn worker SIGKILLed, PostgreSQL stopped and started, Redis stopped and started, 10 MB request bodies,
slow clients.  After each fault: no ballot lost (every receipt shown is found), none duplicated, none
half-written, the app's count equals the rows stored, every answer while a part was down was one of the
app's own error pages (or a dropped connection, for the killed worker's requests), and the app recovered by
itself.  Nothing here asserts a timing.

It runs in the PostgreSQL pass of the suite (TEST_DATABASE_URL=postgresql://…), but never touches that
server: it starts its own cluster with initdb/pg_ctl, so that it may stop it.  The residents' password is
hashed with cheap argon2 parameters: sign-in cost is bench/load.py's business, not this test's.
"""

from __future__ import annotations

import os

import pytest

from bench.stack import missing_tools
from tests.conftest import require_service

RESIDENTS = 100  # per fault: 500 casts in all


def test_no_ballot_is_lost_and_the_app_recovers_from_each_fault():
    url = os.environ.get("TEST_DATABASE_URL", "")
    if not url.startswith("postgres"):
        pytest.skip("the load and fault test runs in the PostgreSQL pass (TEST_DATABASE_URL=postgresql://…); "
                    "it starts a private PostgreSQL cluster of its own")
    require_service(missing_tools())
    from bench.faults import FAULTS, run_faults

    lines: list[str] = []
    outcomes = run_faults(RESIDENTS, users=8, only=FAULTS, report=lines.append, password_cost=(1, 1024))
    report = "\n".join(lines)
    assert [o.fault for o in outcomes] == list(FAULTS)
    for outcome in outcomes:
        tally = outcome.tally
        assert tally.receipts > 0, report
        assert tally.lost == 0 and tally.receipts_found == tally.receipts, report
        assert tally.duplicated == 0 and tally.half_written == 0, report
        assert tally.stored == tally.counted, report
        assert tally.stored >= tally.receipts, report
        assert outcome.clean, report
        assert outcome.recovered_s is not None, report
        assert outcome.ok, report
    # every resident who was signed in got a receipt in the end (they try again after an error page)
    assert sum(o.tally.receipts for o in outcomes) == RESIDENTS * len(FAULTS), report
