"""The demo's finished Fenland budget asked the equality-monitoring questions: its results page, committee
report, XLSX and CSV tables show them, suppressed, and in Polish too."""

from __future__ import annotations

import csv
import io
import zipfile

from openpyxl import load_workbook
from sqlalchemy import select

from app.budgets.demo import FENLAND, SOUTH_CAMBS
from app.budgets.models import BudgetProcess
from app.equality import services
from app.equality.report import equality_report
from app.exports.pack import build_pack
from app.exports.targets import resolve
from app.extensions import db


def _process(title: str) -> BudgetProcess:
    return db.session.execute(select(BudgetProcess).where(BudgetProcess.title == title)).scalar_one()


def test_the_demo_budget_shows_its_equality_tables_on_the_results_page_and_in_the_pack(demo, client) -> None:  # type: ignore[no-untyped-def]
    fenland = _process(FENLAND)
    report = equality_report(db.session, "budget", fenland)
    assert report is not None and report.published and report.responders >= 100
    assert [t.key for t in report.tables] == ["age", "sex", "gender_identity", "ethnic_group", "disability"]
    for table in report.tables:
        shown = [c.people for c in table.cells if c.people is not None]
        assert all(n >= 10 for n in shown)
        hidden = [c for c in table.cells if c.people is None]
        assert len(hidden) != 1 and len(shown) >= 1
    # South Cambridgeshire's open budget asks them now (the switch went through the service)
    assert [x.key for x in services.asked(db.session, _process(SOUTH_CAMBS))] == ["age", "sex", "gender_identity", "ethnic_group", "disability"]

    html = client.get(f"/budgets/headings/{fenland.headings[0].id}/results").get_data(as_text=True)
    assert "Who took part, by group" in html and "fewer than 10" in html
    assert f"{report.responders} of the {report.participants} people who took part answered" in html

    # the open-data API gives the same aggregates, with null for the hidden cells
    data = client.get(f"/api/v1/budgets/{fenland.id}").get_json()
    assert data["equality"]["answered"] == report.responders and data["equality"]["participants"] == report.participants
    api_age = {a["key"]: a["people"] for a in data["equality"]["questions"][0]["answers"]}
    assert api_age == {c.key: c.people for c in report.tables[0].cells}
    south = client.get(f"/api/v1/budgets/{_process(SOUTH_CAMBS).id}").get_json()
    assert south["equality"] is None  # results not published yet

    pack = build_pack(db.session, resolve(db.session, "budget", str(fenland.id)), "en")
    with zipfile.ZipFile(io.BytesIO(pack.zip_bytes())) as zf:
        files = {n: zf.read(n) for n in zf.namelist()}
    assert "fewer than 10 is shown as “fewer than 10”" in files["methodology.md"].decode()
    page = files["report.html"].decode()
    assert "Who took part, by group" in page and "Ethnic group" in page
    wb = load_workbook(io.BytesIO(files["results.xlsx"]))
    answered = wb["equality-answered"]
    assert [c.value for c in answered[2]] == [report.participants, report.responders, report.share_answered]
    age = wb["equality-age"]
    rows = {r[0].value: r[1].value for r in age.iter_rows(min_row=2)}
    expected = {c.label: c.people for c in report.tables[0].cells}
    assert set(rows) == set(expected)
    for label, people in expected.items():
        if people is None:
            assert rows[label] == "fewer than 10"
        else:
            assert isinstance(rows[label], int) and rows[label] == people
    assert age.freeze_panes == "A2"
    table = list(csv.reader(io.StringIO(files["tables/equality-ethnic-group.csv"].decode())))
    assert table[0] == ["answer", "people", "share"] and any(r[1] == "fewer than 10" for r in table[1:])

    polish = build_pack(db.session, resolve(db.session, "budget", str(fenland.id)), "pl")
    with zipfile.ZipFile(io.BytesIO(polish.zip_bytes())) as zf:
        raport = zf.read("report.html").decode()
    assert "mniej niż 10" in raport
