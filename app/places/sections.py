"""What happens in a place: later features (proposals, budgets, ballots) register a section provider here,
and the place page lists each provider's items without the places feature importing them."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from app.places.models import Place


@dataclass(frozen=True)
class PlaceSection:
    heading: str
    items: list[tuple[str, str]] = field(default_factory=list)  # (text, url)
    empty_text: str = ""


_PROVIDERS: list[Callable[[Place], PlaceSection]] = []


def register_section(provider: Callable[[Place], PlaceSection]) -> Callable[[Place], PlaceSection]:
    _PROVIDERS.append(provider)
    return provider


def sections_for(place: Place) -> list[PlaceSection]:
    return [provider(place) for provider in _PROVIDERS]
