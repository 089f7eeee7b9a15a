"""The recount files of a process, each with its published result, for committee packs and open data.

A documented, stable API (the open-data API may reuse it):

- :func:`budget_files(session, process) <budget_files>`: one pabulib ``.pb`` file per heading with a published
  count (anonymised, shuffled ballots; ``python -m app.tally pb FILE --check --seed SEED --json`` recounts it);
- :func:`vote_files(session, vote) <vote_files>`: the weighted ``.blt`` ballot file of a published ranked vote
  (``python -m app.tally RULE FILE --seed SEED --json``);
- :func:`panel_files(session, panel) <panel_files>`: the anonymised pool and quota CSV files frozen at the
  commitment, with the draw (``python -m app.tally sortition pool.csv quotas.csv --size K --seed S --method M --json``,
  or ``--lottery M --ticket N`` for a transparent lottery).

Each returns :class:`RecountFile` items: the file's name and text, the result file's name and content (a dict in
the shape ``python -m app.tally … --json`` prints, with ``file`` set to the file's name in the pack) and the exact
command.  Nothing here reads personal data: ballots are anonymised and shuffled by the features that store them,
and a panel's pool holds public ids and category answers only.
"""

from __future__ import annotations

import contextlib
import io
import json
import shlex
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy.orm import Session


@dataclass(frozen=True)
class RecountFile:
    name: str
    text: str
    result_name: str
    result: dict[str, Any]
    argv: tuple[str, ...]  # the arguments after ``python -m app.tally``
    extra: tuple[tuple[str, str], ...] = field(default=())  # further input files: (name, text)

    @property
    def command(self) -> str:
        return " ".join(shlex.quote(p) for p in ("python", "-m", "app.tally", *self.argv))


def recount(argv: list[str] | tuple[str, ...], files: dict[str, str]) -> list[dict[str, Any]]:
    """Run ``python -m app.tally ARGV`` in-process on ``files`` (name -> text) written to a scratch folder, and
    return its ``--json`` lines; ``file`` is given back as the name, not the scratch path."""
    from app.tally.__main__ import main

    with tempfile.TemporaryDirectory() as tmp:
        for name, text in files.items():
            (Path(tmp) / name).write_text(text, encoding="utf-8")
        args = [str(Path(tmp) / a) if a in files else a for a in argv]
        out, err = io.StringIO(), io.StringIO()
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            code = main(args)
        if code not in (0, 1):
            raise RuntimeError(f"python -m app.tally {' '.join(argv)} failed: {err.getvalue().strip()}")
        results = [json.loads(line) for line in out.getvalue().splitlines() if line.strip()]
        for item in results:
            if isinstance(item.get("file"), str):
                item["file"] = Path(item["file"]).name
        return results


def budget_files(session: Session, process: Any) -> list[RecountFile]:
    """One pabulib file per heading whose count is published, with the result the recount prints."""
    from app.budgets import services

    out = []
    for heading in process.headings:
        count = services.published_count(session, heading)
        if count is None:
            continue
        name = f"budget-heading-{heading.id}.pb"
        text = services.export_pabulib(session, heading, count)
        argv = ("pb", name, "--check", "--seed", str(count.seed), "--json")
        result = recount(argv, {name: text})[0]
        out.append(RecountFile(name, text, f"result-budget-heading-{heading.id}.json", result, argv))
    return out


def vote_files(session: Session, vote: Any) -> list[RecountFile]:
    """The weighted BLT file of a published vote, with the published result (the shape the recount prints)."""
    from app.voting import counting
    from app.voting.models import VoteState

    count = counting.count_of(session, vote)
    if count is None or vote.state != VoteState.PUBLISHED.value:
        return []
    name = f"vote-{vote.id}.blt"
    result = json.loads(count.result_json)
    result["file"] = name
    argv = (vote.rule, name, "--seed", str(count.seed), "--json")
    return [RecountFile(name, count.blt_text, f"result-vote-{vote.id}.json", result, argv)]


def panel_files(session: Session, panel: Any) -> list[RecountFile]:
    """The anonymised pool and quotas of a drawn panel with the draw, in the shape the sortition recount prints."""
    from app.panels.services.selection import POOL_FILE, QUOTAS_FILE, rerun_command

    sel = panel.selection
    if sel is None or sel.seed is None or not sel.result_json:
        return []
    stored = json.loads(sel.result_json)
    result = {
        "file": POOL_FILE, "rule": sel.method, "size": sel.size, "seed": sel.seed,
        "input_sha256": stored.get("inputs_sha256"), "panel": stored.get("panel", []),
        "probabilities": stored.get("probabilities", {}), "min_probability": stored.get("min_probability"),
        "panels": stored.get("panels"), "seconds": stored.get("seconds"),
        "lottery": sel.lottery_size, "lottery_index": int(sel.seed) if sel.lottery_size else None,
        "rounding_max_change": sel.lottery_max_change,
    }
    # the command the public draw page shows (a transparent lottery re-runs by its ticket, not a seed)
    argv = (*shlex.split(rerun_command(sel))[3:], "--json")
    return [RecountFile(POOL_FILE, sel.pool_csv, f"result-panel-{panel.id}.json", result, argv,
                        extra=((QUOTAS_FILE, sel.quotas_csv),))]


def files_for(session: Session, kind: str, obj: Any) -> list[RecountFile]:
    """The recount files of any exportable ``kind`` (a proposal consultation has none)."""
    if kind == "budget":
        return budget_files(session, obj)
    if kind == "vote":
        return vote_files(session, obj)
    if kind == "panel":
        return panel_files(session, obj)
    return []
