"""Polish formatting (issue 13, item 13): numbers and percentages through Babel on the real pages, in both
languages; topic names translated."""

from __future__ import annotations

import pytest
from flask_babel import force_locale
from sqlalchemy import update

from app.core.i18n import percent
from app.extensions import db
from app.proposals import services
from app.proposals.models import Proposal
from tests.factories_proposals import S, World, login_as, make_proposal, world_fixture  # noqa: F401

PL = {"Accept-Language": "pl"}
NBSP = "\u00a0"


def _text(resp) -> str:  # type: ignore[no-untyped-def]
    return resp.get_data(as_text=True)


def test_percentages_use_the_locales_decimal_sign(app):
    with app.test_request_context():
        with force_locale("en"):
            assert percent(0.003, 1) == "0.3%"
        with force_locale("pl"):
            assert percent(0.003, 1) == "0,3%"
            assert percent(0.375) == "38%"


def test_counts_on_pages_are_formatted_by_babel(browser, world: World):
    proposal = make_proposal(world.author, world.place("T-NW"), S.PUBLISHED)
    db.session.execute(update(Proposal).where(Proposal.id == proposal.id).values(support_count=12345))
    db.session.commit()
    assert "12,345 people support this proposal." in _text(browser.get(f"/proposals/{proposal.id}"))
    polish = _text(browser.get(f"/proposals/{proposal.id}", headers=PL))
    assert f"12{NBSP}345 osób popiera" in polish
    assert "12345" not in polish


def test_topic_names_are_translated(browser, world: World):
    topic = services.create_topic(db.session, world.officer, "Parks and green spaces", {"pl": "Parki i tereny zielone"})
    plain = services.create_topic(db.session, world.officer, "Safety")
    proposal = make_proposal(world.author, world.place("T-NW"), S.PUBLISHED, topic_ids=[topic.id, plain.id])
    db.session.commit()
    polish = _text(browser.get(f"/proposals/{proposal.id}", headers=PL))
    assert "Parki i tereny zielone" in polish and "Parks and green spaces" not in polish
    assert "Safety" in polish  # no Polish name given: the main name
    assert "Parki i tereny zielone" in _text(browser.get("/proposals/", headers=PL))
    assert "Parks and green spaces" in _text(browser.get(f"/proposals/{proposal.id}"))


def test_officers_give_a_topic_its_polish_name(browser, world: World):
    login_as(browser.client, world.officer)
    resp = browser.submit("/proposals/topics", {"name": "Roads and pavements", "name_pl": "Drogi i chodniki"})
    assert "Topic added" in _text(resp)
    from sqlalchemy import select

    from app.proposals.models import Topic

    topic = db.session.execute(select(Topic).where(Topic.name == "Roads and pavements")).scalar_one()
    assert topic.name_in("pl") == "Drogi i chodniki"
    resp = browser.submit(f"/proposals/topics/{topic.id}", {"name": "Roads and pavements", "name_pl": "Drogi",
                                                           "is_active": "y"})
    db.session.refresh(topic)
    assert topic.name_in("pl") == "Drogi"


@pytest.mark.usefixtures("demo")
def test_coalition_balance_percentages_in_polish(browser):
    html = _text(browser.get("/deliberation/coalition", headers=PL))
    assert '<td class="num">50%</td>' in html and '<td class="num">100%</td>' in html
    assert "Udział" in html  # the column is a share, not "share this"
    assert "%(" not in html


def test_numbers_in_messages_built_in_python_are_formatted_by_babel(app):
    """Messages composed in Python (flash messages, form errors, results' reasons) go through the same Babel
    formatting as the templates: ``%(num)d`` never prints a bare 12345 in a Polish page."""
    from flask_babel import gettext, lazy_gettext, ngettext

    from app.budgets.presenters import reason_text

    below = {"code": "below-threshold", "score": 12345}
    with app.test_request_context():
        with force_locale("en"):
            assert reason_text(below, {}, points=True) == (
                "It had 12,345 points, fewer than the minimum support needed to be funded.")
            assert ngettext("%(num)d day", "%(num)d days", 1) == "1 day"
        with force_locale("pl"):
            polish = reason_text(below, {})
            assert f"12{NBSP}345" in polish and "12345" not in polish
            assert ngettext("%(num)d day", "%(num)d days", 22) == "22 dni"
            lazy = lazy_gettext("The pool has %(pool)d people, fewer than the panel's %(size)d seats.",
                                pool=12000, size=30)
            assert f"12{NBSP}000" in str(lazy)
            # a number that names something (a line, a batch, a seed) is never grouped
            assert "12345" in gettext("Line %(line)d: code and name are required.", line=12345)
            # %d truncated a float; the Babel path does the same rather than printing "2500.0"
            assert f"2{NBSP}500" in gettext("Key all %(size)d ballots of the batch.", size=2500.0)
