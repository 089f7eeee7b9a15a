"""The deliberation demo data: present after `seed_demo`, and running the seed again adds nothing."""

from __future__ import annotations

from sqlalchemy import func, select

from app.deliberation import services
from app.deliberation.demo import seed
from app.deliberation.models import Comment, CouncilResponse, Debate, Recommendation, Report, SpaceMembership
from app.extensions import db

MODELS = [Comment, Debate, SpaceMembership, Recommendation, CouncilResponse, Report]


def counts() -> dict[str, int]:
    return {m.__name__: db.session.execute(select(func.count()).select_from(m)).scalar_one() for m in MODELS}


def test_demo_is_complete_and_idempotent(demo, browser):
    before = counts()
    coalition = services.coalition(db.session)
    # (other features' demo data, such as the citizens' panel's space, add memberships and recommendations of their own)
    in_coalition = {m.__name__: db.session.execute(select(func.count()).select_from(m).where(m.space_id == coalition.id)).scalar_one()
                    for m in (SpaceMembership, Recommendation)}
    assert in_coalition == {"SpaceMembership": 8, "Recommendation": 3} and before["CouncilResponse"] == 1
    assert before["Report"] >= 1 and before["Debate"] >= 2
    balance = services.balance(db.session, coalition)
    assert (balance.officers, balance.residents) == (4, 4)
    hidden = db.session.execute(select(Comment).where(Comment.hidden_at.is_not(None))).scalars().all()
    assert len(hidden) == 1 and hidden[0].hidden_reason
    stances = {s for (s,) in db.session.execute(select(Comment.stance).where(Comment.proposal_id.is_not(None)))}
    assert {"for", "against", "question"} <= stances
    seed(db.session)
    db.session.commit()
    assert counts() == before
    # What a visitor sees: the hidden comment's reason, not its text.
    debate = db.session.execute(select(Debate).where(Debate.space_id.is_(None))).scalars().first()
    page = browser.get(f"/deliberation/debates/{debate.id}").get_data(as_text=True)
    assert "Hidden by a moderator: " + hidden[0].hidden_reason in page and hidden[0].body not in page
