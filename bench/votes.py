"""Benchmark: closing a ranked vote with delegation on PostgreSQL (goal: snapshot + resolve + count < 5 s).

100,000 eligible members, 30,000 direct ballots and 50,000 delegations (2,000 delegates, chains among them,
some cycles, backups), counted by IRV with the pyrankvote cross-check.  Printed side by side with the time to
read the ballots alone in the same run.  Uses TEST_DATABASE_URL (or postgresql://postgres@127.0.0.1:5432/t_votes);
it drops and recreates every table there, so never point it at a database you care about.

    python -m bench.votes [--members N] [--ballots N] [--delegations N] [--rule irv|stv|schulze]
"""

from __future__ import annotations

import argparse
import os
import time
from datetime import timedelta

import numpy as np
from sqlalchemy import insert, select, text

DEFAULT_URL = "postgresql://postgres@127.0.0.1:5432/t_votes"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--members", type=int, default=100_000)
    parser.add_argument("--ballots", type=int, default=30_000)
    parser.add_argument("--delegations", type=int, default=50_000)
    parser.add_argument("--delegates", type=int, default=2_000)
    parser.add_argument("--rule", choices=["irv", "stv", "schulze"], default="irv")
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()

    from app import create_app
    from app.auth.models import User
    from app.core import secrecy
    from app.core.db import utcnow
    from app.delegation.models import DelegateProfile, Delegation
    from app.extensions import db
    from app.places.models import Place
    from app.voting import counting, services
    from app.voting.models import Vote, VoteBallot, VoteRegister, VoteRule
    from config import database_url

    url = database_url(os.environ.get("TEST_DATABASE_URL") or DEFAULT_URL)
    app = create_app("testing", {"SQLALCHEMY_DATABASE_URI": url})
    rng = np.random.default_rng(args.seed)
    n, b, m, k = args.members, args.ballots, args.delegations, args.delegates
    with app.app_context():
        if db.engine.dialect.name != "postgresql":
            raise SystemExit("bench/votes.py measures PostgreSQL: set TEST_DATABASE_URL to a PostgreSQL database")
        db.drop_all()
        db.create_all()
        t = time.perf_counter()
        county = Place(code="B-C", name="Benchshire", kind="county")
        district = Place(code="B-D", name="Bench District", kind="district", parent=county)
        db.session.add_all([county, district])
        db.session.flush()
        db.session.execute(insert(User), [{"id": i, "email": f"m{i}@bench.example.org", "display_name": f"M{i}",
                                           "password_hash": "x", "home_place_id": district.id, "email_confirmed_at": utcnow()}
                                          for i in range(1, n + 1)])
        ids = np.arange(1, n + 1)
        perm = rng.permutation(ids)
        voters = perm[:b]
        delegates = rng.choice(voters, size=k, replace=False)  # delegates vote themselves
        chain_delegates = perm[b : b + k // 2]  # delegates who do not vote and pass their vote on
        db.session.execute(insert(DelegateProfile), [{"user_id": int(u), "statement": "bench", "accepts_disclosure": True}
                                                     for u in np.concatenate([delegates, chain_delegates])])
        all_delegates = np.concatenate([delegates, chain_delegates])
        rows = []
        for i, u in enumerate(chain_delegates):  # chains: non-voting delegates pass on (some into each other: cycles)
            if i % 10 == 0:  # a two-member cycle: i -> i+1 -> i
                to = chain_delegates[(i + 1) % len(chain_delegates)]
            elif i % 10 == 1:
                to = chain_delegates[i - 1]
            else:
                to = all_delegates[rng.integers(0, len(all_delegates))]
            if to != u:
                rows.append({"delegator_id": int(u), "delegate_id": int(to), "scope_kind": "global", "scope_key": 0, "rank": 1})
        members = perm[b + k // 2 :]
        targets = all_delegates[rng.integers(0, len(all_delegates), len(members))]
        backups = delegates[rng.integers(0, len(delegates), len(members))]
        for u, to, backup in zip(members.tolist(), targets.tolist(), backups.tolist(), strict=True):
            if len(rows) >= m:
                break
            rows.append({"delegator_id": u, "delegate_id": to, "scope_kind": "global", "scope_key": 0, "rank": 1})
            if backup != to and u % 4 == 0 and len(rows) < m:  # a quarter name a backup (ranked delegations)
                rows.append({"delegator_id": u, "delegate_id": backup, "scope_kind": "global", "scope_key": 0, "rank": 2})
        db.session.execute(insert(Delegation), rows)
        now = utcnow()
        vote = services.create_vote(db.session, None, services.VoteData(
            title="Bench vote", description="", rule=VoteRule(args.rule), seats=3 if args.rule == "stv" else 1, place=district,
            opens_at=now - timedelta(days=2), closes_at=now - timedelta(days=1),
            options=["Alpha", "Bravo", "Charlie", "Delta", "Echo"]), seed=1)
        options = [o.id for o in vote.options]
        pop = np.array([0.3, 0.25, 0.2, 0.15, 0.1])
        ballots, marks = [], []
        key = secrecy.ballot_key()
        for u in voters.tolist():
            order = rng.choice(len(options), size=int(rng.integers(1, 6)), replace=False, p=pop)
            marks.append({"vote_id": vote.id, "voter_id": u, "channel": "online", "marked_at": now - timedelta(days=1, hours=1)})
            ballots.append({"id": secrecy.random_id(), "vote_id": vote.id, "token": secrecy.token(secrecy.VOTE, vote.id, u, key),
                            "ranking": ",".join(str(options[j]) for j in order), "cast_on": (now - timedelta(days=1)).date()})
        db.session.execute(insert(VoteRegister), marks)
        db.session.execute(insert(VoteBallot), ballots)
        db.session.execute(text("SELECT setval('users_id_seq', :n)"), {"n": n})
        db.session.commit()
        db.session.execute(text("ANALYZE"))
        n_deleg = db.session.execute(select(db.func.count(Delegation.id))).scalar_one()
        print(f"setup: {n:,} members, {len(voters):,} ballots, {n_deleg:,} delegations in {time.perf_counter() - t:.1f} s")

        vote = db.session.get(Vote, vote.id)
        reads = []
        for _ in range(3):  # the best of three, so a cold cache does not flatter the ratio
            t = time.perf_counter()
            read = db.session.execute(select(VoteBallot.token, VoteBallot.ranking).where(VoteBallot.vote_id == vote.id)).all()
            reads.append(time.perf_counter() - t)
            db.session.rollback()
        t_read = min(reads)
        vote = db.session.get(Vote, vote.id)
        timing: list[counting.Timing] = []
        t = time.perf_counter()
        count = counting.close_vote(db.session, None, vote, timing=timing)
        db.session.commit()
        t_close = time.perf_counter() - t
        parts = timing[0]
        core = parts.snapshot + parts.resolve + parts.count
        print(f"read the ballots alone ({len(read):,} rows):  {t_read:7.3f} s")
        print(f"close: read {parts.read:.3f} s, snapshot {parts.snapshot:.3f} s, resolve {parts.resolve:.3f} s, "
              f"count ({args.rule}) {parts.count:.3f} s")
        print(f"snapshot + resolve + count: {core:7.3f} s  = {core / t_read:5.1f} x reading the ballots "
              f"(goal < 5 s: {'met' if core < 5 else 'NOT met'})")
        print(f"whole close (with storing the result and the audit entry): {t_close:.3f} s")
        import json

        figures = json.loads(count.figures_json)
        print(f"electorate {figures['electorate']:,}, direct {figures['direct']:,}, delegated {figures['delegated']:,}, "
              f"abstained {figures['abstained']:,} (cycle {figures['uncast']['cycle']:,}), elected {json.loads(count.result_json)['elected']}")
        db.session.close()
        db.drop_all()


if __name__ == "__main__":
    main()
