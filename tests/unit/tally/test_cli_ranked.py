"""The ranked recount CLI, driven through a parser built here (``__main__`` also needs ``cli_pb``)."""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from pathlib import Path

import pytest

from app.tally import cli_ranked
from app.tally.records import InputError, sha256_bytes

DATA = Path(__file__).resolve().parents[3] / ".." / "shared" / "data" / "blt"

BLT = """4 2
3 1 2 0
2 2 0
1 3 1 2 0
2 4 3 0
0
"Ann"
"Bob"
"Cat"
"Dan"
"Test"
"""


def run(argv: list[str]) -> int:
    parser = argparse.ArgumentParser()
    sub = parser.add_subparsers(dest="command", required=True)
    cli_ranked.register(sub)
    args = parser.parse_args(argv)
    code: int = args.func(args)
    return code


@pytest.fixture
def blt(tmp_path: Path) -> Path:
    path = tmp_path / "test.blt"
    path.write_text(BLT)
    return path


@pytest.mark.parametrize("rule", ["irv", "stv", "schulze"])
def test_json_output(rule: str, blt: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert run([rule, "--json", "--seed", "5", str(blt), str(blt)]) == 0
    lines = capsys.readouterr().out.strip().splitlines()
    assert len(lines) == 2
    record = json.loads(lines[0])
    for key in ("file", "rule", "elected", "rounds", "input_sha256", "lots"):
        assert key in record
    assert record["file"] == str(blt)
    assert record["input_sha256"] == sha256_bytes(blt.read_bytes())
    assert record["seed"] == 5
    if rule == "irv":
        assert record["elected"] == [record["winner"]]
    if rule == "stv":
        assert record["rule"] == "stv-scottish"
        assert len(record["elected"]) == 2
        assert record["quota"] == 8 // 3 + 1


def test_text_output(blt: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert run(["stv", str(blt)]) == 0
    out = capsys.readouterr().out
    assert "quota 3" in out and "elected (in order):" in out
    assert run(["irv", str(blt)]) == 0
    assert "winner:" in capsys.readouterr().out
    assert run(["schulze", str(blt)]) == 0
    assert "ranking:" in capsys.readouterr().out


def test_seats_override(blt: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert run(["stv", "--json", "--seats", "1", str(blt)]) == 0
    record = json.loads(capsys.readouterr().out)
    assert record["seats"] == 1 and len(record["elected"]) == 1
    with pytest.raises(InputError):
        run(["stv", "--seats", "0", str(blt)])


def test_bad_input_gives_an_error_line_and_exit_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    bad = tmp_path / "bad.blt"
    bad.write_text("2 1\n1 5 0\n0\nA\nB\n")
    assert run(["irv", str(bad)]) == 2
    err = capsys.readouterr().err
    assert f"error: {bad}:2: expected candidate numbers from 1 to 2, found 5" in err
    assert run(["irv", "--json", str(bad)]) == 2
    assert json.loads(capsys.readouterr().out) == {
        "file": str(bad),
        "error": "line 2: expected candidate numbers from 1 to 2, found 5",
        "line": 2,
    }


@pytest.mark.parametrize("rule", ["irv", "stv", "schulze"])
def test_batch_carries_on_past_unreadable_files(
    rule: str, blt: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    broken = tmp_path / "broken.blt"
    broken.write_text('4 2\n3 1 2 0\n2 2 0\n0\n"Ann"\n"Bob"\n')  # two of four names
    quirky = tmp_path / "quirky.blt"
    quirky.write_bytes(
        b'\xef\xbb\xbf4 2,\r\n3, 1, 2, 0\r\n2 4 0\r\n0\r\n"Ann" "Red"\r\n"Bob"\r\nCat\r\nDan\r\n'
    )
    missing = tmp_path / "missing.blt"
    files = [str(blt), str(broken), str(missing), str(quirky), str(blt)]
    assert run([rule, "--json", *files]) == 2
    captured = capsys.readouterr()
    records = [json.loads(line) for line in captured.out.splitlines()]
    assert [r["file"] for r in records] == files
    assert records[1] == {
        "file": str(broken),
        "error": "line 6: expected 4 candidate names after the ballots, one per line, found 2 lines",
        "line": 6,
    }
    assert set(records[2]) == {"file", "error", "line"} and records[2]["line"] is None
    assert records[3]["candidates"] == ["Ann (Red)", "Bob", "Cat", "Dan"]
    assert records[0]["elected"] and records[0] == records[4]
    assert "error" not in records[0] and "error" not in records[3]
    assert f"error: {broken}:6:" in captured.err and f"error: {missing}:" in captured.err
    assert "2 of 5 file(s) could not be counted" in captured.err
    # text output: every readable file is still counted and printed
    assert run([rule, *files]) == 2
    captured = capsys.readouterr()
    assert captured.out.count("== ") == 3
    assert f"== {quirky}" in captured.out


def test_batch_of_good_files_exits_0(blt: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert run(["stv", str(blt), str(blt)]) == 0
    assert capsys.readouterr().err == ""


@pytest.mark.skipif(not DATA.is_dir(), reason=f"real BLT data not found at {DATA}")
def test_real_files_json(capsys: pytest.CaptureFixture[str]) -> None:
    files = sorted(str(p) for p in DATA.glob("*.blt"))
    assert run(["stv", "--json", *files]) == 0
    records = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert [r["file"] for r in records] == files
    assert all(len(r["elected"]) == r["seats"] for r in records)


@pytest.mark.skipif(not DATA.is_dir(), reason=f"real BLT data not found at {DATA}")
@pytest.mark.parametrize("rule", ["irv", "stv", "schulze"])
def test_real_files_with_a_broken_file_in_the_middle(
    rule: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    real = sorted(str(p) for p in DATA.glob("*.blt"))
    broken = tmp_path / "broken.blt"
    broken.write_text("3 1\n2 1 2\n0\nA\nB\nC\n")  # a ballot line without its closing 0
    files = real[: len(real) // 2] + [str(broken)] + real[len(real) // 2 :]
    assert run([rule, "--json", *files]) == 2
    records = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert [r["file"] for r in records] == files
    failed = [r for r in records if "error" in r]
    assert failed == [{"file": str(broken), "error": failed[0]["error"], "line": 2}]
    assert "ending with 0" in failed[0]["error"]
    assert run([rule, "--json", *real]) == 0
    alone = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert [r for r in records if "error" not in r] == alone


REPO = Path(__file__).resolve().parents[3]


@pytest.mark.skipif(not (REPO / "app" / "tally" / "cli_pb.py").exists(), reason="cli_pb.py not written yet")
def test_python_m_app_tally_end_to_end(blt: Path, tmp_path: Path) -> None:
    ok = subprocess.run(
        [sys.executable, "-m", "app.tally", "stv", "--json", str(blt)],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert ok.returncode == 0, ok.stderr
    assert json.loads(ok.stdout)["rule"] == "stv-scottish"
    bad = tmp_path / "bad.blt"
    bad.write_text("2 1\n1 1 2\n0\nA\nB\n")
    failed = subprocess.run(
        [sys.executable, "-m", "app.tally", "irv", str(bad)],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert failed.returncode == 2
    assert "bad.blt:2" in failed.stderr
    batch = subprocess.run(
        [sys.executable, "-m", "app.tally", "irv", "--json", str(blt), str(bad), str(blt)],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert batch.returncode == 2
    records = [json.loads(line) for line in batch.stdout.splitlines()]
    assert [sorted(r) == ["error", "file", "line"] for r in records] == [False, True, False]
    assert records[0]["winner"] == records[2]["winner"]
