"""Migrations: an empty database upgrades to head, `flask db check` then finds nothing, and the newest
revision downgrades and upgrades again.  Runs on SQLite, and on PostgreSQL in a database of its own."""

from __future__ import annotations

import os
import uuid

import pytest
from alembic.script import ScriptDirectory
from flask_migrate import downgrade, upgrade
from sqlalchemy import create_engine, inspect, text

from app import create_app
from app.extensions import db, migrate
from tests.conftest import normalise_pg_url, pg_available, require_service


def _database_urls(tmp_path):  # type: ignore[no-untyped-def]
    url = os.environ.get("TEST_DATABASE_URL")
    if url and url.startswith("postgres"):
        return "postgres", normalise_pg_url(url)
    return "sqlite", f"sqlite:///{tmp_path / 'migrate.sqlite'}"


@pytest.fixture
def fresh_database(tmp_path):  # type: ignore[no-untyped-def]
    kind, url = _database_urls(tmp_path)
    if kind == "sqlite":
        yield url
        return
    require_service(pg_available(url))
    name = f"folkmoot_migrate_{uuid.uuid4().hex[:8]}"
    admin = create_engine(url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield url.rsplit("/", 1)[0] + "/" + name
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def test_upgrade_check_downgrade_upgrade(fresh_database):
    application = create_app("testing", {"SQLALCHEMY_DATABASE_URI": fresh_database})
    with application.app_context():
        upgrade()
        tables = set(inspect(db.engine).get_table_names())
        assert {"users", "places", "postcodes", "audit_entries", "user_roles", "password_reset_tokens"} <= tables
        runner = application.test_cli_runner()
        result = runner.invoke(args=["db", "check"])
        assert result.exit_code == 0, result.output
        script = ScriptDirectory.from_config(migrate.get_config())
        assert len(script.get_heads()) == 1, "migrations must have exactly one head"
        downgrade(revision="-1")
        upgrade()
        result = runner.invoke(args=["db", "check"])
        assert result.exit_code == 0, result.output
        db.session.remove()
        db.engine.dispose()
