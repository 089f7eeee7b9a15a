"""Errors under ``/api/`` as ``application/problem+json`` (RFC 9457): the site's error handlers in
``app.core.errors`` hand any error on an API path to :func:`problem_for`, so unknown paths (404), wrong methods
(405), bad parameters (400), rate limits (429) and failures (500) all answer in the same machine-readable shape."""

from __future__ import annotations

from typing import Any

from flask import Response, json, request
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from werkzeug.exceptions import BadRequest, HTTPException

PROBLEM_JSON = "application/problem+json"

TITLES = {
    400: _l("Bad request"),
    404: _l("Not found"),
    405: _l("Method not allowed"),
    429: _l("Too many requests"),
    500: _l("Internal server error"),
}
DETAILS = {
    400: _l("The request's parameters are not valid."),
    404: _l("There is nothing at this address. The API's resources are listed at /api/v1/."),
    405: _l("The open-data API is read-only: use GET (or HEAD or OPTIONS)."),
    429: _l("Too many requests from your address in a short time. Wait, then try again (see the Retry-After header)."),
    500: _l("Something went wrong on our side. Try again later."),
}


class InvalidParams(BadRequest):
    """A 400 naming each query parameter that was not valid and why."""

    def __init__(self, params: dict[str, list[str]]) -> None:
        super().__init__()
        self.params = params


def is_api_path() -> bool:
    return request.path.startswith("/api/")


def problem(status: int, detail: str | None = None, headers: dict[str, str] | None = None,
            extra: dict[str, Any] | None = None) -> Response:
    """A problem+json response.  ``type`` is ``about:blank``: the HTTP status says what went wrong."""
    known = status if status in TITLES else (400 if status < 500 else 500)
    body: dict[str, Any] = {
        "type": "about:blank",
        "title": str(TITLES[known]),
        "status": status,
        "detail": detail or str(DETAILS.get(known, TITLES[known])),
        "instance": request.path,
    }
    body.update(extra or {})
    response = Response(json.dumps(body, ensure_ascii=False), status=status, mimetype=PROBLEM_JSON)
    response.headers["Vary"] = "Accept-Language"
    for name, value in (headers or {}).items():
        response.headers[name] = value
    return response


def problem_for(exc: BaseException) -> Response | None:
    """The problem+json response for ``exc`` on an API path; None elsewhere (the HTML error pages apply)."""
    if not is_api_path():
        return None
    if not isinstance(exc, HTTPException):
        return problem(500)
    status = exc.code or 500
    headers = {k: v for k, v in exc.get_headers() if k.lower() != "content-type"}
    if isinstance(exc, InvalidParams):
        names = ", ".join(sorted(exc.params))
        detail = _("These query parameters are not valid: %(names)s.", names=names)
        invalid = [{"name": k, "reason": " ".join(v)} for k, v in sorted(exc.params.items())]
        return problem(400, detail, headers, {"invalid_params": invalid})
    if status == 429:
        return problem(429, headers=headers)
    return problem(status, headers=headers)
