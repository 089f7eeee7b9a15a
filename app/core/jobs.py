"""Background jobs: RQ on Redis when ``REDIS_URL`` is set (run ``flask worker`` beside the web server), otherwise
in-process after the response has been sent, so development keeps its two commands.

A job is a module-level function named by its dotted path (``"app.exports.services.run_build"``) with
JSON-friendly arguments; it runs inside an application context and commits its own work.  ``enqueue`` outside a
request (the command line) runs the job at once.  ``JOBS_INLINE`` (the tests' setting) runs every job at once,
so a test can read what it did; the in-process and Redis paths have their own tests.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from typing import Any

import click
from flask import after_this_request, current_app, has_request_context
from flask.cli import with_appcontext

QUEUE = "folkmoot"


def _resolve(path: str) -> Callable[..., Any]:
    module, _, name = path.rpartition(".")
    return getattr(importlib.import_module(module), name)  # type: ignore[no-any-return]


def redis_url() -> str | None:
    return current_app.config.get("JOBS_REDIS_URL") or None


def queue(url: str | None = None) -> Any:
    from redis import Redis
    from rq import Queue

    return Queue(current_app.config.get("JOBS_QUEUE", QUEUE), connection=Redis.from_url(url or redis_url() or ""))


def run_job(path: str, *args: Any) -> Any:
    """Run a job in this process, in an application context; log (never raise) a failure."""
    try:
        return _resolve(path)(*args)
    except Exception:  # noqa: BLE001 - a failed job must not take the web server or worker with it
        current_app.logger.exception("Background job %s%r failed", path, args)
        from app.extensions import db

        db.session.rollback()
        return None


def enqueue(path: str, *args: Any) -> str:
    """Run ``path(*args)`` in the background.  Returns how: ``"rq"``, ``"after-response"`` or ``"inline"``."""
    if redis_url() and not current_app.config.get("JOBS_INLINE"):
        queue().enqueue("app.core.jobs.run_job", path, *args, job_timeout=current_app.config.get("JOBS_TIMEOUT", 1800))
        return "rq"
    if has_request_context() and not current_app.config.get("JOBS_INLINE"):
        app = current_app._get_current_object()  # type: ignore[attr-defined]

        def _later(response: Any) -> Any:
            def run() -> None:
                with app.app_context():
                    run_job(path, *args)
            response.call_on_close(run)
            return response

        try:
            after_this_request(_later)
        except (AssertionError, RuntimeError):  # the response is already on its way: run now instead
            run_job(path, *args)
            return "inline"
        return "after-response"
    run_job(path, *args)
    return "inline"


@click.command("worker")
@click.option("--burst", is_flag=True, help="stop when the queue is empty")
@with_appcontext
def worker_command(burst: bool) -> None:
    """Run background jobs from Redis (REDIS_URL) until stopped."""
    from rq import SimpleWorker

    url = redis_url()
    if not url:
        click.echo("REDIS_URL is not set: jobs run inside the web server after each response; no worker is needed.", err=True)
        raise SystemExit(1)
    q = queue(url)
    click.echo(f"Working on queue {q.name} at {url.split('@')[-1]}.")
    SimpleWorker([q], connection=q.connection).work(burst=burst)
