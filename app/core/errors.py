"""Domain errors raised by services, and the HTTP error pages."""

from __future__ import annotations

from flask import Flask, render_template
from flask_babel import lazy_gettext as _l
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException


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
}


def render_error(code: int, detail: str | None = None) -> tuple[str, int]:
    title, text = ERROR_TEXT.get(code, ERROR_TEXT[500])
    return render_template("errors/error.html", code=code, title=title, text=text, detail=detail), code


def register_error_handlers(app: Flask) -> None:
    from app.extensions import db

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
        if code == 500:
            db.session.rollback()
        if (api_problem := problem_for(exc)) is not None:
            return api_problem  # type: ignore[return-value]
        return render_error(code if code in ERROR_TEXT else 400 if code < 500 else 500)

    @app.errorhandler(Exception)
    def unhandled(exc: Exception) -> tuple[str, int]:
        if app.testing and app.config.get("PROPAGATE_TEST_ERRORS", True):
            raise exc
        app.logger.exception("Unhandled error")
        db.session.rollback()
        if (api_problem := problem_for(exc)) is not None:
            return api_problem  # type: ignore[return-value]
        return render_error(500)
