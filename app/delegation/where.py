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
from app.delegation.presenters import Line, route
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
from app.tally.delegation import applicable_delegate


@dataclass(frozen=True)
class Situation:
    """One kind of vote and the chain the member's vote follows in it."""

    title: str
    url: str | None
    chain: Chain
    hypothetical: bool  # True: nobody has voted yet, the chain shows who would be asked in turn
    lines: list[Line]


Source = Callable[[Session, User, Graph], list[tuple[str, str, BallotScope, Resolution]]]
_SOURCES: list[Source] = []


def register_source(source: Source) -> Source:
    _SOURCES.append(source)
    return source


def names_in(session: Session, chain: Chain) -> dict[int, str]:
    out = {}
    for uid in chain.people:
        user = session.get(User, uid)
        profile = services.active_profile(session, uid)
        out[uid] = profile.shown_name if profile else (user.public_name if user else _("Former member"))
    return out


def situations(session: Session, member: User) -> list[Situation]:
    graph = live_graph(session)
    n = max_user_id(session) + 1
    out: list[Situation] = []
    for title, url, scope, res in (s for source in _SOURCES for s in source(session, member, graph)):
        chain = explain(res, member.id)
        out.append(Situation(title, url, chain, False, route(chain, names_in(session, chain), member.id, scope)))
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
    offered = np.array([p.user_id for p in services.delegates(session)], dtype=np.int64)
    for title, scope in general:
        # "if the delegates vote": the delegates who pass nothing on in this scope are taken to vote
        passes_on = applicable_delegate(n, graph.as_tally(), scope)
        terminal = offered[(offered < n) & (passes_on[np.minimum(offered, n - 1)] < 0)] if len(offered) else nobody
        res = resolve(graph, scope, everyone, terminal[terminal != member.id], n)
        chain = explain(res, member.id)
        out.append(Situation(title, None, chain, True, route(chain, names_in(session, chain), member.id, scope, hypothetical=True)))
    return out
