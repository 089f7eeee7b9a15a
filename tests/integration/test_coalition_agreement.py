"""The guiding coalition (issue 13, item 8): the comment box says who can read; a recommendation goes out only
after the members agree (one member, one vote, the share the space sets) and until then is a draft the members
alone can see."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from app.auth.models import Role
from app.core.models import AuditEntry
from app.deliberation.models import Recommendation, RecommendationVote, SpaceKind
from app.extensions import db
from tests.factories import make_user
from tests.factories_deliberation import make_debate, make_space
from tests.factories_proposals import login_as

pytestmark = pytest.mark.usefixtures("app")


def _text(resp) -> str:  # type: ignore[no-untyped-def]
    return resp.get_data(as_text=True)


def test_the_comment_box_in_a_members_only_debate_says_who_can_read(browser):
    officer, member = make_user(Role.OFFICER), make_user(name="Member")
    space = make_space(officer, SpaceKind.COALITION, members=[member], name="Guiding coalition")
    inner = make_debate(member, space, "Themes for 2027")
    public = make_debate(member, None, "Mill Road on Sundays")
    login_as(browser.client, member)
    html = _text(browser.get(f"/deliberation/debates/{inner.id}"))
    assert "Everyone can read what you write" not in html
    assert "Only the current members of “Guiding coalition” can read what you write" in html
    html = _text(browser.get(f"/deliberation/debates/{inner.id}/comments"))
    assert "Everyone can read what you write" not in html and "Only the current members" in html
    assert "Everyone can read what you write" in _text(browser.get(f"/deliberation/debates/{public.id}"))


def _coalition(n_members: int):  # type: ignore[no-untyped-def]
    officer = make_user(Role.OFFICER)
    members = [make_user(name=f"Member {i}") for i in range(n_members)]
    space = make_space(officer, SpaceKind.COALITION, members=members, name="Guiding coalition")
    return officer, members, space


def _propose(browser, member) -> Recommendation:  # type: ignore[no-untyped-def]
    login_as(browser.client, member)
    html = _text(browser.submit("/deliberation/coalition/recommendations/new",
                                {"title": "Evening assemblies", "text": "Hold budget assemblies in the evening too."}))
    assert "goes out when enough of them agree" in html
    return db.session.execute(select(Recommendation)).scalar_one()


def _post_vote(browser, rec, agrees: str):  # type: ignore[no-untyped-def]
    page = _text(browser.get(f"/deliberation/recommendations/{rec.id}"))
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page).group(1)  # type: ignore[union-attr]
    return browser.client.post(f"/deliberation/recommendations/{rec.id}/vote",
                               data={"csrf_token": token, "agrees": agrees}, follow_redirects=True)


def test_a_single_member_cannot_publish_for_the_coalition(browser):
    officer, members, space = _coalition(4)  # 50%: two of four must agree
    rec = _propose(browser, members[0])
    assert rec.is_draft and rec.published_on is None
    # the public and non-members see nothing of it; members see the draft and the count
    browser.sign_out()
    assert "Evening assemblies" not in _text(browser.get("/deliberation/recommendations"))
    assert "Evening assemblies" not in _text(browser.get("/deliberation/coalition"))
    assert browser.get(f"/deliberation/recommendations/{rec.id}").status_code == 404
    login_as(browser.client, make_user())
    assert browser.get(f"/deliberation/recommendations/{rec.id}").status_code == 404
    login_as(browser.client, officer)  # officers respond to recommendations, but not to drafts
    assert browser.get(f"/deliberation/recommendations/{rec.id}/respond").status_code == 404
    login_as(browser.client, members[1])
    page = _text(browser.get(f"/deliberation/recommendations/{rec.id}"))
    assert "Draft: only the coalition" in page and "Agreeing members needed" in page
    assert "Evening assemblies" in _text(browser.get("/deliberation/coalition"))
    # a member who disagrees does not publish it; voting again changes the vote, never adds one
    assert "Your vote is recorded." in _text(_post_vote(browser, rec, "no"))
    assert "Your vote is recorded." in _text(_post_vote(browser, rec, "no"))
    db.session.refresh(rec)
    assert rec.is_draft
    assert db.session.execute(select(func.count(RecommendationVote.id))).scalar_one() == 2
    # the second agreeing member (two of four = 50%) sends it out
    html = _text(_post_vote(browser, rec, "yes"))
    assert "Enough members agree: the recommendation has gone out." in html
    db.session.refresh(rec)
    assert not rec.is_draft and rec.published_on is not None
    entry = db.session.execute(select(AuditEntry).where(
        AuditEntry.action == "deliberation.recommendation_published")).scalar_one()
    assert '"required":2' in entry.data_json and '"agree":2' in entry.data_json
    browser.sign_out()
    assert "Evening assemblies" in _text(browser.get("/deliberation/recommendations"))
    # votes are closed once it has gone out
    login_as(browser.client, members[2])
    assert "Record my vote" not in _text(browser.get(f"/deliberation/recommendations/{rec.id}"))


def test_the_space_sets_the_share_that_must_agree(browser):
    officer, members, space = _coalition(3)
    login_as(browser.client, officer)
    html = _text(browser.submit(f"/deliberation/spaces/{space.slug}/agreement", {"agreement_percent": "0"}))
    assert "Enter a whole number from 1 to 100" in html
    html = _text(browser.submit(f"/deliberation/spaces/{space.slug}/agreement", {"agreement_percent": "100"}))
    assert "100% of current members agree" in html
    rec = _propose(browser, members[0])
    login_as(browser.client, members[1])
    _post_vote(browser, rec, "yes")
    db.session.refresh(rec)
    assert rec.is_draft  # two of three is not everyone
    login_as(browser.client, members[2])
    _post_vote(browser, rec, "yes")
    db.session.refresh(rec)
    assert not rec.is_draft
    login_as(browser.client, members[0])
    assert browser.get(f"/deliberation/spaces/{space.slug}/agreement").status_code == 403


def test_non_members_cannot_propose_or_vote_and_the_database_allows_one_vote_each(browser):
    officer, members, space = _coalition(3)
    rec = _propose(browser, members[0])
    login_as(browser.client, officer)  # not a member
    assert browser.get("/deliberation/coalition/recommendations/new").status_code == 403
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', _text(browser.get("/deliberation/"))).group(1)  # type: ignore[union-attr]
    assert browser.client.post(f"/deliberation/recommendations/{rec.id}/vote",
                               data={"csrf_token": token, "agrees": "yes"}).status_code == 404
    db.session.add(RecommendationVote(recommendation_id=rec.id, user_id=members[0].id, agrees=False))
    with pytest.raises(IntegrityError):
        db.session.flush()
    db.session.rollback()


def test_the_demo_has_a_draft_for_members(demo, browser):
    browser.sign_in("agnieszka@demo.example.org", "folkmoot-demo")
    html = _text(browser.get("/deliberation/coalition"))
    assert "Drafts awaiting the members" in html and "plain-English summary" in html
    browser.sign_out()
    assert "plain-English summary" not in _text(browser.get("/deliberation/coalition"))
