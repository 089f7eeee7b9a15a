"""Domain errors raised by services, and the HTTP error pages."""

from __future__ import annotations

from flask import Flask, g, render_template
from flask_babel import lazy_gettext as _l
from flask_wtf.csrf import CSRFError
from sqlalchemy.exc import DBAPIError, OperationalError
from sqlalchemy.exc import InterfaceError as SAInterfaceError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from werkzeug.exceptions import HTTPException, ServiceUnavailable


class DomainError(Exception):
    """A rule of the domain refused the action.  ``field`` names the form field the message belongs to, if any."""

    def __init__(self, message: str, field: str | None = None) -> None:
        super().__init__(str(message))
        self.message = message
        self.field = field


ERROR_TEXT = {
    400: (_l("The request could not be understood"), _l("Something in what was sent was not valid. Go back, check the form and try again.")),
    403: (_l("You cannot do that"), _l("Your account does not have permission to see this page or do this action.")),
    404: (_l("Page not found"), _l("If you typed the web address, check it is correct. The page may also have been moved or removed.")),
    405: (_l("That action is not allowed here"), _l("This page does not accept that kind of request. Use the links and buttons on the site.")),
    413: (_l("What you sent is too large"), _l("The form or file you sent is larger than the site accepts. Shorten it and try again.")),
    429: (_l("Too many attempts"), _l("You have tried this too many times in a short time. Wait a few minutes and try again.")),
    500: (_l("Sorry, there is a problem with the service"), _l("Nothing you sent was saved. Try again later.")),
    503: (_l("Sorry, the service is unavailable for a moment"),
          _l("Nothing you sent was saved. Wait a minute, then go back and send it again.")),
}


def database_unavailable(exc: BaseException) -> bool:
    """True when ``exc`` says the database could not be reached (down, restarting, connection cut, pool
    exhausted), rather than that the request was wrong."""
    if isinstance(exc, OperationalError | SAInterfaceError | PoolTimeout):
        return True
    return isinstance(exc, DBAPIError) and bool(exc.connection_invalidated)


def _forget_user() -> None:
    """Show a server error page as to a visitor: the page must not touch the database (which may be the part
    that is down), and after a rollback the signed-in account's attributes would have to be reloaded from it."""
    from app.extensions import login_manager

    g._login_user = login_manager.anonymous_user()


def render_error(code: int, detail: str | None = None) -> tuple[str, int]:
    title, text = ERROR_TEXT.get(code, ERROR_TEXT[500])
    if code >= 500:
        _forget_user()
    return render_template("errors/error.html", code=code, title=title, text=text, detail=detail), code


def _rollback() -> None:
    from app.extensions import db

    try:
        db.session.rollback()
    except Exception:  # noqa: BLE001 - the connection may be gone; the session is discarded at teardown anyway
        db.session.close()


def register_error_handlers(app: Flask) -> None:
    from app.extensions import db

    @app.teardown_appcontext
    def release_session(exc: BaseException | None) -> None:
        """Hand the request's connection back even when the database went away under it.  (Registered after
        Flask-SQLAlchemy's own teardown, so it runs first.)  Closing a session whose connection the server
        cut raises on the ROLLBACK; uncaught here it would replace the page already rendered with the WSGI
        server's bare 500.  The connection is invalidated instead, and the pool opens a new one when the
        database is back."""
        try:
            db.session.remove()
        except Exception as error:  # noqa: BLE001 - a dead connection; nothing was committed by this request
            app.logger.warning("Database connection lost at the end of a request: %s", str(error).splitlines()[0][:200])
            try:
                db.session.invalidate()
            except Exception:  # noqa: BLE001, S110 - already unusable; the pool discards it
                pass
            db.session.registry.clear()

    @app.errorhandler(CSRFError)
    def csrf_error(exc: CSRFError) -> tuple[str, int]:
        from flask_babel import gettext as _

        return render_error(
            400,
            _("The form had expired or was missing its security token, so nothing was saved. Go back, reload the page and send the form again."),
        )

    from app.api.errors import problem_for  # errors under /api/ answer as application/problem+json (RFC 9457)

    @app.errorhandler(HTTPException)
    def http_error(exc: HTTPException) -> tuple[str, int]:
        code = exc.code or 500
        if code >= 500:
            _rollback()
        if (api_problem := problem_for(exc)) is not None:
            return api_problem  # type: ignore[return-value]
        return render_error(code if code in ERROR_TEXT else 400 if code < 500 else 500)

    @app.errorhandler(Exception)
    def unhandled(exc: Exception) -> tuple[str, int] | tuple[str, int, dict[str, str]]:
        if app.testing and app.config.get("PROPAGATE_TEST_ERRORS", True):
            raise exc
        _rollback()
        if database_unavailable(exc):
            # The database is down or restarting: a short log line (not a traceback per request) and a 503
            # that tells the browser and any proxy when to try again.  Nothing was saved: the transaction
            # never committed.
            app.logger.warning("Database unavailable: %s", str(exc).splitlines()[0][:200])
            if (api_problem := problem_for(ServiceUnavailable(retry_after=30))) is not None:
                return api_problem  # type: ignore[return-value]
            page, code = render_error(503)
            return page, code, {"Retry-After": "30"}
        app.logger.exception("Unhandled error")
        if (api_problem := problem_for(exc)) is not None:
            return api_problem  # type: ignore[return-value]
        return render_error(500)
