"""The read-only open-data JSON API under ``/api/v1/``: places, budgets with their results, public proposals with
their history, ranked votes with their results and citizens' panels with their public draw records.

Paginated, with ``ETag`` / ``If-None-Match``, CORS for GET, rate limits, errors as ``application/problem+json``
(RFC 9457), and an OpenAPI 3.1 description generated from the marshmallow schemas (``/api/v1/openapi.json``) that
``/api/v1/docs`` renders as plain HTML.  It publishes nothing a public page does not already show, and no
personal data: no e-mail addresses, no names of residents (only of public delegates), no postcodes.
"""

from flask import Blueprint

bp = Blueprint("api", __name__, url_prefix="/api/v1")

from app.api import http, views  # noqa: E402,F401
