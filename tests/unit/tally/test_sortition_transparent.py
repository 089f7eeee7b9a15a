"""The transparent lottery published before the ticket is drawn, and ``--lottery M --ticket N`` in the recount."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from app.tally.__main__ import main
from app.tally.records import InputError
from app.tally.sortition import select
from app.tally.sortition.transparent import (
    lottery_csv,
    lottery_sha256,
    parse_lottery_csv,
    probabilities_of,
    transparent_lottery,
)
from tests.unit.tally.test_sortition import meets, small_problem
from tests.unit.tally.test_sortition_cli import PEOPLE, SORTITION_ALGORITHMS, write


def test_the_published_list_is_the_one_select_draws_from() -> None:
    problem = small_problem()
    lottery = transparent_lottery(problem, 200)
    chosen = select(problem, seed="77", lottery=200)
    assert lottery.size == 200 and tuple(p for p, _ in chosen.distribution) == lottery.panels
    assert chosen.lottery_index is not None and lottery.panel(chosen.lottery_index) == chosen.panel
    assert dict(lottery.probabilities) == pytest.approx(dict(chosen.probabilities))
    assert lottery.max_change == pytest.approx(chosen.rounding_max_change)
    assert all(meets(problem, p) for p in lottery.panels)
    assert sum(lottery.probabilities.values()) == pytest.approx(problem.size)
    # the file round-trips and its hash is stable
    text = lottery_csv(lottery.panels)
    assert text.splitlines()[0].startswith("ticket,seat_1,") and len(text.splitlines()) == 201
    assert parse_lottery_csv(text) == lottery.panels and lottery.sha256 == lottery_sha256(lottery.panels)
    assert probabilities_of(lottery.panels, list(lottery.probabilities)) == dict(lottery.probabilities)
    assert transparent_lottery(problem, 200).sha256 == lottery.sha256


def test_tickets_and_methods_are_checked() -> None:
    problem = small_problem()
    lottery = transparent_lottery(problem, 10, method="maximin")
    with pytest.raises(InputError, match="from 1 to 10"):
        lottery.panel(11)
    with pytest.raises(InputError, match="leximin or maximin"):
        transparent_lottery(problem, 10, method="legacy")
    with pytest.raises(InputError, match="from 1 to"):
        transparent_lottery(problem, 0)
    with pytest.raises(InputError):
        parse_lottery_csv("id,x\n")


def test_cli_ticket_gives_that_ticket_and_writes_the_list(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    people = write(tmp_path, "people.csv", PEOPLE)
    cats = write(tmp_path, "cats.csv", SORTITION_ALGORITHMS)
    listing = tmp_path / "lottery.csv"
    argv = ["sortition", people, cats, "--size", "4", "--lottery", "50", "--ticket", "7", "--json",
            "--write-lottery", str(listing)]
    assert main(argv) == 0
    out = json.loads(capsys.readouterr().out)
    panels = parse_lottery_csv(listing.read_text(encoding="utf-8"))
    assert out["ticket"] == 7 and out["panels"] == 50 and out["panel"] == list(panels[6])
    assert out["lottery_sha256"] == lottery_sha256(panels) and out["rounding_max_change"] is not None
    assert main(argv[:-3] + ["--seed", "anything else", "--json"]) == 0  # the seed plays no part
    assert json.loads(capsys.readouterr().out)["panel"] == out["panel"]
    assert out["seed"] is None  # no seed is used
    assert main(["sortition", people, cats, "--size", "4", "--lottery", "50", "--ticket", "7",
                 "--household-columns", "address,postcode"]) == 0
    human = capsys.readouterr().out
    assert "ticket 7 drawn in public" in human and "ticket: 7 (no seed used)" in human
    assert "households with two or more pool members: 1 (2 people)" in human


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (["--ticket", "3"], "--ticket needs --lottery"),
        (["--lottery", "20", "--ticket", "21"], "from 1 to 20"),
        (["--lottery", "20", "--ticket", "0"], "from 1 to 20"),
        (["--lottery", "20", "--ticket", "2", "--method", "legacy"], "leximin or maximin"),
        (["--write-lottery", "x.csv"], "--write-lottery needs --ticket"),
    ],
)
def test_cli_ticket_errors(tmp_path: Path, capsys: pytest.CaptureFixture[str], extra: list[str], message: str) -> None:
    people = write(tmp_path, "people.csv", PEOPLE)
    cats = write(tmp_path, "cats.csv", SORTITION_ALGORITHMS)
    assert main(["sortition", people, cats, "--size", "4", *extra]) == 2
    err = capsys.readouterr().err
    assert message in err and "Traceback" not in err
