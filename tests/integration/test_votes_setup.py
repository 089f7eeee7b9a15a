"""An officer creates a vote through its form: options from shortlisted proposals and free text, the rule,
seats, area, topic, times and the weight cap, with clear errors for what cannot be."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from app.auth.models import Role
from app.core.models import AuditEntry
from app.extensions import db
from app.voting.models import Vote
from tests.factories import PASSWORD, make_user
from tests.factories_budgets import FENLAND, place
from tests.factories_votes import cambs  # noqa: F401  (a fixture)

pytestmark = pytest.mark.usefixtures("cambs")


def _form(**over):  # type: ignore[no-untyped-def]
    data = {"title": "Which three first?", "description": "", "rule": "stv", "seats": "2", "place": str(place(FENLAND).id),
            "topic": "0", "options": "Parks\nBuses\nLibraries\nPools", "opens_at": "2027-03-01T09:00",
            "closes_at": "2027-03-15T17:00", "weight_cap": "25"}
    data.update(over)
    return data


def test_an_officer_creates_a_vote_with_the_form(browser):
    officer = make_user(Role.OFFICER)
    browser.sign_in(officer.email, PASSWORD)
    html = browser.submit("/votes/new", _form()).get_data(as_text=True)
    assert "Vote created." in html and "2 winners" in html
    vote = db.session.execute(select(Vote)).scalar_one()
    assert [o.title for o in vote.options] == ["Parks", "Buses", "Libraries", "Pools"]
    assert (vote.rule, vote.seats, vote.weight_cap, vote.place_id) == ("stv", 2, 25, place(FENLAND).id)
    assert "This vote has not opened yet." in browser.get(f"/votes/{vote.id}/ballot").get_data(as_text=True)
    entry = db.session.execute(select(AuditEntry).where(AuditEntry.action == "vote.created")).scalar_one()
    assert '"seed"' in entry.data_json


@pytest.mark.parametrize("over,message", [
    ({"options": "Only one"}, "A vote needs at least two options."),
    ({"options": "Parks\nparks"}, "Each option needs a different name."),
    ({"closes_at": "2027-02-01T09:00"}, "The vote must close after it opens."),
    ({"seats": "4"}, "The number of seats must be at least 1 and fewer than the number of options."),
    ({"title": ""}, "Enter the question"),
    ({"opens_at": "soon"}, "Not a valid datetime value."),
])
def test_what_cannot_be_is_refused_clearly(browser, over, message):
    browser.sign_in(make_user(Role.OFFICER).email, PASSWORD)
    html = browser.submit("/votes/new", _form(**over)).get_data(as_text=True)
    assert "There is a problem" in html and message in html
    assert db.session.execute(select(Vote)).first() is None
