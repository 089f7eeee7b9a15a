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

    target = resolve(db.session, "budget", "1")
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
    assert {"kind": "budget", "id": "1"}.items() <= items[0].items()
    out = tmp_path / "pack.zip"
    done = runner.invoke(args=["exports", "pack", "vote", "1", str(out)])
    assert done.exit_code == 0, done.output
    assert "MANIFEST.sha256" in zipfile.ZipFile(out).namelist()
    bad = runner.invoke(args=["exports", "pack", "vote", "999", str(out)])
    assert bad.exit_code == 1 and "No ranked vote with id 999" in bad.output


def test_officers_write_the_report_and_build_the_pack_from_the_process_page(app, demo, browser):
    browser.sign_in("officer@demo.example.org", "folkmoot-demo")
    show = browser.get("/votes/1").get_data(as_text=True)
    assert "/exports/vote/1" in show
    saved = browser.submit("/exports/vote/1", {"summary": "Sunday buses came first.", "meeting": "Cabinet, 14 January 2027"})
    assert "The report&#39;s text is saved." in saved.get_data(as_text=True) or "saved" in saved.get_data(as_text=True)
    page = browser.get("/exports/vote/1").get_data(as_text=True)
    from tests.conftest import csrf_from

    built = browser.client.post("/exports/vote/1/build", data={"csrf_token": csrf_from(page)}, follow_redirects=True)
    body = built.get_data(as_text=True)
    assert "Ready to download" in body  # the tests run jobs at once
    link = re.search(r'href="(/exports/vote/1/packs/\d+\.zip)"', body).group(1)
    zipped = browser.get(link)
    assert zipped.status_code == 200 and zipped.mimetype == "application/zip"
    files = _unzip(zipped.data)
    assert "Sunday buses came first." in files["report.html"].decode()


def test_residents_cannot_reach_packs(app, demo, browser):
    assert browser.get("/exports/vote/1").status_code == 302  # to sign in
    browser.sign_in("priya@demo.example.org", "folkmoot-demo")
    assert browser.get("/exports/vote/1").status_code == 403


def test_open_data_pages_offer_anonymised_files_under_the_ogl(app, demo, client):
    private = _private_names()
    index = client.get("/open-data/").get_data(as_text=True)
    assert "Open Government Licence v3.0" in index
    assert "/open-data/vote/1/" in index and "/open-data/vote/3/" not in index
    assert client.get("/open-data/vote/3/").status_code == 404  # not finished
    for kind, key in (("budget", "1"), ("vote", "1"), ("vote", "2"), ("panel", "1")):
        page = client.get(f"/open-data/{kind}/{key}/").get_data(as_text=True)
        assert "Open Government Licence v3.0" in page and "report.html" not in page
        for name in re.findall(rf'href="/open-data/{kind}/{key}/([^"]+)"', page):
            resp = client.get(f"/open-data/{kind}/{key}/{name}")
            assert resp.status_code == 200
            if not name.endswith(".xlsx"):
                _assert_no_personal_data(name, resp.get_data(as_text=True), private)


def test_participation_on_results_pages(app, demo, client):
    page = client.get("/votes/1/results").get_data(as_text=True)
    assert "Turnout by place" in page and "Participants by channel" in page
    draw = client.get("/panels/1/draw").get_data(as_text=True)
    assert "make-up against its targets" in draw
