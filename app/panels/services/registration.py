"""The panel's category questions, and registration by response code.

Only invited households can answer: a registration needs the single-use code from their letter, matched to
the invited address, so walk-ins and forwarded links cannot enter the pool.  Officers enter paper and telephone
answers through the same form, marked with the channel.  The database allows one registration per invitation.
"""

from __future__ import annotations

import json
import re
import secrets
from dataclasses import dataclass, field

from flask_babel import gettext as _
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from app.auth.models import User
from app.core import audit
from app.core.db import utcnow
from app.core.errors import DomainError
from app.panels.models import Channel, Invitation, Panel, Question, Respondent, Status
from app.panels.services.invitations import normalise_code

CATEGORY_RE = re.compile(r"^[a-z][a-z0-9_]{0,39}$")
QUESTION_MAX = 300
OPTION_MAX = 100
NAME_MAX = 120
EMAIL_RE = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
PUBLIC_ID_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"


def respondent_count(session: Session, panel: Panel) -> int:
    return int(session.execute(
        select(func.count()).select_from(Respondent).where(Respondent.panel_id == panel.id)).scalar_one())


def _questions_editable(session: Session, panel: Panel) -> None:
    if respondent_count(session, panel) or panel.selection is not None:
        raise DomainError(_("People have already answered, so the questions can no longer change."))


def add_question(session: Session, officer: User, panel: Panel, category: str, text: str, options_text: str) -> Question:
    _questions_editable(session, panel)
    category = (category or "").strip().lower()
    if not CATEGORY_RE.match(category):
        raise DomainError(_("Use lower-case letters, digits and underscores, starting with a letter (for example age_band)"),
                          field="category")
    if any(q.category == category for q in panel.questions):
        raise DomainError(_("This panel already has a question for %(category)s", category=category), field="category")
    text = (text or "").strip()
    if not text or len(text) > QUESTION_MAX:
        raise DomainError(_("Enter the question, in %(max)d characters or fewer", max=QUESTION_MAX), field="text")
    options = [o.strip() for o in (options_text or "").splitlines() if o.strip()]
    if len(options) < 2:
        raise DomainError(_("Give at least two answers, one on each line"), field="options")
    if len(set(options)) != len(options):
        raise DomainError(_("Each answer must be different"), field="options")
    if any(len(o) > OPTION_MAX or "," in o or '"' in o for o in options):
        raise DomainError(_("Answers must be %(max)d characters or fewer, without commas or quotation marks",
                            max=OPTION_MAX), field="options")
    question = Question(panel_id=panel.id, category=category, text=text, options_json=json.dumps(options),
                        position=len(panel.questions))
    session.add(question)
    session.flush()
    session.refresh(panel)
    audit.record(session, "panels.question_added", actor=officer, obj=panel, data={"category": category, "options": options})
    return question


def remove_question(session: Session, officer: User, question: Question) -> None:
    panel = question.panel
    _questions_editable(session, panel)
    session.delete(question)
    session.flush()
    session.refresh(panel)
    audit.record(session, "panels.question_removed", actor=officer, obj=panel, data={"category": question.category})


def set_registration_open(session: Session, officer: User, panel: Panel, is_open: bool) -> None:
    if is_open:
        if panel.invitation_draw is None or panel.invitation_draw.seed is None:
            raise DomainError(_("Draw the invitations before opening registration."))
        if not panel.questions:
            raise DomainError(_("Add the panel's questions before opening registration."))
        if panel.selection is not None:
            raise DomainError(_("The pool is committed for the draw, so registration cannot reopen."))
    panel.is_registration_open = is_open
    session.flush()
    audit.record(session, "panels.registration_opened" if is_open else "panels.registration_closed", actor=officer, obj=panel)


def invitation_for_code(session: Session, raw: str, panel: Panel | None = None) -> Invitation:
    """The unused invitation with this code, or a DomainError on the code field that says why not."""
    code = normalise_code(raw)
    if not code:
        raise DomainError(_("Enter the code from your invitation letter"), field="code")
    invitation = session.execute(select(Invitation).where(Invitation.code == code)).scalar_one_or_none()
    if invitation is None or (panel is not None and invitation.panel_id != panel.id):
        raise DomainError(_("We do not recognise this code. Check it against your letter: only households that "
                            "received an invitation can take part."), field="code")
    if invitation.used_at is not None:
        raise DomainError(_("This code has already been used. Each invitation can be answered once."), field="code")
    if not invitation.panel.is_registration_open:
        raise DomainError(_("Registration for this panel is closed."), field="code")
    return invitation


@dataclass(frozen=True)
class Answer:
    code: str
    name: str
    email: str
    phone: str
    availability: str
    has_consented: bool
    answers: dict[str, str] = field(default_factory=dict)
    channel: Channel = Channel.ONLINE


def _new_public_id(session: Session, panel: Panel) -> str:
    while True:
        public_id = "P" + "".join(secrets.choice(PUBLIC_ID_ALPHABET) for _ in range(6))
        if session.execute(select(Respondent.id).where(Respondent.panel_id == panel.id,
                                                       Respondent.public_id == public_id)).first() is None:
            return public_id


def register(session: Session, answer: Answer, *, panel: Panel | None = None, entered_by: User | None = None) -> Respondent:
    """Add an invited household's answer to the pool.  ``panel`` is given when an officer enters it."""
    invitation = invitation_for_code(session, answer.code, panel)
    panel = invitation.panel
    name = (answer.name or "").strip()
    if not name or len(name) > NAME_MAX:
        raise DomainError(_("Enter your name, in %(max)d characters or fewer", max=NAME_MAX), field="name")
    email, phone = (answer.email or "").strip(), (answer.phone or "").strip()
    if not email and not phone:
        raise DomainError(_("Give an email address or a telephone number so we can contact you"), field="email")
    if email and (len(email) > 254 or not EMAIL_RE.match(email)):
        raise DomainError(_("Enter an email address like name@example.org"), field="email")
    if len(phone) > 40 or (phone and not re.fullmatch(r"[0-9 +()-]{6,40}", phone)):
        raise DomainError(_("Enter a telephone number, like 01223 123456"), field="phone")
    if len(answer.availability or "") > 2_000:
        raise DomainError(_("Keep this to 2,000 characters or fewer"), field="availability")
    values: dict[str, str] = {}
    for q in panel.questions:
        value = answer.answers.get(q.category, "")
        if value not in q.options:
            raise DomainError(_("Answer: %(question)s", question=q.text), field=f"q_{q.category}")
        values[q.category] = value
    if not answer.has_consented:
        raise DomainError(_("Tick the box to agree to how we use your answers, or you cannot join the pool"),
                          field="has_consented")
    if entered_by is None and answer.channel is not Channel.ONLINE:
        raise DomainError(_("Only officers can enter paper or telephone answers."))
    respondent = Respondent(
        panel_id=panel.id, invitation_id=invitation.id, public_id=_new_public_id(session, panel), name=name,
        email=email or None, phone=phone or None, availability=(answer.availability or "").strip(),
        answers_json=json.dumps(values, sort_keys=True), has_consented=True, channel=answer.channel.value,
        entered_by_id=entered_by.id if entered_by else None, status=Status.POOL.value,
    )
    invitation.used_at = utcnow()
    session.add(respondent)
    try:
        with session.begin_nested():
            session.flush()
    except IntegrityError:
        raise DomainError(_("This code has already been used. Each invitation can be answered once."), field="code") from None
    audit.record(session, "panels.registered", actor=entered_by, obj=panel,
                 data={"respondent": respondent.public_id, "channel": respondent.channel})
    return respondent


def respondents(session: Session, panel: Panel) -> list[Respondent]:
    return list(session.execute(
        select(Respondent).where(Respondent.panel_id == panel.id).order_by(Respondent.public_id)).scalars())


def pool(session: Session, panel: Panel) -> list[Respondent]:
    """Who can be drawn: consenting respondents whose answers have not been purged."""
    return [r for r in respondents(session, panel) if r.has_consented and r.purged_at is None]


