"""The ``pb`` sub-command, driven through its own argparse parser."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import pytest

from app.tally import cli_pb

DATA = Path(__file__).resolve().parents[3].parent / "shared" / "data" / "pabulib"

SMALL = """META
key;value
budget;100
vote_type;approval
rule;greedy
PROJECTS
project_id;cost;name;selected
a;60;Park;1
b;50;Bench;0
c;30;Tree;1
VOTES
voter_id;vote
1;a,b
2;a,b,c
"""


def run(argv: list[str]) -> int:
    parser = argparse.ArgumentParser()
    sub = parser.add_subparsers(dest="command", required=True)
    cli_pb.register(sub)
    args = parser.parse_args(argv)
    code: int = args.func(args)
    return code


def test_human_output(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    f = tmp_path / "small.pb"
    f.write_text(SMALL, encoding="utf-8")
    assert run(["pb", str(f)]) == 0
    out = capsys.readouterr().out
    # a and b tie on 2 votes: the PROJECTS order (a first) settles it, as pabulib's checker does
    assert "funded (2)" in out and "did-not-fit" in out and "money left: 10" in out
    assert "matches the file's 'selected' column: yes" in out
    assert run(["pb", str(f), "--greedy-ties", "cost-then-lot"]) == 0
    out = capsys.readouterr().out
    assert "money left: 20" in out and "matches the file's 'selected' column: NO" in out


def test_json_output_and_rule_override(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    f = tmp_path / "small.pb"
    f.write_text(SMALL, encoding="utf-8")
    assert (
        run(["pb", str(f), str(f), "--json", "--rule", "equal-shares", "--completion", "add1", "--seed", "3"])
        == 0
    )
    lines = capsys.readouterr().out.strip().splitlines()
    assert len(lines) == 2
    obj = json.loads(lines[0])
    for key in ("file", "rule", "selected", "rounds", "input_sha256", "lots"):
        assert key in obj
    assert obj["rule"] == "equal-shares" and obj["completion"] == "add1"


def test_check_flag(tmp_path: Path) -> None:
    f = tmp_path / "small.pb"
    f.write_text(SMALL.replace("b;50;Bench;0", "b;50;Bench;1"), encoding="utf-8")
    assert run(["pb", str(f), "--check", "--json"]) == 1


def test_main_entry_point(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    main = pytest.importorskip("app.tally.__main__")
    f = tmp_path / "bad.pb"
    f.write_text(SMALL.replace("2;a,b,c", "2;a,z"), encoding="utf-8")
    assert main.main(["pb", str(f)]) == 2
    assert "unknown project 'z'" in capsys.readouterr().err


@pytest.mark.skipif(not DATA.is_dir(), reason=f"pabulib sample data not found at {DATA}")
def test_real_files_check(capsys: pytest.CaptureFixture[str]) -> None:
    files = sorted(str(p) for p in DATA.glob("*.pb") if "Wieliczka" not in p.name)
    assert run(["pb", *files, "--json", "--check"]) == 0
    for line in capsys.readouterr().out.splitlines():
        assert json.loads(line)["matches_selected"] is True
