"""Read-side queries for proposals: browsing with filters, the review queue, choices for forms."""

from __future__ import annotations

from dataclasses import dataclass

from flask_babel import gettext as _
from flask_sqlalchemy.pagination import Pagination
from sqlalchemy import Select, nulls_last, or_, select
from sqlalchemy.orm import Session, selectinload

from app.extensions import db
from app.places.models import Place
from app.places.queries import descendant_ids
from app.proposals.models import Proposal, ProposalEvent, ProposalState, Topic

PER_PAGE = 20
SORTS = ("newest", "supported", "updated")
# What the public lists show: everything past draft, except what a moderator has hidden.
LISTED_STATES = [s.value for s in ProposalState if s is not ProposalState.DRAFT]


@dataclass(frozen=True)
class Filters:
    place: Place | None = None
    topic: Topic | None = None
    state: ProposalState | None = None
    q: str = ""
    sort: str = "newest"


def _like_escape(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def listed(session: Session, filters: Filters) -> Select[tuple[Proposal]]:
    stmt = select(Proposal).where(Proposal.state.in_(LISTED_STATES), Proposal.hidden_at.is_(None))
    if filters.place is not None:
        stmt = stmt.where(Proposal.place_id.in_(descendant_ids(session, filters.place)))
    if filters.topic is not None:
        stmt = stmt.where(Proposal.topics.any(Topic.id == filters.topic.id))
    if filters.state is not None:
        stmt = stmt.where(Proposal.state == filters.state.value)
    if filters.q:
        # ILIKE on PostgreSQL; on SQLite LIKE, which ignores ASCII case.
        pattern = f"%{_like_escape(filters.q)}%"
        stmt = stmt.where(or_(Proposal.title.ilike(pattern, escape="\\"), Proposal.summary.ilike(pattern, escape="\\")))
    if filters.sort == "supported":
        stmt = stmt.order_by(Proposal.support_count.desc(), Proposal.id.desc())
    elif filters.sort == "updated":
        stmt = stmt.order_by(Proposal.updated_at.desc(), Proposal.id.desc())
    else:
        stmt = stmt.order_by(nulls_last(Proposal.published_at.desc()), Proposal.id.desc())
    return stmt.options(selectinload(Proposal.topics), selectinload(Proposal.place))


def browse(session: Session, filters: Filters, page: int) -> Pagination:
    return db.paginate(listed(session, filters), page=page, per_page=PER_PAGE, error_out=False)


def review_queue(session: Session) -> list[Proposal]:
    """Proposals awaiting an officer: published ones (those flagged by supports first, oldest flag first),
    then those under review."""
    stmt = (
        select(Proposal)
        .where(Proposal.state.in_([ProposalState.PUBLISHED.value, ProposalState.UNDER_REVIEW.value]))
        .order_by(
            (Proposal.state == ProposalState.UNDER_REVIEW.value),
            Proposal.flagged_for_review_at.is_(None),
            Proposal.flagged_for_review_at,
            Proposal.published_at,
            Proposal.id,
        )
        .options(selectinload(Proposal.place))
    )
    return list(session.execute(stmt).scalars())


def timeline(session: Session, proposal: Proposal) -> list[ProposalEvent]:
    return list(
        session.execute(
            select(ProposalEvent)
            .where(ProposalEvent.proposal_id == proposal.id)
            .order_by(ProposalEvent.happened_on, ProposalEvent.id)
        ).scalars()
    )


def topics(session: Session, active_only: bool = False) -> list[Topic]:
    stmt = select(Topic).order_by(Topic.name)
    if active_only:
        stmt = stmt.where(Topic.is_active.is_(True))
    return list(session.execute(stmt).scalars())


def topic_by_slug(session: Session, slug: str) -> Topic | None:
    return session.execute(select(Topic).where(Topic.slug == slug)).scalar_one_or_none()


def place_by_code(session: Session, code: str) -> Place | None:
    return session.execute(select(Place).where(Place.code == code)).scalar_one_or_none()


def _place_tree(session: Session) -> list[tuple[Place, str]]:
    """Every place, depth first under its parent, labelled with its kind and the place above it."""
    places = list(session.execute(select(Place).order_by(Place.name)).scalars())
    children: dict[int | None, list[Place]] = {}
    for p in places:
        children.setdefault(p.parent_id, []).append(p)
    out: list[tuple[Place, str]] = []

    def walk(parent_id: int | None, parent: Place | None, depth: int) -> None:
        if depth > 10:
            return
        for p in children.get(parent_id, []):
            if parent is None:
                label = _("%(place)s (%(kind)s)", place=p.name, kind=p.kind_label)
            else:
                label = _("%(place)s (%(kind)s, %(parent)s)", place=p.name, kind=p.kind_label, parent=parent.name)
            out.append((p, label))
            walk(p.id, p, depth + 1)

    walk(None, None, 0)
    return out


def place_choices(session: Session) -> list[tuple[int, str]]:
    return [(p.id, label) for p, label in _place_tree(session)]


def place_code_choices(session: Session) -> list[tuple[str, str]]:
    return [(p.code, label) for p, label in _place_tree(session)]


def in_place(session: Session, place: Place, limit: int = 10) -> list[Proposal]:
    """The newest listed proposals in a place and everything below it."""
    return list(session.execute(listed(session, Filters(place=place)).limit(limit)).scalars())
