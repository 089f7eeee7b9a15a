"""A budget result with delegated votes in real Chromium: the "Direct and delegated votes" section (its plain
words and its table) has no axe-core (WCAG 2.x A/AA) violations, in English and in Polish.  The demo's budgets
have no delegated votes, so this module adds a finished budget with some to its own demo site."""

from __future__ import annotations

import pytest

from tests.browser.test_accessibility import LIVE_APPS, Crawler, chromium, live_site  # noqa: F401  (fixtures)

pytestmark = pytest.mark.browser


def _delegated_budget(base: str) -> int:
    from app.auth.models import Role
    from app.budgets import services
    from app.budgets.models import Phase
    from app.extensions import db
    from tests.factories import make_user
    from tests.factories_budgets import advance, make_budget
    from tests.factories_votes import delegate, offer, resident

    with LIVE_APPS[base].app_context():
        a1, a2, b, c = resident("Delegator One"), resident("Delegator Two"), offer(resident("Delegate")), resident("Voter")
        delegate(a1, b)
        delegate(a2, b)
        process, heading = make_budget(projects=[("Bridge", 6_000_00), ("Hall", 6_000_00)], amount=10_000_00,
                                       title="Delegated votes fund")
        for voter, project in ((b, 0), (c, 1)):
            services.cast_ballot(db.session, voter, heading, {heading.projects[project].id: 1})
        db.session.commit()
        advance(process, Phase.REVIEWING_BALLOTS)
        services.run_count(db.session, make_user(Role.OFFICER), heading)
        db.session.commit()
        advance(process, Phase.FINISHED)
        return heading.id


@pytest.mark.parametrize("lang", ["en", "pl"])
def test_results_with_delegated_votes_have_no_axe_violations(live_site, chromium, lang):  # noqa: F811
    heading_id = _delegated_budget(live_site) if lang == "en" else _existing(live_site)
    context = chromium.new_context(extra_http_headers={"Accept-Language": lang})
    page = context.new_page()
    crawler = Crawler(page, live_site)
    page.goto(f"{live_site}/budgets/headings/{heading_id}/results")
    html = page.content()
    assert ("Direct and delegated votes" if lang == "en" else "Głosy bezpośrednie i przekazane") in html
    crawler.check_current(f"budget results with delegated votes ({lang})")
    context.close()
    assert crawler.violations == [], "\n".join(crawler.violations)


def _existing(base: str) -> int:
    from sqlalchemy import select

    from app.budgets.models import BudgetHeading, BudgetProcess
    from app.extensions import db

    with LIVE_APPS[base].app_context():
        found = db.session.execute(select(BudgetHeading.id).join(BudgetProcess).where(BudgetProcess.title == "Delegated votes fund")).scalar_one_or_none()
        return found if found is not None else _delegated_budget(base)
