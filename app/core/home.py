"""What is open now, on the home page.  Features register a provider here (as they register place-page sections
in ``app.places.sections``), so the home page lists budgets in voting, proposals collecting support, open votes,
panels taking registrations and recent results without the core importing any feature.

A provider is ``fn(session, areas) -> HomeSection | None``.  ``areas`` are the places the visitor's home page is
about: for a signed-in resident, their home area and every larger area containing it (ward, district, county),
so county-wide items always show; for everyone else None, meaning the whole site (county-wide).  A provider
lists only what belongs to one of ``areas`` (or below a resident's home area); it returns None when it has
nothing to say at all (the section is then left out).

Sections are shown in ``order`` (lower first): 10 voting, 20 collecting support, 30 open votes, 40 panels,
90 results.  Sections that share a ``key`` are shown as one (the first registered gives its heading, order and
links; the items follow in registration order), so every feature adds its recent results to the one
``key="results"`` section.  To add one from a new feature::

    # app/voting/home.py, imported from app/voting/__init__.py
    from app.core.home import HomeItem, HomeSection, register_home_section

    @register_home_section
    def open_votes(session, areas):
        return HomeSection(key="votes", order=30, heading=_("Open votes"), items=[...])
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from datetime import date, timedelta

from sqlalchemy.orm import Session

from app.places.models import Place

LIMIT = 8  # items a section shows (it links to a page listing everything)
RECENT_RESULTS = timedelta(days=90)  # how long a published result counts as recent


@dataclass(frozen=True)
class HomeItem:
    text: str
    url: str
    place: str = ""  # the area it is for, by name
    detail: str = ""  # e.g. "Voting closes on 12 December 2026"
    closes_on: date | None = None  # for ordering: what closes soonest first


@dataclass(frozen=True)
class HomeSection:
    key: str
    heading: str
    items: list[HomeItem] = field(default_factory=list)
    empty_text: str = ""
    order: int = 50
    more: tuple[str, str] | None = None  # (text, url) of a page listing everything


HomeProvider = Callable[[Session, "Sequence[Place] | None"], "HomeSection | None"]
_PROVIDERS: list[HomeProvider] = []


def register_home_section(provider: HomeProvider) -> HomeProvider:
    if provider not in _PROVIDERS:
        _PROVIDERS.append(provider)
    return provider


def registered_home_sections() -> list[HomeProvider]:
    return list(_PROVIDERS)


def areas_for(user: object) -> list[Place] | None:
    """The areas a visitor's home page covers: a resident's home area and every area containing it, or None
    (signed out, or no known home area): everything, county-wide."""
    home = getattr(user, "home_place", None) if getattr(user, "is_authenticated", False) else None
    return home.lineage() if home is not None else None


def sections(session: Session, areas: Sequence[Place] | None) -> list[HomeSection]:
    merged: dict[str, HomeSection] = {}
    for section in (provider(session, areas) for provider in _PROVIDERS):
        if section is None:
            continue
        first = merged.get(section.key)
        merged[section.key] = section if first is None else replace(first, items=first.items + section.items)
    return sorted(merged.values(), key=lambda s: s.order)
