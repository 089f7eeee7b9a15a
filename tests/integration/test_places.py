"""Places: CSV import with clear errors, postcode look-up, place pages."""

from __future__ import annotations

import io

import pytest
from sqlalchemy import func, select

from app.core.errors import DomainError
from app.extensions import db
from app.places import queries, services
from app.places.models import Place

GOOD = """code,name,kind,parent_code,population
C1,Testshire,county,,1000
D2,Lower District,district,C1,400
W3,North Ward,ward,D2,150
P4,Little Parish,parish,W3,60
D1,Upper District,district,C1,600
"""


def test_import_places_builds_the_hierarchy(app):
    report = services.import_places(db.session, io.StringIO(GOOD))
    db.session.commit()
    assert (report.created, report.updated) == (5, 0)
    parish = db.session.execute(select(Place).where(Place.code == "P4")).scalar_one()
    assert [p.code for p in parish.lineage()] == ["P4", "W3", "D2", "C1"]
    county = queries.place_or_404("C1")
    assert sorted(queries.descendant_ids(db.session, county)) == sorted(
        db.session.execute(select(Place.id)).scalars().all()
    )
    again = services.import_places(db.session, io.StringIO(GOOD.replace("1000", "1001")))
    assert (again.created, again.updated) == (0, 5)


@pytest.mark.parametrize(
    "csv_text, message",
    [
        ("code,name,kind\nX,Y,county\n", "missing the column(s) parent_code, population"),
        (GOOD + "Z9,Zed,hamlet,C1,1\n", "Line 7: kind must be one of"),
        (GOOD + "Z9,Zed,ward,NOPE,1\n", "Line 7: no place has the parent code NOPE"),
        (GOOD + "Z9,Zed,district,P4,1\n", "Line 7: a district cannot sit inside a parish"),
        (GOOD + "Z9,Zed,ward,D1,many\n", "Line 7: population must be a whole number"),
        (GOOD + "Z9,Zed,ward,,5\n", "Line 7: a ward needs a parent_code"),
    ],
)
def test_import_errors_name_the_line_and_apply_nothing(app, csv_text, message):
    with pytest.raises(DomainError, match=None) as info:
        services.import_places(db.session, io.StringIO(csv_text))
    assert message in info.value.message
    db.session.rollback()
    assert db.session.execute(select(func.count(Place.id))).scalar_one() == 0


def test_cli_import_and_postcodes(app, tmp_path):
    places_csv = tmp_path / "places.csv"
    places_csv.write_text(GOOD)
    postcodes_csv = tmp_path / "postcodes.csv"
    postcodes_csv.write_text("postcode,place_code\ncb21tn,W3\nPE13 1AG,P4\n")
    runner = app.test_cli_runner()
    out = runner.invoke(args=["places", "import", str(places_csv)])
    assert out.exit_code == 0 and "5 created" in out.output
    out = runner.invoke(args=["places", "import-postcodes", str(postcodes_csv)])
    assert out.exit_code == 0 and "2 created" in out.output
    assert services.place_for_postcode(db.session, " cb2  1tn ").code == "W3"
    bad = tmp_path / "bad.csv"
    bad.write_text("postcode,place_code\nNOT A CODE,W3\n")
    out = runner.invoke(args=["places", "import-postcodes", str(bad)])
    assert out.exit_code != 0 and "Line 2" in out.output and "nothing was imported" in out.output


@pytest.mark.parametrize("raw, expected", [("cb21tn", "CB2 1TN"), (" PE13 1AG ", "PE13 1AG"), ("ec1a1bb", "EC1A 1BB"),
                                           ("W1A 0AX", "W1A 0AX"), ("12345", None), ("", None), ("CB2 1TNX", None)])
def test_normalise_postcode(raw, expected):
    assert services.normalise_postcode(raw) == expected


def test_place_pages(client, demo):
    html = client.get("/places/").get_data(as_text=True)
    for district in ["Cambridge", "East Cambridgeshire", "Fenland", "Huntingdonshire", "South Cambridgeshire"]:
        assert district in html
    html = client.get("/places/DEMO-PAR-WIS").get_data(as_text=True)
    assert "Wisbech" in html and "demonstration figure" in html
    assert "Fenland" in html  # breadcrumb
    assert client.get("/places/NOWHERE").status_code == 404


def test_demo_seed_is_idempotent(app):
    from app.auth.models import User
    from app.core.demo import DEMO_ACCOUNTS

    runner = app.test_cli_runner()
    first = runner.invoke(args=["demo", "seed"])
    assert first.exit_code == 0, first.output
    assert "admin@demo.example.org" in first.output and "folkmoot-demo" in first.output
    places = db.session.execute(select(func.count(Place.id))).scalar_one()
    users = db.session.execute(select(func.count(User.id))).scalar_one()
    second = runner.invoke(args=["demo", "seed"])
    assert second.exit_code == 0, second.output
    assert db.session.execute(select(func.count(Place.id))).scalar_one() == places == 23
    assert db.session.execute(select(func.count(User.id))).scalar_one() == users
    emails = set(db.session.execute(select(User.email)).scalars())
    assert {email for email, *_ in DEMO_ACCOUNTS} <= emails
