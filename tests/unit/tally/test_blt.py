"""BLT reader/writer: the standard layout, real-world variants, errors naming the line, round trips."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from app.tally.formats.blt import parse_blt, read_blt, write_blt
from app.tally.ranked import RankedBallot, RankedElection
from app.tally.records import InputError

DATA = Path(__file__).resolve().parents[3] / ".." / "shared" / "data" / "blt"

STANDARD = """4 2
-4
3 1 2 0
2 2 0
1 3 1 2 0
3 1 2 0
0
"Ann"
"Bob"
"Cat"
"Dan"
"A test election"
"""


def test_standard_layout() -> None:
    e = parse_blt(STANDARD)
    assert e.candidates == ("Ann", "Bob", "Cat", "Dan")
    assert e.seats == 2
    assert e.withdrawn == frozenset({3})
    assert e.title == "A test election"
    # identical ballots merged
    assert e.ballots == (RankedBallot((0, 1), 6), RankedBallot((1,), 2), RankedBallot((2, 0, 1), 1))


def test_real_world_variants() -> None:
    text = """# exported by hand
3 1

(a1) 2 1 2 0
(a2) 1 3 0
# a comment among ballots
0
Ann Smith (Lab)
"Bob ""The Builder"" Jones"
# ALTERNATIVE NAME 3: ignored because names are present
Cat O'Neil
Ward 7 - Somewhere
"""
    e = parse_blt(text)
    assert e.candidates == ("Ann Smith (Lab)", 'Bob "The Builder" Jones', "Cat O'Neil")
    assert e.title == "Ward 7 - Somewhere"
    assert e.ballots == (RankedBallot((0, 1), 2), RankedBallot((2,), 1))


def test_names_on_one_line_and_missing_title() -> None:
    e = parse_blt('2 1\n1 1 0\n0\n"A" "B"  # both names\n')
    assert e.candidates == ("A", "B") and e.title == ""


def test_names_only_in_alternative_name_comments() -> None:
    text = "2 1\n5 2 1 0\n0\n# ALTERNATIVE NAME 1: Ann (X)\n# ALTERNATIVE NAME 2: Bob (Y)\nSome ward"
    e = parse_blt(text)
    assert e.candidates == ("Ann (X)", "Bob (Y)")
    assert e.title == "Some ward"


@pytest.mark.parametrize(
    ("text", "line", "fragment"),
    [
        ("", 1, "first line"),
        ("3\n0\n", 1, "number-of-candidates"),
        ("x 1\n0\n", 1, "number of candidates"),
        ("2 1\n1 1=2 0\n0\nA\nB\n", 2, "equal rankings"),
        ("2 1\n1 1 2\n0\nA\nB\n", 2, "ending with 0"),
        ("2 1\n1 3 0\n0\nA\nB\n", 2, "from 1 to 2"),
        ("2 1\n1 1 1 0\n0\nA\nB\n", 2, "ranked twice"),
        ("2 1\n1.5 1 0\n0\nA\nB\n", 2, "whole-number"),
        ("2 1\n1 - 1 0\n0\nA\nB\n", 2, "skipped"),
        ("2 1\n-3\n0\nA\nB\n", 2, "withdrawn"),
        ("2 1\n1 1 0\n0\nA\n", 4, "expected 2 candidate names"),
        ("2 1\n1 1 0\n0\nA\nB\nT\nextra\n", 7, "at most a title"),
        ('2 1\n1 1 0\n0\n"A\nB\n', 4, "unterminated"),
    ],
)
def test_errors_name_the_line(text: str, line: int, fragment: str) -> None:
    with pytest.raises(InputError) as info:
        parse_blt(text, source="x.blt")
    assert info.value.line == line
    assert fragment in info.value.message
    assert info.value.source == "x.blt"


def test_missing_terminator() -> None:
    with pytest.raises(InputError, match="ending the ballots"):
        parse_blt("2 1\n1 1 0\n")


def test_duplicate_names_rejected() -> None:
    with pytest.raises(InputError, match="unique"):
        parse_blt("2 1\n1 1 0\n0\nA\nA\n")


def test_writer_round_trips_standard() -> None:
    e = parse_blt(STANDARD)
    assert parse_blt(write_blt(e)) == e


blt_cases = st.integers(min_value=1, max_value=6).flatmap(
    lambda n: st.tuples(
        st.lists(
            st.text(min_size=1, max_size=12).filter(lambda s: s.strip() == s and s.strip()),
            min_size=n,
            max_size=n,
            unique=True,
        ),
        st.lists(
            st.tuples(st.permutations(list(range(n))), st.integers(0, n), st.integers(1, 9)), max_size=10
        ),
        st.integers(1, n),
        st.text(max_size=20).filter(lambda s: "\n" not in s and "\r" not in s),
    )
)


@settings(max_examples=100, deadline=None)
@given(blt_cases)
def test_writer_round_trips_generated(
    data: tuple[list[str], list[tuple[list[int], int, int]], int, str],
) -> None:
    names, raw, seats, title = data
    if any("\n" in s or "\r" in s for s in names):
        return
    e = RankedElection(
        candidates=tuple(names),
        ballots=tuple(RankedBallot(tuple(p[:k]), w) for p, k, w in raw),
        seats=seats,
        title=title.strip(),
    )
    assert parse_blt(write_blt(e)) == e


@pytest.mark.skipif(not DATA.is_dir(), reason=f"real BLT data not found at {DATA}")
@pytest.mark.parametrize("path", sorted(DATA.glob("*.blt")) if DATA.is_dir() else [], ids=lambda p: p.name)
def test_real_files_parse_and_round_trip(path: Path) -> None:
    e, digest = read_blt(path)
    assert len(e.candidates) >= e.seats >= 1
    assert e.title
    assert all(name and not name.startswith('"') for name in e.candidates)
    assert parse_blt(write_blt(e)) == e
