"""``flask demo seed``: Cambridgeshire demonstration data, loaded through the same services as real data.

Idempotent: running it again updates the places and creates only what is missing.  Population figures are
demonstration figures (rounded, indicative) and are marked as such on every place page.
"""

from __future__ import annotations

from pathlib import Path

from sqlalchemy.orm import Session

from app.auth import services as accounts
from app.auth.models import Role
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
        f"Demo accounts (password for all: {DEMO_PASSWORD}):",
    ]
    for email, name, postcode, roles in DEMO_ACCOUNTS:
        user = accounts.find_by_email(session, email)
        if user is None:
            user = accounts.create_user(
                session, email=email, display_name=name, password=DEMO_PASSWORD, roles=roles, postcode=postcode
            )
        role_text = ", ".join(sorted(r.value for r in user.roles))
        place = user.home_place.name if user.home_place else "-"
        lines.append(f"  {email:32} {role_text:26} {place}")
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
    return lines
