"""One-time tokens on create forms (issue 13, item 4): the same form sent twice creates one row and the second
sending is shown the first result; a racing second sending waits on the token's unique constraint
(PostgreSQL) and then gets the first result too."""

from __future__ import annotations

import re
import threading

import pytest
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from app.core.models import FormSubmission
from app.deliberation.models import Comment, Debate
from app.extensions import db
from app.proposals.models import Proposal
from tests.conftest import csrf_from
from tests.factories import PASSWORD, make_user
from tests.factories_deliberation import make_proposal
from tests.factories_proposals import World, login_as, world_fixture  # noqa: F401  (world is a fixture)

ONCE_RE = re.compile(r'<input[^>]*name="once_token"[^>]*value="([^"]+)"|<input[^>]*value="([^"]+)"[^>]*name="once_token"')


def _tokens(html: str) -> dict[str, str]:
    match = ONCE_RE.search(html)
    assert match, "the create form carries a one-time token"
    return {"csrf_token": csrf_from(html), "once_token": next(g for g in match.groups() if g)}


def _count(model) -> int:  # type: ignore[no-untyped-def]
    return db.session.execute(select(func.count(model.id))).scalar_one()


def test_the_proposal_form_sent_twice_makes_one_draft(browser, world: World):
    login_as(browser.client, world.author)
    data = {**_tokens(browser.get("/proposals/new").get_data(as_text=True)), "title": "Benches", "summary": "S", "need": "N",
            "solution": "So", "place_id": world.place("T-NW").id, "cost_estimate": "", "offer_of_help": ""}
    first = browser.client.post("/proposals/new", data=data)
    second = browser.client.post("/proposals/new", data=data)
    assert first.status_code == second.status_code == 302 and first.location == second.location
    assert _count(Proposal) == 1
    assert "already been sent" in browser.get(second.location).get_data(as_text=True)


def test_a_comment_and_a_debate_sent_twice_are_posted_once(browser):
    author, priya = make_user(name="Ann Author"), make_user(name="Priya")
    proposal = make_proposal(author)
    browser.sign_in(priya.email, PASSWORD)
    page = browser.get(f"/proposals/{proposal.id}").get_data(as_text=True)
    data = {**_tokens(page), "body": "Yes please, by the pond.", "stance": "for"}
    url = f"/deliberation/proposals/{proposal.id}/comments"
    assert browser.client.post(url, data=data).status_code == 302
    again = browser.client.post(url, data=data, follow_redirects=True).get_data(as_text=True)
    assert "already been sent" in again and _count(Comment) == 1
    page = browser.get("/deliberation/debates/new").get_data(as_text=True)
    data = {**_tokens(page), "title": "Where should the bus stop go?", "body": "Let us talk about it."}
    before = _count(Debate)
    browser.client.post("/deliberation/debates/new", data=data)
    browser.client.post("/deliberation/debates/new", data=data)
    assert _count(Debate) == before + 1


def test_racing_sendings_of_one_form_act_once(app, world: World):  # type: ignore[no-untyped-def]
    """Two requests with the same token at the same moment: one inserts the token and creates the draft; the
    other's insert waits on the unique constraint, fails when the first commits, and redirects to its result."""
    if db.engine.dialect.name != "postgresql":
        pytest.skip("SQLite serialises writers on one file, so two sendings cannot truly race; "
                    "the token's unique constraint is checked in test_the_token_is_unique_in_the_database")
    client_a, client_b = app.test_client(), app.test_client()
    for c in (client_a, client_b):
        login_as(c, world.author)
    data = {**_tokens(client_a.get("/proposals/new").get_data(as_text=True)), "title": "Race", "summary": "S", "need": "N",
            "solution": "So", "place_id": world.place("T-NW").id, "cost_estimate": "", "offer_of_help": ""}
    data_b = {**data, "csrf_token": csrf_from(client_b.get("/proposals/new").get_data(as_text=True))}
    results: list[int] = []
    barrier = threading.Barrier(2)

    def send(client, payload):  # type: ignore[no-untyped-def]
        with app.app_context():
            barrier.wait()
            results.append(client.post("/proposals/new", data=payload).status_code)

    threads = [threading.Thread(target=send, args=(client_a, data)), threading.Thread(target=send, args=(client_b, data_b))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert results == [302, 302]
    assert db.session.execute(select(func.count(Proposal.id)).where(Proposal.title == "Race")).scalar_one() == 1


def test_the_token_is_unique_in_the_database(app):  # type: ignore[no-untyped-def]
    db.session.add(FormSubmission(token="t" * 32, endpoint="x", result_url="/"))
    db.session.flush()
    with pytest.raises(IntegrityError):
        with db.session.begin_nested():
            db.session.add(FormSubmission(token="t" * 32, endpoint="y", result_url="/"))
            db.session.flush()
    db.session.rollback()


def test_old_tokens_are_purged_by_the_command_and_recent_ones_kept(app):  # type: ignore[no-untyped-def]
    from datetime import timedelta

    from app.core.db import utcnow

    db.session.add_all([FormSubmission(token="old" * 8, endpoint="x", result_url="/", created_at=utcnow() - timedelta(days=40)),
                        FormSubmission(token="new" * 8, endpoint="x", result_url="/", created_at=utcnow() - timedelta(days=2))])
    db.session.commit()
    result = app.test_cli_runner().invoke(args=["forms", "purge", "--days", "30"])
    assert result.exit_code == 0 and "1 form tokens older than 30 days forgotten." in result.output
    db.session.expire_all()
    assert db.session.execute(select(FormSubmission.token)).scalars().all() == ["new" * 8]
    bad = app.test_cli_runner().invoke(args=["forms", "purge", "--days", "0"])
    assert bad.exit_code == 2 and "Invalid value" in bad.output
