"""The audit log (issue 13, item 15): officers see names; the public extract stays anonymous and verifiable."""

from __future__ import annotations

import hashlib
import json

from app.auth import services as accounts
from app.auth.models import Role
from tests.factories import make_user
from tests.factories_proposals import login_as


def test_officers_see_names_not_just_numbers(browser, app):
    admin = make_user(Role.ADMINISTRATOR, name="Alex Administrator")
    target = make_user(name="Priya Shah")
    from app.extensions import db

    accounts.grant_role(db.session, admin, target, Role.MODERATOR)
    db.session.commit()
    login_as(browser.client, make_user(Role.OFFICER, name="Olivia Officer"))
    html = browser.get("/audit").get_data(as_text=True)
    row = next(line for line in html.splitlines() if "role.granted" in line and "moderator" in line)
    assert "Alex Administrator" in row and "Priya Shah" in row
    assert f"user:{admin.id}" in row  # the log's own record, beside the name


def test_the_public_extract_names_nobody_and_recomputes(app, tmp_path):
    from app.extensions import db

    admin = make_user(Role.ADMINISTRATOR, name="Alex Administrator")
    target = make_user(name="Priya Shah")
    accounts.grant_role(db.session, admin, target, Role.MODERATOR)
    db.session.commit()
    path = tmp_path / "audit.jsonl"
    result = app.test_cli_runner().invoke(args=["audit", "export", str(path)])
    assert result.exit_code == 0, result.output
    text = path.read_text(encoding="utf-8")
    assert "Alex" not in text and "Priya" not in text and "@example.org" not in text
    assert f"user:{admin.id}" in text
    prev = "0" * 64
    for line in text.splitlines():
        row = json.loads(line)
        assert row["prev_hash"] == prev
        payload = {k: row[k] for k in ("id", "time", "actor_id", "actor", "action", "object_type", "object_id", "data")}
        canonical = json.dumps(payload, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
        assert hashlib.sha256((prev + canonical).encode("utf-8")).hexdigest() == row["hash"]
        prev = row["hash"]


def test_residents_cannot_read_the_audit_log(browser, app):
    login_as(browser.client, make_user())
    assert browser.get("/audit").status_code == 403
