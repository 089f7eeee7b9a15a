"""Threads through the real forms: comments, nested replies, stances, edits with history, notifications
(in-app, and email only for those who opted in), assisted entry, and user text kept exact and escaped."""

from __future__ import annotations

from sqlalchemy import select

from app.auth.models import Role
from app.core.models import AuditEntry
from app.deliberation.models import Comment, CommentRevision, Notification
from app.extensions import db
from app.proposals.models import OfflineContributor, ProposalState
from tests.factories import PASSWORD, make_user
from tests.factories_deliberation import make_comment, make_debate, make_proposal


def comments() -> list[Comment]:
    return list(db.session.execute(select(Comment).order_by(Comment.id)).scalars())


def test_comment_reply_two_levels_and_deeper_with_stances(browser):
    author, priya, tom = make_user(name="Ann Author"), make_user(name="Priya"), make_user(name="Tom")
    proposal = make_proposal(author)
    browser.sign_in(priya.email, PASSWORD)
    # The proposal page carries the thread with its comment form.
    page = browser.get(f"/proposals/{proposal.id}").get_data(as_text=True)
    assert "No comments yet." in page and f'action="/deliberation/proposals/{proposal.id}/comments"' in page
    html = browser.submit(f"/deliberation/proposals/{proposal.id}/comments",
                          {"body": "Yes please, by the pond.", "stance": "for"}).get_data(as_text=True)
    assert "Your comment has been posted." in html and "Yes please, by the pond." in html
    top = comments()[0]
    assert (top.proposal_id, top.depth, top.stance, top.parent_id) == (proposal.id, 0, "for", None)

    browser.sign_out()
    browser.sign_in(tom.email, PASSWORD)
    browser.submit(f"/deliberation/comments/{top.id}/reply", {"body": "Where exactly?", "stance": "question"})
    reply = comments()[1]
    assert (reply.parent_id, reply.depth, reply.stance) == (top.id, 1, "question")
    browser.sign_out()
    browser.sign_in(priya.email, PASSWORD)
    browser.submit(f"/deliberation/comments/{reply.id}/reply", {"body": "By the lime trees.", "stance": ""})
    level2 = comments()[2]
    assert (level2.parent_id, level2.depth, level2.stance) == (reply.id, 2, None)
    # A reply to a level-2 comment sits beside it at level 2, marked "in reply to".
    browser.sign_out()
    browser.sign_in(tom.email, PASSWORD)
    html = browser.submit(f"/deliberation/comments/{level2.id}/reply", {"body": "Lovely spot."}).get_data(as_text=True)
    deeper = comments()[3]
    assert (deeper.parent_id, deeper.in_reply_to_id, deeper.depth) == (reply.id, level2.id, 2)
    assert "in reply to Priya" in html
    assert 'class="comment comment--level-2"' in html and 'class="comment comment--level-1"' in html
    # The stance table counts visible stances.
    assert "Stances taken in this thread" in html


def test_debate_thread_and_stance_validation(browser):
    starter, resident = make_user(name="Starter"), make_user()
    browser.sign_in(starter.email, PASSWORD)
    html = browser.submit("/deliberation/debates/new", {"title": "Sunday closure?", "body": "Discuss.", "place": ""}).get_data(as_text=True)
    assert "Your debate has started." in html and ">Sunday closure?</h1>" in html
    browser.sign_out()
    browser.sign_in(resident.email, PASSWORD)
    debate_id = db.session.execute(select(Comment.debate_id)).first()  # none yet
    assert debate_id is None
    from app.deliberation.models import Debate

    debate = db.session.execute(select(Debate)).scalar_one()
    resp = browser.submit(f"/deliberation/debates/{debate.id}/comments", {"body": "Hmm", "stance": "maybe"})
    assert "Not a valid choice" in resp.get_data(as_text=True)
    assert comments() == []
    resp = browser.submit(f"/deliberation/debates/{debate.id}/comments", {"body": "   "})
    assert "Enter your comment" in resp.get_data(as_text=True)
    assert comments() == []
    browser.submit(f"/deliberation/debates/{debate.id}/comments", {"body": "Against: buses use it.", "stance": "against"})
    assert comments()[0].debate_id == debate.id and comments()[0].stance == "against"


def test_edit_keeps_history_and_only_the_author_may_edit(browser):
    author, other = make_user(name="Writer"), make_user()
    proposal = make_proposal(make_user())
    comment = make_comment(author, proposal, "First version.", "for")
    browser.sign_in(other.email, PASSWORD)
    assert browser.get(f"/deliberation/comments/{comment.id}/edit").status_code == 403
    browser.sign_out()
    browser.sign_in(author.email, PASSWORD)
    html = browser.submit(f"/deliberation/comments/{comment.id}/edit", {"body": "Second version.", "stance": "against"}).get_data(as_text=True)
    assert "Your comment has been changed." in html
    assert f'href="/deliberation/comments/{comment.id}/history"' in html and ">edited<" in html
    browser.submit(f"/deliberation/comments/{comment.id}/edit", {"body": "Third version.", "stance": "against"})
    revisions = db.session.execute(select(CommentRevision).order_by(CommentRevision.id)).scalars().all()
    assert [r.body for r in revisions] == ["First version.", "Second version."]
    assert [r.stance for r in revisions] == ["for", "against"]
    browser.sign_out()
    history = browser.get(f"/deliberation/comments/{comment.id}/history").get_data(as_text=True)
    assert history.index("Third version.") < history.index("Second version.") < history.index("First version.")
    assert db.session.execute(select(AuditEntry).where(AuditEntry.action == "deliberation.comment_edited")).scalars().all()


def test_notifications_in_app_and_email_only_when_opted_in(app, browser):
    author = make_user(name="Proposer")
    author.notify_email, author.notify_replies = True, True
    participant = make_user(name="Participant")  # notify_email is off by default
    replier = make_user(name="Replier")
    db.session.commit()
    proposal = make_proposal(author)
    first = make_comment(participant, proposal, "I like it.")
    outbox = app.extensions["mail_outbox"]
    outbox.clear()
    browser.sign_in(replier.email, PASSWORD)
    browser.submit(f"/deliberation/comments/{first.id}/reply", {"body": "Me too."})
    rows = db.session.execute(select(Notification).order_by(Notification.user_id)).scalars().all()
    assert {(n.user_id, n.kind) for n in rows} >= {(author.id, "comment"), (participant.id, "reply")}
    assert replier.id not in {n.user_id for n in rows}
    # Email only to the proposer, who opted in; the participant gets the in-app notification only.
    assert [m["To"] for m in outbox] == [author.email]
    assert "Replier" in outbox[0].get_content()
    browser.sign_out()
    browser.sign_in(participant.email, PASSWORD)
    home = browser.get("/").get_data(as_text=True)
    assert "(1 unread)" in home
    page = browser.get("/deliberation/notifications").get_data(as_text=True)
    assert "Replier replied to your comment" in page
    browser.submit("/deliberation/notifications", {})
    assert "unread)" not in browser.get("/").get_data(as_text=True)
    # Someone who opted in to email but not to reply notifications gets no email.
    author.notify_replies = False
    db.session.commit()
    outbox.clear()
    browser.submit(f"/deliberation/proposals/{proposal.id}/comments", {"body": "Another thought."})
    assert outbox == []


def test_assisted_comment_by_an_officer(browser):
    officer, resident = make_user(Role.OFFICER), make_user(name="Phone Caller")
    proposal = make_proposal(make_user())
    browser.sign_in(resident.email, PASSWORD)
    assert browser.get(f"/deliberation/proposals/{proposal.id}/assisted-comment").status_code == 403
    browser.sign_out()
    browser.sign_in(officer.email, PASSWORD)
    url = f"/deliberation/proposals/{proposal.id}/assisted-comment"
    html = browser.submit(url, {"channel": "phone", "email": "", "name": "", "body": "x"}).get_data(as_text=True)
    assert "Enter either the email address" in html and comments() == []
    browser.submit(url, {"channel": "phone", "email": resident.email, "body": "Called in: supports it.", "stance": "for"})
    html = browser.submit(url, {"channel": "paper", "name": "Mrs Edith Hall", "contact_note": "Letter, 3 Mill Lane",
                                "body": "Please add a bin too."}).get_data(as_text=True)
    by_phone, on_paper = comments()
    assert (by_phone.author_id, by_phone.entered_by_id, by_phone.channel) == (resident.id, officer.id, "phone")
    contributor = db.session.get(OfflineContributor, on_paper.offline_contributor_id)
    assert contributor.name == "Mrs Edith Hall" and on_paper.author_id is None and on_paper.channel == "paper"
    assert "Received by phone, entered by an officer" in html and "Received on paper, entered by an officer" in html
    assert "Mrs Edith Hall" in html and "3 Mill Lane" not in html
    actions = db.session.execute(select(AuditEntry.action).where(AuditEntry.action == "deliberation.comment_assisted")).all()
    assert len(actions) == 2


def test_script_payload_is_stored_exactly_and_escaped_and_oversize_is_refused(browser):
    user = make_user()
    proposal = make_proposal(make_user())
    browser.sign_in(user.email, PASSWORD)
    payload = ("<script>alert('x')</script>" * 400)[:10_000]
    assert len(payload) == 10_000
    html = browser.submit(f"/deliberation/proposals/{proposal.id}/comments", {"body": payload}).get_data(as_text=True)
    assert comments()[0].body == payload
    assert "<script>alert" not in html and "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;" in html
    too_long = "a" * 10_001
    html = browser.submit(f"/deliberation/proposals/{proposal.id}/comments", {"body": too_long}).get_data(as_text=True)
    assert "Your comment must be 10,000 characters or fewer" in html and 'href="#body"' in html
    assert len(comments()) == 1
    # Editing to an oversize text also saves nothing.
    html = browser.submit(f"/deliberation/comments/{comments()[0].id}/edit", {"body": too_long}).get_data(as_text=True)
    assert "10,000 characters or fewer" in html
    assert comments()[0].body == payload and comments()[0].edited_at is None


def test_no_comments_on_drafts_and_anonymous_sees_sign_in_link(browser):
    author = make_user()
    draft = make_proposal(author, ProposalState.DRAFT)
    published = make_proposal(author)
    html = browser.get(f"/proposals/{published.id}").get_data(as_text=True)
    assert "Sign in to comment" in html
    assert browser.get(f"/deliberation/proposals/{published.id}/comments").status_code == 302
    browser.sign_in(make_user().email, PASSWORD)
    assert browser.get(f"/deliberation/proposals/{draft.id}/comments").status_code == 404
    debate = make_debate(author)
    assert browser.get(f"/deliberation/debates/{debate.id}").status_code == 200
