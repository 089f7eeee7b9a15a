"""``flask demo seed``: Cambridgeshire demonstration data, loaded through the same services as real data.

Idempotent: running it again updates the places and creates only what is missing.  Population figures are
demonstration figures (rounded, indicative) and are marked as such on every place page.
"""

from __future__ import annotations

from pathlib import Path

from sqlalchemy.orm import Session

from app.auth import services as accounts
from app.auth.models import Role, User
from app.places import services as places

DATA = Path(__file__).resolve().parent / "demo_data"
DEMO_PASSWORD = "folkmoot-demo"

DEMO_ACCOUNTS: list[tuple[str, str, str, list[Role]]] = [
    ("admin@demo.example.org", "Alex Administrator", "CB2 1TN", [Role.ADMINISTRATOR]),
    ("officer@demo.example.org", "Olivia Officer", "PE15 8AH", [Role.OFFICER]),
    ("moderator@demo.example.org", "Morgan Moderator", "PE29 3TN", [Role.MODERATOR]),
    ("priya@demo.example.org", "Priya Shah", "CB1 2JB", []),
    ("tom@demo.example.org", "Tom Barker", "CB7 4DL", []),
    ("agnieszka@demo.example.org", "Agnieszka Nowak", "PE13 1AG", []),
    ("dev@demo.example.org", "Dev Patel", "PE27 5AP", []),
    ("sarah@demo.example.org", "Sarah Okafor", "CB23 6AA", []),
]


def seed_demo(session: Session) -> list[str]:
    with open(DATA / "cambridgeshire_places.csv", encoding="utf-8", newline="") as handle:
        report = places.import_places(session, handle)
    with open(DATA / "cambridgeshire_postcodes.csv", encoding="utf-8", newline="") as handle:
        postcodes = places.import_postcodes(session, handle)
    lines = [
        f"Places: {report.created} created, {report.updated} updated; postcodes: {postcodes.created} created, {postcodes.updated} updated.",
    ]
    for email, name, postcode, roles in DEMO_ACCOUNTS:
        if accounts.find_by_email(session, email) is None:
            accounts.create_user(
                session, email=email, display_name=name, password=DEMO_PASSWORD, roles=roles, postcode=postcode
            )
    session.flush()
    # Feature demo data, in dependency order; each feature replaces only its own line.
    from app.proposals.demo import seed as seed_proposals

    lines += seed_proposals(session)
    from app.deliberation.demo import seed as seed_deliberation

    lines += seed_deliberation(session)
    from app.budgets.demo import seed as seed_budgets

    lines += seed_budgets(session)
    from app.voting.demo import seed as seed_votes

    lines += seed_votes(session)
    from app.panels.demo import seed as seed_panels

    lines += seed_panels(session)
    from app.equality.demo import seed as seed_equality

    lines += seed_equality(session)
    leave_recent_unread(session)
    return lines + account_list(session)


NAMED = [a[0] for a in DEMO_ACCOUNTS]
UNREAD_KEPT = 3


def leave_recent_unread(session: Session) -> None:
    """A named resident has used the site before: only their few newest notifications are unread."""
    from sqlalchemy import select

    from app.deliberation.models import Notification

    for email in NAMED:
        user = accounts.find_by_email(session, email)
        if user is None:
            continue
        unread = session.execute(
            select(Notification).where(Notification.user_id == user.id, Notification.read_at.is_(None))
            .order_by(Notification.created_at.desc(), Notification.id.desc())
        ).scalars().all()
        for note in unread[UNREAD_KEPT:]:
            note.read_at = note.created_at
    session.flush()


def account_list(session: Session) -> list[str]:
    """The accounts to sign in with, what each can do and which members-only spaces (the guiding coalition,
    panels, working groups) each belongs to."""
    from sqlalchemy import func, select

    from app.core.db import utcnow
    from app.deliberation.models import Space, SpaceMembership
    from app.proposals.models import Support

    today = utcnow().date()
    spaces: dict[int, list[str]] = {}
    for membership, space in session.execute(
        select(SpaceMembership, Space).join(Space, SpaceMembership.space_id == Space.id).order_by(Space.name)
    ).all():
        if membership.is_current(today):
            spaces.setdefault(membership.user_id, []).append(f"{space.name} ({membership.role})")
    emails = NAMED + sorted(
        e for e in session.execute(select(User.email).where(User.email.like("%@demo.example.org"))).scalars()
        if e and e not in NAMED and not e.startswith(("voter", "neighbour."))
    )
    out = [f"Demo accounts (password for all: {DEMO_PASSWORD}):",
           f"  {'email':38} {'roles':26} {'home area':32} {'supports':>8}  member of"]
    for email in emails:
        user = accounts.find_by_email(session, email)
        if user is None:
            continue
        roles = ", ".join(sorted(r.value for r in user.roles if r is not Role.RESIDENT)) or "resident"
        place = user.home_place.name if user.home_place else "-"
        supports = session.execute(select(func.count(Support.id)).where(Support.user_id == user.id)).scalar_one()
        member_of = "; ".join(spaces.get(user.id, [])) or "-"
        out.append(f"  {email:38} {roles:26} {place:32} {supports:>8}  {member_of}")
    neighbours = session.execute(select(func.count(User.id)).where(User.email.like("neighbour.%@demo.example.org"))).scalar_one()
    voters = session.execute(select(func.count(User.id)).where(User.email.like("voter%@demo.example.org"))).scalar_one()
    out.append(f"  and {neighbours} neighbour.*@demo.example.org accounts (supporters) and {voters} voter*@demo.example.org "
               "accounts (the demo ballots), same password.")
    return out
