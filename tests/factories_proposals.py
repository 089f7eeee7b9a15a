"""Test data for proposals, built through the services as real data is."""

from __future__ import annotations

import io
import itertools
from typing import Any

import pytest
from flask.testing import FlaskClient
from sqlalchemy import select

from app.auth import services as accounts
from app.auth.models import Role, User
from app.auth.passwords import hash_password
from app.core.db import utcnow
from app.extensions import db
from app.places import services as places
from app.places.models import Place
from app.proposals import services
from app.proposals.models import Proposal, ProposalState, Topic
from tests.factories import PASSWORD, make_user

S = ProposalState
_seq = itertools.count(1)

PLACES_CSV = """code,name,kind,parent_code,population
T-COUNTY,Testshire,county,,1000
T-NORTH,North District,district,T-COUNTY,500
T-SOUTH,South District,district,T-COUNTY,500
T-NW,North Ward,ward,T-NORTH,250
T-NWP,Little Parish,parish,T-NW,60
T-SW,South Ward,ward,T-SOUTH,250
"""
POSTCODES_CSV = "postcode,place_code\nCB2 1TN,T-NW\nPE13 1AG,T-SW\n"

# From draft, the steps (and who takes them) to reach each state.
PATHS: dict[ProposalState, list[ProposalState]] = {
    S.DRAFT: [],
    S.PUBLISHED: [S.PUBLISHED],
    S.UNDER_REVIEW: [S.PUBLISHED, S.UNDER_REVIEW],
    S.SHORTLISTED: [S.PUBLISHED, S.UNDER_REVIEW, S.SHORTLISTED],
    S.DECLINED: [S.PUBLISHED, S.UNDER_REVIEW, S.DECLINED],
    S.ON_BALLOT: [S.PUBLISHED, S.UNDER_REVIEW, S.SHORTLISTED, S.ON_BALLOT],
    S.SELECTED: [S.PUBLISHED, S.UNDER_REVIEW, S.SHORTLISTED, S.ON_BALLOT, S.SELECTED],
    S.NOT_SELECTED: [S.PUBLISHED, S.UNDER_REVIEW, S.SHORTLISTED, S.ON_BALLOT, S.NOT_SELECTED],
    S.IN_DELIVERY: [S.PUBLISHED, S.UNDER_REVIEW, S.SHORTLISTED, S.ON_BALLOT, S.SELECTED, S.IN_DELIVERY],
    S.DELIVERED: [S.PUBLISHED, S.UNDER_REVIEW, S.SHORTLISTED, S.ON_BALLOT, S.SELECTED, S.IN_DELIVERY, S.DELIVERED],
}


class World:
    """A small place tree and the accounts the proposals tests need."""

    def __init__(self) -> None:
        places.import_places(db.session, io.StringIO(PLACES_CSV))
        places.import_postcodes(db.session, io.StringIO(POSTCODES_CSV))
        self.places = {p.code: p for p in db.session.execute(select(Place)).scalars()}
        self.author = quick_user("Anna Author", self.places["T-NW"])
        self.other = quick_user("Otto Other", self.places["T-SW"])
        self.officer = quick_user("Olive Officer", None, Role.OFFICER)
        self.admin = quick_user("Ada Admin", None, Role.ADMINISTRATOR)
        self.moderator = quick_user("Mo Moderator", None, Role.MODERATOR)
        db.session.commit()

    def place(self, code: str) -> Place:
        return self.places[code]


@pytest.fixture(name="world")
def world_fixture(app: Any) -> World:
    """Import ``world_fixture`` into a test module to use the ``world`` fixture."""
    return World()


_HASH: list[str] = []


def quick_user(name: str, home: Place | None, *roles: Role) -> User:
    """An account like ``make_user`` makes (password ``PASSWORD``), without hashing the password again for
    each of the hundreds of parametrised tests, and without its own commit."""
    if not _HASH:
        _HASH.append(hash_password(PASSWORD))
    n = next(_seq)
    user = User(email=f"proposals{n}@example.org", display_name=name, password_hash=_HASH[0], home_place=home,
                email_confirmed_at=utcnow())
    db.session.add(user)
    db.session.flush()
    for role in roles:
        accounts.grant_role(db.session, None, user, role)
    return user


def make_topic(name: str | None = None) -> Topic:
    topic = services.create_topic(db.session, None, name or f"Topic {next(_seq)}")
    db.session.commit()
    return topic


def proposal_data(place: Place, **overrides: Any) -> services.ProposalData:
    n = next(_seq)
    values: dict[str, Any] = {
        "title": f"Proposal {n}",
        "summary": f"Summary of proposal {n}",
        "need": "The need",
        "solution": "The solution",
        "place_id": place.id,
        "topic_ids": [],
        "cost_estimate_pence": None,
        "offer_of_help": None,
        "language": "en",
    }
    values.update(overrides)
    return services.ProposalData(**values)


def make_proposal(author: User, place: Place, state: ProposalState = S.DRAFT, officer: User | None = None, **overrides: Any) -> Proposal:
    """A proposal moved through the real state machine to ``state`` (officer steps by ``officer`` or the system)."""
    proposal = services.create_proposal(db.session, author, proposal_data(place, **overrides))
    for step in PATHS[state]:
        if step is S.SHORTLISTED or step is S.DECLINED:
            if proposal.costing_pence is None:
                services.record_review(
                    db.session, officer or _system_officer(), proposal,
                    feasibility="Feasible", costing_pence=123456, responsible_service="Highways",
                )
        actor = author if step is S.PUBLISHED else officer
        services.transition(db.session, actor, proposal, step, "Not this time" if step is S.DECLINED else None)
    db.session.commit()
    return proposal


def proposal_in_state(author: User, place: Place, state: ProposalState, **overrides: Any) -> Proposal:
    """A proposal put straight into ``state`` (reviewed, published, declined with a reason as that state
    implies), without walking the lifecycle: for the hundreds of parametrised refusal tests."""
    from app.core.db import utcnow

    proposal = services.create_proposal(db.session, author, proposal_data(place, **overrides))
    if state is not S.DRAFT:
        proposal.state = state.value
        proposal.published_at = utcnow()
        if state not in (S.PUBLISHED, S.UNDER_REVIEW):
            proposal.feasibility, proposal.costing_pence, proposal.responsible_service = "Feasible", 123456, "Highways"
        if state is S.DECLINED:
            proposal.decline_reason = "Not this time"
    db.session.commit()
    return proposal


def _system_officer() -> User:
    officer = db.session.execute(select(User).where(User.display_name == "Factory officer")).scalar_one_or_none()
    return officer or make_user(Role.OFFICER, name="Factory officer")


def login_as(client: FlaskClient, user: User) -> None:
    """Sign in without the form (the form itself is tested in the lifecycle test)."""
    with client.session_transaction() as sess:
        sess["_user_id"] = user.get_id()
        sess["_fresh"] = True
