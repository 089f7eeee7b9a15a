"""Reader and writer for the BLT ballot format (ERS / OpenSTV / eSTV "ballot" files).

Standard layout (as documented by OpenSTV and used by eSTV)::

    4 2                 number of candidates, number of seats
    -2                  optional: withdrawn candidates as negative numbers
    1 1 3 0             ballot lines: weight, preferences (1-based candidate numbers), terminating 0
    3 2 4 1 0
    0                   end of ballots
    "Ann"               one name per candidate
    "Bob"
    "Cat"
    "Dan"
    "Title"             the election title

Real-world variants the reader accepts (seen in the Scottish council files published in mggg/scot-elex):
unquoted candidate names and title, ``#`` comment lines anywhere, blank lines, names in CSV-style quotes with
doubled ``""`` inside, several quoted names on one line, a ballot id in parentheses before the weight
(``(17) 1 3 2 0``), and files whose names exist only as ``# ALTERNATIVE NAME k: …`` comments.  Equal
rankings (``1=2``) and skipped preferences (``-``) are rejected with a clear :class:`InputError`.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

from app.tally.ranked import RankedBallot, RankedElection
from app.tally.records import InputError, sha256_bytes

_ALT_NAME = re.compile(r"^#\s*ALTERNATIVE NAME\s+(\d+)\s*:\s*(.*?)\s*$", re.IGNORECASE)


def _lines(text: str) -> Iterator[tuple[int, str]]:
    for number, raw in enumerate(re.split(r"\r\n|\r|\n", text), start=1):
        yield number, raw.strip()


def _parse_quoted(line: str, lineno: int, source: str | None) -> list[str]:
    """Split a line of one or more quoted strings (``""`` inside quotes stands for one quote)."""
    out: list[str] = []
    i = 0
    while i < len(line):
        ch = line[i]
        if ch.isspace():
            i += 1
            continue
        if ch == "#" and out:
            break  # a trailing comment after the quoted name(s)
        if ch != '"':
            raise InputError(f"expected a quoted name, found {line[i:]!r}", line=lineno, source=source)
        i += 1
        buf: list[str] = []
        while True:
            if i >= len(line):
                raise InputError("unterminated quoted name", line=lineno, source=source)
            ch = line[i]
            if ch == '"' and i + 1 < len(line) and line[i + 1] == '"':
                buf.append('"')
                i += 2
            elif ch == '"':
                i += 1
                break
            else:
                buf.append(ch)
                i += 1
        out.append("".join(buf))
    return out


def _int(token: str, what: str, lineno: int, source: str | None) -> int:
    try:
        return int(token)
    except ValueError:
        if "=" in token:
            raise InputError(
                f"equal rankings ({token!r}) are not supported: each preference must name one candidate",
                line=lineno,
                source=source,
            ) from None
        raise InputError(
            f"expected {what} (a whole number), found {token!r}", line=lineno, source=source
        ) from None


def parse_blt(text: str | bytes, *, source: str | None = None) -> RankedElection:
    """Parse BLT text into a :class:`RankedElection` (candidate numbers become 0-based indices).

    Raises :class:`InputError` naming the line and what was expected when the input is malformed.
    """
    if isinstance(text, bytes):
        try:
            decoded = text.decode("utf-8-sig")
        except UnicodeDecodeError:
            decoded = text.decode("latin-1")
    else:
        decoded = text
    lines = list(_lines(decoded))
    i = 0
    alt_names: dict[int, str] = {}

    def next_content() -> tuple[int, str] | None:
        nonlocal i
        while i < len(lines):
            lineno, line = lines[i]
            i += 1
            if not line:
                continue
            if line.startswith("#"):
                match = _ALT_NAME.match(line)
                if match:
                    alt_names[int(match.group(1))] = match.group(2)
                continue
            return lineno, line
        return None

    header = next_content()
    if header is None:
        raise InputError("empty file: expected a first line 'candidates seats'", line=1, source=source)
    hl, hline = header
    parts = hline.split()
    if len(parts) != 2:
        raise InputError(
            f"expected the first line to be 'number-of-candidates number-of-seats', found {hline!r}",
            line=hl,
            source=source,
        )
    n = _int(parts[0], "the number of candidates", hl, source)
    seats = _int(parts[1], "the number of seats", hl, source)
    if n < 1:
        raise InputError(f"number of candidates must be at least 1, found {n}", line=hl, source=source)
    if seats < 1:
        raise InputError(f"number of seats must be at least 1, found {seats}", line=hl, source=source)

    withdrawn: set[int] = set()
    ballots: list[RankedBallot] = []
    first_ballot_line = True
    terminated = False
    while True:
        item = next_content()
        if item is None:
            break
        lineno, line = item
        tokens = line.split()
        if first_ballot_line and tokens and tokens[0].startswith("-"):
            first_ballot_line = False
            for t in tokens:
                v = _int(t, "a withdrawn candidate (negative number)", lineno, source)
                if v >= 0 or -v > n:
                    raise InputError(
                        f"expected withdrawn candidates as numbers from -1 to -{n}, found {t!r}",
                        line=lineno,
                        source=source,
                    )
                withdrawn.add(-v - 1)
            continue
        first_ballot_line = False
        if tokens[0].startswith("("):
            # Ballot id in parentheses, e.g. "(17) 1 3 2 0" or "(a 17) 1 3 2 0".
            closing = line.find(")")
            if closing < 0:
                raise InputError("unterminated ballot id: expected ')'", line=lineno, source=source)
            tokens = line[closing + 1 :].split()
            if not tokens:
                raise InputError("expected a weight after the ballot id", line=lineno, source=source)
        if tokens == ["0"]:
            terminated = True
            break
        if "." in tokens[0]:
            raise InputError(
                f"expected a whole-number ballot weight, found {tokens[0]!r}", line=lineno, source=source
            )
        weight = _int(tokens[0], "a ballot weight", lineno, source)
        if weight < 0:
            raise InputError(
                f"ballot weight must not be negative, found {weight}", line=lineno, source=source
            )
        if tokens[-1] != "0" or len(tokens) < 2:
            raise InputError(
                "expected a ballot line 'weight preference ... 0' ending with 0", line=lineno, source=source
            )
        ranking: list[int] = []
        for t in tokens[1:-1]:
            if t == "-":
                raise InputError("skipped preferences ('-') are not supported", line=lineno, source=source)
            c = _int(t, "a candidate number", lineno, source)
            if not 1 <= c <= n:
                raise InputError(
                    f"expected candidate numbers from 1 to {n}, found {c}"
                    + (" (0 ends the ballot and must come last)" if c == 0 else ""),
                    line=lineno,
                    source=source,
                )
            if c - 1 in ranking:
                raise InputError(f"candidate {c} is ranked twice on one ballot", line=lineno, source=source)
            ranking.append(c - 1)
        ballots.append(RankedBallot(tuple(ranking), weight))
    if not terminated:
        raise InputError("expected a line '0' ending the ballots, reached end of file", source=source)

    # Names and title: everything after the terminating 0, one name (or several quoted names) per line.
    strings: list[tuple[int, str]] = []
    while True:
        item = next_content()
        if item is None:
            break
        lineno, line = item
        if line.startswith('"'):
            strings.extend((lineno, s) for s in _parse_quoted(line, lineno, source))
        else:
            strings.append((lineno, line))
    if len(strings) >= n:
        names = [s for _, s in strings[:n]]
        rest = strings[n:]
    elif all(k in alt_names for k in range(1, n + 1)):
        names = [alt_names[k] for k in range(1, n + 1)]
        rest = strings
    else:
        raise InputError(
            f"expected {n} candidate names after the ballots, found {len(strings)}",
            line=strings[-1][0] if strings else None,
            source=source,
        )
    if len(rest) > 1:
        raise InputError(
            f"expected at most a title after the {n} candidate names, found {len(rest)} more lines",
            line=rest[1][0],
            source=source,
        )
    title = rest[0][1] if rest else ""
    try:
        return RankedElection(
            candidates=tuple(names),
            ballots=tuple(ballots),
            seats=seats,
            withdrawn=frozenset(withdrawn),
            title=title,
        )
    except InputError as exc:
        raise InputError(exc.message, source=source) from None


def read_blt(path: str | Path) -> tuple[RankedElection, str]:
    """Read a BLT file; returns the election and the SHA-256 of the file's bytes."""
    data = Path(path).read_bytes()
    return parse_blt(data, source=str(path)), sha256_bytes(data)


def _quote(s: str) -> str:
    return '"' + s.replace('"', '""') + '"'


def write_blt(election: RankedElection) -> str:
    """Serialise ``election`` as standard BLT (quoted names and title); :func:`parse_blt` reads it back."""
    out = [f"{len(election.candidates)} {election.seats}"]
    if election.withdrawn:
        out.append(" ".join(f"-{c + 1}" for c in sorted(election.withdrawn)))
    for b in election.ballots:
        out.append(" ".join([str(b.weight), *(str(c + 1) for c in b.ranking), "0"]))
    out.append("0")
    out.extend(_quote(name) for name in election.candidates)
    out.append(_quote(election.title))
    return "\n".join(out) + "\n"
