"""The OpenAPI 3.1 description, generated from the code with apispec: paths from the blueprint's URL rules, the
summary of each operation from its :func:`operation` declaration, and every data shape from the marshmallow
schemas that also serialise the responses.  Built per request, in the reader's language; ``/api/v1/docs`` turns
the same document into plain HTML (:func:`docs_context`)."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any, TypeVar

from apispec import APISpec
from apispec.ext.marshmallow import MarshmallowPlugin
from flask import current_app, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from marshmallow import Schema

from app.api import schemas
from app.api.queries import MAX_ID

F = TypeVar("F", bound=Callable[..., Any])
LICENCE_URL = "https://www.nationalarchives.gov.uk/doc/open-government-licence/version/3/"

TAGS = {
    "api": _l("About the API"),
    "places": _l("Places"),
    "budgets": _l("Participatory budgets"),
    "proposals": _l("Proposals"),
    "votes": _l("Ranked votes"),
    "panels": _l("Citizens' panels"),
}


def operation(schema: type[Schema] | None, summary: Any, description: Any = None, *, tag: str,
              paginated: bool = False, html: bool = False) -> Callable[[F], F]:
    """Declare how the OpenAPI document describes a view: its 200 body, summary, tag, and whether it is a list."""

    def mark(view: F) -> F:
        view._api_operation = {"schema": schema, "summary": summary, "description": description,  # type: ignore[attr-defined]
                               "tag": tag, "paginated": paginated, "html": html}
        return view

    return mark


def _plain(value: Any) -> Any:
    """The document with every lazy (translated) string made a plain string."""
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    return str(value)


def _problem(description: Any) -> dict[str, Any]:
    return {"description": str(description), "content": {"application/problem+json": {"schema": "Problem"}}}


def _openapi_path(rule: str) -> tuple[str, list[dict[str, Any]]]:
    params = []
    for converter, name in re.findall(r"<(?:(\w+):)?(\w+)>", rule):
        schema = {"type": "integer", "minimum": 0, "maximum": MAX_ID} if converter == "int" else {"type": "string"}
        params.append({"name": name, "in": "path", "required": True, "schema": schema})
    return re.sub(r"<(?:\w+:)?(\w+)>", r"{\1}", rule), params


def _operation(meta: dict[str, Any], path_params: list[dict[str, Any]], endpoint: str) -> dict[str, Any]:
    headers = {"ETag": {"description": _("A tag of this exact response: send it back in If-None-Match."), "schema": {"type": "string"}}}
    if meta["paginated"]:
        headers["Link"] = {"description": _("The first, last, previous and next pages (RFC 8288)."), "schema": {"type": "string"}}
    if meta["html"]:
        content: dict[str, Any] = {"text/html": {"schema": {"type": "string"}}}
    elif meta["schema"] is None:
        content = {"application/json": {"schema": {"type": "object"}}}
    else:
        content = {"application/json": {"schema": meta["schema"]}}
    responses: dict[str, Any] = {
        "200": {"description": _("Found."), "headers": headers, "content": content},
        "304": {"description": _("Not modified: the If-None-Match tag matches, so you already have this response.")},
        "429": _problem(_l("Too many requests: wait and try again (see Retry-After).")),
    }
    if meta["paginated"]:
        responses["400"] = _problem(_l("A query parameter is not valid."))
    if path_params:
        responses["404"] = _problem(_l("Nothing public has this id."))
    parameters: list[dict[str, Any]] = list(path_params)
    if meta["paginated"]:
        parameters.append({"in": "query", "schema": schemas.PageArgs})
    out: dict[str, Any] = {"operationId": endpoint.removeprefix("api."), "summary": meta["summary"], "tags": [meta["tag"]],
                           "responses": responses}
    if meta["description"]:
        out["description"] = meta["description"]
    if parameters:
        out["parameters"] = parameters
    return out


def document() -> dict[str, Any]:
    """The OpenAPI 3.1 document of every route of the ``api`` blueprint."""
    spec = APISpec(
        title=_("Folkmoot open data API"), version="1", openapi_version="3.1.0", plugins=[MarshmallowPlugin()],
        info={"description": _(
            "Read-only open data: places, participatory budgets and their results, public proposals and their history, "
            "ranked votes and their results, and citizens' panels and their public draw records. Lists are paginated "
            "(page, per_page up to 100, with links). Every response has an ETag: send it back in If-None-Match to get "
            "304 when nothing changed. Any origin may read it (CORS). Errors are application/problem+json (RFC 9457). "
            "Money is in pence, times in UTC. No personal data: residents are never named, only public delegates."),
            "license": {"name": "Open Government Licence v3.0", "url": LICENCE_URL}},
        tags=[{"name": k, "description": str(v)} for k, v in TAGS.items()],
    )
    spec.components.schema("Problem", schema=schemas.Problem)
    for rule in current_app.url_map.iter_rules():  # in the order the views are declared
        if not rule.endpoint.startswith("api."):
            continue
        meta = getattr(current_app.view_functions[rule.endpoint], "_api_operation", None)
        if meta is None:
            continue
        path, params = _openapi_path(rule.rule)
        spec.path(path=path, operations={"get": _operation(meta, params, rule.endpoint)})
    return _plain(spec.to_dict())  # type: ignore[no-any-return]


# --------------------------------------------------------------------------------------------- the HTML page


def _type_text(prop: dict[str, Any]) -> tuple[str, str | None]:
    """A property's type in words, and the schema it refers to (for a link), if any."""
    ref = prop.get("$ref") or (prop.get("items") or {}).get("$ref")
    if "allOf" in prop:
        ref = prop["allOf"][0].get("$ref")
    name = ref.rsplit("/", 1)[-1] if ref else None
    kinds = prop.get("type", "object" if name else "")
    kinds = [kinds] if isinstance(kinds, str) else list(kinds)
    nullable = "null" in kinds or any(k.get("type") == "null" for k in prop.get("anyOf", []))
    kinds = [k for k in kinds if k != "null"]
    if "array" in kinds:
        words = _("list of %(item)s", item=name or (prop.get("items") or {}).get("type", ""))
    elif name:
        words = name
    else:
        words = " | ".join(kinds) or _("any")
        if prop.get("format"):
            words += f" ({prop['format']})"
    if prop.get("enum"):
        words += ": " + ", ".join(str(v) for v in prop["enum"] if v is not None)
    if nullable:
        words = _("%(type)s or null", type=words)
    return words, name


def docs_context(doc: dict[str, Any]) -> dict[str, Any]:
    operations = []
    for path, ops in doc["paths"].items():
        op = ops["get"]
        params = []
        for p in op.get("parameters", []):
            s = p.get("schema", {})
            bounds = [f"{k} {s[k]}" for k in ("minimum", "maximum", "default") if k in s]
            params.append({"name": p["name"], "where": p["in"], "required": p.get("required", False),
                           "type": s.get("type", ""), "bounds": ", ".join(bounds), "description": p.get("description", "")})
        responses = []
        for code, r in sorted(op["responses"].items()):
            content = r.get("content", {})
            media = next(iter(content), "")
            ref = (content.get(media, {}).get("schema") or {}).get("$ref", "") if media else ""
            responses.append({"code": code, "description": r.get("description", ""), "media": media,
                              "schema": ref.rsplit("/", 1)[-1] if ref else None})
        operations.append({"id": op["operationId"], "path": path, "summary": op.get("summary", ""),
                           "description": op.get("description", ""), "tag": op["tags"][0], "params": params,
                           "responses": responses,
                           "example": url_for("api.index", _external=True).rstrip("/") + path.removeprefix("/api/v1")
                           if "{" not in path else None})
    shapes = []
    for name, schema in sorted(doc["components"]["schemas"].items()):
        required = set(schema.get("required", []))
        props = []
        for prop_name, prop in schema.get("properties", {}).items():
            words, link = _type_text(prop)
            props.append({"name": prop_name, "type": words, "link": link, "required": prop_name in required,
                          "description": prop.get("description", "")})
        shapes.append({"name": name, "properties": props})
    tags = [{"name": t["name"], "title": t["description"], "operations": [o for o in operations if o["tag"] == t["name"]]}
            for t in doc.get("tags", [])]
    return {"info": doc["info"], "tags": tags, "shapes": shapes, "spec_url": url_for("api.openapi", _external=True)}
