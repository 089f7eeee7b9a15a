"""Moderation through the real forms: report → queue → hide with a public reason (text kept, shown to
moderators only) → restore; hiding debates and proposals; warnings and suspensions; every step audited."""

from __future__ import annotations

import json

from sqlalchemy import select

from app.auth.models import Role, User
from app.core.models import AuditEntry
from app.deliberation.models import Comment, Notification, Report
from app.extensions import db
from app.proposals.models import Proposal
from tests.factories import PASSWORD, make_user
from tests.factories_deliberation import make_comment, make_debate, make_proposal


def audit_actions() -> list[str]:
    return [a for (a,) in db.session.execute(select(AuditEntry.action).order_by(AuditEntry.id))]


def test_report_queue_hide_restore(browser):
    writer, reporter, moderator = make_user(name="Rude Writer"), make_user(name="Reporter"), make_user(Role.MODERATOR)
    proposal = make_proposal(make_user())
    comment = make_comment(writer, proposal, "You are all idiots.")
    browser.sign_in(reporter.email, PASSWORD)
    html = browser.submit(f"/deliberation/report/comment/{comment.id}", {"reason": ""}).get_data(as_text=True)
    assert "Tell us what is wrong with it" in html
    html = browser.submit(f"/deliberation/report/comment/{comment.id}", {"reason": "Insults people."}).get_data(as_text=True)
    assert "A moderator will look at your report." in html
    html = browser.submit(f"/deliberation/report/comment/{comment.id}", {"reason": "Again."}).get_data(as_text=True)
    assert "You have already reported this." in html
    assert len(db.session.execute(select(Report)).scalars().all()) == 1
    assert browser.get("/deliberation/moderation").status_code == 403
    browser.sign_out()

    browser.sign_in(moderator.email, PASSWORD)
    queue = browser.get("/deliberation/moderation").get_data(as_text=True)
    assert "Insults people." in queue and "You are all idiots." in queue
    html = browser.submit(f"/deliberation/moderation/comment/{comment.id}/hide", {"reason": ""}).get_data(as_text=True)
    assert "Enter the reason people will see" in html
    browser.submit(f"/deliberation/moderation/comment/{comment.id}/hide", {"reason": "It insults other residents."})
    db.session.refresh(comment)
    assert comment.hidden_at is not None and comment.body == "You are all idiots."  # kept for appeal
    assert db.session.execute(select(Report)).scalar_one().resolution == "hidden"
    assert "No reports are waiting." in browser.get("/deliberation/moderation").get_data(as_text=True)
    # Moderators can still read the hidden text.
    assert "You are all idiots." in browser.get(f"/proposals/{proposal.id}").get_data(as_text=True)
    browser.sign_out()

    page = browser.get(f"/proposals/{proposal.id}").get_data(as_text=True)
    assert "Hidden by a moderator: It insults other residents." in page
    assert "You are all idiots." not in page
    assert browser.get(f"/deliberation/comments/{comment.id}/history").status_code == 404
    browser.sign_in(writer.email, PASSWORD)
    assert browser.get(f"/deliberation/comments/{comment.id}/edit").status_code == 403
    assert browser.get(f"/deliberation/comments/{comment.id}/reply").status_code == 403
    browser.sign_out()

    browser.sign_in(moderator.email, PASSWORD)
    browser.submit(f"/deliberation/moderation/comment/{comment.id}/restore", {"note": "Apology received."})
    browser.sign_out()
    page = browser.get(f"/proposals/{proposal.id}").get_data(as_text=True)
    assert "You are all idiots." in page and "Hidden by a moderator" not in page
    assert [a for a in audit_actions() if a.startswith("moderation.")] == ["moderation.report", "moderation.hide", "moderation.restore"]
    hide_entry = db.session.execute(select(AuditEntry).where(AuditEntry.action == "moderation.hide")).scalar_one()
    assert json.loads(hide_entry.data_json)["reason"] == "It insults other residents."
    assert hide_entry.actor_id == moderator.id


def test_hide_debate_and_proposal(browser):
    author, moderator = make_user(), make_user(Role.MODERATOR)
    debate = make_debate(author, title="Unpleasant debate title")
    proposal = make_proposal(author, title="Advert for my shop")
    make_comment(make_user(), debate, "Quoting the neighbour's address here.")
    browser.sign_in(moderator.email, PASSWORD)
    browser.submit(f"/deliberation/moderation/debate/{debate.id}/hide", {"reason": "Personal details of a neighbour."})
    browser.submit(f"/deliberation/moderation/proposal/{proposal.id}/hide", {"reason": "Advertising."})
    browser.sign_out()
    page = browser.get(f"/deliberation/debates/{debate.id}").get_data(as_text=True)
    assert "Hidden by a moderator: Personal details of a neighbour." in page and "Unpleasant debate title" not in page
    assert "Quoting the neighbour" not in page  # a hidden debate's thread is hidden with it
    assert "Unpleasant debate title" not in browser.get("/deliberation/").get_data(as_text=True)
    stored = db.session.get(Proposal, proposal.id)
    assert stored.hidden_at is not None and stored.hidden_reason == "Advertising." and stored.title == "Advert for my shop"
    page = browser.get(f"/proposals/{proposal.id}").get_data(as_text=True)
    assert "Hidden by a moderator: Advertising." in page
    # A hidden proposal or debate takes no new comments.
    browser.sign_in(make_user().email, PASSWORD)
    assert browser.get(f"/deliberation/debates/{debate.id}/comments").status_code == 403
    assert browser.get(f"/deliberation/proposals/{proposal.id}/comments").status_code == 403
    browser.sign_out()
    browser.sign_in(moderator.email, PASSWORD)
    browser.submit(f"/deliberation/moderation/proposal/{proposal.id}/restore", {})
    db.session.expire_all()
    assert db.session.get(Proposal, proposal.id).hidden_at is None
    assert audit_actions().count("moderation.hide") == 2 and "moderation.restore" in audit_actions()


def test_warn_and_suspend_then_the_account_cannot_comment(browser):
    troll, moderator = make_user(name="Troll"), make_user(Role.MODERATOR)
    proposal = make_proposal(make_user())
    browser.sign_in(moderator.email, PASSWORD)
    url = f"/deliberation/moderation/accounts/{troll.id}"
    html = browser.submit(url, {"action": "warn", "reason": ""}).get_data(as_text=True)
    assert "Enter the reason" in html
    browser.submit(url, {"action": "warn", "reason": "Please discuss ideas, not people."})
    note = db.session.execute(select(Notification).where(Notification.user_id == troll.id)).scalar_one()
    assert note.kind == "warning"
    browser.sign_out()
    browser.sign_in(troll.email, PASSWORD)
    assert "Please discuss ideas, not people." in browser.get("/deliberation/notifications").get_data(as_text=True)
    browser.submit(f"/deliberation/proposals/{proposal.id}/comments", {"body": "Still allowed after a warning."})
    browser.sign_out()

    browser.sign_in(moderator.email, PASSWORD)
    # A moderator cannot moderate their own account.
    assert browser.get(f"/deliberation/moderation/accounts/{moderator.id}").status_code == 403
    browser.submit(url, {"action": "suspend", "reason": "Repeated insults after a warning."})
    assert db.session.get(User, troll.id).is_suspended
    browser.sign_out()

    browser.sign_in(troll.email, PASSWORD)
    assert browser.get(f"/deliberation/proposals/{proposal.id}/comments").status_code == 403
    # Posting directly (with a valid token from another page) is refused too, and nothing is saved.
    from tests.conftest import csrf_from

    token = csrf_from(browser.get(f"/proposals/{proposal.id}").get_data(as_text=True))
    resp = browser.client.post(f"/deliberation/proposals/{proposal.id}/comments", data={"csrf_token": token, "body": "sneaky"})
    assert resp.status_code == 403
    page = browser.get(f"/proposals/{proposal.id}").get_data(as_text=True)
    assert "Your account is suspended, so you cannot comment." in page
    assert [c.body for c in db.session.execute(select(Comment)).scalars()] == ["Still allowed after a warning."]
    browser.sign_out()

    browser.sign_in(moderator.email, PASSWORD)
    browser.submit(url, {"action": "unsuspend", "reason": "Suspension served."})
    assert not db.session.get(User, troll.id).is_suspended
    actions = audit_actions()
    assert {"moderation.warn", "moderation.suspend", "moderation.unsuspend"} <= set(actions)


def test_dismissing_reports_keeps_content(browser):
    writer, reporter, moderator = make_user(), make_user(), make_user(Role.MODERATOR)
    debate = make_debate(writer)
    comment = make_comment(writer, debate, "I disagree strongly.")
    browser.sign_in(reporter.email, PASSWORD)
    browser.submit(f"/deliberation/report/comment/{comment.id}", {"reason": "I do not like it."})
    browser.sign_out()
    browser.sign_in(moderator.email, PASSWORD)
    browser.submit(f"/deliberation/moderation/comment/{comment.id}/dismiss", {})
    assert db.session.execute(select(Report)).scalar_one().resolution == "dismissed"
    assert db.session.get(Comment, comment.id).hidden_at is None
    assert "moderation.dismiss" in audit_actions()


def test_debates_and_proposals_can_be_reported_into_the_queue(browser):
    author, reporter, moderator = make_user(), make_user(), make_user(Role.MODERATOR)
    debate = make_debate(author, title="Debate with a phone number")
    proposal = make_proposal(author, title="Proposal that is an advert")
    browser.sign_in(reporter.email, PASSWORD)
    assert "Report this proposal" in browser.get(f"/proposals/{proposal.id}").get_data(as_text=True)
    browser.submit(f"/deliberation/report/debate/{debate.id}", {"reason": "Shares a private phone number."})
    browser.submit(f"/deliberation/report/proposal/{proposal.id}", {"reason": "It is advertising."})
    assert browser.get("/deliberation/report/nonsense/1").status_code == 404
    browser.sign_out()
    browser.sign_in(moderator.email, PASSWORD)
    queue = browser.get("/deliberation/moderation").get_data(as_text=True)
    assert "Shares a private phone number." in queue and "It is advertising." in queue
    assert "Debate with a phone number" in queue and "Proposal that is an advert" in queue
