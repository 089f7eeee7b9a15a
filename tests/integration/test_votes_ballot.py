"""The ranked ballot through its real pages: server-side validation (repeated ranks, gaps closed, partial
rankings, a blank ballot only on purpose), the "check my ballot" step, replacing with old and new shown,
receipts (a replaced one says so), one ballot per person by database constraint, and officer-keyed ballots."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from app.auth.models import Role
from app.core.models import AuditEntry
from app.extensions import db
from app.voting import services
from app.voting.models import VoteBallot
from tests.factories import PASSWORD, make_user
from tests.factories_votes import OUTSIDE_POSTCODE, cambs, make_vote, resident  # noqa: F401  (cambs is a fixture)

pytestmark = pytest.mark.usefixtures("cambs")


def _ranks(vote, **by_title):  # type: ignore[no-untyped-def]
    ids = {o.title: o.id for o in vote.options}
    return {f"rank_{ids[t.replace('_', ' ')]}": str(r) for t, r in by_title.items()}


def _checked(html: str) -> str:
    m = re.search(r'name="checked" type="hidden" value="([^"]*)"', html) or re.search(r'id="checked" name="checked" type="hidden" value="([^"]*)"', html)
    assert m, "no checked ranking on the page"
    return m.group(1)


def _sign_in(browser, user):  # type: ignore[no-untyped-def]
    browser.sign_in(user.email, PASSWORD)


def test_check_then_cast_then_replace_with_old_and_new_shown(browser):
    vote = make_vote()
    voter = resident("Vera")
    _sign_in(browser, voter)
    url = f"/votes/{vote.id}/ballot"
    html = browser.submit(url, {**_ranks(vote, Play_area=1, Library_hub=3), "check": "1"}).get_data(as_text=True)
    assert "Check your ballot" in html and "we closed the gaps in order" in html
    assert html.index("Play area</li>") < html.index("Library hub</li>")
    html = browser.submit(url, {**_ranks(vote, Play_area=1, Library_hub=3), "checked": _checked(html), "cast": "1"}).get_data(as_text=True)
    assert "Your ballot is recorded" in html
    code = re.search(r"<code>([A-Z2-9-]{19})</code>", html).group(1)
    ballot = services.ballot_of(db.session, voter, vote)
    assert ballot.option_ids == [o.id for o in vote.options if o.title in ("Play area", "Library hub")]
    # replacing: the check shows the ballot now and after
    html = browser.submit(url, {**_ranks(vote, Bus_shelter=1), "check": "1"}).get_data(as_text=True)
    assert "Your ballot now and the ballot that will replace it" in html
    row = re.search(r"<tr><th scope=\"row\">1</th><td>(.*?)</td><td>(.*?)</td></tr>", html)
    assert row.groups() == ("Play area", "Bus shelter")
    html = browser.submit(url, {**_ranks(vote, Bus_shelter=1), "checked": _checked(html), "cast": "1"}).get_data(as_text=True)
    assert "Your new ballot replaces the earlier one" in html
    new_code = re.search(r"<code>([A-Z2-9-]{19})</code>", html).group(1)
    old = browser.get(f"/votes/receipt?code={code}").get_data(as_text=True)
    assert "by a later ballot from the same voter" in old and "No ballot has this receipt code" not in old
    assert "Play area" not in old.split("<main")[1]
    assert "Yes, on" in browser.get(f"/votes/receipt?code={new_code.lower()}").get_data(as_text=True)
    assert db.session.execute(select(VoteBallot).where(VoteBallot.vote_id == vote.id)).scalars().all().__len__() == 1


def test_server_side_validation(browser):
    vote = make_vote()
    _sign_in(browser, resident())
    url = f"/votes/{vote.id}/ballot"
    html = browser.submit(url, {**_ranks(vote, Play_area=1, Bus_shelter=1), "check": "1"}).get_data(as_text=True)
    assert "There is a problem" in html and "You gave the same rank to Play area, Bus shelter" in html
    assert 'aria-invalid="true"' in html and "Cast ballot" not in html
    html = browser.submit(url, {"check": "1"}).get_data(as_text=True)
    assert "You have not ranked any option" in html
    html = browser.submit(url, {"confirm_blank": "y", "check": "1"}).get_data(as_text=True)
    assert "You are casting a blank ballot" in html
    html = browser.submit(url, {"confirm_blank": "y", "checked": _checked(html), "cast": "1"}).get_data(as_text=True)
    assert "Your ballot is recorded" in html
    html = browser.submit(url, {**_ranks(vote, Play_area=9), "check": "1"}).get_data(as_text=True)
    assert "There is a problem" in html
    # casting a ranking other than the one checked asks for a new check
    html = browser.submit(url, {**_ranks(vote, Play_area=1), "checked": "r:999", "cast": "1"}).get_data(as_text=True)
    assert "Your ranking changed since you checked it" in html


def test_who_may_vote(browser):
    vote = make_vote()
    assert "Sign in to vote" in browser.get(f"/votes/{vote.id}/ballot").get_data(as_text=True)
    _sign_in(browser, resident(postcode=OUTSIDE_POSTCODE))
    html = browser.get(f"/votes/{vote.id}/ballot").get_data(as_text=True)
    assert "This vote is for people who live in Fenland" in html and "Cast ballot" not in html


def test_one_ballot_per_person_is_a_database_constraint():
    vote = make_vote()
    voter = resident()
    db.session.add(VoteBallot(vote_id=vote.id, token=services.ballot_token(vote, voter.id), ranking=""))
    db.session.commit()
    db.session.add(VoteBallot(vote_id=vote.id, token=services.ballot_token(vote, voter.id), ranking=""))
    with pytest.raises(IntegrityError):
        db.session.commit()
    db.session.rollback()


def test_an_officer_keys_a_members_ballot_without_logging_its_content(browser):
    vote = make_vote()
    member = resident("Paper Voter")
    officer = make_user(Role.OFFICER)
    _sign_in(browser, officer)
    html = browser.submit(f"/votes/{vote.id}/assisted", {"member_email": "nobody@example.org", **_ranks(vote, Play_area=1)}).get_data(as_text=True)
    assert "No member has that email address" in html
    html = browser.submit(f"/votes/{vote.id}/assisted", {"member_email": member.email, **_ranks(vote, Library_hub=1, Play_area=2)}).get_data(as_text=True)
    assert "The member's ballot is recorded" in html
    assert services.ballot_of(db.session, member, vote) is not None
    assert services.register_mark(db.session, vote, member.id).channel == "assisted"
    entry = db.session.execute(select(AuditEntry).where(AuditEntry.action == "vote.assisted_ballot_keyed")).scalar_one()
    assert str(vote.options[0].id) not in entry.data_json.replace(f'"member_id":{member.id}', "")
    assert "ranking" not in entry.data_json


def test_twenty_concurrent_casts_by_one_member_leave_one_ballot_and_one_mark(app):  # type: ignore[no-untyped-def]
    """The first ballot's mark and ballot are INSERT … ON CONFLICT DO NOTHING: the casts that lose the race wait
    for the winner's commit, insert nothing and replace its ballot, each under the ballot's row lock."""
    import threading

    from sqlalchemy import func

    from app.auth.models import User
    from app.voting.models import Vote, VoteReceipt, VoteRegister

    if db.engine.dialect.name != "postgresql":
        pytest.skip("SQLite serialises writers on one file, so casts cannot truly race")
    vote = make_vote()
    voter = resident()
    vote_id, voter_id = vote.id, voter.id
    option_ids = [o.id for o in vote.options]
    barrier = threading.Barrier(20)
    errors: list[BaseException] = []
    codes: list[str] = []

    def cast(i: int) -> None:
        with app.app_context():
            try:
                barrier.wait(timeout=30)
                v, member = db.session.get(Vote, vote_id), db.session.get(User, voter_id)
                codes.append(services.cast_ballot(db.session, member, v, {option_ids[i % len(option_ids)]: 1}))
                db.session.commit()
            except BaseException as exc:  # noqa: BLE001 - reported below
                db.session.rollback()
                errors.append(exc)
            finally:
                db.session.remove()

    threads = [threading.Thread(target=cast, args=(i,)) for i in range(20)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert errors == [] and len(codes) == 20
    db.session.expire_all()
    ballot = db.session.execute(select(VoteBallot).where(VoteBallot.vote_id == vote_id)).scalar_one()
    assert ballot.replaced_count == 19
    assert db.session.scalar(select(func.count()).select_from(VoteRegister).where(VoteRegister.vote_id == vote_id)) == 1
    receipts = list(db.session.execute(select(VoteReceipt).where(VoteReceipt.vote_id == vote_id)).scalars())
    assert len(receipts) == 20 and sum(r.replaced_on is None for r in receipts) == 1
