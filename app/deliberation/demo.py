"""Demonstration deliberation: comments, replies and stances on demo proposals, a public debate, the guiding
coalition (eight members, council staff and residents in balance) with its members-only debate, one
recommendation with the council's response and one awaiting it, a report waiting for a moderator, and a hidden
comment with its public reason.

Loaded through the same services as real data.  Idempotent: everything is keyed on its title, its slug or its
author and exact text, and what exists already is left alone.
"""

from __future__ import annotations

from datetime import date, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.auth import services as accounts
from app.auth.models import Role, User
from app.core.db import utcnow
from app.deliberation import recommendations, services
from app.deliberation.models import (
    Comment,
    ContentKind,
    Debate,
    Outcome,
    Recommendation,
    Report,
    Space,
    SpaceKind,
    SpaceRole,
)
from app.places.models import Place
from app.proposals.models import Proposal, ProposalState

DEMO_PASSWORD = "folkmoot-demo"
EXTRA_STAFF = [
    ("hannah.clarke@demo.example.org", "Hannah Clarke", "CB2 1TN"),
    ("ravi.menon@demo.example.org", "Ravi Menon", "PE15 8AH"),
]
PREFERRED_PROPOSALS = [
    "Benches along the Mill Road cemetery path",
    "Youth shelter at the Ely recreation ground",
    "Polish and English conversation café",
]
# (proposal index, author, stance, text, replies: [(author, stance, text, replies)])
THREADS = [
    (0, "tom@demo.example.org", "for",
     "My mum walks that path every week and there is nowhere to rest between Mill Road and the chapel. Two benches would make a real difference.",
     [("priya@demo.example.org", None, "Thank you Tom. The Friends of Mill Road Cemetery suggested the spot by the lime trees, out of the way of cyclists.",
       [("agnieszka@demo.example.org", "question", "Would the benches have arm rests? They help people who find it hard to stand up.", [])])]),
    (0, "dev@demo.example.org", "against",
     "I like the idea, but the cemetery is a wildlife site. Could the money go on repairing the path surface first?", []),
    (1, "sarah@demo.example.org", "for",
     "Ely has nothing for teenagers after 6pm. A shelter near the skate area would be well used.",
     [("tom@demo.example.org", "question", "Has anyone asked the recreation ground trust about lighting?", [])]),
    (2, "priya@demo.example.org", "for",
     "A conversation café would help my neighbours too. Could it run on Saturday mornings for people who work shifts?", []),
]
DEBATE_TITLE = "Should Mill Road close to through traffic on Sunday mornings?"
DEBATE_BODY = (
    "Some traders say a Sunday morning closure would bring more people to the shops; some residents worry about "
    "traffic moving onto side streets like Cavendish Road. What would it mean for you?"
)
COALITION_NAME = "Cambridgeshire Guiding Coalition"
COALITION_DEBATE = "Priorities for the 2027 community budget"
HIDDEN_TEXT = "Anyone who supports this is an idiot and should move out of Cambridge."
HIDDEN_REASON = "It insults other residents instead of discussing the idea."
REPORTED_TEXT = "This is just another scheme for the people on the posh side of Mill Road. Total waste."
REPORT_REASON = "It is aimed at residents of one street, not at the idea."


def _user(session: Session, email: str) -> User | None:
    return accounts.find_by_email(session, email)


def _comment(session: Session, email: str, target: Proposal | Debate, stance: str | None, text: str,
             parent: Comment | None = None) -> Comment | None:
    author = _user(session, email)
    if author is None:
        return None
    column = Comment.proposal_id if isinstance(target, Proposal) else Comment.debate_id
    existing = session.execute(
        select(Comment).where(column == target.id, Comment.author_id == author.id, Comment.body == text)
    ).scalars().first()
    if existing is not None:
        return existing
    return services.add_comment(session, author, target, text, stance, parent=parent, language="en").comment


def _replies(session: Session, target: Proposal | Debate, parent: Comment | None, replies: list) -> None:  # type: ignore[type-arg]
    for email, stance, text, deeper in replies:
        reply = _comment(session, email, target, stance, text, parent)
        if reply is not None:
            _replies(session, target, reply, deeper)


def _demo_proposals(session: Session) -> list[Proposal]:
    open_states = [s.value for s in ProposalState if s is not ProposalState.DRAFT]
    found = []
    for title in PREFERRED_PROPOSALS:
        p = session.execute(select(Proposal).where(Proposal.title == title, Proposal.state.in_(open_states),
                                                   Proposal.hidden_at.is_(None))).scalars().first()
        if p is not None:
            found.append(p)
    if len(found) < len(PREFERRED_PROPOSALS):
        more = session.execute(select(Proposal).where(Proposal.state.in_(open_states), Proposal.hidden_at.is_(None))
                               .order_by(Proposal.id).limit(6)).scalars().all()
        found += [p for p in more if p not in found][: len(PREFERRED_PROPOSALS) - len(found)]
    return found


def seed(session: Session) -> list[str]:
    officer = _user(session, "officer@demo.example.org")
    moderator = _user(session, "moderator@demo.example.org")
    if officer is None or moderator is None:
        return ["Deliberation: demo accounts missing, nothing added."]
    for email, name, postcode in EXTRA_STAFF:
        if _user(session, email) is None:
            accounts.create_user(session, email=email, display_name=name, password=DEMO_PASSWORD,
                                 roles=[Role.OFFICER], postcode=postcode)
    lines: list[str] = []

    # Threads on demo proposals (skipped when there are none).
    proposals = _demo_proposals(session)
    for index, email, stance, text, replies in THREADS:
        if index < len(proposals):
            top = _comment(session, email, proposals[index], stance, text)
            if top is not None:
                _replies(session, proposals[index], top, replies)
    lines.append(f"Deliberation: comments on {len(proposals)} demo proposals.")

    # A public debate, with a reported comment and a hidden one.
    debate = session.execute(select(Debate).where(Debate.title == DEBATE_TITLE)).scalars().first()
    priya = _user(session, "priya@demo.example.org")
    if debate is None and priya is not None:
        place = session.execute(select(Place).where(Place.code == "DEMO-CAM-PET")).scalar_one_or_none()
        debate = services.start_debate(session, priya, None,
                                       services.DebateData(DEBATE_TITLE, DEBATE_BODY, place=place, language="en"))
    if debate is not None:
        first = _comment(session, "sarah@demo.example.org", debate, "for",
                         "Yes, as a trial for the summer. The Sunday market on Mill Road showed how lively it can be.")
        if first is not None:
            _comment(session, "tom@demo.example.org", debate, "against",
                     "Buses to Addenbrooke's use Mill Road. How would people get to the hospital?", first)
        reported = _comment(session, "dev@demo.example.org", debate, "against", REPORTED_TEXT)
        tom = _user(session, "tom@demo.example.org")
        if reported is not None and tom is not None and session.execute(
            select(Report.id).where(Report.content_kind == ContentKind.COMMENT.value, Report.content_id == reported.id)
        ).first() is None:
            services.report(session, tom, services.ContentRef(ContentKind.COMMENT, reported), REPORT_REASON)
        hidden = _comment(session, "dev@demo.example.org", debate, None, HIDDEN_TEXT)
        if hidden is not None and hidden.hidden_at is None:
            services.hide(session, moderator, services.ContentRef(ContentKind.COMMENT, hidden), HIDDEN_REASON)
        lines.append(f"Deliberation: public debate “{DEBATE_TITLE}” with a report waiting and a hidden comment.")

    # The guiding coalition: council staff and residents in balance, two-year terms.
    space = services.coalition(session)
    if space is None:
        space = services.create_space(session, officer, services.SpaceData(
            name=COALITION_NAME,
            description="Council staff and residents who advise Cambridgeshire's councils on how residents take part. "
                        "It meets monthly, alternately in Cambridge and in Ely.",
            kind=SpaceKind.COALITION, is_restricted=True,
        ))
    start = date(utcnow().year, 1, 1) if utcnow().month > 1 else date(utcnow().year - 1, 1, 1)
    members = [("officer@demo.example.org", SpaceRole.CHAIR), ("admin@demo.example.org", SpaceRole.MEMBER),
               ("hannah.clarke@demo.example.org", SpaceRole.MEMBER), ("ravi.menon@demo.example.org", SpaceRole.MEMBER),
               ("priya@demo.example.org", SpaceRole.CHAIR), ("tom@demo.example.org", SpaceRole.MEMBER),
               ("agnieszka@demo.example.org", SpaceRole.MEMBER), ("dev@demo.example.org", SpaceRole.MEMBER)]
    member_ids = {m.user_id for m in space.memberships}
    for email, role in members:
        user = _user(session, email)
        if user is not None and user.id not in member_ids:
            services.add_member(session, officer, space, email, role, start, None)
    session.flush()
    session.refresh(space)
    inner = session.execute(select(Debate).where(Debate.title == COALITION_DEBATE)).scalars().first()
    if inner is None:
        inner = services.start_debate(session, officer, space, services.DebateData(
            COALITION_DEBATE, "Which themes should the 2027 community budget invite ideas on? Members only until we publish a recommendation.",
            language="en"))
    _comment(session, "agnieszka@demo.example.org", inner, "for",
             "Fenland towns should get a ring-fenced share; last year most ideas came from Cambridge.")
    balance = services.balance(session, space)
    lines.append(f"Deliberation: {space.name}: {balance.officers} council staff and {balance.residents} residents.")

    today = utcnow().date()
    recs = [
        ("Translate every consultation summary into Polish and Lithuanian",
         "Many residents in Wisbech and March read Polish or Lithuanian more easily than English. Every consultation "
         "summary should be published in both, with paper copies in libraries.",
         today - timedelta(days=60),
         (Outcome.ADOPTED_IN_PART, "Summaries for Fenland consultations will be translated into Polish and Lithuanian "
          "from April, with paper copies in Wisbech and March libraries. Countywide translation is being costed.",
          today - timedelta(days=20))),
        ("Hold budget assemblies in the evening as well as on Saturdays",
         "Shift workers and parents cannot attend Saturday daytime assemblies. Each district should hold at least one "
         "evening session, with childcare.",
         today - timedelta(days=10), None),
    ]
    for title, text, published, response in recs:
        rec = session.execute(select(Recommendation).where(Recommendation.title == title)).scalars().first()
        if rec is None:
            rec = _agreed(session, space, title, text, published)
        if response is not None and rec.response is None:
            outcome, explanation, responded = response
            recommendations.respond(session, officer, rec, outcome, explanation, responded)
    draft_title = "Publish a plain-English summary of every budget heading before voting opens"
    if session.execute(select(Recommendation).where(Recommendation.title == draft_title)).first() is None:
        proposer = _members(space)[0]
        recommendations.propose_recommendation(
            session, proposer, space, draft_title,
            "Before each vote, a one-page summary of every heading (what it pays for, how much, and who decides) "
            "should be posted to every household in the area and read out at the assemblies.", language="en")
    lines.append("Deliberation: two recommendations (one answered, one awaiting the council's response) and one "
                 "draft that the coalition's members are still voting on.")
    session.flush()
    return lines


def _members(space: Space) -> list[User]:
    today = utcnow().date()
    return [m.user for m in space.memberships if m.is_current(today)]


def _agreed(session: Session, space: Space, title: str, text: str, published: date) -> Recommendation:
    """A recommendation the members agreed to, dated as it was (the demo's history)."""
    members = _members(space)
    rec = recommendations.propose_recommendation(session, members[0], space, title, text, language="en")
    for member in members[1:]:
        if not rec.is_draft:
            break
        recommendations.vote_on_recommendation(session, member, rec, True)
    rec.published_on = published
    return rec
