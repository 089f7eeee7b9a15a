"""Who took part: turnout by place against population, by channel, and by group where the process collected it.

Every results page and every committee pack reads these functions.  ALL counting by channel is in
:func:`channel_counts`.  Budgets and votes are counted from the marked register (one mark per person per heading
or vote, whatever the channel; a cancelled paper issue is unmarked), never from the ballot box, which holds no
voter: so a paper voter's home place is known too.

Only aggregates are returned: counts by place, channel or group, never a person.  For budgets and votes the
groups come from the optional, consented equality-monitoring questions (:mod:`app.equality`), when the process
asked them: cells smaller than :data:`MIN_GROUP` are reported as "fewer than 10" (``None``), with secondary
suppression so they cannot be worked out from the total (:mod:`app.equality.suppression`).  A panel's make-up
against its targets is reported in full, as its public draw page already publishes the anonymised pool.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.auth.models import User
from app.equality.report import EqualityReport, equality_report
from app.equality.suppression import MIN_CELL
from app.places.models import Place

CHANNELS = ("online", "paper", "assisted")
MIN_GROUP = MIN_CELL  # the smallest group published for budgets and votes (app/equality/suppression.py)


@dataclass(frozen=True)
class PlaceTurnout:
    place: str
    code: str
    participants: int
    population: int | None
    turnout: float | None  # participants / population
    share_of_participants: float | None
    share_of_population: float | None


@dataclass(frozen=True)
class GroupRow:
    category: str
    value: str
    target_share: float | None  # the panel's target, 0..1
    pool: int
    members: int
    share_of_members: float | None


@dataclass
class Participation:
    participants: int
    population: int | None
    places: list[PlaceTurnout] = field(default_factory=list)
    unplaced: int = 0  # participants whose home place is not known (paper ballots, say)
    channels: dict[str, int] = field(default_factory=dict)
    groups: list[GroupRow] = field(default_factory=list)
    equality: EqualityReport | None = None  # budgets and votes that asked the equality-monitoring questions

    @property
    def turnout(self) -> float | None:
        return self.participants / self.population if self.population else None


# --- channels: the one function to change when the ballot storage changes ------------------------------------

def channel_counts(kind: str, obj: Any) -> dict[str, int]:
    """Participants of ``obj`` by channel: ``{"online": n, "paper": n, "assisted": n}``.

    ``kind`` is ``budget`` (a :class:`~app.budgets.models.BudgetProcess`: ballots of all its headings, spoilt
    ones left out), ``vote`` (a :class:`~app.voting.models.Vote`), ``panel`` (a
    :class:`~app.panels.models.Panel`: its registrations; telephone counts as assisted) or ``proposals`` (a
    list of :class:`~app.proposals.models.Proposal`: how each proposal reached the council).
    """
    from app.extensions import db

    session = db.session
    counts: Counter[str] = Counter({c: 0 for c in CHANNELS})
    if kind == "budget":
        from app.budgets.queries import register_counts_by_channel as budget_marks

        for marks in budget_marks(session, [h.id for h in obj.headings]).values():
            counts.update({_channel(c): n for c, n in marks.items()})
    elif kind == "vote":
        from app.voting.queries import register_counts_by_channel as vote_marks

        for marks in vote_marks(session, [obj.id]).values():
            counts.update({_channel(c): n for c, n in marks.items()})
    elif kind == "panel":
        from app.panels.models import Respondent

        counts.update(_channel(c) for c in session.execute(select(Respondent.channel).where(Respondent.panel_id == obj.id)).scalars())
    elif kind == "proposals":
        counts.update(_channel(p.channel) for p in obj)
    return dict(counts)


def _channel(stored: str) -> str:
    return {"online": "online", "paper": "paper"}.get(stored, "assisted")  # phone, in person, officer-keyed


# --- places ------------------------------------------------------------------------------------------------

def participant_homes(session: Session, kind: str, obj: Any) -> list[int | None]:
    """The home place id of each participant (``None`` when not known): one item per participant."""
    if kind == "budget":
        from app.budgets.models import BudgetHeading, BudgetRegister

        return list(session.execute(
            select(User.home_place_id).select_from(BudgetRegister)
            .join(BudgetHeading, BudgetHeading.id == BudgetRegister.heading_id)
            .outerjoin(User, User.id == BudgetRegister.voter_id)
            .where(BudgetHeading.process_id == obj.id)).scalars())
    if kind == "vote":
        from app.voting.models import VoteRegister

        return list(session.execute(select(User.home_place_id).select_from(VoteRegister)
                                    .outerjoin(User, User.id == VoteRegister.voter_id)
                                    .where(VoteRegister.vote_id == obj.id)).scalars())
    if kind == "panel":
        from app.panels.models import Address, Invitation, Respondent

        return list(session.execute(
            select(Address.place_id).select_from(Respondent)
            .outerjoin(Invitation, Invitation.id == Respondent.invitation_id)
            .outerjoin(Address, Address.id == Invitation.address_id)
            .where(Respondent.panel_id == obj.id)).scalars())
    if kind == "proposals":
        from app.proposals.models import Support

        ids = [p.id for p in obj]
        authors = {p.author_id for p in obj if p.author_id is not None}
        supporters = set(session.execute(select(Support.user_id).where(Support.proposal_id.in_(ids))).scalars()) if ids else set()
        people = authors | supporters
        homes = dict(session.execute(select(User.id, User.home_place_id).where(User.id.in_(people))).all()) if people else {}
        offline = [p.place_id for p in obj if p.author_id is None]  # entered for someone offline
        return [homes.get(u) for u in sorted(people)] + offline
    raise ValueError(kind)


def _areas(session: Session, place: Place) -> list[Place]:
    """The places turnout is shown for: the process place's children, or the place itself when it has none."""
    children = list(session.execute(select(Place).where(Place.parent_id == place.id).order_by(Place.name)).scalars())
    return children or [place]


def by_place(session: Session, place: Place | None, homes: Iterable[int | None]) -> tuple[list[PlaceTurnout], int]:
    """Participants counted into the areas of ``place`` (each home place climbs to the area holding it)."""
    homes = list(homes)
    if place is None:
        return [], len(homes)
    parents = dict(session.execute(select(Place.id, Place.parent_id)).all())
    areas = _areas(session, place)
    area_ids = {a.id for a in areas}
    counts: Counter[int] = Counter()
    unplaced = 0
    for home in homes:
        at, seen = home, 0
        while at is not None and at not in area_ids and seen < 20:
            at, seen = parents.get(at), seen + 1
        if at in area_ids:
            counts[at] += 1
        else:
            unplaced += 1
    placed = sum(counts.values())
    known_population = sum(a.population or 0 for a in areas)
    rows = [PlaceTurnout(place=a.name, code=a.code, participants=counts[a.id], population=a.population,
                         turnout=counts[a.id] / a.population if a.population else None,
                         share_of_participants=counts[a.id] / placed if placed else None,
                         share_of_population=(a.population or 0) / known_population if known_population and a.population else None)
            for a in areas]
    return rows, unplaced


# --- groups ---------------------------------------------------------------------------------------------------

def panel_groups(panel: Any) -> list[GroupRow]:
    """A panel's make-up against its targets: for each category value, the target share, the pool and the
    members drawn (before replacements, as the draw page shows them)."""
    import csv
    import io

    sel = panel.selection
    if sel is None:
        return []
    chosen = set(sel.result.get("panel", [])) if sel.result_json else set()
    pool: Counter[tuple[str, str]] = Counter()
    members: Counter[tuple[str, str]] = Counter()
    for row in csv.DictReader(io.StringIO(sel.pool_csv)):
        for category, value in row.items():
            if category != "id":
                pool[(category, value)] += 1
                if row["id"] in chosen:
                    members[(category, value)] += 1
    size = len(chosen)
    return [GroupRow(category=q.category, value=q.value, target_share=q.share_permille / 1000, pool=pool[(q.category, q.value)],
                     members=members[(q.category, q.value)],
                     share_of_members=members[(q.category, q.value)] / size if size else None)
            for q in panel.quotas]


# --- the whole picture ------------------------------------------------------------------------------------------

def participation(session: Session, kind: str, obj: Any, place: Place | None) -> Participation:
    """Turnout by place, by channel and by group (a panel's make-up; a budget's or vote's equality-monitoring
    answers, when it asked), for a process of ``kind`` held in ``place``."""
    homes = participant_homes(session, kind, obj)
    rows, unplaced = by_place(session, place, homes)
    population = place.population if place is not None else None
    return Participation(participants=len(homes), population=population, places=rows, unplaced=unplaced,
                         channels=channel_counts(kind, obj), groups=panel_groups(obj) if kind == "panel" else [],
                         equality=equality_report(session, kind, obj) if kind in ("budget", "vote") else None)


def participation_for(kind: str, obj: Any) -> Participation | None:
    """For results pages (a Jinja global): the participation of a budget process, vote or panel, or None."""
    from app.extensions import db

    place_id = getattr(obj, "place_id", None)
    try:
        return participation(db.session, kind, obj, db.session.get(Place, place_id) if place_id else None)
    except ValueError:
        return None
