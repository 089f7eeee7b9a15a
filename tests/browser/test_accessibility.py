"""axe-core (WCAG 2.x A/AA) in headless Chromium over the demo site: every page reached by following links,
as a visitor in English and in Polish and signed in as an officer and as an administrator, plus form error
states.  Zero violations is the bar.  Uses Debian's chromium and axe-playwright-python's bundled axe.min.js;
skips with the reason when Chromium is missing (fails under CI=true)."""

from __future__ import annotations

import os
import re
import shutil
import threading
from collections.abc import Iterator

import pytest

from tests.browser.axe_crawl import CHROMIUM, CHROMIUM_ARGS, Crawler, page_shape, sign_in  # noqa: F401  (page_shape: re-exported)
from tests.conftest import require_service

pytestmark = pytest.mark.browser



def _chromium_reason() -> str | None:
    if not (os.path.exists(CHROMIUM) or shutil.which(CHROMIUM)):
        return f"Chromium not found at {CHROMIUM} (apt-get install chromium)"
    try:
        import axe_playwright_python  # noqa: F401
        import playwright  # noqa: F401
    except ImportError as exc:
        return f"playwright / axe-playwright-python not installed: {exc}"
    return None


LIVE_APPS: dict[str, object] = {}  # base URL → the Flask app serving it (to read the e-mails it sent)


@pytest.fixture(scope="module")
def live_site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    require_service(_chromium_reason())
    if (os.environ.get("TEST_DATABASE_URL") or "").startswith("postgres"):
        pytest.skip("the browser checks serve their own SQLite demo site; they run once, in the SQLite pass")
    from werkzeug.serving import make_server

    from app import create_app
    from app.core.demo import seed_demo
    from app.extensions import db

    db_file = tmp_path_factory.mktemp("live") / "site.sqlite"
    application = create_app("testing", {
        "SQLALCHEMY_DATABASE_URI": f"sqlite:///{db_file}",
        "SERVER_NAME": None,
    })
    with application.app_context():
        db.create_all()
        seed_demo(db.session)
        db.session.commit()
    server = make_server("127.0.0.1", 0, application, threaded=True)
    LIVE_APPS[f"http://127.0.0.1:{server.server_port}"] = application
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        with application.app_context():
            db.engine.dispose()


@pytest.fixture(scope="module")
def chromium() -> Iterator[object]:
    require_service(_chromium_reason())
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path=CHROMIUM, headless=True,
            args=CHROMIUM_ARGS,
        )
        yield browser
        browser.close()


def _sign_in(page, base: str, email: str) -> None:  # type: ignore[no-untyped-def]
    sign_in(page, base, email, "folkmoot-demo")


@pytest.mark.parametrize("persona", ["visitor-en", "visitor-pl", "officer", "administrator"])
def test_every_reachable_page_has_no_axe_violations(live_site, chromium, persona):
    lang = "pl" if persona.endswith("pl") else "en"
    context = chromium.new_context(extra_http_headers={"Accept-Language": lang}, java_script_enabled=True)
    page = context.new_page()
    if persona in ("officer", "administrator"):
        _sign_in(page, live_site, f"{'admin' if persona == 'administrator' else 'officer'}@demo.example.org")
    crawler = Crawler(page, live_site)
    crawler.crawl("/")
    context.close()
    assert crawler.pages >= 5
    assert crawler.violations == [], "\n".join(crawler.violations)


def test_form_error_states_have_no_axe_violations(live_site, chromium):
    context = chromium.new_context()
    page = context.new_page()
    crawler = Crawler(page, live_site)
    page.goto(live_site + "/auth/register")
    _press(page, "main button[type=submit]")
    assert "There is a problem" in page.content()
    crawler.check_current("register with errors")
    page.goto(live_site + "/auth/sign-in")
    page.fill("#email", "priya@demo.example.org")
    page.fill("#password", "wrong password")
    _press(page, "main button[type=submit]")
    crawler.check_current("sign-in with errors")
    resp = page.goto(live_site + "/no-such-page")
    assert resp is not None and resp.status == 404
    crawler.check_current("404 page")
    context.close()
    assert crawler.violations == [], "\n".join(crawler.violations)


def test_pages_work_with_javascript_off(live_site, chromium):
    """The register → sign-in journey with JavaScript disabled in the browser."""
    context = chromium.new_context(java_script_enabled=False)
    page = context.new_page()
    page.goto(live_site + "/auth/register")
    page.fill("#display_name", "No Script")
    page.fill("#email", "noscript@example.org")
    page.fill("#password", "a long enough password")
    page.fill("#confirm", "a long enough password")
    page.fill("#postcode", "CB7 4DL")
    _press(page, "main button[type=submit]")
    assert "Check your email" in page.content()
    page.goto(live_site + "/language/pl")
    assert 'lang="pl"' in page.content()
    context.close()


def _last_link(base: str, to: str, path: str) -> str:
    outbox = LIVE_APPS[base].extensions["mail_outbox"]  # type: ignore[attr-defined]
    bodies = [m.get_content() for m in outbox if m["To"] == to]
    assert bodies, f"no e-mail to {to}"
    m = re.search(r"https?://[^/\s]+(" + re.escape(path) + r"\S+)", bodies[-1])
    assert m, bodies[-1]
    return m.group(1)


def _press(page, selector: str) -> None:  # type: ignore[no-untyped-def]
    """Click and wait for the next page (with JavaScript off, a click starts a plain navigation)."""
    with page.expect_navigation(wait_until="load"):
        page.click(selector)


def test_new_steps_with_javascript_off_have_no_axe_violations(live_site, chromium):
    """Issue 13: e-mail confirmation, the home page (signed out and in) and draft publishing, with JavaScript
    off in the browser, each checked by axe."""
    context = chromium.new_context(java_script_enabled=False)
    page = context.new_page()
    crawler = Crawler(page, live_site)
    crawler.javascript = False
    page.goto(live_site + "/")
    home = page.content()
    assert "Open now across the county" in home
    for heading in ("Ranked votes open now", "panels taking registrations", "Results published recently"):
        assert heading in home, heading
    crawler.check_current("home page, signed out")
    # register: the same answer for any address, then the single-use link
    page.goto(live_site + "/auth/register")
    crawler.check_current("register, with the demo postcodes")
    page.fill("#display_name", "Axe Resident")
    page.fill("#email", "axe.resident@example.org")
    page.fill("#password", "a long enough password")
    page.fill("#confirm", "a long enough password")
    page.fill("#postcode", "CB1 9XY")  # not in the directory: the ward list appears
    _press(page, "main button[type=submit]")
    assert 'id="ward_id"' in page.content()
    crawler.check_current("register, unknown postcode with the ward list")
    page.fill("#postcode", "CB1 2JB")
    page.fill("#password", "a long enough password")  # password fields are never sent back
    page.fill("#confirm", "a long enough password")
    _press(page, "main button[type=submit]")
    assert "Check your email" in page.content()
    crawler.check_current("register: check your email")
    page.goto(live_site + "/auth/sign-in")
    page.fill("#email", "axe.resident@example.org")
    page.fill("#password", "a long enough password")
    _press(page, "main button[type=submit]")
    page.goto(live_site + "/auth/confirm")
    crawler.check_current("ask for a new confirmation link")
    link = _last_link(live_site, "axe.resident@example.org", "/auth/confirm/")
    page.goto(live_site + link)
    assert "your email address is confirmed" in page.content()
    assert "Open now for Petersfield" in page.content()
    crawler.check_current("home page, signed in, after confirming")
    page.goto(live_site + link)
    assert "This link does not work" in page.content()
    crawler.check_current("a used confirmation link")
    # write a draft and publish it with the author's own step
    page.goto(live_site + "/proposals/new")
    page.fill("#title", "A bench by the bus stop on Mill Road")
    page.fill("#summary", "Somewhere to sit while waiting.")
    page.fill("#need", "Older residents stand for a long time.")
    page.fill("#solution", "One bench with arms.")
    _press(page, "main button[type=submit]")
    assert "Your draft is saved" in page.content()
    _press(page, "main a[href$=\"/publish\"]")
    assert "Who will see it" in page.content()
    crawler.check_current("publish your proposal")
    _press(page, "main form button[type=submit]")
    assert "Your proposal is published." in page.content()
    crawler.check_current("proposal just published")
    context.close()
    # a district resident's home page: their district's panel and vote result, the county-wide vote
    context = chromium.new_context(java_script_enabled=False)
    page = context.new_page()
    crawler.page = page
    _sign_in(page, live_site, "agnieszka@demo.example.org")  # Wisbech, Fenland
    page.goto(live_site + "/")
    home = page.content()
    assert "Open now for" in home and "Fenland Transport Panel 2027" in home and "Ranked votes open now" in home
    crawler.check_current("home page, signed in as a district's resident")
    context.close()
    assert crawler.violations == [], "\n".join(crawler.violations)


def test_make_axe_runs_the_projects_own_crawl(live_site):
    """``make axe`` runs tests/browser/axe_crawl.py: the same crawl, as a command, on a running site."""
    import subprocess
    import sys
    from pathlib import Path

    root = Path(__file__).resolve().parents[2]
    makefile = (root / "Makefile").read_text(encoding="utf-8")
    assert "-m tests.browser.axe_crawl" in makefile and "../" not in makefile.split("axe:", 1)[1].split("\n\n", 1)[0]
    done = subprocess.run([sys.executable, "-m", "tests.browser.axe_crawl", live_site, "--max-pages", "8",
                           "--no-javascript"], cwd=root, capture_output=True, text=True, timeout=600)
    assert "8 pages checked, 0 problems." in done.stdout, done.stdout + done.stderr
    assert done.returncode == 0


def test_long_words_wrap_on_lists_and_proposal_pages(live_site, chromium):
    """Issue 13, item 11: a 200-character title with no spaces stays on a phone-sized screen everywhere."""
    context = chromium.new_context(viewport={"width": 360, "height": 800})
    page = context.new_page()
    _sign_in(page, live_site, "priya@demo.example.org")
    title = "Wrap" + "x" * 196
    page.goto(live_site + "/proposals/new")
    page.fill("#title", title)
    page.fill("#summary", "y" * 300)
    page.fill("#need", "A need.")
    page.fill("#solution", "A solution.")
    _press(page, "main button[type=submit]")
    _press(page, 'main a[href$="/publish"]')
    _press(page, "main form button[type=submit]")
    proposal_url = page.url
    widths = "() => [document.documentElement.scrollWidth, document.documentElement.clientWidth]"
    for url in (proposal_url, live_site + "/proposals/", live_site + "/", live_site + "/auth/account"):
        page.goto(url)
        scroll, client = page.evaluate(widths)
        assert scroll <= client, f"{url}: the page is {scroll}px wide on a {client}px screen"
    page.goto(proposal_url)
    assert page.evaluate("() => getComputedStyle(document.querySelector('h1')).overflowWrap") == "anywhere"
    context.close()
