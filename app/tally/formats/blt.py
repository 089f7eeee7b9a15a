"""Reader and writer for the BLT ballot format (ERS / OpenSTV / OpaVote / Droop "ballot" files).

The format goes back to Hill, Wichmann & Woodall, "Algorithm 123 - Single Transferable Vote by Meek's method",
*Computer Journal* 30 (1987); the Electoral Reform Society's counting programs, Jeffrey O'Neill's OpenSTV
(``BltBallotLoader``, documented as "the BLT file format" on OpaVote's help pages) and Jonathan Lundell's Droop
(``BltFileFormat.md``) read it with small extensions.  Standard layout::

    4 2                 number of candidates, number of seats
    -2                  optional: withdrawn candidates as negative numbers (only on the line after the header)
    1 1 3 0             ballot lines: weight, preferences (1-based candidate numbers), terminating 0
    3 2 4 1 0
    0                   end of ballots
    "Ann"               one candidate per line
    "Bob"
    "Cat"
    "Dan"
    "Title"             the election title (optional)

What this reader accepts, and where each convention comes from:

* ``#`` comments, whole-line or after the numbers or after a quoted string (OpenSTV, Droop); blank lines
  anywhere; CRLF, CR or LF line ends; a UTF-8 byte-order mark; a DOS end-of-file mark (Ctrl-Z) at the end.
  Bytes that are not UTF-8 are read as Windows-1252 (then Latin-1), as spreadsheet exports on Windows write.
* Stray commas among the numbers (``5 1,`` or ``1, 2, 3, 0``): a comma counts as a separator, as spreadsheet
  exports of the Scottish council files have it.
* Ballot ids in parentheses before the weight, ``(17) 1 3 2 0`` (OpenSTV's "custom ballot IDs"; the id is
  dropped).
* **One candidate per line** after the terminating ``0`` (OpenSTV reads exactly one string per line).  A line
  holding two quoted strings is a name and then a party (``"Jane SMITH" "Scottish Green Party"``, as some
  council exports write it) and is shown as ``Jane SMITH (Scottish Green Party)``.  Names may be unquoted
  (``Jane SMITH (Grn)``, as in the files published by mggg/scot-elex); inside quotes ``""`` stands for one
  quote (CSV style).  Commas between quoted strings are ignored.
* Only when there are fewer lines than candidates: the original Hill-Wichmann-Woodall reading, in which line
  ends are plain white space (as Droop reads it), so several quoted names may share a line; or, when every
  name exists only as a ``# ALTERNATIVE NAME k: ...`` comment (mggg/scot-elex), those names.
* At most one title line after the names.

Rejected with a clear :class:`InputError` naming the line: equal rankings ``1=2`` and skipped preferences
``-`` (OpenSTV syntax whose meaning Droop leaves to each counting rule; the Scottish STV, IRV and Schulze
counts here take one candidate per preference), Droop's ``[option ...]`` lines, fractional weights, candidate
numbers out of range, a candidate ranked twice, a ballot line not ending in ``0``, a missing end-of-ballots
``0``, too few or too many name lines, and a candidate line with more than two quoted strings.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

from app.tally.ranked import RankedBallot, RankedElection
from app.tally.records import InputError, sha256_bytes

_ALT_NAME = re.compile(r"^#\s*ALTERNATIVE NAME\s+(\d+)\s*:\s*(.*?)\s*$", re.IGNORECASE)
#: Candidate lines hold a name, or a name and a party; more quoted strings on one line is an error.
_MAX_STRINGS_PER_CANDIDATE = 2


def _decode(data: bytes) -> str:
    for encoding in ("utf-8-sig", "cp1252"):
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    return data.decode("latin-1")


def _lines(text: str) -> Iterator[tuple[int, str]]:
    for number, raw in enumerate(re.split(r"\r\n|\r|\n", text), start=1):
        yield number, raw.strip()


def _numbers(line: str) -> list[str]:
    """The tokens of a line of numbers: a trailing ``#`` comment dropped, commas counted as white space."""
    cut = line.find("#")
    if cut >= 0:
        line = line[:cut]
    return line.replace(",", " ").split()


def _parse_quoted(line: str, lineno: int, source: str | None) -> list[str]:
    """Split a line of one or more quoted strings (``""`` inside quotes stands for one quote).

    White space and commas between the strings are ignored; a ``#`` after the last string starts a comment.
    """
    out: list[str] = []
    i = 0
    while i < len(line):
        ch = line[i]
        if ch.isspace() or ch == ",":
            i += 1
            continue
        if ch == "#" and out:
            break  # a trailing comment after the quoted string(s)
        if ch != '"':
            raise InputError(
                f"expected a quoted string, found {line[i:]!r} (quote the whole name, or none of it)",
                line=lineno,
                source=source,
            )
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
                f"equal rankings ({token!r}) are not supported: the counts here take one candidate per "
                "preference",
                line=lineno,
                source=source,
            ) from None
        raise InputError(
            f"expected {what} (a whole number), found {token!r}", line=lineno, source=source
        ) from None


def _strings(line: str, lineno: int, source: str | None) -> list[str]:
    """The strings of a line after the ballots: its quoted strings, or the whole line when unquoted."""
    if line.startswith('"'):
        return _parse_quoted(line, lineno, source)
    return [line.rstrip(",").rstrip()]


def _candidate(strings: list[str], lineno: int, source: str | None) -> str:
    if len(strings) > _MAX_STRINGS_PER_CANDIDATE:
        raise InputError(
            f"expected one candidate per line (a name, or a name and a party), found {len(strings)} "
            "quoted strings",
            line=lineno,
            source=source,
        )
    name = strings[0].strip()
    if not name:
        raise InputError("expected a candidate name, found an empty one", line=lineno, source=source)
    party = strings[1].strip() if len(strings) == 2 else ""
    return f"{name} ({party})" if party else name


def _names_and_title(
    n: int, lines: list[tuple[int, str]], alt_names: dict[int, str], source: str | None
) -> tuple[list[str], list[int], str]:
    """Candidate names (with the line each came from, 0 if from a comment) and the title."""
    parsed = [(lineno, _strings(line, lineno, source)) for lineno, line in lines]
    if len(parsed) >= n:
        # One candidate per line (OpenSTV, ERS): a name, or a name and a party.
        names = [_candidate(strings, lineno, source) for lineno, strings in parsed[:n]]
        where = [lineno for lineno, _ in parsed[:n]]
        rest = parsed[n:]
        if len(rest) > 1:
            raise InputError(
                f"expected at most a title after the {n} candidate names, found {len(rest)} more lines",
                line=rest[1][0],
                source=source,
            )
        if rest and len(rest[0][1]) > 1:
            raise InputError(
                f"expected the title as one string, found {len(rest[0][1])} quoted strings",
                line=rest[0][0],
                source=source,
            )
        return names, where, rest[0][1][0] if rest else ""
    if all(k in alt_names for k in range(1, n + 1)) and len(parsed) <= 1:
        names = [alt_names[k] for k in range(1, n + 1)]
        title = parsed[0][1] if parsed else [""]
        if len(title) > 1:
            raise InputError("expected the title as one string", line=parsed[0][0], source=source)
        return names, [0] * n, title[0]
    flat = [(lineno, s) for lineno, strings in parsed for s in strings]
    if parsed and all(line.startswith('"') for _, line in lines) and n <= len(flat) <= n + 1:
        # Hill, Wichmann & Woodall's layout as Droop reads it: line ends are white space, so quoted names
        # may share a line.  Used only when there are fewer lines than candidates.
        for lineno, s in flat[:n]:
            if not s.strip():
                raise InputError("expected a candidate name, found an empty one", line=lineno, source=source)
        return (
            [s.strip() for _, s in flat[:n]],
            [lineno for lineno, _ in flat[:n]],
            flat[n][1] if len(flat) > n else "",
        )
    raise InputError(
        f"expected {n} candidate names after the ballots, one per line, found {len(parsed)} lines",
        line=parsed[-1][0] if parsed else None,
        source=source,
    )


def parse_blt(text: str | bytes, *, source: str | None = None) -> RankedElection:
    """Parse BLT text into a :class:`RankedElection` (candidate numbers become 0-based indices).

    Raises :class:`InputError` naming the line and what was expected when the input is malformed.
    """
    decoded = _decode(text) if isinstance(text, bytes) else text
    decoded = decoded.removeprefix("\ufeff").rstrip("\x1a")
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
    parts = _numbers(hline)
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
        if line.startswith("("):
            # Ballot id in parentheses (OpenSTV), e.g. "(17) 1 3 2 0" or "(a 17) 1 3 2 0".
            closing = line.find(")")
            if closing < 0:
                raise InputError("unterminated ballot id: expected ')'", line=lineno, source=source)
            tokens = _numbers(line[closing + 1 :])
            if not tokens:
                raise InputError("expected a weight after the ballot id", line=lineno, source=source)
        elif line.startswith("["):
            raise InputError(
                f"Droop options ({line.split()[0]} ...) are not supported", line=lineno, source=source
            )
        else:
            tokens = _numbers(line)
            if not tokens:
                raise InputError(f"expected a ballot line, found {line!r}", line=lineno, source=source)
        if first_ballot_line and tokens[0].startswith("-"):
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

    rest: list[tuple[int, str]] = []
    while (item := next_content()) is not None:
        rest.append(item)
    names, where, title = _names_and_title(n, rest, alt_names, source)
    seen: dict[str, int] = {}
    for k, name in enumerate(names):
        if name in seen:
            raise InputError(
                f"candidate names must be unique: {name!r} is both candidate {seen[name] + 1} and {k + 1}",
                line=where[k] or None,
                source=source,
            )
        seen[name] = k
    try:
        return RankedElection(
            candidates=tuple(names),
            ballots=tuple(ballots),
            seats=seats,
            withdrawn=frozenset(withdrawn),
            title=title.strip(),
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
