"""Writing to and verifying the hash-chained audit log."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select, text
from sqlalchemy.orm import Session

from app.core.db import utcnow
from app.core.models import AuditEntry

GENESIS = "0" * 64


def canonical_json(entry: AuditEntry) -> str:
    """The canonical form that is hashed: sorted keys, no whitespace, UTF-8, ISO time to the microsecond."""
    payload = {
        "id": entry.id,
        "time": entry.created_at.isoformat(timespec="microseconds"),
        "actor_id": entry.actor_id,
        "actor": entry.actor_label,
        "action": entry.action,
        "object_type": entry.object_type,
        "object_id": entry.object_id,
        "data": json.loads(entry.data_json),
    }
    return json.dumps(payload, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def compute_hash(prev_hash: str, entry: AuditEntry) -> str:
    return hashlib.sha256((prev_hash + canonical_json(entry)).encode("utf-8")).hexdigest()


def record(
    session: Session,
    action: str,
    *,
    actor: Any = None,
    obj: Any = None,
    object_type: str | None = None,
    object_id: Any = None,
    data: dict[str, Any] | None = None,
) -> AuditEntry:
    """Append an entry in the caller's transaction (services flush, the view commits).

    On PostgreSQL a transaction-scoped advisory lock serialises appends so two transactions can never chain
    onto the same predecessor; SQLite serialises writers itself.
    """
    bind = session.get_bind()
    if bind.dialect.name == "postgresql":
        session.execute(text("SELECT pg_advisory_xact_lock(725001)"))
    last = session.execute(select(AuditEntry).order_by(AuditEntry.id.desc()).limit(1)).scalar_one_or_none()
    prev_hash = last.entry_hash if last else GENESIS
    if obj is not None:
        object_type = object_type or getattr(obj, "__tablename__", type(obj).__name__)
        object_id = getattr(obj, "id", object_id)
    entry = AuditEntry(
        id=(last.id + 1) if last else 1,
        created_at=utcnow(),
        actor_id=getattr(actor, "id", None),
        actor_label=_actor_label(actor),
        action=action,
        object_type=object_type,
        object_id=None if object_id is None else str(object_id),
        data_json=json.dumps(data or {}, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str),
        prev_hash=prev_hash,
        entry_hash="",
    )
    entry.entry_hash = compute_hash(prev_hash, entry)
    session.add(entry)
    session.flush()
    return entry


def _actor_label(actor: Any) -> str:
    if actor is None:
        return "system"
    if isinstance(actor, str):
        return actor
    return f"user:{getattr(actor, 'id', '?')}"


def export_public(session: Session, path: str) -> int:
    """The public extract: one JSON line per entry, its canonical (hashed) form plus ``prev_hash`` and ``hash``.
    It names accounts only as ``user:N``: names are resolved only on the officers' page."""
    count = 0
    with open(path, "w", encoding="utf-8") as out:
        for entry in session.execute(select(AuditEntry).order_by(AuditEntry.id)).scalars():
            line = json.loads(canonical_json(entry))
            line.update(prev_hash=entry.prev_hash, hash=entry.entry_hash)
            out.write(json.dumps(line, sort_keys=True, separators=(",", ":"), ensure_ascii=False) + "\n")
            count += 1
    return count


@dataclass(frozen=True)
class VerifyResult:
    ok: bool
    checked: int
    bad_entry_id: int | None = None
    reason: str | None = None


def verify(session: Session) -> VerifyResult:
    """Walk the chain in order; report the first entry whose hash, predecessor or position is wrong."""
    prev_hash = GENESIS
    expected_id = 1
    checked = 0
    for entry in session.execute(select(AuditEntry).order_by(AuditEntry.id)).scalars():
        if entry.id != expected_id:
            return VerifyResult(False, checked, entry.id, f"entry {expected_id} is missing (found {entry.id} next)")
        if entry.prev_hash != prev_hash:
            return VerifyResult(False, checked, entry.id, "its link to the previous entry does not match")
        if compute_hash(prev_hash, entry) != entry.entry_hash:
            return VerifyResult(False, checked, entry.id, "its content does not match its hash (changed)")
        prev_hash = entry.entry_hash
        expected_id += 1
        checked += 1
    return VerifyResult(True, checked)
