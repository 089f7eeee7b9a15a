"""The demo holds a closed and published IRV vote and a closed and published STV vote (three priorities for a
district), each counted with delegations including a chain of three or more and a cycle, and an open vote;
each published result recounts from its exported file."""

from __future__ import annotations

import json

import numpy as np
from sqlalchemy import select

from app.delegation.resolution import graph_of
from app.extensions import db
from app.tally.__main__ import main as tally_main
from app.voting import counting
from app.voting.models import Vote


def _longest_route(vote: Vote) -> int:
    res = counting.snapshot_resolution(db.session, vote)
    return int(np.max(res.result.steps))


def test_demo_votes(app, demo, tmp_path, capsys):
    votes = {v.rule: v for v in db.session.execute(select(Vote)).scalars()}
    assert votes["irv"].state == votes["stv"].state == "published"
    assert votes["stv"].seats == 3 and votes["stv"].place.kind == "district"
    assert votes["schulze"].state == "open"
    for rule in ("irv", "stv"):
        vote = votes[rule]
        count = counting.count_of(db.session, vote)
        figures = json.loads(count.figures_json)
        assert figures["delegated"] > 0 and figures["uncast"]["cycle"] >= 2
        assert _longest_route(vote) >= 3
        assert len(graph_of(counting.snapshot_rows(db.session, vote))) == count.snapshot_size > 0
        path = tmp_path / f"{rule}.blt"
        assert app.test_cli_runner().invoke(args=["votes", "export", str(vote.id), str(path)]).exit_code == 0
        capsys.readouterr()
        assert tally_main([rule, str(path), "--json", "--seed", str(vote.seed)]) == 0
        recount = json.loads(capsys.readouterr().out)
        published = json.loads(count.result_json)
        assert recount["elected"] == published["elected"] and recount["rounds"] == published["rounds"]
        assert recount["input_sha256"] == count.inputs_hash
