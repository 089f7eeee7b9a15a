"""Real postcodes (issue 13, item 6): ``flask places import-postcodes`` reads the ONS Postcode Directory and the
National Statistics Postcode Lookup as ONS ships them; an unknown postcode lets the resident choose their ward,
for an officer to confirm; the demo's registration page names postcodes that work."""

from __future__ import annotations

import io
import zipfile

from sqlalchemy import func, select

from app.auth.models import Role, User
from app.core.models import AuditEntry
from app.extensions import db
from app.places import services
from app.places.models import Place, Postcode
from tests.factories import make_user
from tests.factories_proposals import login_as

PLACES = """code,name,kind,parent_code,population,demo,ons_code
E10000003,Cambridgeshire,county,,678600,,
E07000008,Cambridge,district,E10000003,145700,,
E07000010,Fenland,district,E10000003,102500,,
T-PET,Petersfield,ward,E07000008,11200,,E05013050
T-WIS,Wisbech,parish,E07000010,31500,,E04001804
"""
# ONSPD as shipped: upper-case header, padded pcd, the display form pcds, doterm for terminated postcodes.
ONSPD = """PCD,PCD2,PCDS,DOINTR,DOTERM,OSCTY,CED,OSLAUA,OSWARD,PARISH,USERTYPE
CB1 1PT,CB1  1PT,CB1 1PT,198001,,E10000003,E58000001,E07000008,E05013050,E43000042,0
CB1 2AA,CB1  2AA,CB1 2AA,198001,200012,E10000003,E58000001,E07000008,E05013050,E43000042,0
PE131AA,PE13 1AA,PE13 1AA,198001,,E10000003,E58000002,E07000010,E05011111,E04001804,0
PE151AB,PE15 1AB,PE15 1AB,198001,,E10000003,E58000003,E07000010,E05011112,E04009999,1
SW1A1AA,SW1A 1AA,SW1A 1AA,198001,,E99999999,E99999999,E09000033,E05013806,E43000236,1
"""
# NSPL with year-suffixed lower-case names (wd23cd, lad23cd, par23cd) and no pcds.
NSPL = """pcd,pcd2,dointr,doterm,usertype,lad23cd,wd23cd,wd22cd,par23cd
CB1 3BB,CB1  3BB,199001,,0,E07000008,E05013050,E05000001,E43000042
PE131AB,PE13 1AB,199001,,0,E07000010,E05011111,E05000002,E04001804
"""


def _places() -> None:
    services.import_places(db.session, io.StringIO(PLACES))
    db.session.commit()


def _run(app, tmp_path, name: str, text: str, zipped: bool = False):  # type: ignore[no-untyped-def]
    path = tmp_path / name
    if zipped:
        with zipfile.ZipFile(path, "w") as archive:
            archive.writestr("Documents/readme.csv", "a,b\n1,2\n")
            archive.writestr("Data/ONSPD_NOV_2025_UK.csv", text)
    else:
        path.write_text(text, encoding="utf-8")
    return app.test_cli_runner().invoke(args=["places", "import-postcodes", str(path)])


def _place_of(postcode: str) -> str | None:
    row = db.session.get(Postcode, postcode)
    return row.place.name if row else None


def test_onspd_as_shipped(app, tmp_path):
    _places()
    result = _run(app, tmp_path, "onspd.csv", ONSPD)
    assert result.exit_code == 0, result.output
    assert "3 created, 0 updated; skipped 1 terminated and 1 outside" in result.output
    assert _place_of("CB1 1PT") == "Petersfield"  # by ward
    assert _place_of("PE13 1AA") == "Wisbech"  # by parish, the smallest area
    assert _place_of("PE15 1AB") == "Fenland"  # no parish or ward known here: its district
    assert _place_of("CB1 2AA") is None  # terminated
    assert _place_of("SW1A 1AA") is None  # not in this site's places
    again = _run(app, tmp_path, "onspd.csv", ONSPD)
    assert "0 created, 3 updated" in again.output


def test_onspd_zip_as_downloaded(app, tmp_path):
    _places()
    result = _run(app, tmp_path, "ONSPD_NOV_2025.zip", ONSPD, zipped=True)
    assert result.exit_code == 0, result.output
    assert _place_of("CB1 1PT") == "Petersfield"


def test_nspl_with_dated_column_names(app, tmp_path):
    _places()
    result = _run(app, tmp_path, "nspl.csv", NSPL)
    assert result.exit_code == 0, result.output
    assert _place_of("CB1 3BB") == "Petersfield"  # wd23cd, the latest year, not wd22cd
    assert _place_of("PE13 1AB") == "Wisbech"


def test_the_site_format_still_imports_and_codes_are_checked(app, tmp_path):
    _places()
    result = _run(app, tmp_path, "site.csv", "postcode,place_code\nCB1 9ZZ,T-PET\n")
    assert result.exit_code == 0, result.output
    assert _place_of("CB1 9ZZ") == "Petersfield"
    county = db.session.execute(select(Place).where(Place.code == "E10000003")).scalar_one()
    assert county.ons_code == "E10000003"  # a GSS code as the place's code counts as its ONS code
    bad = services.import_places
    try:
        bad(db.session, io.StringIO("code,name,kind,parent_code,population,demo,ons_code\nX,X,county,,1,,NOTACODE\n"))
        raise AssertionError("a bad ONS code was accepted")
    except Exception as exc:  # noqa: BLE001
        assert "is not an ONS code" in str(exc)
    db.session.rollback()


def test_a_file_without_postcodes_is_refused_and_nothing_imported(app, tmp_path):
    _places()
    result = _run(app, tmp_path, "bad.csv", "pcds,doterm\nCB1 1PT,\n")
    assert result.exit_code != 0
    assert "no area columns" in result.output
    assert db.session.execute(select(Postcode)).first() is None


NEW = {"display_name": "New Build", "email": "newbuild@example.org", "password": "a long enough password",
       "confirm": "a long enough password", "postcode": "CB1 9XY"}


def test_unknown_postcode_lets_the_resident_choose_their_ward_for_an_officer_to_confirm(browser, demo):
    html = browser.submit("/auth/register", NEW).get_data(as_text=True)
    assert "We could not find CB1 9XY in the postcode directory" in html
    assert 'id="ward_id"' in html and "Petersfield (Cambridge)" in html
    ward = db.session.execute(select(Place).where(Place.name == "Petersfield")).scalar_one()
    html = browser.submit("/auth/register", {**NEW, "ward_id": str(ward.id)}).get_data(as_text=True)
    assert "Check your email" in html
    user = db.session.execute(select(User).where(User.email == "newbuild@example.org")).scalar_one()
    assert user.home_place_id == ward.id and user.is_area_unconfirmed
    # an officer confirms (or corrects) it
    officer = make_user(Role.OFFICER)
    login_as(browser.client, officer)
    listing = browser.get("/auth/areas-to-confirm").get_data(as_text=True)
    assert "New Build" in listing and "CB1 9XY" in listing
    market = db.session.execute(select(Place).where(Place.name == "Market")).scalar_one()
    resp = browser.submit(f"/auth/areas-to-confirm/{user.id}", {"place_id": str(market.id)})
    assert "area is confirmed: Market" in resp.get_data(as_text=True)
    db.session.refresh(user)
    assert user.home_place_id == market.id and not user.is_area_unconfirmed
    assert db.session.execute(select(AuditEntry).where(AuditEntry.action == "account.area_confirmed")).first()
    assert "New Build" not in browser.get("/auth/areas-to-confirm").get_data(as_text=True)


def test_only_officers_confirm_areas(browser, demo):
    login_as(browser.client, make_user())
    assert browser.get("/auth/areas-to-confirm").status_code == 403


def test_demo_registration_page_lists_postcodes_that_work(browser, demo):
    html = browser.get("/auth/register").get_data(as_text=True)
    assert "Use one of these postcodes" in html
    import re

    listed = re.findall(r"<li>([A-Z]{1,2}[0-9][A-Z0-9]? [0-9][A-Z]{2}) \(", html)
    assert len(listed) >= 3
    assert all(db.session.get(Postcode, pc) is not None for pc in listed)
    # and each of them registers without a ward
    assert "Check your email" in browser.submit("/auth/register", {**NEW, "postcode": listed[0]}).get_data(as_text=True)


def test_a_resident_moving_to_a_new_street_chooses_their_ward_on_the_account_page(browser, demo):
    browser.sign_in("priya@demo.example.org", "folkmoot-demo")
    form = {"display_name": "Priya Shah", "postcode": "CB1 9XY", "locale": "en", "notify_replies": "y"}
    html = browser.submit("/auth/account", form).get_data(as_text=True)
    assert "We could not find CB1 9XY" in html and 'id="ward_id"' in html
    market = db.session.execute(select(Place).where(Place.name == "Market")).scalar_one()
    html = browser.submit("/auth/account", {**form, "ward_id": str(market.id)}).get_data(as_text=True)
    assert "Your settings have been saved." in html and "to be confirmed by a council officer" in html
    priya = db.session.execute(select(User).where(User.email == "priya@demo.example.org")).scalar_one()
    assert priya.home_place_id == market.id and priya.is_area_unconfirmed


def test_a_large_file_is_read_row_by_row_in_batches(app):
    """Rows come from a generator (never a list in memory) and are written in batches across the boundary."""
    from app.places import onspd

    _places()
    total = onspd.BATCH * 2 + 17

    def rows():  # type: ignore[no-untyped-def]
        yield "pcds,doterm,osward,oslaua\n"
        for n in range(total):
            rest, letters = n % 4000, "ABDEFGHJLNPQRSTUWXYZ"
            yield f"CB{1 + n // 4000} {rest // 400}{letters[rest // 20 % 20]}{letters[rest % 20]},,E05013050,E07000008\n"

    report = onspd.import_directory(db.session, rows())
    db.session.commit()
    distinct = {line.split(",")[0] for line in list(rows())[1:]}
    assert len(distinct) > onspd.BATCH * 2  # more than two batches
    assert (report.created, report.updated) == (len(distinct), 0)
    assert db.session.execute(select(func.count(Postcode.postcode))).scalar_one() == len(distinct)
    assert db.session.execute(select(Postcode).where(Postcode.postcode == "CB1 0AA")).scalar_one().place.name == "Petersfield"
