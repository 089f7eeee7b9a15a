"""The demonstration budgets tell a believable story: stages reached show the moment they happened in the
story (on their planned dates, before today), stages to come show "Not yet", and ballots are dated within
the voting window, not all at the moment the demonstration was loaded."""

from __future__ import annotations

import re
from datetime import datetime, time, timedelta

import pytest
from sqlalchemy import func, select

from app.budgets import queries, services
from app.budgets.demo import FENLAND, SOUTH_CAMBS
from app.budgets.models import BallotChannel, BudgetProcess, BudgetRegister, Phase
from app.core.db import utcnow
from app.core.errors import DomainError
from app.core.i18n import moment
from app.extensions import db
from tests.factories_budgets import cambs, make_budget  # noqa: F401  (cambs is a fixture)

STAGES = ("accepting_proposals", "reviewing", "balloting", "reviewing_ballots", "finished")
PLANNED = ("proposals_open_on", "review_starts_on", "voting_opens_on", "voting_closes_on", "results_on")


def _process(title: str) -> BudgetProcess:
    return db.session.execute(select(BudgetProcess).where(BudgetProcess.title == title)).scalar_one()


def _timetable(html: str) -> list[tuple[str, str, str]]:
    body = html.split("<h2>Timetable</h2>", 1)[1].split("</table>", 1)[0]
    return [tuple(re.sub(r"<[^>]+>", "", c).strip() for c in re.findall(r"<td>(.*?)</td>", row))  # type: ignore[misc]
            for row in re.findall(r"<tr><td>.*?</tr>", body)]


def test_the_demo_timetables_follow_the_story(demo, browser):  # type: ignore[no-untyped-def]
    now = utcnow()
    fenland, south = _process(FENLAND), _process(SOUTH_CAMBS)
    history = queries.phase_history(db.session, fenland)
    for stage, planned in zip(STAGES, PLANNED, strict=True):  # every stage happened at 9:00 on its planned day
        assert history[stage] == datetime.combine(getattr(fenland, planned), time(9, 0)) < now
    assert fenland.results_published_at == history["finished"] and fenland.phase_enum is Phase.FINISHED
    assert services.published_count(db.session, fenland.headings[0]).published_at == history["finished"]

    assert south.phase_enum is Phase.BALLOTING
    assert south.voting_opens_on < now.date() < south.voting_closes_on  # voting is open, as the story says
    history = queries.phase_history(db.session, south)
    assert set(history) == {"accepting_proposals", "reviewing", "balloting"}
    rows = _timetable(browser.get(f"/budgets/{south.id}").get_data(as_text=True))
    assert [r[2] for r in rows[3:]] == ["Not yet", "Not yet"]  # the stages to come show only their planned dates
    assert rows[2][2] == moment(history["balloting"]) and all(r[1] for r in rows)
    rows = _timetable(browser.get(f"/budgets/{fenland.id}").get_data(as_text=True))
    assert len({r[2] for r in rows}) == 5 and "Not yet" not in {r[2] for r in rows}  # five different moments

    # ballots were cast while voting was open, not when the demo was loaded
    for process in (fenland, south):
        opened = datetime.combine(process.voting_opens_on, time(9, 0))
        closes = min(datetime.combine(process.voting_closes_on, time(9, 0)), now)
        first, last = db.session.execute(
            select(func.min(BudgetRegister.marked_at), func.max(BudgetRegister.marked_at))
            .where(BudgetRegister.heading_id == process.headings[0].id, BudgetRegister.channel == BallotChannel.ONLINE.value)
        ).one()
        assert opened <= first < last < closes and last - first > timedelta(days=5)


@pytest.mark.usefixtures("cambs")
def test_a_stage_change_may_be_recorded_for_the_past_but_not_the_future_nor_out_of_order(app):  # type: ignore[no-untyped-def]
    process, _heading = make_budget(phase=Phase.DRAFTING)
    earlier = utcnow() - timedelta(days=3)
    with pytest.raises(DomainError, match="not for the future"):
        services.advance_phase(db.session, None, process, Phase.ACCEPTING_PROPOSALS, at=utcnow() + timedelta(hours=1))
    db.session.rollback()
    services.advance_phase(db.session, None, process, Phase.ACCEPTING_PROPOSALS, at=earlier)
    db.session.commit()
    assert queries.phase_history(db.session, process)["accepting_proposals"] == earlier == process.phase_changed_at
    with pytest.raises(DomainError, match="after the previous change"):
        services.advance_phase(db.session, None, process, Phase.REVIEWING, at=earlier - timedelta(days=1))
    db.session.rollback()
    services.advance_phase(db.session, None, process, Phase.REVIEWING)
    db.session.commit()
    assert queries.phase_history(db.session, process)["reviewing"] > earlier
