"""A live Folkmoot demo site for tests that speak HTTP to a real server (schemathesis, Chromium): the werkzeug
server in a thread on 127.0.0.1 (a free port), over its own SQLite file seeded with the demo data."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any


@contextmanager
def serve_demo(folder: Path, *, seed: bool = True, **config: Any) -> Iterator[str]:
    """Yields the site's base URL (``http://127.0.0.1:PORT``); stops the server and closes the database after.
    With ``seed=False`` the database is empty (for pages that show no data)."""
    from werkzeug.serving import make_server

    from app import create_app
    from app.core.demo import seed_demo
    from app.extensions import db, limiter

    # Flask-Limiter's limiter is one object shared by every app: init_app with RATELIMIT_ENABLED=False turns it off
    # for the test app too, so its switch is put back when this site stops.
    limiter_was_enabled = limiter.enabled
    application = create_app("testing", {"SQLALCHEMY_DATABASE_URI": f"sqlite:///{folder / 'site.sqlite'}", "SERVER_NAME": None,
                                         **config})
    with application.app_context():
        db.create_all()
        if seed:
            seed_demo(db.session)
        db.session.commit()
    server = make_server("127.0.0.1", 0, application, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        thread.join(timeout=10)
        with application.app_context():
            db.engine.dispose()
        limiter.enabled = limiter_was_enabled
