"""The delegate's vote shown to their delegators, recommendation mode, "your delegate voted", closing and
publishing through the officer's pages, the result page (rounds chart and table, turnout, delegated share,
largest weights named only when public), the BLT download and the CLI (list, result, export + recount)."""

from __future__ import annotations

import json
import re

import pytest

from app.auth.models import Role
from app.delegation import services as delegation
from app.extensions import db
from app.tally.__main__ import main as tally_main
from app.voting.models import VoteRule
from tests.factories import PASSWORD, make_user
from tests.factories_votes import cambs, cast, close, close_and_publish, delegate, make_vote, offer, resident  # noqa: F401

pytestmark = pytest.mark.usefixtures("cambs")


def _sign_in(browser, user):  # type: ignore[no-untyped-def]
    browser.sign_in(user.email, PASSWORD)


def test_delegators_see_their_delegates_vote_and_can_start_their_own_from_it(browser):
    d = offer(resident("Delegate Dora"))
    member = resident("Mo")
    other = resident("Other")
    delegation.update_prefs(db.session, member, True, False, False)
    db.session.commit()
    delegate(member, d)
    vote = make_vote()
    cast(d, vote, "Library hub", "Play area")
    _sign_in(browser, member)
    notes = browser.get("/deliberation/notifications").get_data(as_text=True)
    assert "Your delegate voted in “Which should come first?”." in notes
    html = browser.get(f"/votes/{vote.id}/delegate").get_data(as_text=True)
    assert "Your vote is cast by Delegate Dora" in html
    assert html.index("<li>Library hub</li>") < html.index("<li>Play area</li>")
    html = browser.get(f"/votes/{vote.id}/ballot?from=delegate").get_data(as_text=True)
    assert "This starts from your delegate's ranking" in html
    lib = next(o.id for o in vote.options if o.title == "Library hub")
    assert re.search(r'<option selected value="1">1st</option>', html.split(f'id="rank_{lib}"')[1].split("</select>")[0])
    browser.sign_out()
    _sign_in(browser, other)  # not a delegator: sees nothing of Dora's ballot
    html = browser.get(f"/votes/{vote.id}/delegate").get_data(as_text=True)
    assert "Library hub</li>" not in html and "No delegate's ballot casts your vote" in html


def test_close_publish_and_result_page(browser):
    public_d = offer(resident("Public Pat"), name_in_results=True)
    quiet_d = offer(resident("Quiet Quinn"))
    for i in range(3):
        delegate(resident(f"P{i}"), public_d)
    for i in range(2):
        delegate(resident(f"Q{i}"), quiet_d)
    vote = make_vote(weight_cap=3)
    cast(public_d, vote, "Play area")
    cast(quiet_d, vote, "Bus shelter")
    cast(resident("Solo"), vote, "Library hub", "Bus shelter")
    officer = make_user(Role.OFFICER)
    _sign_in(browser, officer)
    html = browser.submit(f"/votes/{vote.id}/close", {}).get_data(as_text=True)
    assert "closes on" in html  # not yet: its closing time is in the future
    close(vote, officer)
    html = browser.get(f"/votes/{vote.id}/publish").get_data(as_text=True)
    assert "Concentration of weight" in html and "Votes removed by the cap" in html
    assert browser.get(f"/votes/{vote.id}/ballots.blt").status_code == 404  # not before publishing
    html = browser.submit(f"/votes/{vote.id}/publish", {}).get_data(as_text=True)
    assert "The result is published." in html
    browser.sign_out()
    html = browser.get(f"/votes/{vote.id}/results").get_data(as_text=True)
    assert "<svg" in html and "Votes for each option in each round" in html and "Round 1" in html
    assert "Public Pat" in html and "Quiet Quinn" not in html and "A delegate who has not chosen to be named" in html
    assert "The cap removed 1 vote, counted as an abstention." in html
    assert "Represented by a delegate" in html
    assert "Which should come first? (Result published)" in browser.get("/places/E07000010").get_data(as_text=True)
    blt = browser.get(f"/votes/{vote.id}/ballots.blt")
    assert blt.status_code == 200 and blt.headers["Content-Disposition"].endswith(f'folkmoot-vote-{vote.id}.blt"')


@pytest.mark.parametrize("rule,seats", [(VoteRule.IRV, 1), (VoteRule.STV, 2), (VoteRule.SCHULZE, 1)])
def test_cli_export_recounts_exactly_the_published_result(app, tmp_path, capsys, rule, seats):
    d = offer(resident("D"))
    for i in range(4):
        delegate(resident(f"M{i}"), d)
    vote = make_vote(("Alpha", "Beta", "Gamma", "Delta"), rule=rule, seats=seats, seed=5)
    cast(d, vote, "Beta", "Gamma")
    for i, ranking in enumerate([("Alpha", "Delta"), ("Gamma",), ("Alpha", "Beta", "Gamma"), ("Delta", "Alpha"), ()]):
        cast(resident(f"V{i}"), vote, *ranking)
    count = close_and_publish(vote)
    runner = app.test_cli_runner()
    listed = runner.invoke(args=["votes", "list", "--json"])
    assert listed.exit_code == 0
    assert json.loads(listed.output.splitlines()[0]) == {"id": vote.id, "title": vote.title, "rule": rule.value, "seats": seats,
                                                         "state": "published"}
    shown = runner.invoke(args=["votes", "result", str(vote.id), "--json"])
    assert shown.exit_code == 0, shown.output
    published = json.loads(shown.output)
    assert published == json.loads(count.result_json)
    path = tmp_path / f"folkmoot-vote-{vote.id}.blt"
    exported = runner.invoke(args=["votes", "export", str(vote.id), str(path)])
    assert exported.exit_code == 0, exported.output
    assert "Voter" not in path.read_text() and "M0" not in path.read_text()
    capsys.readouterr()
    tally_rule = {"irv": "irv", "stv": "stv", "schulze": "schulze"}[rule.value]
    assert tally_main([tally_rule, str(path), "--json", "--seed", str(vote.seed)]) == 0
    recount = json.loads(capsys.readouterr().out.strip())
    recount["file"] = published["file"] = None
    assert recount == published
    total = 5 + 5  # D carries 5 (own + 4 delegators), plus five direct voters (one blank)
    weights = [int(line.split()[0]) for line in path.read_text().splitlines()[1:] if line.strip() and line.strip() != "0"
               and not line.startswith('"')]
    assert sum(weights) == total


def test_cli_refuses_an_unpublished_vote(app):
    vote = make_vote()
    cast(resident(), vote, "Play area")
    close(vote)
    result = app.test_cli_runner().invoke(args=["votes", "result", str(vote.id), "--json"])
    assert result.exit_code == 1 and "no published result" in result.output
