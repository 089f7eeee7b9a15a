"""A budget's own support threshold: set on the budget's form, it flags proposals in the budget's area for
officer review while the budget takes or reviews proposals, and nowhere and at no other time."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import select

from app.auth.models import Role
from app.budgets.models import BudgetProcess, Phase
from app.core.models import AuditEntry
from app.extensions import db, limiter
from app.proposals.models import Proposal, ProposalState
from app.proposals.thresholds import Threshold, threshold_for
from tests.factories import PASSWORD, make_user
from tests.factories_budgets import FENLAND, SOUTH_CAMBS, advance, cambs, place  # noqa: F401  (cambs is a fixture)
from tests.factories_proposals import make_proposal


def _new_budget(browser, threshold: str) -> str:  # type: ignore[no-untyped-def]
    return browser.submit("/budgets/new", {
        "title": "Fenland Ideas Fund", "description": "", "place": str(place(FENLAND).id),
        "ballot_type": "approval", "rule": "greedy", "completion": "none", "support_threshold": threshold,
    }).get_data(as_text=True)


@pytest.mark.usefixtures("cambs")
def test_threshold_set_on_the_form_flags_proposals_in_the_area_while_taking_proposals(browser):  # type: ignore[no-untyped-def]
    officer = make_user(Role.OFFICER)
    browser.sign_in(officer.email, PASSWORD)
    html = _new_budget(browser, "0")
    assert "Enter a number of supports between 1 and 100,000, or leave it empty." in html
    assert db.session.execute(select(BudgetProcess)).first() is None  # nothing half-saved
    assert "Budget created" in _new_budget(browser, "2")
    process = db.session.execute(select(BudgetProcess)).scalar_one()
    assert process.support_threshold == 2
    assert "Officers review a proposal at" in browser.get(f"/budgets/{process.id}").get_data(as_text=True)

    author = make_user(postcode="PE13 1AG")
    wisbech = author.home_place
    inside = make_proposal(author, wisbech, ProposalState.PUBLISHED, title="Inside Fenland")
    outside = make_proposal(author, place(SOUTH_CAMBS), ProposalState.PUBLISHED, title="Outside Fenland")
    assert threshold_for(db.session, inside) is None  # the budget is still being drafted
    advance(process, Phase.ACCEPTING_PROPOSALS, officer)
    assert threshold_for(db.session, inside) == Threshold(2, "Fenland Ideas Fund")
    assert threshold_for(db.session, outside) is None
    assert "the threshold of Fenland Ideas Fund" in browser.get(f"/proposals/{inside.id}").get_data(as_text=True)

    for proposal in (inside, outside):
        for supporter in (make_user(), make_user()):
            limiter.reset()
            browser.sign_in(supporter.email, PASSWORD)
            browser.submit(f"/proposals/{proposal.id}/support", {})
    db.session.expire_all()
    assert db.session.get(Proposal, inside.id).flagged_for_review_at is not None
    assert db.session.get(Proposal, outside.id).flagged_for_review_at is None
    entry = db.session.execute(select(AuditEntry).where(AuditEntry.action == "proposal.flagged_for_review")).scalar_one()
    assert json.loads(entry.data_json)["set_by"] == "Fenland Ideas Fund"

    advance(process, Phase.REVIEWING, officer)
    assert threshold_for(db.session, inside) == Threshold(2, "Fenland Ideas Fund")
    process.phase = Phase.BALLOTING.value  # the call for proposals is over (headings are not this test's concern)
    db.session.commit()
    assert threshold_for(db.session, inside) is None


@pytest.mark.usefixtures("cambs")
def test_changing_the_threshold_is_audited(browser):  # type: ignore[no-untyped-def]
    officer = make_user(Role.OFFICER)
    browser.sign_in(officer.email, PASSWORD)
    _new_budget(browser, "")
    process = db.session.execute(select(BudgetProcess)).scalar_one()
    assert process.support_threshold is None
    browser.submit(f"/budgets/{process.id}/edit", {
        "title": "Fenland Ideas Fund", "description": "", "place": str(place(FENLAND).id),
        "ballot_type": "approval", "rule": "greedy", "completion": "none", "support_threshold": "25",
    })
    db.session.refresh(process)
    assert process.support_threshold == 25
    entry = db.session.execute(select(AuditEntry).where(AuditEntry.action == "budget.updated")).scalar_one()
    assert json.loads(entry.data_json)["changed"]["support_threshold"] == {"from": None, "to": 25}
