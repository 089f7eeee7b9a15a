""""Where my vote goes today": the chains a member's vote would follow, for votes in general in their home area
(and each topic they delegate), and for each open vote they may vote in (the voting feature registers a source,
so this package does not import it).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from flask_babel import gettext as _
from sqlalchemy.orm import Session

from app.auth.models import User
from app.delegation import services
from app.delegation.models import ScopeKind
from app.delegation.resolution import (
    BallotScope,
    Chain,
    Graph,
    Resolution,
    explain,
    live_graph,
    max_user_id,
    resolve,
)
from app.proposals.models import Topic


@dataclass(frozen=True)
class Situation:
    """One kind of vote and the chain the member's vote follows in it."""

    title: str
    url: str | None
    chain: Chain
    hypothetical: bool  # True: nobody has voted yet, the chain shows who would be asked in turn
    names: dict[int, str]
    scope: BallotScope


Source = Callable[[Session, User, Graph], list[tuple[str, str, BallotScope, Resolution]]]
_SOURCES: list[Source] = []


def register_source(source: Source) -> Source:
    _SOURCES.append(source)
    return source


def _names(session: Session, chain: Chain) -> dict[int, str]:
    out = {}
    for step in chain.steps:
        for uid in (step.frm, step.to):
            if uid not in out:
                user = session.get(User, uid)
                profile = services.active_profile(session, uid)
                out[uid] = profile.shown_name if profile else (user.public_name if user else _("Former member"))
    return out


def situations(session: Session, member: User) -> list[Situation]:
    graph = live_graph(session)
    n = max_user_id(session) + 1
    out: list[Situation] = []
    for title, url, scope, res in (s for source in _SOURCES for s in source(session, member, graph)):
        chain = explain(graph, scope, res, member.id)
        out.append(Situation(title, url, chain, False, _names(session, chain), scope))
    home = member.home_place
    places = tuple(p.id for p in home.lineage()) if home is not None else ()
    everyone = np.arange(n, dtype=np.int64)
    nobody = np.zeros(0, dtype=np.int64)
    general = [(_("Votes about %(place)s", place=home.name) if home else _("Votes anywhere"), BallotScope(places=places))]
    topic_ids = sorted({d.scope_key for d in services.delegations_of(session, member) if d.scope_kind == ScopeKind.TOPIC.value})
    for tid in topic_ids:
        topic = session.get(Topic, tid)
        if topic is not None:
            general.append((_("Votes on “%(topic)s”", topic=topic.name), BallotScope(topics=(tid,), places=places)))
    for title, scope in general:
        res = resolve(graph, scope, everyone, nobody, n)
        chain = explain(graph, scope, res, member.id)
        out.append(Situation(title, None, chain, True, _names(session, chain), scope))
    return out
