"""The CSV formats of panel selections and the ``python -m app.tally sortition`` recount command."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from app.tally.__main__ import main
from app.tally.formats import sortition_csv
from app.tally.records import InputError
from app.tally.sortition import Person, Problem, Quota, inputs_sha256

ROOT = Path(__file__).resolve().parents[3]

PEOPLE = """id,first_name,gender,age,address,postcode
1,Ann,female,16-29,12 Mill Rd,CB1 1PT
2,Bob,male,16-29,12 mill road,cb11pt
3,Cat,female,30-59,3 High St,CB2 3AA
4,Dan,male,30-59,4 High St,CB2 3AA
5,Eve,female,60+,5 High St,CB2 3AA
6,Fred,male,60+,6 High St,CB2 3AA
7,Gail,female,30-59,7 High St,CB2 3AA
8,Hal,male,30-59,8 High St,CB2 3AA
"""

SORTITION_ALGORITHMS = """feature,value,min,max,min_flex,max_flex
gender,female,2,2,0,99
gender,male,2,2,0,99
age,16-29,1,1,0,99
age,30-59,1,2,0,99
age,60+,1,2,0,99
"""


def write(tmp_path: Path, name: str, text: str, encoding: str = "utf-8") -> str:
    path = tmp_path / name
    path.write_bytes(text.encode(encoding))
    return str(path)


def run_json(argv: list[str], capsys: pytest.CaptureFixture[str]) -> dict[str, object]:
    assert main(argv) == 0
    lines = capsys.readouterr().out.strip().splitlines()
    assert len(lines) == 1
    out: dict[str, object] = json.loads(lines[0])
    return out


def test_three_dialects_read_alike(tmp_path: Path) -> None:
    a = sortition_csv.read_categories(write(tmp_path, "a.csv", SORTITION_ALGORITHMS))
    strat = SORTITION_ALGORITHMS.replace("feature,value,min,max,min_flex,max_flex", "category,name,min,max")
    strat = "\r\n".join(",".join(f'"{f}"' if i == 1 else f' {f} ' for i, f in enumerate(line.split(",")[:4]))
                        for line in strat.splitlines()) + "\r\n"
    b = sortition_csv.read_categories(write(tmp_path, "b.csv", strat, "utf-8-sig"))
    nature = SORTITION_ALGORITHMS.replace("feature,value,min,max,min_flex,max_flex", "category,feature,min,max")
    c = sortition_csv.read_categories(write(tmp_path, "c.csv", "\ufeff" + nature.replace(",0,99", "")))
    assert a == b == c
    assert a[0] == Quota("gender", "female", 2, 2)
    assert sortition_csv.parse_categories(sortition_csv.write_quotas(a)) == a


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("feature,value,min,max\ngender,female,two,3\n", ":2: min 'two' is not a number"),
        ("feature,value,min,max\ngender,female,3,2\n", ":2: quota for gender=female has min 3 greater"),
        ("name,min,max\nfemale,1,2\n", "the header must name"),
        ("feature,value,min,max\ngender,female,1,2\n\ngender,female,1,2\n", ":4: gender=female is listed twice"),
        ("", "empty"),
    ],
)
def test_category_errors(tmp_path: Path, text: str, message: str) -> None:
    with pytest.raises(InputError, match=message):
        sortition_csv.read_categories(write(tmp_path, "cat.csv", text))


def test_people_reading_and_errors(tmp_path: Path) -> None:
    quotas = sortition_csv.parse_categories(SORTITION_ALGORITHMS)
    people = sortition_csv.parse_people(PEOPLE, quotas, household_columns=["address", "postcode"])
    assert [p.id for p in people][:2] == ["1", "2"] and people[0].household == people[1].household
    assert "first_name" not in people[0].features
    numbered = sortition_csv.parse_people(PEOPLE.replace("id,", "ref,"), quotas, id_column="id")
    assert [p.id for p in numbered] == [str(i) for i in range(1, 9)]
    with pytest.raises(InputError, match=":3: unknown value 'man' for 'gender'"):
        sortition_csv.parse_people(PEOPLE.replace("2,Bob,male", "2,Bob,man"), quotas)
    with pytest.raises(InputError, match="category 'age' is not a column"):
        sortition_csv.parse_people(PEOPLE.replace(",age,", ",years,"), quotas)
    with pytest.raises(InputError, match=":3: duplicate id '1'"):
        sortition_csv.parse_people(PEOPLE.replace("2,Bob", "1,Bob"), quotas)
    with pytest.raises(InputError, match="household column 'flat'"):
        sortition_csv.parse_people(PEOPLE, quotas, household_columns=["flat"])


def test_pool_writer_round_trip_keeps_the_commitment() -> None:
    quotas = sortition_csv.parse_categories(SORTITION_ALGORITHMS)
    people = sortition_csv.parse_people(PEOPLE, quotas, household_columns=["address", "postcode"])
    problem = Problem(people, quotas, 4, household_rule=True)
    pool = sortition_csv.write_pool(people, quotas, households=True)
    assert "Ann" not in pool and "Mill" not in pool and pool.splitlines()[0] == "id,gender,age,household"
    again = sortition_csv.parse_people(pool, sortition_csv.parse_categories(sortition_csv.write_quotas(quotas)),
                                       household_columns=["household"])
    assert inputs_sha256(Problem(again, quotas, 4, True), "leximin") == inputs_sha256(problem, "leximin")


def test_json_output_is_one_line_and_repeatable(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    people = write(tmp_path, "people.csv", PEOPLE)
    cats = write(tmp_path, "cats.csv", SORTITION_ALGORITHMS)
    argv = ["sortition", people, cats, "--size", "4", "--seed", "4 1 7", "--json",
            "--household-columns", "address,postcode"]
    first = run_json(argv, capsys)
    for key in ("file", "rule", "size", "seed", "input_sha256", "panel", "probabilities", "min_probability",
                "panels", "seconds"):
        assert key in first
    assert first["rule"] == "leximin" and first["size"] == 4
    panel = first["panel"]
    assert isinstance(panel, list) and len(panel) == 4 and not {"1", "2"} <= set(panel)
    probabilities = first["probabilities"]
    assert isinstance(probabilities, dict) and sum(probabilities.values()) == pytest.approx(4)
    second = run_json(argv, capsys)
    assert second["panel"] == first["panel"] and second["input_sha256"] == first["input_sha256"]
    lottery = run_json([*argv, "--lottery", "100", "--method", "maximin"], capsys)
    assert lottery["panels"] == 100 and lottery["rule"] == "maximin"


def test_human_report(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    people = write(tmp_path, "people.csv", PEOPLE)
    cats = write(tmp_path, "cats.csv", SORTITION_ALGORITHMS)
    assert main(["sortition", people, cats, "--size", "4", "--method", "legacy"]) == 0
    out = capsys.readouterr().out
    assert "rule: legacy" in out and "gender=female" in out and "quota [2, 2]" in out and "BROKEN" not in out


@pytest.mark.parametrize(
    ("people_text", "cats_text", "size", "message"),
    [
        (PEOPLE.replace("3,Cat,female", "3,Cat,woman"), SORTITION_ALGORITHMS, "4", ":4: unknown value 'woman'"),
        (PEOPLE.replace(",age,", ",years,"), SORTITION_ALGORITHMS, "4", "category 'age' is not a column"),
        (PEOPLE, SORTITION_ALGORITHMS.replace("female,2,2", "female,x,2"), "4", "min 'x' is not a number"),
        (PEOPLE, SORTITION_ALGORITHMS.replace("female,2,2", "female,3,2"), "4", "greater than max"),
        (PEOPLE, SORTITION_ALGORITHMS, "9", "--size 9 is larger than the pool of 8"),
        (PEOPLE.replace("4,Dan", "3,Dan"), SORTITION_ALGORITHMS, "4", "duplicate id '3'"),
        (PEOPLE, SORTITION_ALGORITHMS.replace("female,2,2", "female,3,3"), "4", "smallest relaxation"),
    ],
)
def test_bad_input_exits_2_with_a_message(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], people_text: str, cats_text: str, size: str, message: str
) -> None:
    people = write(tmp_path, "people.csv", people_text)
    cats = write(tmp_path, "cats.csv", cats_text)
    assert main(["sortition", people, cats, "--size", size]) == 2
    err = capsys.readouterr().err
    assert message in err and "Traceback" not in err


def test_module_entry_point_prints_only_json(tmp_path: Path) -> None:
    people = write(tmp_path, "people.csv", PEOPLE)
    cats = write(tmp_path, "cats.csv", SORTITION_ALGORITHMS)
    done = subprocess.run(
        [sys.executable, "-m", "app.tally", "sortition", people, cats, "--size", "4", "--json"],
        cwd=ROOT, capture_output=True, text=True, check=False,
    )
    assert done.returncode == 0, done.stderr
    assert len(done.stdout.strip().splitlines()) == 1 and json.loads(done.stdout)["size"] == 4
    bad = subprocess.run(
        [sys.executable, "-m", "app.tally", "sortition", people, str(tmp_path / "missing.csv"), "--size", "4"],
        cwd=ROOT, capture_output=True, text=True, check=False,
    )
    assert bad.returncode == 2 and "Traceback" not in bad.stderr and "missing.csv" in bad.stderr


def test_commitment_of_library_problem_matches_cli(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    quotas = sortition_csv.parse_categories(SORTITION_ALGORITHMS)
    people = tuple(Person(p.id, dict(p.features)) for p in sortition_csv.parse_people(PEOPLE, quotas))
    pool = write(tmp_path, "pool.csv", sortition_csv.write_pool(people, quotas))
    cats = write(tmp_path, "quotas.csv", sortition_csv.write_quotas(quotas))
    out = run_json(["sortition", pool, cats, "--size", "4", "--json"], capsys)
    assert out["input_sha256"] == inputs_sha256(Problem(people, quotas, 4), "leximin")


def test_the_papers_public_example_recounts_from_its_own_files(tmp_path: Path,
                                                               capsys: pytest.CaptureFixture[str]) -> None:
    """Flanigan et al.'s ``example_large_200`` (1 female conservative, 999 female liberals, 1,000 male
    conservatives; every value 99 to 200; panel of 200), written as the replication data writes it: no id column,
    ``category,feature,min,max``.  Everyone can be given 200/2,000 (a panel of 100 female liberals and 100 male
    conservatives, or one with the female conservative in place of a female liberal, meets every quota), so
    LEXIMIN's fairest distribution is uniform, and every panel drawn from it meets the quotas."""
    from bench.sortition import write_paper

    write_paper(str(tmp_path))
    assert len((tmp_path / "respondents.csv").read_text(encoding="utf-8")) == 33_019
    out = run_json(["sortition", str(tmp_path / "respondents.csv"), str(tmp_path / "categories.csv"),
                    "--size", "200", "--seed", "2021", "--json"], capsys)
    probabilities = out["probabilities"]
    assert isinstance(probabilities, dict) and len(probabilities) == 2000
    assert out["min_probability"] == pytest.approx(0.1, abs=1e-6)
    assert max(probabilities.values()) == pytest.approx(0.1, abs=1e-6)
    panel = out["panel"]
    assert isinstance(panel, list) and len(panel) == 200
    drawn = [int(i) for i in panel]
    female = sum(1 for i in drawn if i <= 1000)
    conservative = sum(1 for i in drawn if i == 1 or i > 1000)
    assert 99 <= female <= 200 and 99 <= 200 - female <= 200
    assert 99 <= conservative <= 200 and 99 <= 200 - conservative <= 200


def test_values_match_without_regard_to_case_as_sortition_algorithms_does(tmp_path: Path) -> None:
    quotas = sortition_csv.parse_categories("feature,value,min,max\ngender,female,1,1\ngender,Male,1,1\n")
    people = sortition_csv.parse_people("id,Gender\n1,Female\n2,male\n3,FEMALE\n4,Male\n", quotas)
    assert [p.features["gender"] for p in people] == ["female", "Male", "female", "Male"]
    with pytest.raises(InputError, match="listed twice"):
        sortition_csv.parse_categories("feature,value,min,max\ngender,female,1,1\ngender,Female,0,2\n")
    one_category = sortition_csv.parse_categories("feature,value,min,max\nGender,female,1,1\ngender,male,1,1\n")
    assert {q.category for q in one_category} == {"Gender"}
    with pytest.raises(InputError, match="unknown value 'femme'"):
        sortition_csv.parse_people("id,gender\n1,femme\n", quotas)
