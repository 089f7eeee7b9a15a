"""Committee packs for every finished demo process: manifest, recounts, XLSX, PDF, audit extract, personal data."""

from __future__ import annotations

import hashlib
import io
import json
import re
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
from openpyxl import load_workbook

from app.exports import pdf
from app.exports.files import recount
from app.exports.pack import build_pack
from app.exports.targets import all_targets, resolve
from app.extensions import db

ROOT = Path(__file__).resolve().parents[2]
EMAIL = re.compile(r"[\w.+-]+@[\w-]+\.[\w.-]+")
FULL_POSTCODE = re.compile(r"\b[A-Z]{1,2}\d[A-Z\d]? \d[A-Z]{2}\b")  # finer than the sector ("CB1 2")


def _unzip(data: bytes) -> dict[str, bytes]:
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        return {n: zf.read(n) for n in zf.namelist()}


def _private_names() -> set[str]:
    """Display names of residents who are not public delegates, and panel respondents' names."""
    from sqlalchemy import select

    from app.auth.models import User
    from app.delegation.models import DelegateProfile
    from app.panels.models import Respondent

    delegates = set(db.session.execute(select(DelegateProfile.user_id)).scalars())
    names = {u.display_name for u in db.session.execute(select(User)).scalars() if u.id not in delegates and u.display_name}
    names |= {n for n in db.session.execute(select(Respondent.name)).scalars() if n}
    names = {n for n in names if len(n) > 5}
    from app.panels.models import Address
    from app.places.models import Postcode

    codes = set(db.session.execute(select(Postcode.postcode)).scalars()) | set(db.session.execute(select(Address.postcode)).scalars())
    return names | {c for c in codes if c} | {c.replace(" ", "") for c in codes if c and " " in c}


def _assert_no_personal_data(name: str, text: str, private: set[str]) -> None:
    assert not EMAIL.search(text), f"{name} holds an e-mail address: {EMAIL.search(text).group(0)}"
    assert not FULL_POSTCODE.search(text), f"{name} holds a full postcode: {FULL_POSTCODE.search(text).group(0)}"
    found = [n for n in private if n in text]
    assert not found, f"{name} names residents: {found[:3]}"


def _comparable(result: dict) -> dict:
    return {k: v for k, v in result.items() if k not in ("seconds", "file")}


def test_a_pack_for_every_finished_demo_process(app, demo, client, tmp_path):
    finished = [t for t in all_targets(db.session) if t.is_finished]
    assert {t.kind for t in finished} >= {"budget", "vote", "panel"}
    private = _private_names()
    pdf_missing = pdf.unavailable()
    for target in finished:
        if target.kind == "proposals":
            continue
        pack = build_pack(db.session, target, "en")
        files = _unzip(pack.zip_bytes())
        # the manifest covers every file and verifies, with sha256sum's own format
        manifest = files["MANIFEST.sha256"].decode()
        listed = dict(reversed(line.split("  ", 1)) for line in manifest.splitlines())
        assert set(listed) == set(files) - {"MANIFEST.sha256"}
        for n, digest in listed.items():
            assert hashlib.sha256(files[n]).hexdigest() == digest
        for n in ("report.html", "results.xlsx", "methodology.md", "audit.jsonl", "verify_audit.py"):
            assert n in files, f"{target.kind} {target.key}: {n} missing"
        # each result file recounts to its result-*.json, with the command methodology.md gives
        methodology = files["methodology.md"].decode()
        results = [n for n in files if n.startswith("result-")]
        assert results, f"{target.kind} {target.key} has no result file"
        from app.exports.files import files_for

        for rf in files_for(db.session, target.kind, target.obj):
            assert rf.command in methodology
            inputs = {rf.name: files[rf.name].decode(), **{n: files[n].decode() for n, _t in rf.extra}}
            again = recount(rf.argv, inputs)[0]
            published = json.loads(files[rf.result_name])
            if target.kind == "panel":
                assert again["panel"] == published["panel"] and again["input_sha256"] == published["input_sha256"]
                assert again["min_probability"] == pytest.approx(published["min_probability"], abs=1e-6)
            else:
                assert _comparable(again) == _comparable(published)
            page = _results_page(client, target).get_data(as_text=True)
            winners = published.get("elected") or published.get("panel") or []
            if target.kind == "budget":
                from app.budgets.models import BudgetProject

                winners = [db.session.get(BudgetProject, int(p)).title for p in published["selected"]]
            for w in winners:
                assert _html(w) in page, f"{w} not on the results page of {target.kind} {target.key}"
        # the XLSX holds numbers as numbers
        wb = load_workbook(io.BytesIO(files["results.xlsx"]))
        assert "columns" in wb.sheetnames
        numeric = [c.value for ws in wb.worksheets if ws.title != "columns" for row in ws.iter_rows(min_row=2) for c in row
                   if isinstance(c.value, int | float)]
        assert numeric
        for ws in wb.worksheets:
            assert ws.freeze_panes == "A2"
        # the audit extract verifies, and fails after one byte changed
        audit = tmp_path / f"{target.kind}-{target.key}.jsonl"
        audit.write_bytes(files["audit.jsonl"])
        assert files["audit.jsonl"]
        script = tmp_path / "verify_audit.py"
        script.write_bytes(files["verify_audit.py"])
        ok = subprocess.run([sys.executable, str(script), str(audit)], capture_output=True, text=True)
        assert ok.returncode == 0, ok.stderr
        changed = bytearray(files["audit.jsonl"])
        at = changed.index(b'"action":"') + 10
        changed[at] = ord("X") if changed[at] != ord("X") else ord("Y")
        audit.write_bytes(bytes(changed))
        bad = subprocess.run([sys.executable, str(script), str(audit)], capture_output=True, text=True)
        assert bad.returncode == 1 and "BROKEN" in bad.stderr
        runner = app.test_cli_runner()
        assert runner.invoke(args=["audit", "verify-extract", str(audit)]).exit_code == 1
        # no personal data in any file
        for n, data in files.items():
            if n.endswith((".xlsx", ".pdf")):
                continue
            _assert_no_personal_data(n, data.decode("utf-8"), private)
        if pdf_missing is None:
            assert "report.pdf" in files
        else:
            assert pack.pdf_missing


def _ids(kind: str, finished: bool = True) -> list[str]:
    return [t.key for t in all_targets(db.session) if t.kind == kind and t.is_finished == finished]


def _html(text: str) -> str:
    from markupsafe import escape

    return str(escape(text))


def _results_page(client, target):  # type: ignore[no-untyped-def]
    if target.kind == "budget":
        return client.get(f"/budgets/headings/{target.obj.headings[0].id}/results")
    if target.kind == "vote":
        return client.get(f"/votes/{target.obj.id}/results")
    return client.get(f"/panels/{target.obj.id}/draw")


@pytest.mark.parametrize("locale", ["en", "pl"])
def test_the_pdf_has_the_title_and_first_figures(app, demo, locale):
    reason = pdf.unavailable()
    if reason:
        pytest.skip(reason)
    from pypdf import PdfReader

    target = resolve(db.session, "budget", _ids("budget")[0])
    files = build_pack(db.session, target, locale).files
    reader = PdfReader(io.BytesIO(files["report.pdf"]))
    assert len(reader.pages) >= 2
    assert "/StructTreeRoot" in reader.trailer["/Root"]  # tagged
    text = " ".join(p.extract_text() for p in reader.pages)
    flat = re.sub(r"\s+", " ", text)
    assert target.title in flat
    first = build_pack.__globals__["build_report"](db.session, target).tables[0]
    title, _cost, votes, _funded = first.rows[0]
    assert title in flat and str(votes) in flat
    assert ("Summary and recommendations" in flat) == (locale == "en")
    html = files["report.html"].decode()
    assert f'lang="{locale}"' in html


def test_cli_lists_and_packs(app, demo, tmp_path):
    runner = app.test_cli_runner()
    listing = runner.invoke(args=["exports", "list", "--json"])
    items = [json.loads(line) for line in listing.output.splitlines()]
    assert {"kind": "budget", "id": _ids("budget")[0], "finished": True}.items() <= items[0].items()
    out = tmp_path / "pack.zip"
    done = runner.invoke(args=["exports", "pack", "vote", _ids("vote")[0], str(out)])
    assert done.exit_code == 0, done.output
    assert "MANIFEST.sha256" in zipfile.ZipFile(out).namelist()
    bad = runner.invoke(args=["exports", "pack", "vote", "999", str(out)])
    assert bad.exit_code == 1 and "No ranked vote with id 999" in bad.output


def test_officers_write_the_report_and_build_the_pack_from_the_process_page(app, demo, browser):
    vote = _ids("vote")[0]
    browser.sign_in("officer@demo.example.org", "folkmoot-demo")
    show = browser.get(f"/votes/{vote}").get_data(as_text=True)
    assert f"/exports/vote/{vote}" in show
    saved = browser.submit(f"/exports/vote/{vote}", {"summary": "Sunday buses came first.", "meeting": "Cabinet, 14 January 2027"})
    assert "The report&#39;s text is saved." in saved.get_data(as_text=True)
    page = browser.get(f"/exports/vote/{vote}").get_data(as_text=True)
    from tests.conftest import csrf_from

    built = browser.client.post(f"/exports/vote/{vote}/build", data={"csrf_token": csrf_from(page)}, follow_redirects=True)
    body = built.get_data(as_text=True)
    assert "Ready to download" in body  # the tests run jobs at once
    link = re.search(rf'href="(/exports/vote/{vote}/packs/\d+\.zip)"', body).group(1)
    zipped = browser.get(link)
    assert zipped.status_code == 200 and zipped.mimetype == "application/zip"
    files = _unzip(zipped.data)
    assert "Sunday buses came first." in files["report.html"].decode()


def test_residents_cannot_reach_packs(app, demo, browser):
    vote = _ids("vote")[0]
    assert browser.get(f"/exports/vote/{vote}").status_code == 302  # to sign in
    browser.sign_in("priya@demo.example.org", "folkmoot-demo")
    assert browser.get(f"/exports/vote/{vote}").status_code == 403
    assert browser.get(f"/exports/vote/{vote}/packs/1.zip").status_code in (403, 404)


def test_open_data_pages_offer_anonymised_files_under_the_ogl(app, demo, client):
    private = _private_names()
    index = client.get("/open-data/").get_data(as_text=True)
    assert "Open Government Licence v3.0" in index
    open_vote = _ids("vote", finished=False)[0]
    assert f"/open-data/vote/{_ids('vote')[0]}/" in index and f"/open-data/vote/{open_vote}/" not in index
    assert client.get(f"/open-data/vote/{open_vote}/").status_code == 404  # not finished
    for kind, key in [(k, i) for k in ("budget", "vote", "panel") for i in _ids(k)]:
        page = client.get(f"/open-data/{kind}/{key}/").get_data(as_text=True)
        assert "Open Government Licence v3.0" in page and "report.html" not in page
        for name in re.findall(rf'href="/open-data/{kind}/{key}/([^"]+)"', page):
            resp = client.get(f"/open-data/{kind}/{key}/{name}")
            assert resp.status_code == 200
            if not name.endswith(".xlsx"):
                _assert_no_personal_data(name, resp.get_data(as_text=True), private)


def test_participation_on_results_pages(app, demo, client):
    page = client.get(f"/votes/{_ids('vote')[0]}/results").get_data(as_text=True)
    assert "Turnout by place" in page and "Participants by channel" in page
    draw = client.get(f"/panels/{_ids('panel')[0]}/draw").get_data(as_text=True)
    assert "make-up against its targets" in draw


def test_a_proposal_consultation_of_a_past_period_packs(app, demo, browser):
    from datetime import date

    from app.exports.targets import consultation_key
    from app.places.models import Place

    target = next(t for t in all_targets(db.session) if t.kind == "proposals" and t.obj)
    place = db.session.get(Place, target.place.id)
    key = consultation_key(place, date(2020, 1, 1), date.today().replace(day=1) if date.today().day > 1 else date(2020, 1, 2))
    past = resolve(db.session, "proposals", key)
    assert past.is_finished
    files = build_pack(db.session, past, "pl").files
    wb = load_workbook(io.BytesIO(files["results.xlsx"]))
    dates = [c.value for row in wb["proposals"].iter_rows(min_row=2, min_col=5, max_col=5) for c in row]
    assert all(d is None or hasattr(d, "year") for d in dates)
    _assert_no_personal_data("proposals", files["audit.jsonl"].decode() + files["tables/proposals.csv"].decode(), _private_names())
    browser.sign_in("officer@demo.example.org", "folkmoot-demo")
    index = browser.get("/exports/").get_data(as_text=True)
    assert "/exports/proposals/" in index
    assert browser.get(f"/exports/proposals/{key}").status_code == 200
    assert browser.get("/exports/proposals/nowhere:2020-01-01:2020-12-31").status_code == 404
