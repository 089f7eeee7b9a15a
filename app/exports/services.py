"""Committee reports and pack builds: officers save the report's text, then ask for a pack, which is built in the
background (app/core/jobs.py) and stored until downloaded."""

from __future__ import annotations

import hashlib
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.core import audit
from app.core.db import utcnow
from app.core.errors import DomainError
from app.exports.models import TEXT_SECTIONS, BuildState, CommitteeReport, PackBuild
from app.exports.targets import Target, UnknownTarget, resolve

TEXT_MAX = 20_000
MEETING_MAX = 200


def save_report(session: Session, officer: Any, target: Target, data: dict[str, str]) -> CommitteeReport:
    """Store the report's free-text sections (``meeting`` and :data:`TEXT_SECTIONS`)."""
    meeting = (data.get("meeting") or "").strip()
    if len(meeting) > MEETING_MAX:
        raise DomainError(_("Keep this to %(max)d characters or fewer", max=MEETING_MAX), field="meeting")
    for name in TEXT_SECTIONS:
        if len(data.get(name) or "") > TEXT_MAX:
            raise DomainError(_("Keep this to %(max)d characters or fewer", max=TEXT_MAX), field=name)
    report = session.execute(select(CommitteeReport).where(CommitteeReport.kind == target.kind,
                                                           CommitteeReport.object_key == target.key)).scalar_one_or_none()
    if report is None:
        report = CommitteeReport(kind=target.kind, object_key=target.key)
        session.add(report)
    report.meeting = meeting
    for name in TEXT_SECTIONS:
        setattr(report, name, (data.get(name) or "").strip())
    report.updated_by_id = officer.id
    session.flush()
    audit.record(session, "exports.report_saved", actor=officer, obj=report, data={"kind": target.kind, "key": target.key})
    return report


def request_build(session: Session, officer: Any, target: Target, locale: str) -> PackBuild:
    """A new pack build, state ``building``; the caller commits, then runs :func:`run_build` in the background."""
    build = PackBuild(kind=target.kind, object_key=target.key, locale=locale if locale in ("en", "pl") else "en",
                      requested_by_id=officer.id)
    session.add(build)
    session.flush()
    audit.record(session, "exports.pack_requested", actor=officer, obj=build, data={"kind": target.kind, "key": target.key,
                                                                                    "locale": build.locale})
    return build


def latest_build(session: Session, target: Target) -> PackBuild | None:
    return session.execute(select(PackBuild).where(PackBuild.kind == target.kind, PackBuild.object_key == target.key)
                           .order_by(PackBuild.id.desc()).limit(1)).scalar_one_or_none()


def run_build(build_id: int) -> None:
    """The background job: build the pack, store it, mark it ready (or failed, with the reason), commit."""
    from app.exports.pack import build_pack
    from app.extensions import db

    session = db.session
    build = session.get(PackBuild, build_id)
    if build is None or build.state != BuildState.BUILDING.value:
        return
    try:
        target = resolve(session, build.kind, build.object_key)
        content = build_pack(session, target, build.locale).zip_bytes()
    except (UnknownTarget, DomainError) as exc:
        session.rollback()
        build = session.get(PackBuild, build_id)
        assert build is not None
        build.state, build.error, build.finished_at = BuildState.FAILED.value, str(exc), utcnow()
        session.commit()
        return
    build.content, build.sha256 = content, hashlib.sha256(content).hexdigest()
    build.state, build.finished_at = BuildState.READY.value, utcnow()
    session.commit()
