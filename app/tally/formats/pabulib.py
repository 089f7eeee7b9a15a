"""Reader and writer for pabulib ``.pb`` files.

Format: Faliszewski, Flis, Peters, Pierczyński, Skowron, Stolicki, Szufa, Talmon, *Pabulib: A Participatory
Budgeting Library* (arXiv:2305.11035) and the format description at pabulib.org/format.  A file has three
sections, each a title line (``META``, ``PROJECTS``, ``VOTES``), a header line, then semicolon-separated rows
following CSV quoting conventions.  META must give ``budget`` and ``vote_type``; PROJECTS needs ``project_id``
and ``cost``; VOTES needs ``voter_id`` and ``vote`` (plus ``points`` for cumulative and scoring votes).

Money may be written with decimals (``500000.00``); all costs and the budget are then scaled by the same power
of ten to whole money units and ``currency_unit`` records the scale.
"""

from __future__ import annotations

import csv
import io
import random
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

from app.tally.budget import Ballot, BallotKind, BudgetElection, BudgetResult, Project, count, parse_rule
from app.tally.records import InputError, sha256_bytes

__all__ = ["PabulibFile", "dumps", "election_from_pabulib", "parse", "read", "recount", "write"]

VOTE_TYPES = {
    "approval": BallotKind.APPROVAL,
    "choose-1": BallotKind.CHOOSE_1,
    "cumulative": BallotKind.CUMULATIVE,
    "scoring": BallotKind.SCORING,
    "ordinal": BallotKind.ORDINAL,
}
SECTIONS = ("meta", "projects", "votes")
SENTINEL_COST = Decimal(999999999)


@dataclass(frozen=True)
class PabulibFile:
    """A parsed ``.pb`` file: the META pairs in order, the project and vote tables, and the election.

    ``project_rows`` / ``vote_rows`` keep every column as text (in file order), so a writer can reproduce
    the columns it did not interpret.  ``selected`` is the official outcome column, if present
    (project id -> 0/1/2).
    """

    meta: tuple[tuple[str, str], ...]
    project_columns: tuple[str, ...]
    project_rows: tuple[tuple[str, ...], ...]
    vote_columns: tuple[str, ...]
    vote_rows: tuple[tuple[str, ...], ...]
    election: BudgetElection = field(compare=True)
    source: str | None = field(default=None, compare=False)
    sha256: str | None = field(default=None, compare=False)

    @property
    def meta_dict(self) -> dict[str, str]:
        return dict(self.meta)

    @property
    def rule(self) -> str | None:
        """The META ``rule`` value, e.g. ``greedy`` or ``equalshares/add1-comparison``."""
        return self.meta_dict.get("rule")

    @property
    def selected(self) -> dict[str, int] | None:
        if "selected" not in self.project_columns:
            return None
        i = self.project_columns.index("selected")
        j = self.project_columns.index("project_id")
        out: dict[str, int] = {}
        for row in self.project_rows:
            text = row[i].strip()
            out[row[j]] = int(text) if text.lstrip("-").isdigit() else 0
        return out

    def official_selected(self) -> frozenset[str] | None:
        """Projects with ``selected`` = 1 (funded by the rule in META)."""
        sel = self.selected
        return None if sel is None else frozenset(p for p, v in sel.items() if v == 1)

    def rule_and_completion(self) -> tuple[str, str]:
        if self.rule is None:
            raise InputError("META has no 'rule'", source=self.source)
        try:
            return parse_rule(self.rule)
        except InputError as exc:
            raise InputError(exc.message, source=self.source) from None


def _decimal(text: str, what: str, line: int, source: str | None) -> Decimal:
    try:
        value = Decimal(text.strip().replace(",", "."))
    except InvalidOperation:
        raise InputError(f"{what}: expected a number, got {text!r}", line=line, source=source) from None
    if not value.is_finite():
        raise InputError(f"{what}: expected a finite number, got {text!r}", line=line, source=source)
    return value


def _int(text: str, what: str, line: int, source: str | None) -> int:
    value = _decimal(text, what, line, source)
    if value != value.to_integral_value():
        raise InputError(f"{what}: expected a whole number, got {text!r}", line=line, source=source)
    return int(value)


def _places(d: Decimal) -> int:
    exp = d.normalize().as_tuple().exponent
    return max(0, -exp) if isinstance(exp, int) else 0


def parse(data: bytes | str, *, source: str | None = None) -> PabulibFile:
    """Parse the text of a ``.pb`` file; raise :class:`InputError` (with line number) on malformed input."""
    raw = data.encode("utf-8") if isinstance(data, str) else data
    digest = sha256_bytes(raw)
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise InputError(f"not UTF-8 text ({exc.reason} at byte {exc.start})", source=source) from None

    reader = csv.reader(io.StringIO(text, newline=""), delimiter=";")
    section: str | None = None
    header: list[str] | None = None
    seen: list[str] = []
    meta: list[tuple[str, str]] = []
    meta_lines: dict[str, int] = {}
    proj_cols: list[str] = []
    proj_rows: list[tuple[str, ...]] = []
    proj_lines: list[int] = []
    vote_cols: list[str] = []
    vote_rows: list[tuple[str, ...]] = []
    vote_lines: list[int] = []
    while True:
        try:
            row = next(reader)
        except StopIteration:
            break
        except csv.Error as exc:
            raise InputError(f"bad CSV quoting: {exc}", line=reader.line_num, source=source) from None
        line = reader.line_num
        cells = [c.strip() for c in row]
        if not cells or all(c == "" for c in cells):
            continue
        if len(cells) == 1 or all(c == "" for c in cells[1:]):
            title = cells[0].lower()
            if title in SECTIONS:
                if title in seen:
                    raise InputError(f"section {cells[0]} appears twice", line=line, source=source)
                expected_index = len(seen)
                if SECTIONS.index(title) != expected_index:
                    raise InputError(
                        f"expected section {SECTIONS[expected_index].upper()}, found {cells[0]}",
                        line=line,
                        source=source,
                    )
                seen.append(title)
                section = title
                header = None
                continue
        if section is None:
            raise InputError("expected the section title META", line=line, source=source)
        if header is None:
            header = cells
            if section == "meta":
                if [h.lower() for h in header[:2]] != ["key", "value"]:
                    raise InputError(
                        f"expected the META header 'key;value', got {';'.join(row)!r}",
                        line=line,
                        source=source,
                    )
            elif section == "projects":
                for col in ("project_id", "cost"):
                    if col not in header:
                        raise InputError(
                            f"PROJECTS header lacks the column {col!r}", line=line, source=source
                        )
                proj_cols = header
            else:
                for col in ("voter_id", "vote"):
                    if col not in header:
                        raise InputError(f"VOTES header lacks the column {col!r}", line=line, source=source)
                vote_cols = header
            if len(set(header)) != len(header):
                raise InputError("a column name appears twice in the header", line=line, source=source)
            continue
        if section == "meta":
            if len(cells) < 2:
                raise InputError(f"expected 'key;value', got {';'.join(row)!r}", line=line, source=source)
            key = cells[0]
            value = ";".join(row[1:]).strip() if len(cells) > 2 and any(cells[2:]) else cells[1]
            if key in meta_lines:
                raise InputError(f"META key {key!r} appears twice", line=line, source=source)
            meta.append((key, value))
            meta_lines[key] = line
            continue
        cols = proj_cols if section == "projects" else vote_cols
        if len(cells) > len(cols):
            if any(cells[len(cols) :]):
                raise InputError(
                    f"expected {len(cols)} fields ({';'.join(cols)}), got {len(cells)}",
                    line=line,
                    source=source,
                )
            cells = cells[: len(cols)]
        elif len(cells) < len(cols):
            cells = cells + [""] * (len(cols) - len(cells))
        if section == "projects":
            proj_rows.append(tuple(cells))
            proj_lines.append(line)
        else:
            vote_rows.append(tuple(cells))
            vote_lines.append(line)

    for s in SECTIONS:
        if s not in seen:
            raise InputError(f"missing section {s.upper()}", source=source)
    election = _build(
        meta, meta_lines, proj_cols, proj_rows, proj_lines, vote_cols, vote_rows, vote_lines, source
    )
    pb = PabulibFile(
        meta=tuple(meta),
        project_columns=tuple(proj_cols),
        project_rows=tuple(proj_rows),
        vote_columns=tuple(vote_cols),
        vote_rows=tuple(vote_rows),
        election=election,
        source=source,
        sha256=digest,
    )
    # Store the interpreted cells (cost, vote, points) in their canonical spelling, so that writing and
    # reading again gives an equal object.
    return replace(pb, project_rows=_project_cells(pb), vote_rows=_vote_cells(pb))


def _build(
    meta: Sequence[tuple[str, str]],
    meta_lines: Mapping[str, int],
    proj_cols: Sequence[str],
    proj_rows: Sequence[tuple[str, ...]],
    proj_lines: Sequence[int],
    vote_cols: Sequence[str],
    vote_rows: Sequence[tuple[str, ...]],
    vote_lines: Sequence[int],
    source: str | None,
) -> BudgetElection:
    m = dict(meta)
    for key in ("budget", "vote_type"):
        if key not in m:
            raise InputError(f"META lacks the required key {key!r}", source=source)
    vt = m["vote_type"].strip().lower()
    if vt not in VOTE_TYPES:
        raise InputError(
            f"vote_type: expected one of {', '.join(VOTE_TYPES)}, got {m['vote_type']!r}",
            line=meta_lines["vote_type"],
            source=source,
        )
    kind = VOTE_TYPES[vt]
    budget_d = _decimal(m["budget"], "budget", meta_lines["budget"], source)
    if budget_d < 0:
        raise InputError("budget must not be negative", line=meta_lines["budget"], source=source)
    ic, iid = proj_cols.index("cost"), proj_cols.index("project_id")
    iname = proj_cols.index("name") if "name" in proj_cols else None
    icat = next((proj_cols.index(c) for c in ("category", "categories") if c in proj_cols), None)
    itgt = next((proj_cols.index(c) for c in ("target", "targets") if c in proj_cols), None)
    costs: list[Decimal] = []
    for row, line in zip(proj_rows, proj_lines, strict=True):
        if row[iid] == "":
            raise InputError("project_id is empty", line=line, source=source)
        c = _decimal(row[ic], f"cost of project {row[iid]}", line, source)
        if c < 0:
            raise InputError(f"cost of project {row[iid]} must not be negative", line=line, source=source)
        costs.append(c)
    places = max([_places(budget_d)] + [_places(c) for c in costs])
    if places > 6:
        raise InputError("money amounts with more than 6 decimal places are not supported", source=source)
    unit = 10**places

    def _listing(text: str) -> tuple[str, ...]:
        if text == "" or text.lower() == "none":
            return ()
        return tuple(x.strip() for x in text.split(",") if x.strip())

    projects: list[Project] = []
    seen_ids: set[str] = set()
    for row, line, c in zip(proj_rows, proj_lines, costs, strict=True):
        pid = row[iid]
        if pid in seen_ids:
            raise InputError(f"project_id {pid!r} appears twice", line=line, source=source)
        seen_ids.add(pid)
        projects.append(
            Project(
                id=pid,
                cost=int(c * unit),
                name=row[iname] if iname is not None else "",
                categories=_listing(row[icat]) if icat is not None else (),
                targets=_listing(row[itgt]) if itgt is not None else (),
            )
        )

    ivote, ivid = vote_cols.index("vote"), vote_cols.index("voter_id")
    ipoints = vote_cols.index("points") if "points" in vote_cols else None
    if kind in (BallotKind.CUMULATIVE, BallotKind.SCORING) and ipoints is None and vote_rows:
        raise InputError(f"{vt} votes need a 'points' column in VOTES", source=source)
    iweight = vote_cols.index("weight") if "weight" in vote_cols else None
    # ordinal votes without a points column: when PROJECTS reports a "score", pabulib scores a vote listing
    # k projects with k, k-1, ..., 1 points (pabulib/checker count_points_per_project)
    positional = kind is BallotKind.ORDINAL and ipoints is None and "score" in proj_cols
    ballots: list[Ballot] = []
    voter_ids: set[str] = set()
    for row, line in zip(vote_rows, vote_lines, strict=True):
        vid = row[ivid]
        voter_ids.add(vid)
        chosen = _listing(row[ivote])
        for p in chosen:
            if p not in seen_ids:
                raise InputError(
                    f"vote names unknown project {p!r} (not in PROJECTS)", line=line, source=source
                )
        points: tuple[int, ...] | None = None
        if len(set(chosen)) != len(chosen):
            if kind in (BallotKind.CUMULATIVE, BallotKind.SCORING) or ipoints is not None:
                raise InputError("vote names a project twice", line=line, source=source)
            # an approval-type vote listing a project twice approves it once (pabutools reads it as a set)
            chosen = tuple(dict.fromkeys(chosen))
        if kind in (BallotKind.CUMULATIVE, BallotKind.SCORING) or (
            kind is BallotKind.ORDINAL and ipoints is not None
        ):
            assert ipoints is not None
            pts = _listing(row[ipoints])
            if len(pts) != len(chosen):
                raise InputError(
                    f"expected {len(chosen)} numbers in 'points' (one per project in 'vote'), got {len(pts)}",
                    line=line,
                    source=source,
                )
            points = tuple(_int(x, "points", line, source) for x in pts)
            if kind is BallotKind.CUMULATIVE and any(x < 0 for x in points):
                raise InputError("cumulative points must not be negative", line=line, source=source)
        elif kind is BallotKind.ORDINAL and positional:
            points = tuple(range(len(chosen), 0, -1))
        elif kind is BallotKind.CHOOSE_1 and len(chosen) > 1:
            raise InputError(
                f"a choose-1 vote names {len(chosen)} projects, expected at most 1", line=line, source=source
            )
        weight = 1
        if iweight is not None and row[iweight] != "":
            weight = _int(row[iweight], "weight", line, source)
            if weight < 0:
                raise InputError("weight must not be negative", line=line, source=source)
        ballots.append(Ballot(projects=chosen, points=points, weight=weight, voter_id=vid))

    def _opt_int(key: str) -> int | None:
        if key not in m or m[key].strip() == "" or m[key].strip().lower() == "none":
            return None
        return _int(m[key], key, meta_lines[key], source)

    threshold = _opt_int("min_project_score_threshold")
    max_points = _opt_int("max_sum_points") if kind is BallotKind.CUMULATIVE else None
    # pabulib marks withdrawn / artificially excluded projects with this cost (pabulib/checker
    # SENTINEL_PROJECT_COST); greedy-no-skip passes over them without stopping
    withdrawn = frozenset(p.id for p, c in zip(projects, costs, strict=True) if c == SENTINEL_COST)
    return BudgetElection(
        withdrawn=withdrawn,
        projects=tuple(projects),
        budget=int(budget_d * unit),
        ballots=tuple(ballots),
        kind=kind,
        max_points=max_points,
        currency_unit=unit,
        min_score=threshold,
    )


def recount(
    pb: PabulibFile,
    *,
    rule: str | None = None,
    completion: str | None = None,
    rng: random.Random | None = None,
    greedy_ties: str = "file-order",
    **options: Any,
) -> BudgetResult:
    """Recount a pabulib file with the rule in its META (or ``rule`` / ``completion`` when given).

    ``greedy_ties``: ``file-order`` (default) settles ties in score in greedy steps by the order of PROJECTS,
    the published ranking, which is how pabulib's checker verifies greedy files; ``cost-then-lot`` uses the
    library default (lower cost, then by lot).  Other ``options`` go to :func:`app.tally.budget.count`
    (``utility``, ``comparison``, ``progress``, ``add1_integral``).
    """
    if greedy_ties not in GREEDY_TIES:
        raise InputError(f"greedy_ties must be one of {', '.join(GREEDY_TIES)}")
    if rule is None:
        rule, meta_completion = pb.rule_and_completion()
        if completion is None:
            completion = meta_completion
    return count(
        pb.election,
        rule,
        completion or "none",
        rng=rng if rng is not None else random.Random(0),
        greedy_tiebreak=GREEDY_TIES[greedy_ties],
        **options,
    )


GREEDY_TIES: dict[str, tuple[str, ...]] = {"file-order": ("order",), "cost-then-lot": ("cost", "lot")}


def read(path: str | Path) -> PabulibFile:
    """Read and parse a ``.pb`` file."""
    p = Path(path)
    return parse(p.read_bytes(), source=str(p))


def election_from_pabulib(data: bytes | str) -> BudgetElection:
    return parse(data).election


# --------------------------------------------------------------------------------------------- writer


def _money(value: int, unit: int) -> str:
    if unit == 1:
        return str(value)
    places = len(str(unit)) - 1
    return str((Decimal(value) / Decimal(unit)).quantize(Decimal(1).scaleb(-places)))


def dumps(pb: PabulibFile | BudgetElection, meta: Mapping[str, str] | None = None) -> str:
    """Write a ``.pb`` file.  From a :class:`PabulibFile`, every column and META key is kept; money, votes and
    points are written from the election, so ``parse(dumps(parse(x)))`` equals ``parse(x)``."""
    if isinstance(pb, BudgetElection):
        pb = from_election(pb, meta)
    e = pb.election
    project_rows, vote_rows = _project_cells(pb), _vote_cells(pb)
    out = io.StringIO(newline="")
    w = csv.writer(out, delimiter=";", lineterminator="\n")
    w.writerow(["META"])
    w.writerow(["key", "value"])
    m = dict(pb.meta)
    m["budget"] = _money(e.budget, e.currency_unit)
    for key, _value in pb.meta:
        w.writerow([key, m[key]])
    if "budget" not in dict(pb.meta):
        w.writerow(["budget", m["budget"]])
    w.writerow(["PROJECTS"])
    w.writerow(pb.project_columns)
    w.writerows(project_rows)
    w.writerow(["VOTES"])
    w.writerow(pb.vote_columns)
    w.writerows(vote_rows)
    return out.getvalue()


def _project_cells(pb: PabulibFile) -> tuple[tuple[str, ...], ...]:
    e = pb.election
    ic = pb.project_columns.index("cost")
    rows = []
    for row, p in zip(pb.project_rows, e.projects, strict=True):
        cells = list(row)
        cells[ic] = _money(p.cost, e.currency_unit)
        rows.append(tuple(cells))
    return tuple(rows)


def _vote_cells(pb: PabulibFile) -> tuple[tuple[str, ...], ...]:
    e = pb.election
    iv = pb.vote_columns.index("vote")
    ipts = pb.vote_columns.index("points") if "points" in pb.vote_columns else None
    rows = []
    for row, b in zip(pb.vote_rows, e.ballots, strict=True):
        cells = list(row)
        cells[iv] = ",".join(b.projects)
        if ipts is not None and b.points is not None:
            cells[ipts] = ",".join(str(x) for x in b.points)
        rows.append(tuple(cells))
    return tuple(rows)


def from_election(e: BudgetElection, meta: Mapping[str, str] | None = None) -> PabulibFile:
    """Wrap an election built in code so it can be written as ``.pb``."""
    vote_type = {v: k for k, v in VOTE_TYPES.items()}.get(e.kind, "approval")
    m: dict[str, str] = {
        "description": "Folkmoot participatory budget",
        "num_projects": str(len(e.projects)),
        "num_votes": str(len(e.ballots)),
        "budget": _money(e.budget, e.currency_unit),
        "vote_type": vote_type,
        "rule": "unknown",
    }
    if e.max_points is not None:
        m["max_sum_points"] = str(e.max_points)
    if e.min_score is not None:
        m["min_project_score_threshold"] = str(e.min_score)
    if meta:
        m.update(meta)
    pcols = ("project_id", "cost", "name", "category", "target")
    prows = tuple(
        (p.id, _money(p.cost, e.currency_unit), p.name, ",".join(p.categories), ",".join(p.targets))
        for p in e.projects
    )
    has_points = e.kind in (BallotKind.CUMULATIVE, BallotKind.SCORING) or any(
        b.points is not None for b in e.ballots
    )
    has_weight = any(b.weight != 1 for b in e.ballots)
    vcols = ["voter_id", "vote"] + (["points"] if has_points else []) + (["weight"] if has_weight else [])
    vrows = []
    for n, b in enumerate(e.ballots, start=1):
        r = [b.voter_id or str(n), ",".join(b.projects)]
        if has_points:
            r.append(",".join(str(x) for x in b.points or ()))
        if has_weight:
            r.append(str(b.weight))
        vrows.append(tuple(r))
    return PabulibFile(
        meta=tuple(m.items()),
        project_columns=pcols,
        project_rows=prows,
        vote_columns=tuple(vcols),
        vote_rows=tuple(vrows),
        election=e,
    )


def write(pb: PabulibFile | BudgetElection, path: str | Path) -> None:
    Path(path).write_text(dumps(pb), encoding="utf-8")
