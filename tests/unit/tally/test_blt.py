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


def test_name_and_party_as_two_quoted_strings() -> None:
    # The layout some council exports use: one candidate per line, the name and then the party quoted.
    text = (
        '3 2\n4 1 2 0\n3 3 0\n0\n"Jane SMITH" "Scottish Green Party"\n"Ian ""Ally"" BROWN" "Labour"\n'
        '"Ann LEE"\n"Ward 9 - Somewhere"\n'
    )
    e = parse_blt(text)
    assert e.candidates == ("Jane SMITH (Scottish Green Party)", 'Ian "Ally" BROWN (Labour)', "Ann LEE")
    assert e.title == "Ward 9 - Somewhere"
    # a comma between the two strings, a trailing comment, an empty party
    e2 = parse_blt('2 1\n1 1 0\n0\n"A", "P"  # note\n"B" ""\n')
    assert e2.candidates == ("A (P)", "B") and e2.title == ""


def test_stray_commas_comments_and_blank_lines_among_numbers() -> None:
    text = "# header next\n\n5 1,\n-5,\n\n3, 1, 2, 0\n2 2 0,  # trailing comment\n1,3,0\n0 # end\nA\nB\nC\nD\nE\n"
    e = parse_blt(text)
    assert (len(e.candidates), e.seats, e.withdrawn) == (5, 1, frozenset({4}))
    assert e.ballots == (RankedBallot((0, 1), 3), RankedBallot((1,), 2), RankedBallot((2,), 1))


@pytest.mark.parametrize("newline", ["\r\n", "\r", "\n"])
def test_line_ends_bom_and_dos_end_of_file(newline: str) -> None:
    text = newline.join(STANDARD.splitlines()) + newline
    assert parse_blt(("\ufeff" + text).encode("utf-8")) == parse_blt(STANDARD)
    assert parse_blt("\ufeff" + text + "\x1a") == parse_blt(STANDARD)


def test_windows_1252_bytes() -> None:
    data = '2 1\n1 1 0\n0\n"Cat O\u2019NEIL"\n"Bob"\n"T"\n'.encode("cp1252")
    assert parse_blt(data).candidates == ("Cat O\u2019NEIL", "Bob")


def test_ballot_ids_in_parentheses() -> None:
    # OpenSTV's custom ballot ids: "(id) weight preferences 0"; the id is dropped
    e = parse_blt("2 1\n(0017) 1 2 1 0\n(a b#1) 1 2 0\n0\nA\nB\n")
    assert e.ballots == (RankedBallot((1, 0), 1), RankedBallot((1,), 1))


def test_every_quirk_at_once_reads_like_the_standard_file() -> None:
    quirky = (
        "\ufeff# exported from a spreadsheet\r\n4 2,\r\n-4,\r\n(1) 3 1 2 0\r\n\r\n2, 2, 0\r\n"
        "(x) 1 3 1 2 0 # checked\r\n3 1 2 0\r\n0\r\n"
        '"Ann"\r\n\r\n"Bob"\r\n# names follow\r\n"Cat"\r\n"Dan"\r\n"A test election"\r\n'
    )
    assert parse_blt(quirky.encode("utf-8")) == parse_blt(STANDARD)


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
        ("2 1\n1 1=2 0\n0\n", 2, "equal rankings"),
        ("2 1\n[droop rule=meek]\n1 1 0\n0\nA\nB\n", 2, "Droop options"),
        ('2 1\n1 1 0\n0\n"A" "P" "Q"\nB\nT\n', 4, "one candidate per line"),
        ('2 1\n1 1 0\n0\n"A"\n"B"\n"T" "U"\n', 6, "title as one string"),
        ('2 1\n1 1 0\n0\nA\n"" "P"\n', 5, "empty"),
        ('2 1\n1 1 0\n0\n"A" x\nB\n', 4, "quoted string"),
        ('2 1\n1 1 0\n0\n"A" "P"\n\n"A" "P"\n', 6, "unique"),
        ("5, 1, 2\n1 1 0\n0\n", 1, "number-of-candidates"),
        ("2 1\n1 1 0 x\n0\nA\nB\n", 2, "ending with 0"),
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


def _quote(s: str) -> str:
    return '"' + s.replace('"', '""') + '"'


def _name_and_party(name: str) -> str:
    """``Jane SMITH (Grn)`` written as the two quoted strings ``"Jane SMITH" "Grn"``."""
    if name.endswith(")") and " (" in name:
        person, party = name[:-1].rsplit(" (", 1)
        return f"{_quote(person)} {_quote(party)}"
    return _quote(name)


def quirky(e: RankedElection, layout: str) -> bytes:
    """``e`` written in one of the real-world layouts the reader must accept."""
    header = f"{len(e.candidates)} {e.seats}"
    withdrawn = " ".join(f"-{c + 1}" for c in sorted(e.withdrawn))
    ballots = [" ".join([str(b.weight), *(str(c + 1) for c in b.ranking), "0"]) for b in e.ballots]
    names = [_quote(n) for n in e.candidates]
    title = _quote(e.title)
    nl = "\n"
    if layout == "name-and-party":
        names = [_name_and_party(n) for n in e.candidates]
    elif layout == "stray-commas":
        header += ","
        withdrawn = withdrawn.replace(" ", ", ") + ("," if withdrawn else "")
        ballots = [b.replace(" ", ", ", 1) + "," for b in ballots]
    elif layout == "crlf-bom":
        nl = "\r\n"
    elif layout == "ballot-ids":
        ballots = [f"({k}) {b}" for k, b in enumerate(ballots, start=1)]
    elif layout == "comments-and-blank-lines":
        ballots = [f"{b}  # ballot {k}\n" for k, b in enumerate(ballots)]
        names = ["# candidates", *(f"{n}\n" for n in names)]
        header = f"# {e.title}\n\n{header}  # candidates seats"
    elif layout == "unquoted":
        names, title = list(e.candidates), e.title
    lines = [header, *([withdrawn] if withdrawn else []), *ballots, "0", *names, title]
    data = nl.join(lines) + nl
    return ("\ufeff" + data).encode("utf-8") if layout == "crlf-bom" else data.encode("utf-8")


LAYOUTS = ["name-and-party", "stray-commas", "crlf-bom", "ballot-ids", "comments-and-blank-lines", "unquoted"]


@pytest.mark.parametrize("layout", LAYOUTS)
def test_quirky_layouts_of_a_small_election(layout: str) -> None:
    e = RankedElection(
        candidates=("Jane SMITH (Scottish Green Party)", "Bob (Ind)", "Cat JONES"),
        ballots=(RankedBallot((0, 2), 4), RankedBallot((1,), 2), RankedBallot((2, 1, 0), 1)),
        seats=2,
        withdrawn=frozenset({1}),
        title="Ward 1",
    )
    assert parse_blt(quirky(e, layout)) == e


@pytest.mark.skipif(not DATA.is_dir(), reason=f"real BLT data not found at {DATA}")
@pytest.mark.parametrize("layout", LAYOUTS)
@pytest.mark.parametrize("path", sorted(DATA.glob("*.blt")) if DATA.is_dir() else [], ids=lambda p: p.name)
def test_real_files_in_every_quirky_layout_read_the_same(path: Path, layout: str) -> None:
    e, _ = read_blt(path)
    if layout == "unquoted" and any(n != n.strip() or n.startswith('"') for n in e.candidates):
        pytest.skip("names that need quotes")
    assert parse_blt(quirky(e, layout), source=path.name) == e
