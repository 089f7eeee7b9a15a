"""``python -m app.tally invitations``: the re-run of an invitation lottery from its published address file."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from app.tally.__main__ import main
from app.tally.formats.addresses_csv import format_weights, parse_addresses, parse_weights, write_addresses
from app.tally.invitations import draw_invitations
from app.tally.records import InputError

ROOT = Path(__file__).resolve().parents[3]


def addresses_text(n: int = 60) -> str:
    return write_addresses([(f"H{i:06d}", ["E05000001", "E05000002", "E05000003"][i % 3], (i % 10) + 1 if i % 7 else None)
                            for i in range(1, n + 1)])


def run_json(argv: list[str], capsys: pytest.CaptureFixture[str]) -> dict[str, object]:
    assert main(argv) == 0
    out: dict[str, object] = json.loads(capsys.readouterr().out)
    return out


@pytest.mark.parametrize("stratify", [None, "area"])
@pytest.mark.parametrize("weights", ["", "1=3,2=2,3=1.5"])
def test_cli_is_the_library_on_the_file(tmp_path: Path, capsys: pytest.CaptureFixture[str], stratify: str | None,
                                        weights: str) -> None:
    path = tmp_path / "addresses.csv"
    path.write_text(addresses_text(), encoding="utf-8")
    argv = ["invitations", str(path), "--households", "15", "--seed", "40371", "--json"]
    argv += ["--stratify", stratify] if stratify else []
    argv += ["--weights", weights] if weights else []
    out = run_json(argv, capsys)
    listing = parse_addresses(addresses_text(), stratify=stratify, weights=parse_weights(weights))
    direct = draw_invitations(listing.addresses, 15, "40371", stratified=bool(stratify), weights=listing.stratum_weights)
    assert out["selected"] == list(direct.selected) and out["input_sha256"] == direct.inputs_sha256
    assert len(set(out["selected"])) == 15 and run_json(argv, capsys)["selected"] == out["selected"]
    other = run_json([*argv[:5], "40372", *argv[6:]], capsys)
    assert other["selected"] != out["selected"]


def test_human_report_and_module_entry_point(tmp_path: Path) -> None:
    path = tmp_path / "addresses.csv"
    path.write_text(addresses_text(), encoding="utf-8")
    run = subprocess.run([sys.executable, "-m", "app.tally", "invitations", "addresses.csv", "--households", "6",
                          "--seed", "1", "--stratify", "area"], cwd=tmp_path, capture_output=True, text=True,
                         env={"PYTHONPATH": str(ROOT), "PATH": ""}, check=False)
    assert run.returncode == 0, run.stderr
    assert "input sha256:" in run.stdout and "E05000001" in run.stdout and "stratified by place" in run.stdout


@pytest.mark.parametrize(
    ("text", "extra", "message"),
    [
        ("address_id,area\nH1,A\nH1,B\n", [], "duplicate address_id 'H1'"),
        ("id,area\nH1,A\n", [], "no 'address_id' column"),
        ("address_id,area\nH1,A\n", ["--stratify", "ward"], "no 'ward' column"),
        ("address_id,area\nH1,A\nH2,B\n", ["--weights", "1=2"], "weights need a 'decile' column"),
        ("address_id,area,decile\nH1,A,11\n", [], "decile must be a whole number"),
        ("address_id,area\nH1,A\nH2,B\n", ["--weights", "one=2"], "weights are written decile=weight"),
        ("address_id,area\nH1,A\nH2,B\n", ["--households", "3"], "cannot draw 3 invitations from 2"),
        ("", [], "the file is empty"),
        ("address_id,area\n", [], "lists no addresses"),
    ],
)
def test_bad_input_exits_2_with_a_message(tmp_path: Path, capsys: pytest.CaptureFixture[str], text: str,
                                          extra: list[str], message: str) -> None:
    path = tmp_path / "addresses.csv"
    path.write_text(text, encoding="utf-8")
    argv = ["invitations", str(path), "--seed", "1"]
    argv += extra if "--households" in extra else ["--households", "1", *extra]
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert message in err and "Traceback" not in err
    assert main(["invitations", str(tmp_path / "missing.csv"), "--households", "1", "--seed", "1"]) == 2


def test_weights_round_trip() -> None:
    assert format_weights(parse_weights("10=1.5; 2=2, 1 = 3")) == "1=3,2=2,10=1.5"
    with pytest.raises(InputError, match="twice"):
        parse_weights("1=2,1=3")
    with pytest.raises(InputError, match="more than 0"):
        parse_weights("1=0")
