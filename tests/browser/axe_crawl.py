"""The project's accessibility crawl: headless Chromium follows every link of a running Folkmoot site and runs
axe-core (WCAG 2.x A and AA rules) on one page of each shape, plus checks axe does not make (a non-empty
<title>, exactly one <h1>).  The browser tests use it on their own demo site; ``make axe`` runs it on yours:

    python -m tests.browser.axe_crawl http://127.0.0.1:5000 [--lang pl] [--sign-in officer@demo.example.org]
        [--password folkmoot-demo] [--max-pages 60] [--no-javascript]

Needs Debian's Chromium (``apt-get install chromium``; CHROMIUM names another binary) and the ``dev`` extra
(playwright, axe-playwright-python, which carries axe.min.js: no browser is downloaded).  Prints each violation
with its page and first offending element; exits 1 when there is any, 2 when the site could not be crawled.
"""

from __future__ import annotations

import argparse
import os
import re
import sys
from urllib.parse import urljoin, urlparse

CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]
MAX_PAGES = int(os.environ.get("AXE_MAX_PAGES", "60"))
SKIP_PREFIXES = ("/static", "/language/")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--no-first-run", "--disable-quic"]


def axe_source() -> str:
    import axe_playwright_python

    with open(os.path.join(os.path.dirname(axe_playwright_python.__file__), "axe.min.js"), encoding="utf-8") as fh:
        return fh.read()


def page_shape(url: str) -> str:
    """One page per template and kind of query: /proposals/12?page=2 and /proposals/31?page=3 are the same
    shape, so the crawl covers every kind of page without visiting every row of the data."""
    path, _, query = url.partition("?")
    keys = sorted({part.split("=", 1)[0] for part in query.split("&") if part})
    return re.sub(r"\d+", "N", path) + ("?" + "&".join(keys) if keys else "")


class Crawler:
    def __init__(self, page, base: str, axe: str | None = None) -> None:  # type: ignore[no-untyped-def]
        self.page = page
        self.base = base.rstrip("/")
        self.axe = axe or axe_source()
        self.violations: list[str] = []
        self.pages = 0
        self.javascript = True

    def check_current(self, label: str) -> None:
        """axe on the page now shown.  With JavaScript off in the page, axe runs in a fresh JavaScript-enabled
        page given the same HTML (the page itself never needed scripts)."""
        page = self.page
        if not self.javascript:
            html = page.content().replace("<head>", f'<head><base href="{self.base}/">', 1)
            page = page.context.browser.new_page()
            page.set_content(html, wait_until="load")
        try:
            page.evaluate(self.axe)
            result = page.evaluate("tags => axe.run(document, {runOnly: {type: 'tag', values: tags}})", TAGS)
            title = page.title().strip()
            h1s = page.locator("h1").count()
        finally:
            if page is not self.page:
                page.close()
        for v in result["violations"]:
            target = v["nodes"][0]["target"] if v["nodes"] else ""
            self.violations.append(f"{label}: {v['id']} ({v['impact']}) x{len(v['nodes'])}: {v['help']} e.g. {target}")
        if not title:
            self.violations.append(f"{label}: empty <title>")
        if h1s != 1:
            self.violations.append(f"{label}: {h1s} <h1> elements")

    def crawl(self, start: str = "/", max_pages: int = MAX_PAGES) -> None:
        seen: set[str] = set()
        queue = [start]
        host = urlparse(self.base).netloc
        while queue and self.pages < max_pages:
            path = queue.pop(0)
            shape = page_shape(path)
            if shape in seen:
                continue
            seen.add(shape)
            if re.search(r"\.[a-z0-9]{1,8}$", path.split("?")[0]):
                continue  # a download (e.g. the results .pb file or MANIFEST.sha256), not a page
            try:
                resp = self.page.goto(self.base + path, wait_until="load")
            except Exception as exc:  # playwright's Error: a file served as an attachment is a download, not a page
                if "Download is starting" in str(exc):
                    continue
                raise
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


def sign_in(page, base: str, email: str, password: str) -> None:  # type: ignore[no-untyped-def]
    page.goto(base.rstrip("/") + "/auth/sign-in")
    page.fill("#email", email)
    page.fill("#password", password)
    page.click("main button[type=submit]")
    if "You are signed in." not in page.content() and "Zalogowano" not in page.content():
        raise RuntimeError(f"could not sign in as {email}")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("base", nargs="?", default="http://127.0.0.1:5000")
    ap.add_argument("--max-pages", type=int, default=MAX_PAGES)
    ap.add_argument("--lang", default="en")
    ap.add_argument("--sign-in", dest="email", help="crawl signed in as this account")
    ap.add_argument("--password", default=os.environ.get("AXE_PASSWORD", "folkmoot-demo"))
    ap.add_argument("--no-javascript", action="store_true", help="browse with JavaScript off, as many residents do")
    args = ap.parse_args(argv)
    try:
        from playwright.sync_api import sync_playwright
    except ImportError as exc:
        print(f"playwright is not installed ({exc}): pip install -e '.[dev]'", file=sys.stderr)
        return 2
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        context = browser.new_context(extra_http_headers={"Accept-Language": args.lang},
                                      java_script_enabled=not args.no_javascript)
        page = context.new_page()
        try:
            if args.email:
                sign_in(page, args.base, args.email, args.password)
            crawler = Crawler(page, args.base)
            crawler.javascript = not args.no_javascript
            crawler.crawl("/", args.max_pages)
        except Exception as exc:  # noqa: BLE001 - report and exit 2: the site did not answer as expected
            print(f"could not crawl {args.base}: {exc}", file=sys.stderr)
            return 2
        finally:
            browser.close()
    for line in crawler.violations:
        print(line)
    print(f"{crawler.pages} pages checked, {len(crawler.violations)} problems.")
    return 1 if crawler.violations else 0


if __name__ == "__main__":
    sys.exit(main())
