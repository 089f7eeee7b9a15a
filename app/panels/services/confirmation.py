"""Confirmation and replacements.

Officers call or write to each selected person and mark them confirmed, declined or unreachable, with a comment.
A member who declines or cannot be reached is replaced from the remaining pool by
``app.tally.sortition.draw_replacement``, which keeps the quotas; its seed is the draw's seed followed by
``/replacement-N``, so the replacement can be re-run too.  Each replacement is audited and shown on the public
draw page.  The panel is final when every seat is held by a confirmed member.
"""

from __future__ import annotations

from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from app.auth.models import User
from app.core import audit
from app.core.errors import DomainError
from app.panels.models import ON_PANEL, WITHDRAWN, Panel, Replacement, Respondent, SelectionDraw, Status
from app.panels.services.selection import frozen_problem

COMMENT_MAX = 2_000
MARKABLE = (Status.CONFIRMED, Status.DECLINED, Status.UNREACHABLE)


def members(session: Session, panel: Panel) -> list[Respondent]:
    return list(session.execute(
        select(Respondent).where(Respondent.panel_id == panel.id, Respondent.status.in_(ON_PANEL))
        .order_by(Respondent.public_id)).scalars())


def drawn(session: Session, panel: Panel) -> list[Respondent]:
    """Everyone drawn so far, first draw and replacements, whatever they answered."""
    return list(session.execute(
        select(Respondent).where(Respondent.panel_id == panel.id, Respondent.status != Status.POOL.value)
        .order_by(Respondent.public_id)).scalars())


def mark(session: Session, officer: User, respondent: Respondent, status: Status, comment: str) -> None:
    if status not in MARKABLE:
        raise DomainError(_("Choose confirmed, declined or unreachable"), field="status")
    if respondent.status == Status.POOL.value:
        raise DomainError(_("Only people drawn for the panel can be marked."))
    if replaced(session, respondent):
        raise DomainError(_("This person has already been replaced."))
    if len(comment or "") > COMMENT_MAX:
        raise DomainError(_("Keep the comment to %(max)d characters or fewer", max=COMMENT_MAX), field="comment")
    before = respondent.status
    respondent.status, respondent.status_comment = status.value, (comment or "").strip() or None
    session.flush()
    audit.record(session, "panels.member_marked", actor=officer, object_type="panels", object_id=respondent.panel_id,
                 data={"respondent": respondent.public_id, "before": before, "after": status.value})


def replaced(session: Session, respondent: Respondent) -> bool:
    return session.execute(select(Replacement.id).join(SelectionDraw).where(
        SelectionDraw.panel_id == respondent.panel_id, Replacement.withdrawn_public_id == respondent.public_id
    )).first() is not None


def replace(session: Session, officer: User, respondent: Respondent) -> Respondent:
    """Draw a replacement for a member who declined or could not be reached."""
    from app.tally.sortition import NoReplacement, draw_replacement

    panel_row = session.get(Panel, respondent.panel_id)
    assert panel_row is not None
    draw = panel_row.selection
    if draw is None or draw.seed is None:
        raise DomainError(_("The panel has not been drawn yet."))
    if respondent.status not in WITHDRAWN:
        raise DomainError(_("Only a member who declined or could not be reached is replaced."))
    if replaced(session, respondent):
        raise DomainError(_("This person has already been replaced."))
    everyone = {r.public_id: r for r in session.execute(
        select(Respondent).where(Respondent.panel_id == panel_row.id)).scalars()}
    current = tuple(sorted(p for p, r in everyone.items() if r.status in ON_PANEL or p == respondent.public_id))
    unavailable = tuple(sorted(p for p, r in everyone.items() if r.status in WITHDRAWN and p != respondent.public_id))
    number = len(draw.replacements) + 1
    seed = f"{draw.seed}/replacement-{number}"
    try:
        result = draw_replacement(frozen_problem(draw), current, respondent.public_id, unavailable, seed)
    except NoReplacement:
        raise DomainError(_("Nobody left in the pool can replace this member without breaking a quota.")) from None
    newcomer = everyone[result.id]
    newcomer.status = Status.SELECTED.value
    session.add(Replacement(draw_id=draw.id, withdrawn_public_id=respondent.public_id,
                            replacement_public_id=newcomer.public_id, seed=seed, method_text=result.method_text))
    try:
        with session.begin_nested():
            session.flush()
    except IntegrityError:
        raise DomainError(_("This person has already been replaced.")) from None
    session.refresh(draw)
    audit.record(session, "panels.replacement_drawn", actor=officer, obj=panel_row,
                 data={"withdrawn": respondent.public_id, "replacement": newcomer.public_id, "seed": seed,
                       "candidates": int(result.candidates)})
    return newcomer


def is_final(session: Session, panel: Panel) -> bool:
    on_panel = members(session, panel)
    return bool(panel.selection and panel.selection.seed and on_panel
                and len(on_panel) == panel.selection.size and all(r.status == Status.CONFIRMED.value for r in on_panel))
