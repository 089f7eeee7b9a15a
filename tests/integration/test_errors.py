"""Error pages render in the visitor's language, inside the normal layout, and a failed request saves nothing."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from app import create_app
from app.core.permissions import public
from app.extensions import db
from app.places.models import Place


@pytest.mark.parametrize("lang, text_404, text_405", [
    ("en", "Page not found", "That action is not allowed here"),
    ("pl", "Nie znaleziono strony", "Ta czynność nie jest tutaj dozwolona"),
])
def test_404_and_405_are_translated(client, lang, text_404, text_405):
    resp = client.get("/no/such/page", headers={"Accept-Language": lang})
    assert resp.status_code == 404
    html = resp.get_data(as_text=True)
    assert f'<html lang="{lang}">' in html and text_404 in html
    resp = client.delete("/auth/sign-in", headers={"Accept-Language": lang})
    assert resp.status_code == 405
    assert text_405 in resp.get_data(as_text=True)


def test_500_rolls_back_and_shows_a_page(tmp_path):
    application = create_app("testing", {
        "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'e.sqlite'}", "PROPAGATE_TEST_ERRORS": False,
    })

    @public
    def explode() -> str:
        db.session.add(Place(code="HALF", name="Half saved", kind="county"))
        db.session.flush()
        raise RuntimeError("boom")

    application.add_url_rule("/explode", "explode", explode)
    with application.app_context():
        db.create_all()
        resp = application.test_client().get("/explode", headers={"Accept-Language": "pl"})
        assert resp.status_code == 500
        assert 'lang="pl"' in resp.get_data(as_text=True)
        assert db.session.execute(select(func.count(Place.id))).scalar_one() == 0
        db.session.remove()
        db.engine.dispose()
