"""Support thresholds: after how many supports a published proposal is flagged for officer review.

A feature that runs calls for proposals (a participatory budget accepting proposals for its area) registers a
source here; given a proposal, a source returns the thresholds of the calls that cover it.  The site-wide
``PROPOSAL_SUPPORT_THRESHOLD`` setting, when set, is one more.  The lowest applies, so a proposal is never
reviewed later than any call it belongs to promised.  The proposals feature imports no other feature.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass

from sqlalchemy.orm import Session

from app.proposals.models import Proposal


@dataclass(frozen=True)
class Threshold:
    supports: int
    source: str  # what set it: a process's title, or "" for the site-wide setting


ThresholdSource = Callable[[Session, Proposal], Iterable[Threshold]]
_SOURCES: list[ThresholdSource] = []


def register_threshold_source(source: ThresholdSource) -> ThresholdSource:
    _SOURCES.append(source)
    return source


def threshold_for(session: Session, proposal: Proposal, site_wide: int | None = None) -> Threshold | None:
    """The threshold that applies to ``proposal`` now (the lowest of every source), or None."""
    found = [Threshold(site_wide, "")] if site_wide is not None else []
    for source in _SOURCES:
        found.extend(source(session, proposal))
    return min(found, key=lambda t: (t.supports, t.source)) if found else None
