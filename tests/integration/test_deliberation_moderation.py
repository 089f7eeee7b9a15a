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


def test_a_suspended_account_reads_its_notifications_and_why_but_writes_nothing(browser):
    troll, moderator, author = make_user(name="Troll"), make_user(Role.MODERATOR), make_user(name="Author")
    proposal = make_proposal(author)
    make_comment(author, proposal, "My idea.")
    make_comment(troll, proposal, "Before the suspension.")
    make_comment(author, proposal, "A reply the troll is told about.")  # a notification for the troll
    browser.sign_in(moderator.email, PASSWORD)
    url = f"/deliberation/moderation/accounts/{troll.id}"
    browser.submit(url, {"action": "suspend", "reason": "Repeated <b>insults</b> after a warning."})
    page = browser.get(url).get_data(as_text=True)
    assert "Suspension" in page and "Repeated &lt;b&gt;insults&lt;/b&gt; after a warning." in page
    browser.sign_out()

    browser.sign_in(troll.email, PASSWORD)
    resp = browser.get("/deliberation/notifications")
    assert resp.status_code == 200
    page = resp.get_data(as_text=True)
    assert "Your account is suspended" in page
    assert "Repeated &lt;b&gt;insults&lt;/b&gt; after a warning." in page and "<b>insults" not in page
    assert "A moderator suspended your account" in page
    assert "Author commented on" in page
    assert "notification settings" not in page  # the account pages are closed to a suspended account: no dead link
    # Marking one's own notifications read is not participation: it is allowed.
    browser.submit("/deliberation/notifications", {})
    unread = db.session.execute(select(Notification).where(Notification.user_id == troll.id, Notification.read_at.is_(None))).all()
    assert unread == []
    # Everything that others would see stays closed.
    from tests.conftest import csrf_from

    token = csrf_from(browser.get("/deliberation/notifications").get_data(as_text=True))
    for post_url, data in [
        (f"/deliberation/proposals/{proposal.id}/comments", {"body": "sneaky"}),
        (f"/proposals/{proposal.id}/support", {}),
        (f"/deliberation/report/proposal/{proposal.id}", {"reason": "x"}),
        ("/deliberation/debates/new", {"title": "t", "body": "b", "place": ""}),
        ("/proposals/new", {"title": "t", "summary": "s"}),
    ]:
        assert browser.client.post(post_url, data={"csrf_token": token, **data}).status_code == 403, post_url
    assert len(db.session.execute(select(Comment)).scalars().all()) == 3
    # The proposal page says why nothing can be done, and links to the reason.
    page = browser.get(f"/proposals/{proposal.id}").get_data(as_text=True)
    assert "Your account is suspended, so you cannot support proposals or withdraw your support." in page
    assert "Your account is suspended, so you cannot comment." in page
    assert 'href="/deliberation/notifications">Why?</a>' in page
    assert "Support this proposal</button>" not in page
    browser.sign_out()

    browser.sign_in(moderator.email, PASSWORD)
    browser.submit(url, {"action": "unsuspend", "reason": "Suspension served."})
    browser.sign_out()
    browser.sign_in(troll.email, PASSWORD)
    page = browser.get("/deliberation/notifications").get_data(as_text=True)
    assert "Your account is suspended" not in page
    assert "A moderator lifted the suspension of your account: Suspension served." in page
    kinds = [n.kind for n in db.session.execute(
        select(Notification).where(Notification.user_id == troll.id).order_by(Notification.id)).scalars()]
    assert kinds.count("suspended") == 1 and kinds.count("unsuspended") == 1


def test_notifications_need_an_account(browser):
    resp = browser.get("/deliberation/notifications")
    assert resp.status_code == 302 and "/auth/sign-in" in resp.headers["Location"]


def test_moderators_handle_reports_inside_restricted_spaces_and_see_nothing_else_there(browser):
    """Policy: a moderator who is not a member of a restricted space may open its content only while it is
    reported or hidden (from the queue), to review, hide, restore or dismiss; the rest stays 404 to them."""
    from app.deliberation.models import SpaceKind
    from tests.factories_deliberation import make_space

    officer, member, other_member = make_user(Role.OFFICER), make_user(name="Panel Member"), make_user(name="Panellist Two")
    moderator, outsider = make_user(Role.MODERATOR), make_user()
    panel = make_space(officer, SpaceKind.PANEL, members=[member, other_member], name="Transport panel")
    debate = make_debate(member, panel, title="Panel debate on buses")
    first = make_comment(member, debate, "The 9 bus is always late.")
    rude = make_comment(other_member, debate, "Rubbish, all of it.", parent=first)
    from app.deliberation import services as deliberation

    deliberation.edit_comment(db.session, other_member, rude, "Only an idiot would say that.", None)
    db.session.commit()
    quiet = make_comment(member, debate, "An unreported remark.")
    browser.sign_in(member.email, PASSWORD)
    browser.submit(f"/deliberation/report/comment/{rude.id}", {"reason": "Name-calling in the panel."})
    # A member may see the content but may not moderate it.
    assert browser.get(f"/deliberation/moderation/comment/{rude.id}").status_code == 403
    browser.sign_out()

    review = f"/deliberation/moderation/comment/{rude.id}"
    browser.sign_in(outsider.email, PASSWORD)
    for url in (review, f"{review}/hide", f"{review}/dismiss", f"/deliberation/report/comment/{rude.id}"):
        assert browser.get(url).status_code == 404, url
    browser.sign_out()

    browser.sign_in(moderator.email, PASSWORD)
    queue = browser.get("/deliberation/moderation").get_data(as_text=True)
    assert "Name-calling in the panel." in queue and "Only an idiot would say that." in queue
    assert f'href="{review}"' in queue
    assert f"/deliberation/debates/{debate.id}" not in queue  # no "see it in place": the moderator cannot go there
    page = browser.get(review).get_data(as_text=True)
    assert "Only an idiot would say that." in page and "The 9 bus is always late." in page  # and what it answers
    assert "Panel debate on buses" in page and "Transport panel" in page and "restricted space" in page
    assert "Name-calling in the panel." in page
    assert "Earlier versions" in page and "Rubbish, all of it." in page  # the edit history, for appeal
    # The space itself, and whatever in it nobody reported, stays out of sight.
    for url in (f"/deliberation/spaces/{panel.slug}", f"/deliberation/debates/{debate.id}", f"/deliberation/comments/{quiet.id}",
                f"/deliberation/moderation/comment/{quiet.id}", f"/deliberation/moderation/comment/{quiet.id}/hide",
                f"/deliberation/moderation/debate/{debate.id}", f"/deliberation/report/comment/{quiet.id}"):
        assert browser.get(url).status_code == 404, url
    html = browser.submit(f"{review}/hide", {"reason": "Name-calling."}).get_data(as_text=True)
    assert "Hidden. People now see the reason instead of the text." in html
    stored = db.session.get(Comment, rude.id)
    assert stored.hidden_at is not None and stored.body == "Only an idiot would say that."
    # Hidden, it stays reviewable (for an appeal) and can be restored.
    assert "Only an idiot would say that." in browser.get(review).get_data(as_text=True)
    browser.submit(f"{review}/restore", {"note": "Apologised to the panel."})
    assert db.session.get(Comment, rude.id).hidden_at is None
    # Neither reported nor hidden any more: out of the moderator's sight again.
    assert browser.get(review).status_code == 404
    browser.sign_out()

    # Another report, dismissed this time.
    browser.sign_in(other_member.email, PASSWORD)
    browser.submit(f"/deliberation/report/comment/{first.id}", {"reason": "Off topic."})
    browser.sign_out()
    browser.sign_in(moderator.email, PASSWORD)
    browser.submit(f"/deliberation/moderation/comment/{first.id}/dismiss", {})
    assert browser.get(f"/deliberation/moderation/comment/{first.id}").status_code == 404
    actions = [a for a in audit_actions() if a.startswith("moderation.")]
    assert actions == ["moderation.report", "moderation.hide", "moderation.restore", "moderation.report", "moderation.dismiss"]


def test_the_review_page_for_public_content_links_to_it_in_place(browser):
    writer, reporter, moderator = make_user(name="Writer"), make_user(), make_user(Role.MODERATOR)
    proposal = make_proposal(make_user())
    comment = make_comment(writer, proposal, "First words.")
    from app.deliberation import services

    services.edit_comment(db.session, writer, comment, "Second words.", None)
    db.session.commit()
    browser.sign_in(reporter.email, PASSWORD)
    browser.submit(f"/deliberation/report/comment/{comment.id}", {"reason": "Rude."})
    browser.sign_out()
    browser.sign_in(moderator.email, PASSWORD)
    page = browser.get(f"/deliberation/moderation/comment/{comment.id}").get_data(as_text=True)
    assert f'href="/proposals/{proposal.id}#comment-{comment.id}"' in page
    assert "Second words." in page and "First words." in page  # the edit history, for an appeal
    assert f"/deliberation/moderation/accounts/{writer.id}" in page
    # Content nobody reported and nobody hid is still reviewable where the moderator can see it anyway.
    other = make_comment(writer, proposal, "Fine words.")
    assert browser.get(f"/deliberation/moderation/comment/{other.id}").status_code == 200


def test_account_page_shows_a_moderator_only_comments_they_may_read(browser):
    """A moderator outside a restricted space sees the person's public comments, not what they wrote inside it."""
    from tests.factories_deliberation import make_space

    officer, writer, moderator = make_user(Role.OFFICER), make_user(name="Panel Member"), make_user(Role.MODERATOR)
    space = make_space(officer, members=[writer])
    make_comment(writer, make_debate(writer, space), "Inside the panel only.")
    make_comment(writer, make_proposal(make_user()), "Out in public.")
    browser.sign_in(moderator.email, PASSWORD)
    html = browser.get(f"/deliberation/moderation/accounts/{writer.id}").get_data(as_text=True)
    assert "Out in public." in html and "Inside the panel only." not in html
