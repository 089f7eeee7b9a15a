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
from urllib.parse import urljoin, urlparse

import pytest

from tests.conftest import require_service

pytestmark = pytest.mark.browser

CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]
MAX_PAGES = int(os.environ.get("AXE_MAX_PAGES", "60"))
SKIP_PREFIXES = ("/static", "/language/")


def _chromium_reason() -> str | None:
    if not (os.path.exists(CHROMIUM) or shutil.which(CHROMIUM)):
        return f"Chromium not found at {CHROMIUM} (apt-get install chromium)"
    try:
        import axe_playwright_python  # noqa: F401
        import playwright  # noqa: F401
    except ImportError as exc:
        return f"playwright / axe-playwright-python not installed: {exc}"
    return None


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
            args=["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                  "--disable-sync", "--no-first-run", "--disable-quic"],
        )
        yield browser
        browser.close()


def _axe_source() -> str:
    import axe_playwright_python

    with open(os.path.join(os.path.dirname(axe_playwright_python.__file__), "axe.min.js"), encoding="utf-8") as fh:
        return fh.read()


def page_shape(url: str) -> str:
    """One page per template and kind of query: /proposals/12?page=2 and /proposals/31?page=3 are the same
    shape, so the crawl covers every kind of page without visiting every row of the demo data."""
    path, _, query = url.partition("?")
    keys = sorted({part.split("=", 1)[0] for part in query.split("&") if part})
    return re.sub(r"\d+", "N", path) + ("?" + "&".join(keys) if keys else "")


class Crawler:
    def __init__(self, page, base: str) -> None:  # type: ignore[no-untyped-def]
        self.page = page
        self.base = base
        self.axe = _axe_source()
        self.violations: list[str] = []
        self.pages = 0

    def check_current(self, label: str) -> None:
        self.page.evaluate(self.axe)
        result = self.page.evaluate("tags => axe.run(document, {runOnly: {type: 'tag', values: tags}})", TAGS)
        for v in result["violations"]:
            target = v["nodes"][0]["target"] if v["nodes"] else ""
            self.violations.append(f"{label}: {v['id']} ({v['impact']}) x{len(v['nodes'])}: {v['help']} e.g. {target}")
        # page basics axe does not insist on
        if not self.page.title().strip():
            self.violations.append(f"{label}: empty <title>")
        if self.page.locator("h1").count() != 1:
            self.violations.append(f"{label}: {self.page.locator('h1').count()} <h1> elements")

    def crawl(self, start: str = "/") -> None:
        seen: set[str] = set()
        queue = [start]
        host = urlparse(self.base).netloc
        while queue and self.pages < MAX_PAGES:
            path = queue.pop(0)
            shape = page_shape(path)
            if shape in seen:
                continue
            seen.add(shape)
            if re.search(r"\.[a-z0-9]{1,5}$", path.split("?")[0]):
                continue  # a download (e.g. the results .pb file), not a page
            resp = self.page.goto(self.base + path, wait_until="load")
            if resp is None or "html" not in (resp.headers.get("content-type") or ""):
                continue
            self.pages += 1
            self.check_current(path)
            for href in self.page.eval_on_selector_all("a[href]", "els => els.map(e => e.getAttribute('href'))"):
                u = urlparse(urljoin(self.base + path, href))
                if u.netloc != host or u.path.startswith(SKIP_PREFIXES) or u.fragment and not u.path:
                    continue
                q = u.path + (("?" + u.query) if u.query else "")
                if page_shape(q) not in seen and q not in queue:
                    queue.append(q)


def _sign_in(page, base: str, email: str) -> None:  # type: ignore[no-untyped-def]
    page.goto(base + "/auth/sign-in")
    page.fill("#email", email)
    page.fill("#password", "folkmoot-demo")
    page.click("main button[type=submit]")
    assert "You are signed in." in page.content()


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
    page.click("main button[type=submit]")
    assert "There is a problem" in page.content()
    crawler.check_current("register with errors")
    page.goto(live_site + "/auth/sign-in")
    page.fill("#email", "priya@demo.example.org")
    page.fill("#password", "wrong password")
    page.click("main button[type=submit]")
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
    page.click("main button[type=submit]")
    assert "Welcome, No Script" in page.content()
    page.goto(live_site + "/language/pl")
    assert 'lang="pl"' in page.content()
    context.close()
