"""Delegation and ranked-vote demonstration data: delegates (one a community group's account), delegations with
backups, a chain of length three and a cycle in each district; a closed and published IRV vote for Fenland,
a closed and published STV vote choosing three priorities for South Cambridgeshire, and an open county-wide
Schulze vote.  Idempotent (votes are created once, by title; delegations are set only for members without
one), deterministic (``random.Random(2026)``), and it reuses the budget demo's generated residents.
"""

from __future__ import annotations

import random
from datetime import timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.auth.models import User
from app.budgets.demo import _voters
from app.core.db import utcnow
from app.delegation import services as delegation
from app.delegation.models import Delegation, ScopeKind
from app.places.models import Place
from app.voting import counting, services
from app.voting.models import Vote, VoteRule

FENLAND_VOTE = "Fenland transport fund: what should come first?"
SOUTH_VOTE = "South Cambridgeshire: choose three priorities for 2027"
COUNTY_VOTE = "Cambridgeshire climate plan: rank the actions"

FENLAND_OPTIONS = [("Rural bus routes on Sundays", 0.5), ("Safer cycle route March–Wisbech", 0.35),
                   ("Community car scheme", 0.3), ("Station car park at Manea", 0.2)]
SOUTH_OPTIONS = [("Village tree planting", 0.45), ("Affordable homes for local people", 0.5), ("Better rural buses", 0.4),
                 ("Youth clubs in every large village", 0.3), ("Flood defences on the Cam", 0.25), ("Village hall repairs", 0.2)]
COUNTY_OPTIONS = [("Insulate council homes", 0.5), ("Solar on school roofs", 0.4), ("Electric buses", 0.35),
                  ("Plant a county forest", 0.3)]
STATEMENT = "I read the papers for every vote, go to the public meetings, and explain each vote I cast on my page."


def _user(session: Session, email: str) -> User | None:
    return session.execute(select(User).where(User.email == email)).scalar_one_or_none()


def _offer(session: Session, user: User, named: bool = False) -> User:
    profile = delegation.profile_of(session, user)
    if profile is None or not profile.is_active:
        delegation.offer(session, user, delegation.ProfileData(STATEMENT, accepts_disclosure=True, name_in_results=named, language="en"))
    return user


def _delegate(session: Session, member: User, *to: User, max_depth: int | None = None) -> None:
    has = session.execute(select(Delegation.id).where(Delegation.delegator_id == member.id).limit(1)).scalar_one_or_none()
    if has is None:
        delegation.set_delegation(session, member, delegation.Scope(ScopeKind.GLOBAL), list(to), max_depth, show_my_name=member.id % 3 == 0)


def _network(session: Session, voters: list[User], group_name: str | None, officer: User | None) -> list[User]:
    """Delegates and delegations among ``voters``; returns the delegates who will vote themselves."""
    d = [_offer(session, v, named=i == 0) for i, v in enumerate(voters[:7])]
    if group_name and officer is not None:
        profile = delegation.profile_of(session, d[5])
        if profile is not None and not profile.is_group:
            delegation.set_group(session, officer, profile, True, group_name)
    _delegate(session, d[1], d[2])  # a chain: voters[10] -> d1 -> d2 -> d3, who votes
    _delegate(session, d[2], d[3])
    _delegate(session, voters[10], d[1])
    _delegate(session, d[4], d[6])  # a cycle between two delegates who do not vote
    _delegate(session, d[6], d[4])
    _delegate(session, voters[11], d[4])
    for i, member in enumerate(voters[20:90]):
        first = (d[0], d[3], d[5], d[1])[i % 4]
        backup = d[3] if first is not d[3] else d[0]
        _delegate(session, member, first, backup)
    return [d[0], d[3], d[5]]


def _ranking(vote: Vote, popularity: list[float], rng: random.Random) -> dict[int, int | None]:
    order = sorted(range(len(vote.options)), key=lambda j: rng.random() / (0.1 + popularity[j]))
    length = rng.randint(1, len(order))
    return {vote.options[j].id: n for n, j in enumerate(order[:length], start=1)}


def _vote(session: Session, title: str, place_code: str, rule: VoteRule, seats: int, options: list[tuple[str, float]],
          voters: list[User], rng: random.Random, closed: bool) -> Vote | None:
    if session.execute(select(Vote.id).where(Vote.title == title)).scalar_one_or_none() is not None:
        return None
    place = session.execute(select(Place).where(Place.code == place_code)).scalar_one()
    now = utcnow().replace(microsecond=0)
    opens, closes = (now - timedelta(days=30), now - timedelta(days=2)) if closed else (now - timedelta(days=3), now + timedelta(days=21))
    vote = services.create_vote(session, None, services.VoteData(
        title=title, description="", rule=rule, seats=seats, place=place, opens_at=opens, closes_at=closes,
        options=[o for o, _p in options], language="en", weight_cap=30 if rule is VoteRule.STV else None), seed=2026)
    popularity = [p for _o, p in options]
    for voter in voters:
        services.cast_ballot(session, voter, vote, _ranking(vote, popularity, rng), now=opens + timedelta(hours=1) if closed else now)
    if closed:
        counting.close_vote(session, None, vote, now=closes + timedelta(minutes=5))
        counting.publish(session, None, vote, now=closes + timedelta(hours=1))
    return vote


def seed(session: Session) -> list[str]:
    rng = random.Random(2026)
    officer = _user(session, "officer@demo.example.org")
    fenland = _voters(session, "Fenland", ["PE13 1AG", "PE13 2NN", "PE15 8AH", "PE16 6AA"], 300, 1)
    south = _voters(session, "South Cambridgeshire", ["CB23 6AA", "CB24 8RA", "CB22 3HA"], 200, 301)
    agnieszka = _user(session, "agnieszka@demo.example.org")
    if agnieszka is not None:
        _offer(session, agnieszka, named=True)
    f_voting = _network(session, fenland, "Wisbech Residents' Association", officer)
    s_voting = _network(session, south, "Cottenham Parish Meeting", officer)
    session.flush()
    made = []
    if _vote(session, FENLAND_VOTE, "E07000010", VoteRule.IRV, 1, FENLAND_OPTIONS, f_voting + fenland[100:220], rng, True):
        made.append(FENLAND_VOTE)
    if _vote(session, SOUTH_VOTE, "E07000012", VoteRule.STV, 3, SOUTH_OPTIONS, s_voting + south[100:190], rng, True):
        made.append(SOUTH_VOTE)
    if _vote(session, COUNTY_VOTE, "E10000003", VoteRule.SCHULZE, 1, COUNTY_OPTIONS, f_voting + fenland[230:260] + south[200:220], rng, False):
        made.append(COUNTY_VOTE)
    return [f"Votes: {len(made)} created ({', '.join(made) or 'all present'}); delegates: {len(delegation.delegates(session))}."]
