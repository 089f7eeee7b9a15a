"""Spaces through the real forms: restricted spaces are invisible (404) to non-members on every URL, members
can read and write; the guiding coalition's terms and staff/resident balance; recommendations and the
council's responses (an explanation is required)."""

from __future__ import annotations

from datetime import date, timedelta

from sqlalchemy import select

from app.auth.models import Role
from app.core.db import utcnow
from app.core.models import AuditEntry
from app.deliberation.models import (
    CouncilResponse,
    Recommendation,
    Space,
    SpaceKind,
    SpaceMembership,
    SpaceRole,
)
from app.extensions import db
from tests.factories import PASSWORD, make_user
from tests.factories_deliberation import make_comment, make_debate, make_space


def test_restricted_space_is_404_for_non_members_on_every_url(browser):
    officer, insider, outsider = make_user(Role.OFFICER), make_user(name="Insider"), make_user(name="Outsider")
    space = make_space(officer, SpaceKind.PANEL, members=[insider], name="Transport panel")
    debate = make_debate(insider, space, title="Secret-ish panel debate")
    comment = make_comment(insider, debate, "Panel-only remark.")
    urls = [
        f"/deliberation/spaces/{space.slug}",
        f"/deliberation/spaces/{space.slug}/debates/new",
        f"/deliberation/debates/{debate.id}",
        f"/deliberation/debates/{debate.id}/comments",
        f"/deliberation/comments/{comment.id}",
        f"/deliberation/comments/{comment.id}/reply",
        f"/deliberation/comments/{comment.id}/history",
        f"/deliberation/report/comment/{comment.id}",
        f"/deliberation/report/debate/{debate.id}",
    ]
    membership = db.session.execute(select(SpaceMembership).where(SpaceMembership.user_id == insider.id)).scalar_one()
    # Pages a member may not use either (officers', moderators' and the author's): 403 for a member, 404 for others.
    closed_to_members = [
        f"/deliberation/spaces/{space.slug}/members",
        f"/deliberation/memberships/{membership.id}/end",
        f"/deliberation/debates/{debate.id}/assisted-comment",
        f"/deliberation/moderation/comment/{comment.id}",
        f"/deliberation/moderation/comment/{comment.id}/hide",
        f"/deliberation/moderation/debate/{debate.id}/dismiss",
    ]
    other_member = make_user(name="Other member")
    from app.deliberation import services

    services.add_member(db.session, officer, space, other_member.email, SpaceRole.MEMBER, utcnow().date(), None)
    db.session.commit()
    # Anonymous visitors: public pages 404, sign-in pages send to sign in (never revealing anything).
    for url in urls + closed_to_members:
        assert browser.get(url).status_code in (302, 404), url
    assert "Secret-ish" not in browser.get("/deliberation/").get_data(as_text=True)
    browser.sign_in(outsider.email, PASSWORD)
    for url in urls + closed_to_members + [f"/deliberation/comments/{comment.id}/edit"]:
        assert browser.get(url).status_code == 404, url
    browser.sign_out()
    browser.sign_in(other_member.email, PASSWORD)
    for url in closed_to_members + [f"/deliberation/comments/{comment.id}/edit"]:
        assert browser.get(url).status_code == 403, url
    browser.sign_out()
    browser.sign_in(outsider.email, PASSWORD)
    resp = browser.client.post(f"/deliberation/debates/{debate.id}/comments", data={"body": "let me in"})
    assert resp.status_code in (400, 404)
    listing = browser.get("/deliberation/spaces").get_data(as_text=True)
    assert "Transport panel" not in listing
    browser.sign_out()
    browser.sign_in(insider.email, PASSWORD)
    for url in urls:
        assert browser.get(url).status_code in (200, 302), url
    html = browser.submit(f"/deliberation/debates/{debate.id}/comments", {"body": "Members reply."}).get_data(as_text=True)
    assert "Panel-only remark." in html and "Members reply." in html
    html = browser.submit(f"/deliberation/spaces/{space.slug}/debates/new", {"title": "Second panel debate", "body": "More.", "place": ""}).get_data(as_text=True)
    assert "Your debate has started." in html


def test_officer_manages_spaces_and_memberships(browser):
    officer, resident = make_user(Role.OFFICER), make_user(name="A Resident")
    browser.sign_in(resident.email, PASSWORD)
    assert browser.get("/deliberation/spaces/new").status_code == 403
    browser.sign_out()
    # An officers' working group takes council staff only.
    staff = make_user(Role.OFFICER, name="New Member")
    browser.sign_in(officer.email, PASSWORD)
    html = browser.submit("/deliberation/spaces/new", {"name": "Officers working group on libraries", "kind": "working_group",
                                                      "description": ""}).get_data(as_text=True)
    assert "has been created" in html
    space = db.session.execute(select(Space)).scalar_one()
    assert space.is_restricted and space.kind == "working_group"
    today = utcnow().date()
    html = browser.submit(f"/deliberation/spaces/{space.slug}/members", {
        "email": resident.email, "role": "member", "started_on": today.isoformat(), "term_ends_on": ""}).get_data(as_text=True)
    assert "Only council staff can be members of an officers&#39; working group." in html
    assert db.session.execute(select(SpaceMembership)).first() is None
    resident = staff
    html = browser.submit(f"/deliberation/spaces/{space.slug}/members", {
        "email": resident.email, "role": "member", "started_on": today.isoformat(), "term_ends_on": ""}).get_data(as_text=True)
    assert "New Member is now a member" in html
    html = browser.submit(f"/deliberation/spaces/{space.slug}/members", {
        "email": resident.email, "role": "member", "started_on": today.isoformat()}).get_data(as_text=True)
    assert "already a member" in html
    assert len(db.session.execute(select(SpaceMembership)).scalars().all()) == 1
    browser.sign_out()
    browser.sign_in(resident.email, PASSWORD)
    assert browser.get(f"/deliberation/spaces/{space.slug}").status_code == 200
    browser.sign_out()
    browser.sign_in(officer.email, PASSWORD)
    membership = db.session.execute(select(SpaceMembership)).scalar_one()
    browser.submit(f"/deliberation/memberships/{membership.id}/end", {})
    browser.sign_out()
    browser.sign_in(resident.email, PASSWORD)
    assert browser.get(f"/deliberation/spaces/{space.slug}").status_code == 404
    actions = {a for (a,) in db.session.execute(select(AuditEntry.action))}
    assert {"deliberation.space_created", "deliberation.member_added", "deliberation.member_removed"} <= actions


def test_coalition_terms_and_balance(browser):
    officer, admin, staff = make_user(Role.OFFICER), make_user(Role.ADMINISTRATOR), make_user(Role.OFFICER)
    residents = [make_user(), make_user(), make_user(), make_user(), make_user()]
    browser.sign_in(officer.email, PASSWORD)
    browser.submit("/deliberation/spaces/new", {"name": "Guiding coalition", "kind": "coalition"})
    space = db.session.execute(select(Space)).scalar_one()
    start = date(2026, 4, 1)
    for user in [officer, admin, staff, *residents]:
        browser.submit(f"/deliberation/spaces/{space.slug}/members", {
            "email": user.email, "role": "member", "started_on": start.isoformat()})
    memberships = db.session.execute(select(SpaceMembership)).scalars().all()
    assert len(memberships) == 8
    assert {m.term_ends_on for m in memberships} == {date(2028, 4, 1)}  # two years by default
    # A second coalition is refused.
    html = browser.submit("/deliberation/spaces/new", {"name": "Another coalition", "kind": "coalition"}).get_data(as_text=True)
    assert "There is already a guiding coalition space." in html
    browser.sign_out()
    html = browser.get("/deliberation/coalition").get_data(as_text=True)
    assert "3 council staff and 5 residents among 8 current members." in html
    assert "<caption>Current members by kind</caption>" in html
    assert '<td class="num">3</td>' in html and '<td class="num">5</td>' in html and "38%" in html and "62%" in html


def test_recommendation_and_council_response_explanation_required(browser):
    officer, resident, outsider = make_user(Role.OFFICER), make_user(name="Coalition Resident"), make_user()
    space = make_space(officer, SpaceKind.COALITION, members=[resident], name="Guiding coalition")
    browser.sign_in(outsider.email, PASSWORD)
    assert browser.get("/deliberation/coalition/recommendations/new").status_code == 403
    browser.sign_out()
    browser.sign_in(resident.email, PASSWORD)
    today = utcnow().date()
    html = browser.submit("/deliberation/coalition/recommendations/new", {
        "title": "Evening assemblies", "text": "Hold budget assemblies in the evening too.",
        "published_on": today.isoformat()}).get_data(as_text=True)
    assert "awaits the council" in html
    rec = db.session.execute(select(Recommendation)).scalar_one()
    assert rec.space_id == space.id
    assert browser.get(f"/deliberation/recommendations/{rec.id}/respond").status_code == 403
    browser.sign_out()
    public = browser.get("/deliberation/recommendations").get_data(as_text=True)
    assert "Evening assemblies" in public and "Awaiting response" in public
    browser.sign_in(officer.email, PASSWORD)
    url = f"/deliberation/recommendations/{rec.id}/respond"
    html = browser.submit(url, {"outcome": "adopted_in_part", "explanation": "", "responded_on": today.isoformat()}).get_data(as_text=True)
    assert "Explain the council's response</a>" in html
    assert db.session.execute(select(CouncilResponse)).first() is None
    early = (rec.published_on - timedelta(days=1)).isoformat()
    html = browser.submit(url, {"outcome": "adopted_in_part", "explanation": "Some districts.", "responded_on": early}).get_data(as_text=True)
    assert "cannot be dated before" in html
    browser.submit(url, {"outcome": "adopted_in_part", "explanation": "Two districts from April.", "responded_on": today.isoformat()})
    response = db.session.execute(select(CouncilResponse)).scalar_one()
    assert (response.outcome, response.explanation) == ("adopted_in_part", "Two districts from April.")
    # Only one response: the form is no longer offered.
    assert browser.get(url).status_code == 403
    browser.sign_out()
    public = browser.get("/deliberation/recommendations").get_data(as_text=True)
    assert "Adopted in part" in public and "Awaiting response" not in public
    detail = browser.get(f"/deliberation/recommendations/{rec.id}").get_data(as_text=True)
    assert "Two districts from April." in detail
    actions = {a for (a,) in db.session.execute(select(AuditEntry.action))}
    assert {"deliberation.recommendation_published", "deliberation.recommendation_response"} <= actions


def test_place_page_lists_public_debates_only(browser):
    from app.deliberation import services
    from tests.factories_deliberation import make_place

    officer, member = make_user(Role.OFFICER), make_user()
    place = make_place()
    panel = make_space(officer, SpaceKind.PANEL, members=[member])
    services.start_debate(db.session, member, None, services.DebateData("Open question about the park", "Body", place=place))
    services.start_debate(db.session, member, panel, services.DebateData("Panel-only question about the park", "Body", place=place))
    db.session.commit()
    html = browser.get(f"/places/{place.code}").get_data(as_text=True)
    assert "Open question about the park" in html and "Panel-only question" not in html


def test_notifications_never_leak_out_of_a_restricted_space(browser):
    from app.deliberation import services
    from app.deliberation.models import Notification

    officer, starter, leaver = make_user(Role.OFFICER), make_user(), make_user()
    panel = make_space(officer, SpaceKind.PANEL, members=[starter, leaver])
    debate = make_debate(starter, panel)
    make_comment(leaver, debate, "Before I leave.")
    membership = db.session.execute(select(SpaceMembership).where(SpaceMembership.user_id == leaver.id)).scalar_one()
    membership.started_on = utcnow().date() - timedelta(days=10)
    db.session.commit()
    services.end_membership(db.session, officer, membership)
    db.session.commit()
    browser.sign_in(starter.email, PASSWORD)
    browser.submit(f"/deliberation/debates/{debate.id}/comments", {"body": "After they left."})
    recipients = {n.user_id for n in db.session.execute(select(Notification)).scalars()}
    assert leaver.id not in recipients


def test_a_space_description_over_the_limit_is_refused_by_the_service_too(app):
    import pytest

    from app.core.errors import DomainError
    from app.deliberation import services

    officer = make_user(Role.OFFICER)
    with pytest.raises(DomainError) as info:
        services.create_space(db.session, officer, services.SpaceData("Panel", "x" * 5_001, SpaceKind.PANEL, True))
    assert info.value.field == "description"
