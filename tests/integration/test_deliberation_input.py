"""Every free-text field of deliberation, moderation, the coalition and the officers' proposal forms, through the
real forms: one character over its limit gets a field error (linked from the error summary) and saves nothing;
a ``<script>`` payload as long as the field allows (10,000 characters where the limit is higher) is stored
exactly and shown as text wherever it appears.  (The proposal submission form has its own test in
test_proposals_submit.py.)"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest
from sqlalchemy import select

from app.auth.models import Role, User
from app.core.db import utcnow
from app.core.models import AuditEntry
from app.deliberation import services as deliberation
from app.deliberation.models import (
    AccountWarning,
    Comment,
    ContentKind,
    CouncilResponse,
    Debate,
    Recommendation,
    Report,
    Space,
    SpaceKind,
)
from app.extensions import db
from app.proposals.models import OfflineContributor, Proposal, ProposalEvent, ProposalState, Topic
from tests.factories import make_user
from tests.factories_deliberation import make_comment, make_debate, make_place, make_proposal, make_space
from tests.factories_proposals import login_as

UNIT = "<script>alert('x')</script>"
ESCAPED = "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;"


def payload(length: int) -> str:
    return (UNIT * (length // len(UNIT) + 1))[:length]


class Ctx:
    """Accounts and content every field below needs."""

    def __init__(self) -> None:
        self.officer = make_user(Role.OFFICER, name="Officer")
        self.moderator = make_user(Role.MODERATOR, name="Moderator")
        self.resident = make_user(name="Resident")
        self.author = make_user(name="Author")
        self.proposal = make_proposal(self.author)
        self.comment = make_comment(self.author, self.proposal, "A comment.")
        self.debate = make_debate(self.author)
        self.under_review = make_proposal(self.author, ProposalState.UNDER_REVIEW)
        self.selected = make_proposal(self.author, ProposalState.SELECTED)
        self.place = make_place()
        self.coalition = make_space(self.officer, SpaceKind.COALITION, members=[self.resident], name="Guiding coalition")
        from app.deliberation import recommendations

        self.rec = recommendations.propose_recommendation(db.session, self.resident, self.coalition,
                                                          "A recommendation", "Do it.")
        db.session.commit()

    def hide_comment(self) -> None:
        deliberation.hide(db.session, self.moderator, deliberation.ContentRef(ContentKind.COMMENT, self.comment), "Rude.")
        db.session.commit()


def _newest(model: Any, column: Any) -> Any:
    return db.session.execute(select(column).order_by(model.id.desc()).limit(1)).scalar_one_or_none()


def _audit_note(action: str) -> str | None:
    entry = db.session.execute(select(AuditEntry).where(AuditEntry.action == action)).scalar_one_or_none()
    return None if entry is None else json.loads(entry.data_json).get("note")


def _assisted(c: Ctx) -> dict[str, Any]:
    return {"title": "By post", "summary": "S", "need": "N", "solution": "S", "place_id": c.place.id, "cost_estimate": "",
            "channel": "paper", "contributor": "offline", "publish": "y"}


@dataclass
class Field:
    id: str
    who: str  # which Ctx account submits
    url: Callable[[Ctx], str]
    name: str
    limit: int
    message: str
    stored: Callable[[Ctx], Any]
    shown: Callable[[Ctx], list[tuple[str | None, str]]]  # (who views, url); None: anonymous
    other: Callable[[Ctx], dict[str, Any]] = lambda c: {}
    setup: Callable[[Ctx], None] = lambda c: None


TODAY = utcnow().date().isoformat()

FIELDS = [
    Field("debate title", "resident", lambda c: "/deliberation/debates/new", "title", 200,
          "The title must be 200 characters or fewer", lambda c: _newest(Debate, Debate.title) if _newest(Debate, Debate.id) != c.debate.id else None,
          lambda c: [(None, f"/deliberation/debates/{_newest(Debate, Debate.id)}"), (None, "/deliberation/")],
          other=lambda c: {"body": "Body", "place": ""}),
    Field("debate text", "resident", lambda c: "/deliberation/debates/new", "body", 20_000,
          "The text must be 20,000 characters or fewer", lambda c: _newest(Debate, Debate.body) if _newest(Debate, Debate.id) != c.debate.id else None,
          lambda c: [(None, f"/deliberation/debates/{_newest(Debate, Debate.id)}")],
          other=lambda c: {"title": "A debate", "place": ""}),
    Field("reply", "resident", lambda c: f"/deliberation/comments/{c.comment.id}/reply", "body", 10_000,
          "Your reply must be 10,000 characters or fewer",
          lambda c: _newest(Comment, Comment.body) if _newest(Comment, Comment.id) != c.comment.id else None,
          lambda c: [(None, f"/proposals/{c.proposal.id}")]),
    Field("edited comment", "author", lambda c: f"/deliberation/comments/{c.comment.id}/edit", "body", 10_000,
          "Your comment must be 10,000 characters or fewer",
          lambda c: db.session.get(Comment, c.comment.id).body if db.session.get(Comment, c.comment.id).edited_at else None,
          lambda c: [(None, f"/proposals/{c.proposal.id}"), (None, f"/deliberation/comments/{c.comment.id}/history")]),
    Field("assisted comment", "officer", lambda c: f"/deliberation/debates/{c.debate.id}/assisted-comment", "body", 10_000,
          "The comment must be 10,000 characters or fewer", lambda c: _newest(Comment, Comment.body) if _newest(Comment, Comment.debate_id) else None,
          lambda c: [(None, f"/deliberation/debates/{c.debate.id}")], other=lambda c: {"channel": "paper", "name": "Edith"}),
    Field("assisted commenter's name", "officer", lambda c: f"/deliberation/debates/{c.debate.id}/assisted-comment", "name", 120,
          "The name must be 120 characters or fewer",
          lambda c: _newest(OfflineContributor, OfflineContributor.name),
          lambda c: [(None, f"/deliberation/debates/{c.debate.id}")], other=lambda c: {"channel": "paper", "body": "By post."}),
    Field("report reason", "resident", lambda c: f"/deliberation/report/comment/{c.comment.id}", "reason", 2_000,
          "The reason must be 2,000 characters or fewer", lambda c: _newest(Report, Report.reason),
          lambda c: [("moderator", "/deliberation/moderation"), ("moderator", f"/deliberation/moderation/comment/{c.comment.id}")]),
    Field("hiding reason", "moderator", lambda c: f"/deliberation/moderation/comment/{c.comment.id}/hide", "reason", 2_000,
          "The reason must be 2,000 characters or fewer", lambda c: db.session.get(Comment, c.comment.id).hidden_reason,
          lambda c: [(None, f"/proposals/{c.proposal.id}"), ("moderator", "/deliberation/moderation")]),
    Field("restoring note", "moderator", lambda c: f"/deliberation/moderation/comment/{c.comment.id}/restore", "note", 2_000,
          "The note must be 2,000 characters or fewer", lambda c: _audit_note("moderation.restore"),
          lambda c: [], setup=lambda c: c.hide_comment()),
    Field("warning reason", "moderator", lambda c: f"/deliberation/moderation/accounts/{c.author.id}", "reason", 2_000,
          "The reason must be 2,000 characters or fewer", lambda c: _newest(AccountWarning, AccountWarning.reason),
          lambda c: [("author", "/deliberation/notifications"), ("moderator", f"/deliberation/moderation/accounts/{c.author.id}")],
          other=lambda c: {"action": "warn"}),
    Field("suspension reason", "moderator", lambda c: f"/deliberation/moderation/accounts/{c.author.id}", "reason", 2_000,
          "The reason must be 2,000 characters or fewer", lambda c: _newest(AccountWarning, AccountWarning.reason),
          lambda c: [("author", "/deliberation/notifications")], other=lambda c: {"action": "suspend"}),
    Field("space name", "officer", lambda c: "/deliberation/spaces/new", "name", 120,
          "The name must be 120 characters or fewer",
          lambda c: _newest(Space, Space.name) if _newest(Space, Space.id) != c.coalition.id else None,
          lambda c: [(None, f"/deliberation/spaces/{_newest(Space, Space.slug)}"), (None, "/deliberation/spaces")],
          other=lambda c: {"kind": "public", "description": ""}),
    Field("space description", "officer", lambda c: "/deliberation/spaces/new", "description", 5_000,
          "The description must be 5,000 characters or fewer",
          lambda c: _newest(Space, Space.description) if _newest(Space, Space.id) != c.coalition.id else None,
          lambda c: [(None, f"/deliberation/spaces/{_newest(Space, Space.slug)}")],
          other=lambda c: {"kind": "public", "name": "Open space"}),
    Field("recommendation title", "resident", lambda c: "/deliberation/coalition/recommendations/new", "title", 200,
          "The title must be 200 characters or fewer",
          lambda c: _newest(Recommendation, Recommendation.title) if _newest(Recommendation, Recommendation.id) != c.rec.id else None,
          lambda c: [(None, f"/deliberation/recommendations/{_newest(Recommendation, Recommendation.id)}"),
                     (None, "/deliberation/recommendations"), (None, "/deliberation/coalition")],
          other=lambda c: {"text": "Text", "published_on": TODAY}),
    Field("recommendation text", "resident", lambda c: "/deliberation/coalition/recommendations/new", "text", 20_000,
          "The recommendation must be 20,000 characters or fewer",
          lambda c: _newest(Recommendation, Recommendation.text) if _newest(Recommendation, Recommendation.id) != c.rec.id else None,
          lambda c: [(None, f"/deliberation/recommendations/{_newest(Recommendation, Recommendation.id)}")],
          other=lambda c: {"title": "Title", "published_on": TODAY}),
    Field("council's explanation", "officer", lambda c: f"/deliberation/recommendations/{c.rec.id}/respond", "explanation", 20_000,
          "The explanation must be 20,000 characters or fewer", lambda c: _newest(CouncilResponse, CouncilResponse.explanation),
          lambda c: [(None, f"/deliberation/recommendations/{c.rec.id}")],
          other=lambda c: {"outcome": "not_adopted", "responded_on": TODAY}),
    Field("decline reason", "officer", lambda c: f"/proposals/{c.under_review.id}/transition", "reason", 2_000,
          "The reason must be 2,000 characters or fewer", lambda c: db.session.get(Proposal, c.under_review.id).decline_reason,
          lambda c: [(None, f"/proposals/{c.under_review.id}")], other=lambda c: {"to_state": "declined"}),
    Field("feasibility", "officer", lambda c: f"/proposals/{c.under_review.id}/review", "feasibility", 10_000,
          "The feasibility assessment must be 10,000 characters or fewer", lambda c: db.session.get(Proposal, c.under_review.id).feasibility,
          lambda c: [(None, f"/proposals/{c.under_review.id}")], other=lambda c: {"costing": "100", "responsible_service": "Parks"}),
    Field("responsible service", "officer", lambda c: f"/proposals/{c.under_review.id}/review", "responsible_service", 120,
          "The service must be 120 characters or fewer", lambda c: db.session.get(Proposal, c.under_review.id).responsible_service,
          lambda c: [(None, f"/proposals/{c.under_review.id}")], other=lambda c: {"costing": "100", "feasibility": "Fine"}),
    Field("you said, we did", "officer", lambda c: f"/proposals/{c.selected.id}/updates/new", "text", 10_000,
          "The update must be 10,000 characters or fewer",
          lambda c: _newest(ProposalEvent, ProposalEvent.text) if _newest(ProposalEvent, ProposalEvent.kind) == "update" else None,
          lambda c: [(None, f"/proposals/{c.selected.id}")], other=lambda c: {"happened_on": TODAY}),
    Field("proposer's name (assisted entry)", "officer", lambda c: "/proposals/assisted", "contributor_name", 120,
          "The name must be 120 characters or fewer", lambda c: _newest(OfflineContributor, OfflineContributor.name),
          lambda c: [(None, f"/proposals/{_newest(Proposal, Proposal.id)}")], other=lambda c: _assisted(c)),
    Field("contact note (assisted entry)", "officer", lambda c: "/proposals/assisted", "contact_note", 200,
          "The contact note must be 200 characters or fewer", lambda c: _newest(OfflineContributor, OfflineContributor.contact_note),
          lambda c: [("officer", f"/proposals/{_newest(Proposal, Proposal.id)}")],
          other=lambda c: {**_assisted(c), "contributor_name": "Margaret Hill"}),
    Field("topic name", "officer", lambda c: "/proposals/topics", "name", 120,
          "The name must be 120 characters or fewer", lambda c: _newest(Topic, Topic.name),
          lambda c: [("officer", "/proposals/topics"), (None, "/proposals/")]),
]


@pytest.mark.parametrize("spec", FIELDS, ids=[f.id for f in FIELDS])
def test_oversize_is_a_field_error_and_a_script_payload_is_stored_exactly_and_shown_as_text(browser, spec: Field):
    ctx = Ctx()
    spec.setup(ctx)
    users: dict[str, User] = {"officer": ctx.officer, "moderator": ctx.moderator, "resident": ctx.resident, "author": ctx.author}
    login_as(browser.client, users[spec.who])
    url = spec.url(ctx)
    before = spec.stored(ctx)

    html = browser.submit(url, {**spec.other(ctx), spec.name: "a" * (spec.limit + 1)}).get_data(as_text=True)
    assert spec.message in html, html[:3000]
    assert f'href="#{spec.name}"' in html and "There is a problem" in html
    db.session.expire_all()
    assert spec.stored(ctx) == before

    text = payload(min(spec.limit, 10_000))
    resp = browser.submit(url, {**spec.other(ctx), spec.name: text})
    assert resp.status_code == 200
    assert "There is a problem" not in resp.get_data(as_text=True)
    db.session.expire_all()
    assert spec.stored(ctx) == text
    for who, page_url in spec.shown(ctx):
        if who is None:
            with browser.client.session_transaction() as sess:
                sess.clear()
        else:
            login_as(browser.client, users[who])
        page = browser.get(page_url)
        assert page.status_code == 200, page_url
        html = page.get_data(as_text=True)
        assert "<script>alert" not in html, page_url
        assert ESCAPED in html, page_url
