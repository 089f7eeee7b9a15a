"""Migration h5a0register: ballots stored with voter ids survive the upgrade, each voter marked on the register
and each ballot carrying the right token (random id, day only, choices and receipts still attached); the
downgrade puts the voter ids back.  SQLite, and PostgreSQL in a database of its own."""

from __future__ import annotations

from datetime import date, datetime

from flask_migrate import downgrade, upgrade
from sqlalchemy import Boolean, Date, DateTime, Integer, MetaData, String, Text, insert, inspect, text

from app import create_app
from app.core import secrecy
from app.extensions import db
from tests.integration.test_migrations import fresh_database  # noqa: F401  (a fixture)

WHEN = datetime(2026, 11, 3, 14, 25, 7)


def _dummy(column):  # type: ignore[no-untyped-def]
    kind = type(column.type)
    if issubclass(kind, Boolean):
        return False
    if issubclass(kind, DateTime):
        return WHEN
    if issubclass(kind, Date):
        return WHEN.date()
    if issubclass(kind, Integer):
        return 1
    if issubclass(kind, (String, Text)):
        return "x"
    raise AssertionError(f"no dummy for {column}")


def _add(conn, meta: MetaData, table: str, **values: object) -> int:  # type: ignore[no-untyped-def]
    """Insert a row giving every required column a value (explicit ones win) and return its id."""
    t = meta.tables[table]
    row = {c.name: _dummy(c) for c in t.c if not c.nullable and c.server_default is None and not c.primary_key}
    row.update(values)
    return conn.execute(insert(t).values(**row).returning(t.c.id)).scalar_one()


def test_existing_ballots_survive_the_upgrade_with_correct_tokens(fresh_database):  # type: ignore[no-untyped-def]  # noqa: F811
    application = create_app("testing", {"SQLALCHEMY_DATABASE_URI": fresh_database})
    with application.app_context():
        upgrade(revision="h2a0votes")
        meta = MetaData()
        meta.reflect(db.engine)
        with db.engine.begin() as conn:
            place = _add(conn, meta, "places", code="E07000010", name="Fenland", kind="district")
            users = [_add(conn, meta, "users", email=f"v{i}@example.org", home_place_id=place) for i in range(3)]
            process = _add(conn, meta, "budget_processes", place_id=place, phase="balloting")
            heading = _add(conn, meta, "budget_headings", process_id=process, place_id=place)
            project = _add(conn, meta, "budget_projects", heading_id=heading)
            online = [_add(conn, meta, "budget_ballots", heading_id=heading, voter_id=u, channel="online", cast_at=WHEN,
                           receipt_hash=f"r{u}") for u in users[:2]]
            paper = _add(conn, meta, "budget_ballots", heading_id=heading, voter_id=None, channel="paper", cast_at=WHEN)
            for b in online + [paper]:
                _add(conn, meta, "budget_ballot_choices", ballot_id=b, project_id=project, points=1)
            vote = _add(conn, meta, "votes", place_id=place, rule="irv", opens_at=WHEN, closes_at=datetime(2026, 12, 1), state="open")
            ranked = _add(conn, meta, "vote_ballots", vote_id=vote, voter_id=users[2], ranking="7,8", channel="assisted", cast_at=WHEN)
            _add(conn, meta, "vote_receipts", receipt_hash="h1", vote_id=vote, ballot_id=ranked, channel="assisted", issued_at=WHEN)
        upgrade()

        key = secrecy.ballot_key()
        with db.engine.connect() as conn:
            register = sorted(conn.execute(text("SELECT voter_id, channel, marked_at FROM budget_register")).all())
            assert [(v, c) for v, c, _t in register] == [(users[0], "online"), (users[1], "online")]
            assert all(str(t).startswith("2026-11-03 14:25:07") for _v, _c, t in register)
            ballots = conn.execute(text("SELECT id, token, cast_on, paper_batch_id FROM budget_ballots")).all()
            tokens = {t for _i, t, _d, _b in ballots}
            assert tokens == {secrecy.token("budget", heading, users[0], key), secrecy.token("budget", heading, users[1], key), None}
            assert all(str(d) == "2026-11-03" for _i, _t, d, _b in ballots)
            ids = {i for i, *_ in ballots}
            assert all(i > 2**32 for i in ids) and not ids & set(online + [paper])
            choices = conn.execute(text("SELECT ballot_id FROM budget_ballot_choices")).scalars().all()
            assert sorted(choices) == sorted(ids)
            assert conn.execute(text("SELECT voter_id, channel FROM vote_register")).all() == [(users[2], "assisted")]
            (vid, vtoken, ranking), = conn.execute(text("SELECT id, token, ranking FROM vote_ballots")).all()
            assert vtoken == secrecy.token("vote", vote, users[2], key) and ranking == "7,8" and vid > 2**32
            receipt = conn.execute(text("SELECT ballot_id, issued_on, replaced_on FROM vote_receipts")).one()
            assert receipt[0] == vid and str(receipt[1]) == "2026-11-03" and receipt[2] is None
            assert "voter_id" not in {c["name"] for c in inspect(conn).get_columns("budget_ballots")}
        runner = application.test_cli_runner()
        assert runner.invoke(args=["db", "check"]).exit_code == 0

        downgrade(revision="h2a0votes")
        with db.engine.connect() as conn:
            rows = sorted(conn.execute(text("SELECT voter_id, channel FROM budget_ballots")).all(), key=lambda r: (r[0] is None, r[0] or 0))
            assert rows == [(users[0], "online"), (users[1], "online"), (None, "paper")]
            assert conn.execute(text("SELECT voter_id, channel FROM vote_ballots")).all() == [(users[2], "assisted")]
            assert conn.execute(text("SELECT COUNT(*) FROM budget_ballot_choices")).scalar_one() == 3
            receipt = conn.execute(text("SELECT ballot_id, channel, issued_at FROM vote_receipts")).one()
            assert receipt[0] == conn.execute(text("SELECT id FROM vote_ballots")).scalar_one() and receipt[1] == "assisted"
            assert str(receipt[2]).startswith(str(date(2026, 11, 3)))
        upgrade()
        db.session.remove()
