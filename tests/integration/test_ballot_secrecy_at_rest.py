"""Ballot secrecy at rest: a dump of every table, as text, holds no ballot that can be joined to a person
without the server's secret; with the secret, the server finds a resident's own ballot.

The register (who voted, how, when) and the ballot box (what was chosen) share no column: no voter id, no
foreign key to accounts, no time of day, no channel, and ids that do not follow the order of voting.  The box's
token is HMAC-SHA256(secret, scope:id:voter): recomputing it without the secret (unkeyed, or under a guessed
key) matches nothing."""

from __future__ import annotations

import hashlib
import hmac
from datetime import datetime, time

import pytest
from sqlalchemy import DateTime, select

from app.auth.models import Role
from app.budgets import services
from app.budgets.models import BudgetRegister
from app.core import secrecy
from app.core.db import utcnow
from app.extensions import db
from app.voting import services as vote_services
from app.voting.models import VoteRegister
from tests.factories import make_user
from tests.factories_budgets import cambs, issue_papers, make_budget  # noqa: F401  (cambs is a fixture)
from tests.factories_votes import make_vote, resident

pytestmark = pytest.mark.usefixtures("cambs")

BALLOT_BOX = {"budget_ballots", "budget_ballot_choices", "budget_replaced_receipts", "vote_ballots", "vote_receipts"}


def _dump() -> dict[str, list[dict[str, object]]]:
    """Every table, every row, as a reader of a backup would see it."""
    out = {}
    with db.engine.connect() as conn:
        for table in db.metadata.sorted_tables:
            out[table.name] = [dict(r._mapping) for r in conn.execute(select(table))]
    return out


def _text(dump: dict[str, list[dict[str, object]]]) -> str:
    return "\n".join(f"{name}: " + ", ".join(f"{k}={v}" for k, v in row.items()) for name, rows in dump.items() for row in rows)


def _vote_everywhere():  # type: ignore[no-untyped-def]
    _, heading = make_budget()
    officer = make_user(Role.OFFICER)
    voters = [make_user(postcode="PE13 1AG") for _ in range(20)]
    for i, voter in enumerate(voters):
        services.cast_ballot(db.session, voter, heading, {heading.projects[i % 3].id: 1})
    services.cast_ballot(db.session, voters[0], heading, {heading.projects[2].id: 1})  # replaced
    papers = issue_papers(heading, 2)
    batch = services.create_batch(db.session, officer, heading, 1, 2)
    rows = [services.PaperRow({heading.projects[0].id: 1}), services.PaperRow({}, spoilt=True)]
    services.key_batch(db.session, officer, batch, rows)
    services.key_batch(db.session, make_user(Role.OFFICER), batch, rows)
    services.accept_batch(db.session, officer, batch)
    vote = make_vote()
    members = [resident() for _ in range(6)]
    for i, member in enumerate(members[:5]):
        vote_services.cast_ballot(db.session, member, vote, {vote.options[i % 3].id: 1})
    vote_services.cast_ballot(db.session, members[0], vote, {vote.options[2].id: 1})  # replaced
    vote_services.cast_assisted(db.session, officer, members[5], vote, {vote.options[1].id: 1, vote.options[0].id: 2})
    db.session.commit()
    return heading, voters, papers, vote, members


def test_a_dump_cannot_join_a_ballot_to_a_person_without_the_secret(app):  # type: ignore[no-untyped-def]
    heading, voters, _papers, vote, members = _vote_everywhere()
    dump = _dump()
    text = _text(dump)
    assert len(dump["budget_register"]) == 22 and len(dump["vote_register"]) == 6  # who voted is there, for officers

    # no ballot-box table points at an account, names a voter, a channel or a time of day
    for table in db.metadata.sorted_tables:
        if table.name not in BALLOT_BOX:
            continue
        assert not [fk for fk in table.foreign_keys if fk.column.table.name == "users"], table.name
        assert not {"voter_id", "user_id", "channel"} & set(table.c.keys()), table.name
        for column in table.c:
            if isinstance(column.type, DateTime):
                assert all(row[column.name] is None or row[column.name].time() == time(0) for row in dump[table.name]), column
    # the box's order is not the order of voting (random ids), so it cannot be lined up with the register
    marked = [r["voter_id"] for r in sorted(dump["budget_register"], key=lambda r: (r["marked_at"], r["id"])) if r["channel"] == "online"]
    by_id = [r["token"] for r in sorted(dump["budget_ballots"], key=lambda r: r["id"]) if r["token"]]
    tokens = [secrecy.token(secrecy.BUDGET, heading.id, v) for v in marked]
    assert sorted(by_id) == sorted(tokens) and by_id != tokens
    assert all(r["id"] > 2**32 for r in dump["budget_ballots"] + dump["vote_ballots"])

    # without the secret: neither an unkeyed hash nor a guessed key reproduces any token
    everyone = [(secrecy.BUDGET, heading.id, v.id) for v in voters] + [(secrecy.VOTE, vote.id, m.id) for m in members]
    for key in (b"", b"secret", b"folkmoot", b"dev-only-not-secret"):
        for scope, obj, voter in everyone:
            assert hmac.new(key, f"{scope}:{obj}:{voter}".encode(), hashlib.sha256).hexdigest() not in text
    for scope, obj, voter in everyone:
        assert hashlib.sha256(f"{scope}:{obj}:{voter}".encode()).hexdigest() not in text

    # with the secret, the server finds each resident's own ballot, and only theirs
    for scope, obj, voter in everyone:
        assert secrecy.token(scope, obj, voter) in text
    ballot = services.ballot_of(db.session, voters[0], heading)
    assert [c.project_id for c in ballot.choices] == [heading.projects[2].id]
    mine = vote_services.ballot_of(db.session, members[5], vote)
    assert mine.option_ids == [vote.options[1].id, vote.options[0].id]
    assert vote_services.ballot_of(db.session, make_user(postcode="PE15 8AH"), vote) is None


def test_ballots_keep_the_day_only_and_receipts_no_time(app):  # type: ignore[no-untyped-def]
    heading, voters, _papers, vote, members = _vote_everywhere()
    mark = db.session.execute(select(BudgetRegister).where(BudgetRegister.voter_id == voters[3].id)).scalar_one()
    ballot = services.ballot_of(db.session, voters[3], heading)
    assert ballot.cast_on == mark.marked_at.date() and not hasattr(ballot, "cast_at")
    vmark = db.session.execute(select(VoteRegister).where(VoteRegister.voter_id == members[5].id)).scalar_one()
    assert vmark.channel == "assisted" and vmark.issued_by_id is not None
    code = vote_services.cast_ballot(db.session, members[1], vote, {vote.options[0].id: 1})
    status = vote_services.check_receipt(db.session, code)
    assert status.recorded_at == utcnow().date() and not isinstance(status.recorded_at, datetime)


def test_rekey_moves_every_token_to_a_new_secret(app, monkeypatch):  # type: ignore[no-untyped-def]
    heading, voters, _papers, vote, members = _vote_everywhere()
    runner = app.test_cli_runner()
    monkeypatch.setenv("NEW_BALLOT_SECRET", "short")
    assert runner.invoke(args=["ballots", "rekey"]).exit_code == 2
    new = "a-new-ballot-secret-of-more-than-32-characters"
    monkeypatch.setenv("NEW_BALLOT_SECRET", new)
    result = runner.invoke(args=["ballots", "rekey"])
    assert result.exit_code == 0, result.output
    assert "Re-keyed 20 budget ballots and 6 ranked ballots" in result.output
    db.session.expire_all()
    assert services.ballot_of(db.session, voters[0], heading) is None  # the old key no longer finds it
    monkeypatch.setitem(app.config, "BALLOT_SECRET", new)
    assert [c.project_id for c in services.ballot_of(db.session, voters[0], heading).choices] == [heading.projects[2].id]
    assert vote_services.ballot_of(db.session, members[5], vote) is not None
    # counting joins the register to the box through the new key
    from app.voting.counting import _voters

    assert len(_voters(db.session, vote)) == 6
    # run again with the old key configured: the tokens match no one, and nothing changes
    monkeypatch.setitem(app.config, "BALLOT_SECRET", None)
    monkeypatch.setenv("NEW_BALLOT_SECRET", new + "-again")
    result = runner.invoke(args=["ballots", "rekey"])
    assert result.exit_code == 1 and "do not match the register" in result.output
