"""Builders for delegation and vote tests, going through the services as real data does."""

from __future__ import annotations

from datetime import timedelta

from app.auth.models import Role, User
from app.core.db import utcnow
from app.delegation import services as delegation
from app.delegation.models import ScopeKind
from app.extensions import db
from app.voting import counting
from app.voting import services as voting
from app.voting.models import Vote, VoteCount, VoteRule
from tests.factories import make_user
from tests.factories_budgets import FENLAND, cambs, place  # noqa: F401  (cambs is a fixture)

FENLAND_POSTCODES = ("PE15 8AH", "PE13 1AG", "PE16 6AA")
OUTSIDE_POSTCODE = "CB23 6AA"  # South Cambridgeshire


def resident(name: str | None = None, postcode: str = "PE15 8AH") -> User:
    return make_user(postcode=postcode, name=name)


def offer(user: User, name_in_results: bool = False) -> User:
    delegation.offer(db.session, user, delegation.ProfileData("I read every paper before I vote.", accepts_disclosure=True,
                                                              name_in_results=name_in_results))
    db.session.commit()
    return user


def delegate(member: User, *to: User, max_depth: int | None = None, show_my_name: bool = False,
             scope: delegation.Scope | None = None) -> None:
    delegation.set_delegation(db.session, member, scope or delegation.Scope(ScopeKind.GLOBAL), list(to), max_depth, show_my_name)
    db.session.commit()


def make_vote(options: tuple[str, ...] = ("Play area", "Bus shelter", "Library hub"), *, rule: VoteRule = VoteRule.IRV,
              seats: int = 1, place_code: str = FENLAND, weight_cap: int | None = None, seed: int = 11,
              actor: User | None = None, topic=None) -> Vote:  # type: ignore[no-untyped-def]
    actor = actor or make_user(Role.OFFICER)
    now = utcnow()
    data = voting.VoteData(title="Which should come first?", description="", rule=rule, seats=seats, place=place(place_code),
                           opens_at=now - timedelta(days=1), closes_at=now + timedelta(days=7), options=list(options),
                           weight_cap=weight_cap, topic=topic)
    vote = voting.create_vote(db.session, actor, data, seed=seed)
    db.session.commit()
    return vote


def option_ids(vote: Vote, *titles: str) -> dict[int, int | None]:
    by_title = {o.title: o.id for o in vote.options}
    return {by_title[t]: n for n, t in enumerate(titles, start=1)}


def cast(voter: User, vote: Vote, *titles: str) -> str:
    code = voting.cast_ballot(db.session, voter, vote, option_ids(vote, *titles), blank_confirmed=not titles)
    db.session.commit()
    return code


def close(vote: Vote, officer: User | None = None) -> VoteCount:
    count = counting.close_vote(db.session, officer or make_user(Role.OFFICER), vote, now=vote.closes_at + timedelta(seconds=1))
    db.session.commit()
    return count


def close_and_publish(vote: Vote) -> VoteCount:
    officer = make_user(Role.OFFICER)
    count = close(vote, officer)
    counting.publish(db.session, officer, vote)
    db.session.commit()
    return count
