"""Background jobs: in-process after the response without Redis, and RQ on Redis with `flask worker`."""

from __future__ import annotations

import uuid

import pytest
from flask import Response

from app.core import jobs
from tests.conftest import require_service

REDIS = "redis://127.0.0.1:6379/15"


def _outbox(app):  # type: ignore[no-untyped-def]
    return app.extensions["mail_outbox"]


def test_without_redis_a_job_runs_after_the_response(app, monkeypatch):
    monkeypatch.setitem(app.config, "JOBS_INLINE", False)
    monkeypatch.setitem(app.config, "JOBS_REDIS_URL", None)
    with app.test_request_context("/"):
        how = jobs.enqueue("app.core.mail.send_queued_mail", "a@example.org", "Subject", "Body")
        assert how == "after-response"
        assert _outbox(app) == []  # not yet: the response has not been sent
        response = app.process_response(Response("ok"))
    assert _outbox(app) == []
    response.close()  # the server closes the response once it is sent
    assert [m["To"] for m in _outbox(app)] == ["a@example.org"]


def test_outside_a_request_a_job_runs_at_once(app, monkeypatch):
    monkeypatch.setitem(app.config, "JOBS_INLINE", False)
    monkeypatch.setitem(app.config, "JOBS_REDIS_URL", None)
    assert jobs.enqueue("app.core.mail.send_queued_mail", "b@example.org", "S", "B") == "inline"
    assert len(_outbox(app)) == 1


def test_a_failing_job_is_logged_not_raised(app, caplog):
    assert jobs.run_job("app.exports.services.run_build", 999_999) is None  # no such build: nothing happens
    assert jobs.run_job("app.core.mail.no_such_function") is None
    assert "failed" in caplog.text


def _redis_reason() -> str | None:
    try:
        from redis import Redis

        Redis.from_url(REDIS, socket_connect_timeout=2).ping()
    except Exception as exc:  # noqa: BLE001
        return f"Redis at {REDIS} did not answer: {exc.__class__.__name__}"
    return None


def test_with_redis_jobs_go_to_rq_and_the_worker_runs_them(app, monkeypatch):
    require_service(_redis_reason())
    name = f"folkmoot-test-{uuid.uuid4().hex[:8]}"
    monkeypatch.setitem(app.config, "JOBS_INLINE", False)
    monkeypatch.setitem(app.config, "JOBS_REDIS_URL", REDIS)
    monkeypatch.setitem(app.config, "JOBS_QUEUE", name)
    q = jobs.queue()
    try:
        with app.test_request_context("/"):
            assert jobs.enqueue("app.core.mail.send_queued_mail", "c@example.org", "S", "B") == "rq"
        assert len(q) == 1 and _outbox(app) == []
        result = app.test_cli_runner().invoke(args=["worker", "--burst"])
        assert result.exit_code == 0, result.output
        assert [m["To"] for m in _outbox(app)] == ["c@example.org"]
        assert len(q) == 0
    finally:
        q.delete(delete_jobs=True)


def test_worker_says_redis_is_needed(app, monkeypatch):
    monkeypatch.setitem(app.config, "JOBS_REDIS_URL", None)
    result = app.test_cli_runner().invoke(args=["worker", "--burst"])
    assert result.exit_code == 1 and "REDIS_URL is not set" in result.output


@pytest.mark.parametrize("inline", [True])
def test_the_pack_build_job_marks_the_pack_ready(app, demo, inline):
    from sqlalchemy import select

    from app.auth.models import User
    from app.exports import services
    from app.exports.models import BuildState
    from app.exports.targets import resolve
    from app.extensions import db

    officer = db.session.execute(select(User).where(User.email == "officer@demo.example.org")).scalar_one()
    from app.exports.targets import all_targets

    vote = next(t for t in all_targets(db.session) if t.kind == "vote" and t.is_finished)
    build = services.request_build(db.session, officer, resolve(db.session, "vote", vote.key), "pl")
    db.session.commit()
    jobs.enqueue("app.exports.services.run_build", build.id)
    db.session.refresh(build)
    assert build.state == BuildState.READY.value and build.content and build.sha256
