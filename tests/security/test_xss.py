"""Stored XSS.  The shared world holds a numbered payload (``"><svg id=xN>``) at the start of every value of every
free-text column (tests/security/world.py says which columns are free text); the matrix renders every page for
every role and fails on any payload printed unescaped, naming the column.  These tests check the set-up: every
free-text column really holds a payload, the pages really show them (escaped), and the detector catches one
printed raw."""

from __future__ import annotations

from flask import Flask, render_template_string
from sqlalchemy import text

from app.extensions import db
from tests.security.conftest import Visitor
from tests.security.world import ESCAPED_PAYLOAD_RE, PAYLOAD, RAW_PAYLOAD_RE, World, free_text_columns

PAGES = ["/", "/proposals/", "/deliberation/", "/deliberation/recommendations", "/budgets/", "/votes/", "/panels/",
         "/places/", "/delegation/delegates", "/auth/users", "/audit", "/deliberation/moderation",
         "/proposals/review-queue"]


def test_every_free_text_column_holds_a_payload(world: World) -> None:
    """A free-text column that no row of the world fills is not tested: give build_world() such a row."""
    numbers = {column: n for n, column in world.payloads.items()}
    empty = []
    for table, column, _length in free_text_columns():
        n = numbers[f"{table}.{column}"]
        found = db.session.execute(text(f"SELECT COUNT(*) FROM {table} WHERE {column} LIKE :p"),
                                   {"p": PAYLOAD.format(n=n)[:12] + "%"}).scalar_one()
        if not found:
            empty.append(f"{table}.{column}")
    assert not empty, ("free-text columns with no value in the security world (add a row that fills each in "
                       "build_world(), tests/security/world.py): " + ", ".join(empty))


def test_pages_show_the_payloads_escaped(world: World, visitors: dict[str, Visitor]) -> None:
    shown: set[int] = set()
    for role in ("anonymous", "officer", "administrator", "moderator"):
        for url in PAGES:
            body = visitors[role].client().get(url).get_data(as_text=True)
            assert not RAW_PAYLOAD_RE.search(body), f"{url} as {role}"
            shown |= {int(n) for n in ESCAPED_PAYLOAD_RE.findall(body)}
    names = {world.payloads[n].split(".")[0] for n in shown if n in world.payloads}
    assert {"users", "proposals", "places"} <= names, names


def test_the_detector_catches_a_payload_printed_raw(app: Flask) -> None:
    payload = PAYLOAD.format(n=7)
    with app.test_request_context():
        escaped = render_template_string("<p>{{ v }}</p>", v=payload)
        raw = render_template_string("<p>{{ v|safe }}</p>", v=payload)
    assert not RAW_PAYLOAD_RE.search(escaped) and ESCAPED_PAYLOAD_RE.search(escaped)
    assert RAW_PAYLOAD_RE.findall(raw) == ["7"]
