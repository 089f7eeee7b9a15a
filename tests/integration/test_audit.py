"""The audit log is append-only and hash-chained; `flask audit verify` finds any change or removal."""

from __future__ import annotations

import pytest
from sqlalchemy import select, text, update

from app.core import audit
from app.core.models import AppendOnlyError, AuditEntry
from app.extensions import db


def _entries(n: int) -> list[AuditEntry]:
    out = [audit.record(db.session, "test.event", actor="tester", data={"n": i, "text": "ż"}) for i in range(n)]
    db.session.commit()
    return out


def test_chain_links_every_entry(app):
    entries = _entries(5)
    assert entries[0].prev_hash == audit.GENESIS
    for before, after in zip(entries, entries[1:], strict=False):
        assert after.prev_hash == before.entry_hash
    result = audit.verify(db.session)
    assert result.ok and result.checked == 5


def test_the_orm_refuses_to_change_or_remove_entries(app):
    entry = _entries(1)[0]
    entry.action = "something.else"
    with pytest.raises(AppendOnlyError):
        db.session.flush()
    db.session.rollback()
    with pytest.raises(AppendOnlyError):
        db.session.delete(db.session.get(AuditEntry, entry.id))
        db.session.flush()
    db.session.rollback()


def test_verify_names_the_first_changed_entry(app):
    _entries(6)
    # tamper underneath the ORM, as someone with database access might
    db.session.execute(update(AuditEntry.__table__).where(AuditEntry.__table__.c.id == 4).values(data_json='{"n":99}'))
    db.session.commit()
    result = audit.verify(db.session)
    assert not result.ok
    assert result.bad_entry_id == 4
    assert "changed" in result.reason
    runner = app.test_cli_runner()
    out = runner.invoke(args=["audit", "verify"])
    assert out.exit_code == 1
    assert "entry 4" in out.output


def test_verify_notices_a_removed_entry(app):
    _entries(6)
    db.session.execute(text("DELETE FROM audit_entries WHERE id = 3"))
    db.session.commit()
    result = audit.verify(db.session)
    assert not result.ok and result.bad_entry_id == 4
    assert "missing" in result.reason


def test_verify_notices_a_rewritten_chain_link(app):
    entries = _entries(3)
    forged = "f" * 64
    db.session.execute(update(AuditEntry.__table__).where(AuditEntry.__table__.c.id == 2).values(prev_hash=forged))
    db.session.commit()
    assert audit.verify(db.session).bad_entry_id == 2
    assert entries


def test_cli_verify_passes_on_an_intact_log(app):
    _entries(2)
    out = app.test_cli_runner().invoke(args=["audit", "verify"])
    assert out.exit_code == 0 and "2 entries verified" in out.output


def test_canonical_json_is_stable(app):
    entry = _entries(1)[0]
    again = db.session.execute(select(AuditEntry)).scalar_one()
    assert audit.canonical_json(again) == audit.canonical_json(entry)
    assert '"text":"ż"' in audit.canonical_json(again)
