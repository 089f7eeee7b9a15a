"""The API's HTTP manners: JSON bodies with a strong ``ETag`` (``If-None-Match`` → 304), pagination with links
(in the body and in a ``Link`` header), CORS for reading from any origin, and the rate limit on every view."""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from typing import Any

from flask import Response, current_app, json, request, url_for
from marshmallow import Schema, ValidationError
from sqlalchemy import Select
from werkzeug.wrappers import Response as WResponse

from app.api import bp
from app.api import queries as api_queries
from app.api.errors import InvalidParams, is_api_path
from app.api.schemas import PageArgs
from app.extensions import db, limiter

ALLOWED_METHODS = "GET, HEAD, OPTIONS"
ALLOWED_HEADERS = "Accept, Accept-Language, If-None-Match"
EXPOSED_HEADERS = "ETag, Link, Retry-After, X-RateLimit-Limit, X-RateLimit-Remaining, X-RateLimit-Reset"
DEFAULT_LIMIT = "300 per minute;10000 per hour"


def rate_limit() -> str:
    return str(current_app.config.get("RATELIMIT_API") or DEFAULT_LIMIT)


limiter.shared_limit(rate_limit, scope="api")(bp)  # one budget per address for the whole API


def json_response(payload: Any, schema: Schema | None = None, headers: dict[str, str] | None = None) -> WResponse:
    """``payload`` dumped through ``schema``, with an ETag of the exact bytes; a matching If-None-Match gets 304."""
    data = schema.dump(payload) if schema is not None else payload
    body = json.dumps(data, ensure_ascii=False, sort_keys=False).encode("utf-8")
    response = Response(body, mimetype="application/json")
    response.set_etag(hashlib.sha256(body).hexdigest()[:40])
    response.headers["Cache-Control"] = "public, no-cache"
    for name, value in (headers or {}).items():
        response.headers[name] = value
    return response.make_conditional(request)


def page_args() -> tuple[int, int]:
    try:
        args = PageArgs().load({k: v for k, v in request.args.items() if k in ("page", "per_page")})
    except ValidationError as exc:
        raise InvalidParams({k: [str(m) for m in v] for k, v in exc.normalized_messages().items()}) from exc
    return int(args["page"]), int(args["per_page"])


def paginated(stmt: Select[Any], endpoint: str, present: Callable[[list[Any]], list[dict[str, Any]]], schema: Schema,
              **values: Any) -> WResponse:
    """One page of ``stmt``'s rows, presented by ``present``, in the page envelope ``schema``."""
    number, per_page = page_args()
    total = api_queries.count(db.session, stmt)
    pages = max(1, -(-total // per_page))
    rows = api_queries.page(db.session, stmt, number, per_page) if number <= pages else []

    def link(n: int) -> str:
        return url_for(endpoint, page=n, per_page=per_page, _external=True, **values)

    links = {"self": link(number), "first": link(1), "last": link(pages),
             "next": link(number + 1) if number < pages else None,
             "prev": link(min(number - 1, pages)) if number > 1 else None}
    header = ", ".join(f'<{url}>; rel="{rel}"' for rel, url in links.items() if url and rel != "self")
    envelope = {"items": present(rows), "page": number, "per_page": per_page, "total": total, "pages": pages,
                "links": links}
    return json_response(envelope, schema, {"Link": header})


def _cors(response: Response) -> Response:
    response.headers["Access-Control-Allow-Origin"] = "*"
    response.headers["Access-Control-Expose-Headers"] = EXPOSED_HEADERS
    if request.method == "OPTIONS":
        response.headers["Access-Control-Allow-Methods"] = ALLOWED_METHODS
        response.headers["Access-Control-Allow-Headers"] = ALLOWED_HEADERS
        response.headers["Access-Control-Max-Age"] = "86400"
    vary = {v.strip() for v in (response.headers.get("Vary") or "").split(",") if v.strip()}
    response.headers["Vary"] = ", ".join(sorted(vary | {"Accept-Language"}))
    return response


@bp.after_app_request
def api_headers(response: Response) -> Response:
    """CORS on everything under /api/ (errors too: a script must be able to read a 404 or a 429)."""
    if is_api_path():
        _cors(response)
    return response
