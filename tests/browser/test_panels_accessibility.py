"""Citizens' panels in real Chromium: an invited household answers with its code with JavaScript off (and a
made-up code is refused), and axe-core (WCAG 2.x A/AA) checks every panel page: the public list, panel and draw
pages, the code and answer forms (and their error states), and the officers' pages, from a new panel's set-up to
the finished demo panel's selection, member and workspace pages.  Zero violations."""

from __future__ import annotations

import re

import pytest

from tests.browser.test_accessibility import LIVE_APPS, Crawler, _sign_in, chromium, live_site  # noqa: F401  (fixtures)

pytestmark = pytest.mark.browser

CLIMATE = "Cambridgeshire Climate Panel 2027"
TRANSPORT = "Fenland Transport Panel 2027"
ELY = "Ely Riverside Panel 2027"


def _panel_url(page, base: str, title: str) -> str:  # type: ignore[no-untyped-def]
    page.goto(base + "/panels/")
    page.click(f"main a:text-is('{title}')")
    return page.url.removeprefix(base)


def _unused_code(page, base: str) -> str:  # type: ignore[no-untyped-def]
    """An unused code from the open panel's letters, as the officer prints them."""
    _sign_in(page, base, "officer@demo.example.org")
    url = _panel_url(page, base, TRANSPORT)
    page.goto(base + url + "/letters")
    for letter in page.locator("article.letter").all():
        if "This code has been used." not in letter.inner_text():
            code = letter.locator(".letter-code strong").inner_text()
            page.goto(base + "/")
            page.click("header button:text-is('Sign out')")
            return code
    raise AssertionError("no unused code")


def test_answering_an_invitation_with_javascript_off(live_site, chromium):  # noqa: F811
    context = chromium.new_context(java_script_enabled=False)
    page = context.new_page()
    code = _unused_code(page, live_site)
    page.goto(live_site + "/panels/")
    page.click("main a:text-is('Answer your invitation')")
    page.fill("#code", "ZZZZ-ZZZZ-ZZZZ")
    page.click("main button:text-is('Continue')")
    assert "We do not recognise this code" in page.content()
    page.fill("#code", code.lower())
    page.click("main button:text-is('Continue')")
    page.wait_for_url(re.compile(r"/panels/respond/answer$"))
    assert f"Join the pool for {TRANSPORT}" in page.content()
    page.click("main button:text-is('Send')")
    assert "There is a problem" in page.content()
    page.fill("#name", "No Script")
    page.fill("#email", "noscript.panel@example.org")
    for category, answer in (("gender", "Woman"), ("age_band", "65+"), ("district", "Fenland"),
                             ("climate_view", "Fairly concerned")):
        page.check(f"input[name=q_{category}][value='{answer}']")
    page.check("#has_consented")
    page.click("main button:text-is('Send')")
    page.wait_for_url(re.compile(r"/panels/\d+/thanks$"))
    assert "Thank you: you are in the pool" in page.content()
    page.goto(live_site + "/panels/respond")
    page.fill("#code", code)
    page.click("main button:text-is('Continue')")
    assert "This code has already been used." in page.content()
    context.close()


def test_public_panel_pages_have_no_axe_violations(live_site, chromium):  # noqa: F811
    context = chromium.new_context()
    page = context.new_page()
    crawler = Crawler(page, live_site)
    page.goto(live_site + "/panels/")
    crawler.check_current("panels")
    climate = _panel_url(page, live_site, CLIMATE)
    crawler.check_current("finished panel")
    page.click("main a[href$='/draw']:not([href$='/invitations/draw'])")
    assert "Every person" in page.content()
    crawler.check_current("draw page")
    page.goto(live_site + _panel_url(page, live_site, TRANSPORT))
    crawler.check_current("panel open for registration")
    page.goto(live_site + "/panels/respond")
    crawler.check_current("code form")
    page.click("main button:text-is('Continue')")
    crawler.check_current("code form with an error")
    assert climate.startswith("/panels/")
    context.close()
    assert crawler.violations == [], "\n".join(crawler.violations)


def test_answer_form_and_thanks_have_no_axe_violations(live_site, chromium):  # noqa: F811
    context = chromium.new_context()
    page = context.new_page()
    crawler = Crawler(page, live_site)
    code = _unused_code(page, live_site)
    page.goto(live_site + "/panels/respond")
    page.fill("#code", code)
    page.click("main button:text-is('Continue')")
    crawler.check_current("answer form")
    page.click("main button:text-is('Send')")
    assert "There is a problem" in page.content()
    crawler.check_current("answer form with errors")
    page.fill("#name", "Axe Check")
    page.fill("#phone", "01354 123456")
    for category, answer in (("gender", "Man"), ("age_band", "16-29"), ("district", "Fenland"), ("climate_view", "Very concerned")):
        page.check(f"input[name=q_{category}][value='{answer}']")
    page.check("#has_consented")
    page.click("main button:text-is('Send')")
    page.wait_for_url(re.compile(r"/panels/\d+/thanks$"))
    crawler.check_current("thanks")
    context.close()
    assert crawler.violations == [], "\n".join(crawler.violations)


def test_officer_pages_have_no_axe_violations(live_site, chromium):  # noqa: F811
    context = chromium.new_context()
    page = context.new_page()
    _sign_in(page, live_site, "officer@demo.example.org")
    crawler = Crawler(page, live_site)
    # the finished demo panel: the officer's selection, member, respondents and workspace pages
    climate = _panel_url(page, live_site, CLIMATE)
    crawler.check_current("finished panel (officer)")
    for suffix, label in (("/selection", "selection"), ("/respondents", "respondents"), ("/quotas", "quotas (committed)"),
                          ("/commit", "commit (done)"), ("/seed", "seed (done)"), ("/letters", "letters"),
                          ("/workspace", "workspace"), ("/workspace/meetings", "new meeting"),
                          ("/workspace/evidence", "new evidence"), ("/workspace/recommendations/new", "new recommendation"),
                          ("/officers", "officers"), ("/edit", "edit panel"), ("/questions", "questions (answered)"),
                          ("/addresses", "addresses (committed)"), ("/invitations", "invitation plan (done)")):
        page.goto(live_site + climate + suffix)
        crawler.check_current(label)
    page.goto(live_site + climate + "/selection")
    page.click("main a:text-is('Record answer') >> nth=0")
    crawler.check_current("record an answer")
    page.click("main button:text-is('Save')")
    crawler.check_current("record an answer with an error")
    page.goto(live_site + climate + "/workspace/meetings")
    page.click("main button:text-is('Save')")
    crawler.check_current("new meeting with errors")
    # the open panel: quotas, paper entry
    transport = _panel_url(page, live_site, TRANSPORT)
    page.goto(live_site + transport + "/responses/new")
    crawler.check_current("paper answer")
    page.click("main button:text-is('Send')")
    crawler.check_current("paper answer with errors")
    page.goto(live_site + transport + "/quotas")
    crawler.check_current("quotas")
    page.fill("#size", "10")
    page.click("main button:text-is('Save quotas')")
    assert "There is a problem" in page.content()
    crawler.check_current("quotas with errors")
    page.goto(live_site + transport + "/commit")
    crawler.check_current("commit (not ready)")
    # a new panel, from the start
    page.goto(live_site + "/panels/new")
    page.click("main button[type=submit]")
    assert "There is a problem" in page.content()
    crawler.check_current("new panel with errors")
    page.fill("#title", "Huntingdon Health Panel")
    page.fill("#retention_until", "2099-12-31")
    page.click("main button[type=submit]")
    assert "Panel created" in page.content()
    crawler.check_current("address upload")
    new = re.sub(r"/addresses$", "", page.url.removeprefix(live_site))
    page.click("main button:text-is('Upload')")
    crawler.check_current("address upload with an error")
    for suffix, label in (("", "new panel"), ("/invitations", "invitation plan"), ("/invitations/seed", "invitation seed (none)"),
                          ("/questions", "questions"), ("/quotas", "quotas (no questions)")):
        page.goto(live_site + new + suffix)
        crawler.check_current(label)
    page.goto(live_site + new + "/questions")
    page.click("main button:text-is('Add question')")
    crawler.check_current("questions with errors")
    page.goto(live_site + new + "/invitations")
    page.click("main button:text-is('Publish the commitment')")
    crawler.check_current("invitation plan with errors")
    context.close()
    assert crawler.violations == [], "\n".join(crawler.violations)


def _ready_to_commit(base: str) -> str:
    """A panel of the demo officer's with its pool and quotas set, not yet committed (made through the services
    in the live site's app, so the demo's own panels stay as they are)."""
    from app.auth import services as accounts
    from app.extensions import db
    from app.panels.models import Method
    from app.panels.services import selection
    from tests.factories_panels import SHARES, fill_pool, invited_panel

    application = LIVE_APPS[base]
    with application.app_context():  # type: ignore[attr-defined]
        officer = accounts.find_by_email(db.session, "officer@demo.example.org")
        panel = invited_panel(officer, households=120, invited=80)
        fill_pool(officer, panel, 40)
        shares = {(q.category, o): int(float(v) * 10) for q in panel.questions
                  for o, v in zip(q.options, SHARES[q.category], strict=True)}
        selection.set_quotas(db.session, officer, panel, selection.QuotaPlan(8, Method.LEXIMIN, shares, leeway=2))
        check = selection.feasibility(db.session, panel)
        if check is not None and not check.ok:
            selection.apply_relaxations(db.session, officer, panel)
        db.session.commit()
        return f"/panels/{panel.id}"


def test_transparent_lottery_and_invitation_pages_have_no_axe_violations(live_site, chromium):  # noqa: F811
    context = chromium.new_context()
    page = context.new_page()
    crawler = Crawler(page, live_site)
    # public: the demo panel drawn by lottery (its list opened), and an invitation lottery's page
    ely = _panel_url(page, live_site, ELY)
    page.goto(live_site + ely + "/draw")
    assert "--lottery 1000 --ticket 704" in page.content()
    page.click("main details.lottery-list summary")
    crawler.check_current("draw page with the lottery list open")
    page.goto(live_site + ely + "/invitations/draw")
    assert "python -m app.tally invitations addresses.csv" in page.content()
    crawler.check_current("invitation lottery page")
    # the officer commits a lottery, then records the number drawn (each form also in its error state)
    panel = _ready_to_commit(live_site)
    _sign_in(page, live_site, "officer@demo.example.org")
    page.goto(live_site + panel + "/commit")
    crawler.check_current("commit with a lottery field")
    page.fill("#seed_plan", "Dice at the meeting")
    page.fill("#lottery", "1")
    page.click("main button:text-is('Publish the commitment')")
    assert "There is a problem" in page.content()
    crawler.check_current("commit with a lottery error")
    page.fill("#lottery", "50")
    page.click("main button:text-is('Publish the commitment')")
    assert "The commitment is published." in page.content()
    crawler.check_current("draw page, lottery published")
    page.goto(live_site + panel + "/seed")
    crawler.check_current("number drawn form")
    page.fill("#ticket", "51")
    page.click("main button[type=submit]")
    assert "There is a problem" in page.content()
    crawler.check_current("number drawn form with an error")
    page.fill("#ticket", "12")
    page.click("main button[type=submit]")
    assert "The number drawn is recorded" in page.content()
    page.goto(live_site + panel + "/draw")
    crawler.check_current("draw page, lottery drawn")
    context.close()
    assert crawler.violations == [], "\n".join(crawler.violations)
