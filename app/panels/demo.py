"""Demonstration panels, made through the same services as real ones: the Cambridgeshire Climate Panel, whose
draw is finished (about 300 respondents, a published draw page with a replacement, and a panel space with its
timetable, evidence and a recommendation), the Ely Riverside Panel, drawn by a transparent lottery of 1,000
panels and the number thrown with three ten-sided dice (a smaller pool of 100, to keep seeding the demo
quick), and the Fenland Transport Panel, open for registration."""

from __future__ import annotations

import io
import random
from datetime import date, datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.auth import services as accounts
from app.auth.models import User
from app.core.db import utcnow
from app.core.demo import DEMO_PASSWORD
from app.deliberation import recommendations
from app.deliberation import services as deliberation
from app.deliberation.models import SpaceRole
from app.panels.models import Channel, Invitation, Method, Panel, Respondent, Status
from app.panels.services import confirmation, invitations, panels, registration, selection, workspace
from app.places.models import Place, Postcode

CLIMATE = "Cambridgeshire Climate Panel 2027"
TRANSPORT = "Fenland Transport Panel 2027"
ELY = "Ely Riverside Panel 2027"

QUESTIONS: list[tuple[str, str, list[tuple[str, float]]]] = [
    ("gender", "Which of these describes you?", [("Woman", 50.5), ("Man", 48.5), ("Another way", 1.0)]),
    ("age_band", "How old are you?", [("16-29", 22.0), ("30-44", 25.0), ("45-64", 31.0), ("65+", 22.0)]),
    ("district", "Where do you live?", [("Cambridge", 21.0), ("East Cambridgeshire", 13.0), ("Fenland", 15.0),
                                         ("Huntingdonshire", 27.0), ("South Cambridgeshire", 24.0)]),
    ("climate_view", "How concerned are you about climate change?",
     [("Very concerned", 40.0), ("Fairly concerned", 42.0), ("Not very or not at all concerned", 18.0)]),
]


def address_csv(postcodes: list[str], n: int, prefix: str, rng: random.Random, deciles: bool = True) -> str:
    """A made-up address list: ids PREFIX-00001…, postcodes from ``postcodes``, and a deprivation decile each."""
    out = io.StringIO()
    out.write("address_id,postcode,decile\n" if deciles else "address_id,postcode\n")
    for i in range(1, n + 1):
        postcode = postcodes[i % len(postcodes)]
        out.write(f"{prefix}-{i:05d},{postcode}" + (f",{rng.randint(1, 10)}\n" if deciles else "\n"))
    return out.getvalue()


ELY_QUESTIONS: list[tuple[str, str, list[tuple[str, float]]]] = [
    QUESTIONS[0],
    ("age_band", "How old are you?", [("16-34", 30.0), ("35-59", 40.0), ("60+", 30.0)]),
    ("river_use", "How often do you use the riverside?", [("Every week", 35.0), ("Now and then", 45.0), ("Rarely or never", 20.0)]),
]
Questions = list[tuple[str, str, list[tuple[str, float]]]]


def add_questions(session: Session, officer: User, panel: Panel, questions: Questions | None = None) -> None:
    for category, text, options in questions or QUESTIONS:
        registration.add_question(session, officer, panel, category, text, "\n".join(o for o, _ in options))


def answers_for(rng: random.Random, questions: Questions | None = None) -> dict[str, str]:
    return {category: rng.choices([o for o, _ in options], weights=[w for _, w in options])[0]
            for category, _text, options in questions or QUESTIONS}


def register_some(session: Session, officer: User, panel: Panel, count: int, rng: random.Random, email_prefix: str,
                  questions: Questions | None = None) -> list[Respondent]:
    """Answers for the first ``count`` unused invitations (one in six on paper, entered by the officer)."""
    out = []
    unused = [i for i in invitations.invitations(session, panel) if i.used_at is None][:count]
    for n, inv in enumerate(unused, start=1):
        paper = n % 6 == 0
        out.append(registration.register(session, registration.Answer(
            code=inv.code, name=f"Demo Respondent {email_prefix}{n}", email=f"{email_prefix}{n}@demo.example.org",
            phone="01223 000000", availability="", has_consented=True, answers=answers_for(rng, questions),
            channel=Channel.PAPER if paper else Channel.ONLINE), panel=panel, entered_by=officer if paper else None))
    return out


def _place(session: Session, code: str) -> Place:
    return session.execute(select(Place).where(Place.code == code)).scalar_one()


def _postcodes(session: Session, prefix: str = "") -> list[str]:
    return [p for p in session.execute(select(Postcode.postcode).order_by(Postcode.postcode)).scalars() if p.startswith(prefix)]


def seed(session: Session) -> list[str]:
    officer = accounts.find_by_email(session, "officer@demo.example.org")
    if officer is None or session.execute(select(Panel.id).where(Panel.title == CLIMATE)).first() is not None:
        return ["Panels: already present."]
    rng = random.Random(2027)
    retention = utcnow().date() + timedelta(days=540)
    lines = []

    # 1. A finished draw with a panel space.
    climate = panels.create_panel(session, officer, panels.PanelData(
        CLIMATE, "What should Cambridgeshire do, and in what order, to reach net zero by 2040?",
        _place(session, "E10000003"), retention))
    invitations.upload_addresses(session, officer, climate, io.StringIO(address_csv(_postcodes(session), 1500, "CAM", rng)))
    invitations.commit_invitations(session, officer, climate, invitations.LotteryPlan(
        900, True, "1=2, 2=1.5, 3=1.25", "Five ten-sided dice thrown by witnesses at Shire Hall on 12 January 2027."))
    invitations.draw_invitations(session, officer, climate, "40371")
    add_questions(session, officer, climate)
    registration.set_registration_open(session, officer, climate, True)
    register_some(session, officer, climate, 300, rng, "climate")
    shares = {(c, o): int(w * 10) for c, _t, options in QUESTIONS for o, w in options}
    selection.set_quotas(session, officer, climate, selection.QuotaPlan(30, Method.LEXIMIN, shares, leeway=1))
    check = selection.feasibility(session, climate)
    if check is not None and not check.ok and check.relaxations:
        selection.apply_relaxations(session, officer, climate)
    selection.commit(session, officer, climate,
                     "The five digits drawn with ten-sided dice by witnesses at the public meeting of 2 February 2027.")
    selection.record_seed_and_draw(session, officer, climate, "86251")
    drawn = confirmation.members(session, climate)
    declined = drawn[0]
    confirmation.mark(session, officer, declined, Status.DECLINED, "Moving away in March.")
    confirmation.replace(session, officer, declined)
    members = confirmation.members(session, climate)
    for r in members:
        confirmation.mark(session, officer, r, Status.CONFIRMED, "Confirmed by telephone.")
        # Demo members already have accounts (with the demo password), so the workspace links them rather than
        # sending password-setting links.
        accounts.create_user(session, email=r.email or "", display_name=r.name or r.public_id, password=DEMO_PASSWORD, roles=[])
    workspace.open_workspace(session, officer, climate)
    assert climate.space is not None
    sarah = accounts.find_by_email(session, "sarah@demo.example.org")
    if sarah is not None:
        deliberation.add_member(session, officer, climate.space, sarah.email or "", SpaceRole.FACILITATOR, utcnow().date(), None)
    start = datetime.combine(utcnow().date() + timedelta(days=14), datetime.min.time()).replace(hour=10)
    for week, title in enumerate(["Learning: where our emissions come from", "Hearing from experts and campaigners",
                                  "Deliberation: choosing priorities", "Agreeing the recommendations"]):
        workspace.add_meeting(session, officer, climate, title, start + timedelta(days=7 * week), "Shire Hall, Cambridge")
    workspace.add_evidence(session, officer, climate, "Cambridgeshire and Peterborough Independent Commission on Climate: final report",
                           "https://www.cambridgeshire.gov.uk/", "Independent Commission on Climate",
                           "The commission's recommendations on transport, buildings and land use.")
    workspace.add_evidence(session, officer, climate, "Local authority greenhouse gas emissions, 2005 to 2022",
                           "https://www.gov.uk/government/statistics", "Department for Energy Security and Net Zero", "")
    users = [u for u in (accounts.find_by_email(session, r.email or "") for r in members) if u is not None]
    rec = workspace.recommend(session, users[0], climate, "Retrofit every council-owned building by 2032",
                              "Start with schools and care homes, and publish progress every year.", "en")
    for member in users[1:]:  # the members agree at their last session: it goes out to the council
        if not rec.is_draft:
            break
        recommendations.vote_on_recommendation(session, member, rec, True)
    lines.append(f"Panels: “{CLIMATE}” drawn from {len(registration.respondents(session, climate))} respondents, with its "
                 f"space (a member: {members[0].email}).")

    # 2. A transparent lottery: the 1,000 panels published with the commitment, then three ten-sided dice.
    lines.append(_ely(session, officer, rng, retention))

    # 3. Open for registration.
    transport = panels.create_panel(session, officer, panels.PanelData(
        TRANSPORT, "How should people get around Fenland without a car?", _place(session, "E07000010"), retention))
    invitations.upload_addresses(session, officer, transport,
                                 io.StringIO(address_csv(_postcodes(session, "PE1"), 400, "FEN", rng, deciles=False)))
    invitations.commit_invitations(session, officer, transport, invitations.LotteryPlan(
        200, True, "", "The first five digits of the Thunderball draw of the Saturday after the letters are printed."))
    invitations.draw_invitations(session, officer, transport, "19377")
    add_questions(session, officer, transport)
    registration.set_registration_open(session, officer, transport, True)
    register_some(session, officer, transport, 12, rng, "transport")
    unused = session.execute(select(Invitation.code).where(Invitation.panel_id == transport.id, Invitation.used_at.is_(None))
                             .order_by(Invitation.id).limit(1)).scalar_one()
    lines.append(f"Panels: “{TRANSPORT}” open for registration (an unused demo code: {unused}).")
    return lines


def _ely(session: Session, officer: User, rng: random.Random, retention: date) -> str:
    ely = panels.create_panel(session, officer, panels.PanelData(
        ELY, "How should the riverside between the station and the cathedral change over the next ten years?",
        _place(session, "E07000009"), retention))
    invitations.upload_addresses(session, officer, ely, io.StringIO(address_csv(
        [p for p in _postcodes(session) if p.startswith(("CB6", "CB7"))], 300, "ELY", rng)))
    invitations.commit_invitations(session, officer, ely, invitations.LotteryPlan(
        200, True, "1=2, 2=1.5", "Five ten-sided dice thrown by witnesses at The Maltings, Ely, on 20 January 2027."))
    invitations.draw_invitations(session, officer, ely, "58213")
    add_questions(session, officer, ely, ELY_QUESTIONS)
    registration.set_registration_open(session, officer, ely, True)
    register_some(session, officer, ely, 100, rng, "ely", ELY_QUESTIONS)
    shares = {(c, o): int(w * 10) for c, _t, options in ELY_QUESTIONS for o, w in options}
    selection.set_quotas(session, officer, ely, selection.QuotaPlan(12, Method.LEXIMIN, shares, leeway=1))
    check = selection.feasibility(session, ely)
    if check is not None and not check.ok and check.relaxations:
        selection.apply_relaxations(session, officer, ely)
    selection.commit(session, officer, ely, "Three ten-sided dice thrown by witnesses at the public meeting of 9 February "
                     "2027 in The Maltings, read as hundreds, tens and units; 000 counts as 1000.", lottery=1000)
    selection.record_ticket_and_draw(session, officer, ely, 704)
    return f"Panels: “{ELY}” drawn by a transparent lottery of 1,000 panels (ticket 704)."
