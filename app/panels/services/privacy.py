"""Retention: on each panel's retention date its personal data is deleted and anonymised counts are kept.

``purge_due`` (``flask panels purge``, safe to run from cron: it only touches panels whose date has passed and
that are not yet purged) clears every respondent's name, contact details, availability and category answers
and unlinks them from the invited address, deletes the address list and the response codes, and keeps, in
``Panel.aggregates_json``, how many were invited and answered, by channel, by status and by category answer.
The public files about single people or households, even anonymised (the pool file, the lottery list, the address
file and the invited ids), are deleted too and answer 410 Gone; what stays public is the hashes of the commitment,
the quotas, the seed, the ids drawn, the lowest probability and the probabilities by category answer.  Each purge
is in the audit log.
"""

from __future__ import annotations

import json
from collections import Counter
from datetime import date

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from app.core import audit
from app.core.db import utcnow
from app.panels.models import Address, Invitation, Panel, Respondent


def aggregates(session: Session, panel: Panel) -> dict[str, object]:
    rows = list(session.execute(select(Respondent).where(Respondent.panel_id == panel.id)).scalars())
    invited = len(list(session.execute(select(Invitation.id).where(Invitation.panel_id == panel.id))))
    answers: Counter[str] = Counter()
    for r in rows:
        for category, value in r.answers.items():
            answers[f"{category}={value}"] += 1
    return {
        "invited": invited,
        "respondents": len(rows),
        "by_channel": dict(Counter(r.channel for r in rows)),
        "by_status": dict(Counter(r.status for r in rows)),
        "by_answer": dict(sorted(answers.items())),
    }


def _forget_draw_files(panel: Panel) -> None:
    """Keep the selection draw's hashes and aggregates; drop its per-person files and probabilities."""
    from app.panels.services.selection import probabilities_by_category

    draw = panel.selection
    if draw is None:
        return
    if draw.result_json:
        result = draw.result
        result["by_category"] = [list(row) for row in probabilities_by_category(draw)]
        result.pop("probabilities", None)
        result.pop("reserves", None)
        draw.result_json = json.dumps(result, sort_keys=True)
    draw.pool_csv = ""
    draw.lottery_csv = None


def purge(session: Session, panel: Panel, actor: object = "cli") -> dict[str, object]:
    summary = aggregates(session, panel)
    now = utcnow()
    _forget_draw_files(panel)
    for r in session.execute(select(Respondent).where(Respondent.panel_id == panel.id)).scalars():
        r.name = r.email = r.phone = r.availability = r.status_comment = None
        r.answers_json, r.invitation_id, r.purged_at = "{}", None, now
    session.flush()
    session.execute(delete(Invitation).where(Invitation.panel_id == panel.id))
    session.execute(delete(Address).where(Address.panel_id == panel.id))
    panel.aggregates_json = json.dumps(summary, sort_keys=True)
    panel.purged_at = now
    panel.is_registration_open = False
    session.flush()
    audit.record(session, "panels.personal_data_purged", actor=actor, obj=panel,
                 data={"retention_until": panel.retention_until.isoformat(), "respondents": summary["respondents"],
                       "invited": summary["invited"]})
    return summary


def due(session: Session, today: date) -> list[Panel]:
    return list(session.execute(select(Panel).where(Panel.retention_until <= today, Panel.purged_at.is_(None))
                                .order_by(Panel.id)).scalars())


def purge_due(session: Session, today: date | None = None) -> list[tuple[Panel, dict[str, object]]]:
    return [(panel, purge(session, panel)) for panel in due(session, today or utcnow().date())]
