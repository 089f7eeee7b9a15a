"""Paper and assisted ballots: numbered batches keyed twice by two different officers; mismatches shown and
resolved before a batch is accepted; online and paper turnout kept apart."""

from __future__ import annotations

import pytest
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from app.auth.models import Role
from app.budgets import services
from app.budgets.models import BallotType, BudgetBallot, PaperBatch, PaperKeying, Phase
from app.core.errors import DomainError
from app.extensions import db
from tests.factories import PASSWORD, make_user
from tests.factories_budgets import advance, cambs, issue_papers, make_budget  # noqa: F401  (cambs is a fixture)

pytestmark = pytest.mark.usefixtures("cambs")


def test_double_keying_mismatch_resolution_and_accept(app):  # type: ignore[no-untyped-def]
    process, heading = make_budget(ballot_type=BallotType.KNAPSACK)
    a, b, c = (make_user(Role.OFFICER) for _ in range(3))
    p = [x.id for x in heading.projects]
    batch = services.create_batch(db.session, a, heading, 7, 3)
    db.session.commit()
    with pytest.raises(DomainError, match="already exists"):
        services.create_batch(db.session, a, heading, 7, 2)
    db.session.rollback()
    good = [services.PaperRow({p[0]: 1, p[3]: 1}), services.PaperRow({}), services.PaperRow({}, spoilt=True)]
    services.key_batch(db.session, a, batch, good)
    # the same officer keying again corrects their own entry: still one keying, so no acceptance
    services.key_batch(db.session, a, batch, good)
    assert len(batch.keyings) == 1 and services.batch_mismatches(batch) is None
    with pytest.raises(DomainError, match="two different officers"):
        services.accept_batch(db.session, a, batch)
    # and the database refuses a second keying by the same officer outright
    with pytest.raises(IntegrityError):
        with db.session.begin_nested():
            db.session.add(PaperKeying(batch_id=batch.id, entry=2, officer_id=a.id, content_json="[]"))
            db.session.flush()
    # an over-budget paper must be marked spoilt, not keyed as a vote
    with pytest.raises(DomainError, match="Paper ballot 2: .*mark it spoilt"):
        services.key_batch(db.session, b, batch, [good[0], services.PaperRow({p[0]: 1, p[1]: 1, p[2]: 1}), good[2]])
    wrong = [services.PaperRow({p[0]: 1}), services.PaperRow({}), services.PaperRow({p[1]: 1})]
    services.key_batch(db.session, b, batch, wrong)
    db.session.commit()
    mismatches = services.batch_mismatches(batch)
    assert [m.position for m in mismatches] == [1, 3]
    assert mismatches[1].first.spoilt and mismatches[1].second.choices == {p[1]: 1}
    with pytest.raises(DomainError, match="disagree on 2 ballots"):
        services.accept_batch(db.session, a, batch)
    with pytest.raises(DomainError, match="Two officers have already keyed"):
        services.key_batch(db.session, c, batch, good)
    services.key_batch(db.session, b, batch, good)  # b re-checks the papers and corrects the keying
    assert services.batch_mismatches(batch) == []
    issue_papers(batch.heading, batch.size)
    assert services.accept_batch(db.session, c, batch) == 3
    db.session.commit()
    # the audit log holds a fingerprint of each keying and of what was accepted: the accepted one is the agreed one
    import json

    from app.core.models import AuditEntry

    def logged(action: str) -> list[dict]:  # type: ignore[type-arg]
        rows = db.session.execute(select(AuditEntry).where(AuditEntry.action == action).order_by(AuditEntry.id)).scalars()
        return [json.loads(e.data_json) for e in rows]

    keyed, accepted = logged("budget.paper_batch_keyed"), logged("budget.paper_batch_accepted")
    assert len(keyed) == 4 and accepted[-1]["content_sha256"] == keyed[3]["content_sha256"] == keyed[1]["content_sha256"]
    assert keyed[2]["content_sha256"] != keyed[1]["content_sha256"]  # the mistaken keying
    paper = list(db.session.execute(select(BudgetBallot).where(BudgetBallot.paper_batch_id == batch.id).order_by(BudgetBallot.batch_position)).scalars())
    assert [(x.channel, x.is_spoilt, sorted(ch.project_id for ch in x.choices)) for x in paper] == [
        ("paper", False, sorted([p[0], p[3]])), ("paper", False, []), ("paper", True, []),
    ]
    with pytest.raises(DomainError, match="already been accepted"):
        services.accept_batch(db.session, a, batch)
    with pytest.raises(DomainError, match="has been accepted"):
        services.key_batch(db.session, a, batch, good)
    # turnout keeps channels apart; the spoilt paper is not counted
    online = make_user(postcode="PE13 1AG")
    services.cast_ballot(db.session, online, heading, {p[1]: 1})
    db.session.commit()
    advance(process, Phase.REVIEWING_BALLOTS)
    count = services.run_count(db.session, a, heading)
    assert (count.online_ballots, count.paper_ballots, count.spoilt_ballots) == (1, 2, 1)


def test_paper_pages(browser):  # type: ignore[no-untyped-def]
    process, heading = make_budget(ballot_type=BallotType.CUMULATIVE, max_points=5)
    officer = make_user(Role.OFFICER)
    browser.sign_in(officer.email, PASSWORD)
    html = browser.submit(f"/budgets/headings/{heading.id}/paper", {"number": "2", "size": "2"}).get_data(as_text=True)
    assert "Batch 2 created" in html and "Paper ballot 2" in html and 'type="number"' in html
    batch_id = int(html.split("/budgets/batches/")[1].split('"')[0].split("/")[0])
    p = [x.id for x in heading.projects]
    html = browser.submit(f"/budgets/batches/{batch_id}/key", {f"b1_p{p[0]}": "6"}).get_data(as_text=True)
    assert "You gave 6 points" in html and "There is a problem" in html
    html = browser.submit(f"/budgets/batches/{batch_id}/key", {f"b1_p{p[0]}": "3", f"b1_p{p[1]}": "2"}).get_data(as_text=True)
    assert "Your keying of batch 2 is saved" in html and "needs keying by two different officers" in html
    # closed once the process finishes (the half-keyed batch is discarded first: it would stop publishing)
    services.cast_ballot(db.session, make_user(postcode="PE13 1AG"), heading, {p[0]: 2})
    advance(process, Phase.REVIEWING_BALLOTS)
    services.discard_batch(db.session, officer, db.session.get(PaperBatch, batch_id))
    services.run_count(db.session, officer, heading)
    db.session.commit()
    advance(process, Phase.FINISHED)
    assert browser.get(f"/budgets/headings/{heading.id}/paper").status_code == 403
    resident = make_user(postcode="PE13 1AG")
    browser.sign_out()
    browser.sign_in(resident.email, PASSWORD)
    assert browser.get(f"/budgets/headings/{heading.id}/paper").status_code == 403


def test_a_batch_started_in_error_is_discarded_before_acceptance(browser):  # type: ignore[no-untyped-def]
    import json

    from app.core.models import AuditEntry
    from tests.conftest import csrf_from

    process, heading = make_budget()
    a, b = make_user(Role.OFFICER), make_user(Role.OFFICER)
    p = heading.projects[0].id
    wrong = services.create_batch(db.session, a, heading, 3, 30)  # the bundle holds 20, not 30
    services.key_batch(db.session, a, wrong, [services.PaperRow({})] * 30)
    db.session.commit()
    wrong_id = wrong.id
    browser.sign_in(b.email, PASSWORD)
    page = browser.get(f"/budgets/batches/{wrong_id}").get_data(as_text=True)
    assert "Discard batch 3" in page
    html = browser.client.post(f"/budgets/batches/{wrong_id}/discard", data={"csrf_token": csrf_from(page)}, follow_redirects=True).get_data(as_text=True)
    assert "Batch 3 discarded." in html and "No batches yet." in html
    assert db.session.get(PaperBatch, wrong_id) is None
    assert db.session.execute(select(PaperKeying).where(PaperKeying.batch_id == wrong_id)).first() is None
    entry = db.session.execute(select(AuditEntry).where(AuditEntry.action == "budget.paper_batch_discarded")).scalar_one()
    assert json.loads(entry.data_json) == {"heading_id": heading.id, "number": 3, "size": 30, "keyings": 1}
    assert entry.actor_id == b.id and entry.object_id == str(wrong_id)
    # the number is free again; an accepted batch cannot be discarded
    batch = services.create_batch(db.session, a, heading, 3, 1)
    services.key_batch(db.session, a, batch, [services.PaperRow({p: 1})])
    services.key_batch(db.session, b, batch, [services.PaperRow({p: 1})])
    issue_papers(batch.heading, batch.size)
    services.accept_batch(db.session, a, batch)
    db.session.commit()
    page = browser.get(f"/budgets/batches/{batch.id}").get_data(as_text=True)
    assert "Discard batch" not in page
    with pytest.raises(DomainError, match="its ballots stay in the count"):
        services.discard_batch(db.session, a, batch)
    db.session.rollback()
    assert db.session.execute(select(BudgetBallot).where(BudgetBallot.paper_batch_id == batch.id)).scalar_one().channel == "paper"
    # a batch still being keyed stops the results being published, until it is accepted or discarded
    other = services.create_batch(db.session, a, heading, 4, 1)
    db.session.commit()
    advance(process, Phase.REVIEWING_BALLOTS)
    services.run_count(db.session, a, heading)
    db.session.commit()
    with pytest.raises(DomainError, match="Paper batch 4 of Fenland is still being keyed"):
        advance(process, Phase.FINISHED)
    db.session.rollback()
    services.discard_batch(db.session, a, other)
    db.session.commit()
    advance(process, Phase.FINISHED)
    # and once the process has finished, batches are closed
    assert browser.client.post(f"/budgets/batches/{batch.id}/discard", data={"csrf_token": csrf_from(page)}).status_code == 403
    assert browser.get(f"/budgets/batches/{batch.id}").status_code == 403


def test_process_page_lists_what_stops_publishing(browser):  # type: ignore[no-untyped-def]
    process, heading = make_budget()
    officer = make_user(Role.OFFICER)
    services.create_batch(db.session, officer, heading, 9, 2)
    services.cast_ballot(db.session, make_user(postcode="PE13 1AG"), heading, {heading.projects[0].id: 1})
    db.session.commit()
    advance(process, Phase.REVIEWING_BALLOTS)
    browser.sign_in(officer.email, PASSWORD)
    html = browser.get(f"/budgets/{process.id}").get_data(as_text=True)
    assert "Before the results can be published:" in html
    assert "Paper batch 9 of Fenland is still being keyed." in html and "Fenland has no count" in html
    services.discard_batch(db.session, officer, queries_batches(heading)[0])
    services.run_count(db.session, officer, heading)
    db.session.commit()
    assert "Before the results can be published:" not in browser.get(f"/budgets/{process.id}").get_data(as_text=True)


def queries_batches(heading):  # type: ignore[no-untyped-def]
    from app.budgets import queries

    return queries.batches(db.session, heading)
