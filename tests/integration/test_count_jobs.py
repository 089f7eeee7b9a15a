"""Counts in the background (issue 11 §4): a budget heading's count and a vote's close go through
``app/core/jobs.py`` as count jobs.  The officer's request leads to a page that says "counting… / done" with a
plain refresh link; the stored count is the one the service gives when called directly (same seed, same record);
a second request while one is queued or running starts nothing; a failure is shown and audited."""

from __future__ import annotations

import json
import re
import uuid
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import func, select

from app.auth.models import Role
from app.budgets import count_jobs as budget_jobs
from app.budgets import services
from app.budgets.models import BudgetCount, Phase, Rule
from app.core import count_jobs, jobs
from app.core.count_jobs import CountJob, CountState
from app.core.db import utcnow
from app.core.models import AuditEntry
from app.extensions import db
from app.voting import count_jobs as vote_jobs
from app.voting import counting
from app.voting.models import Vote, VoteCount, VoteState
from tests.conftest import csrf_from, require_service
from tests.factories import PASSWORD, make_user
from tests.factories_budgets import advance, cambs, make_budget, voters  # noqa: F401  (cambs is a fixture)
from tests.factories_votes import cast, delegate, make_vote, offer, resident

pytestmark = pytest.mark.usefixtures("cambs")

REDIS = "redis://127.0.0.1:6379/5"
COUNT_FIELDS = ("rule", "completion", "seed", "inputs_hash", "software_version", "online_ballots", "paper_ballots",
                "spoilt_ballots", "min_support", "result_json")
CLOSE_FIELDS = ("rule", "seed", "inputs_hash", "software_version", "blt_text", "result_json", "figures_json", "snapshot_size")


@pytest.fixture
def after_response(app, monkeypatch):  # type: ignore[no-untyped-def]
    """No Redis and no JOBS_INLINE: jobs run in-process once the response has been sent (closed)."""
    monkeypatch.setitem(app.config, "JOBS_INLINE", False)
    monkeypatch.setitem(app.config, "JOBS_REDIS_URL", None)


def _budget_to_count():  # type: ignore[no-untyped-def]
    """Equal votes and equal costs: the order is drawn by lot with the process's seed, so a different seed or
    record would show."""
    process, heading = make_budget(projects=[(f"Project {i}", 1_000_00) for i in range(6)], amount=3_000_00,
                                   rule=Rule.GREEDY, seed=99)
    ids = [p.id for p in heading.projects]
    for v in voters(3):
        services.cast_ballot(db.session, v, heading, {i: 1 for i in ids})
    db.session.commit()
    advance(process, Phase.REVIEWING_BALLOTS)
    return process, heading


def _vote_to_close() -> Vote:
    """A vote with delegated weight, past its closing time."""
    d = offer(resident("Delegate Dora"))
    for i in range(3):
        delegate(resident(f"Follower {i}"), d)
    vote = make_vote()
    cast(d, vote, "Library hub", "Play area")
    cast(resident("Solo"), vote, "Bus shelter", "Play area")
    cast(resident("Other"), vote, "Play area")
    vote.closes_at = utcnow() - timedelta(minutes=1)
    db.session.commit()
    return vote


def _fields(row: Any, names: tuple[str, ...]) -> dict[str, Any]:
    return {n: getattr(row, n) for n in names}


def _direct_budget_count(heading) -> tuple[dict[str, Any], dict[str, Any]]:  # type: ignore[no-untyped-def]
    """What a synchronous count stores and audits (then rolled back): the record the job must reproduce."""
    row = services.run_count(db.session, make_user(Role.OFFICER), heading)
    entry = _last_audit("budget.count")
    expected = _fields(row, COUNT_FIELDS), json.loads(entry.data_json)
    db.session.rollback()
    return expected


def _direct_close(vote: Vote) -> tuple[dict[str, Any], dict[str, Any]]:
    row = counting.close_vote(db.session, make_user(Role.OFFICER), vote)
    entry = _last_audit("vote.closed")
    expected = _fields(row, CLOSE_FIELDS), json.loads(entry.data_json)
    db.session.rollback()
    return expected


def _last_audit(action: str) -> AuditEntry:
    return db.session.execute(select(AuditEntry).where(AuditEntry.action == action)
                              .order_by(AuditEntry.id.desc()).limit(1)).scalar_one()


def _officer_signed_in(browser):  # type: ignore[no-untyped-def]
    officer = make_user(Role.OFFICER, name="Olive Officer")
    browser.sign_in(officer.email, PASSWORD)
    return officer


def _refresh_link(html: str, url: str) -> bool:
    return re.search(rf'<a [^>]*href="{re.escape(url)}"[^>]*>Refresh this page</a>', html) is not None


def _jobs(kind: str, object_id: int) -> list[CountJob]:
    return list(db.session.execute(select(CountJob).where(CountJob.kind == kind, CountJob.object_id == object_id)
                                   .order_by(CountJob.id)).scalars())


# --------------------------------------------------------------------------------------- without Redis, in-process


def test_a_budget_count_runs_after_the_response_and_stores_what_a_direct_count_stores(browser, after_response):
    process, heading = _budget_to_count()
    expected, expected_audit = _direct_budget_count(heading)
    officer = _officer_signed_in(browser)
    posted = browser.submit(f"/budgets/headings/{heading.id}/count", {}, follow=False)
    assert posted.status_code == 302
    [job] = _jobs("budget", heading.id)
    progress = f"/budgets/headings/{heading.id}/count/{job.id}"
    assert posted.headers["Location"].endswith(progress)
    # the response has not been sent yet: nothing counted, the page says so and offers a plain refresh link
    assert job.state == CountState.QUEUED.value and job.requested_by_id == officer.id and job.created_at
    html = browser.get(progress).get_data(as_text=True)
    assert "Counting…" in html and "Waiting to start. Asked for by Olive Officer" in html
    assert re.search(r"<title>[^<]*Counting…", html)  # heard first after each refresh
    assert _refresh_link(html, progress) and 'http-equiv="refresh"' not in html
    assert db.session.execute(select(func.count(BudgetCount.id))).scalar_one() == 0
    count_page = browser.get(f"/budgets/headings/{heading.id}/count").get_data(as_text=True)
    assert "See how the count is going" in count_page and "Run the count" not in count_page
    posted.close()  # the server closes the response once sent: the job runs now
    db.session.expire_all()
    job = db.session.get(CountJob, job.id)
    assert job.state == CountState.DONE.value and job.active_key is None and job.started_at and job.finished_at
    html = browser.get(progress).get_data(as_text=True)
    assert "Done." in html and "The count finished" in html and "Counting…" not in html
    assert f'href="/budgets/headings/{heading.id}/results"' in html
    results = browser.get(f"/budgets/headings/{heading.id}/results").get_data(as_text=True)
    assert "Preview for officers" in results
    stored = services.latest_count(db.session, heading)
    assert stored.id == job.result_id and stored.created_by_id == officer.id
    assert _fields(stored, COUNT_FIELDS) == expected and json.loads(stored.result_json)["lots"]
    assert json.loads(_last_audit("budget.count").data_json) == expected_audit
    assert _last_audit("budget.count").actor_id == officer.id
    requested = _last_audit("budget.count_requested")
    assert requested.actor_id == officer.id and requested.object_id == str(job.id)


def test_a_vote_closes_after_the_response_and_stores_what_a_direct_close_stores(browser, after_response):
    vote = _vote_to_close()
    expected, expected_audit = _direct_close(vote)
    officer = _officer_signed_in(browser)
    posted = browser.submit(f"/votes/{vote.id}/close", {}, follow=False)
    [job] = _jobs("vote", vote.id)
    progress = f"/votes/{vote.id}/close/{job.id}"
    assert posted.status_code == 302 and posted.headers["Location"].endswith(progress)
    html = browser.get(progress).get_data(as_text=True)
    assert "Counting…" in html and _refresh_link(html, progress)
    assert db.session.get(Vote, vote.id).state == VoteState.OPEN.value
    posted.close()
    db.session.expire_all()
    assert db.session.get(CountJob, job.id).state == CountState.DONE.value
    html = browser.get(progress).get_data(as_text=True)
    assert "Done." in html and f'href="/votes/{vote.id}/publish"' in html
    assert "Concentration of weight" in browser.get(f"/votes/{vote.id}/publish").get_data(as_text=True)
    stored = counting.count_of(db.session, vote)
    assert stored.id == db.session.get(CountJob, job.id).result_id and stored.created_by_id == officer.id
    assert _fields(stored, CLOSE_FIELDS) == expected
    assert json.loads(_last_audit("vote.closed").data_json) == expected_audit
    # closed now: a second request is refused on the form, as before
    html = browser.client.post(f"/votes/{vote.id}/close", data={"csrf_token": csrf_from(browser.get(f"/votes/{vote.id}/close").get_data(as_text=True))},
                               follow_redirects=True).get_data(as_text=True)
    assert "This vote is already closed." in html and len(_jobs("vote", vote.id)) == 1


def test_with_jobs_run_at_once_the_officer_lands_on_the_results_as_before(browser):
    process, heading = _budget_to_count()
    _officer_signed_in(browser)
    html = browser.submit(f"/budgets/headings/{heading.id}/count", {}).get_data(as_text=True)
    assert "Count stored. Check the results before publishing." in html and "Preview for officers" in html
    assert [j.state for j in _jobs("budget", heading.id)] == ["done"]


# --------------------------------------------------------------------------------------------- no duplicates


def test_a_second_request_while_one_waits_starts_no_second_count(browser, after_response):
    process, heading = _budget_to_count()
    _officer_signed_in(browser)
    url = f"/budgets/headings/{heading.id}/count"
    token = csrf_from(browser.get(url).get_data(as_text=True))
    first = browser.client.post(url, data={"csrf_token": token})
    second = browser.client.post(url, data={"csrf_token": token})
    [job] = _jobs("budget", heading.id)
    assert first.headers["Location"] == second.headers["Location"] and first.headers["Location"].endswith(f"/count/{job.id}")
    html = browser.get(second.headers["Location"]).get_data(as_text=True)
    assert "This heading is already being counted: a second count was not started." in html
    second.close()  # nothing was enqueued by the second request
    assert db.session.execute(select(func.count(BudgetCount.id))).scalar_one() == 0
    first.close()
    assert db.session.execute(select(func.count(BudgetCount.id))).scalar_one() == 1
    assert len(_jobs("budget", heading.id)) == 1
    assert len(list(db.session.execute(select(AuditEntry).where(AuditEntry.action == "budget.count")).scalars())) == 1
    # once done, another count may be asked for (a recount after paper ballots, say)
    html = browser.submit(url, {}, follow=False)
    assert len(_jobs("budget", heading.id)) == 2
    html.close()


def test_two_requests_at_the_same_moment_find_one_job(app, monkeypatch):
    """The database refuses a second active job (``active_key`` is unique), even when both requests looked
    before either had stored its job."""
    process, heading = _budget_to_count()
    officer = make_user(Role.OFFICER)
    first, created = budget_jobs.request_count(db.session, officer, heading, "en")
    db.session.commit()
    assert created
    real = count_jobs.active_job
    calls = []

    def missed_it(session, kind, object_id):  # type: ignore[no-untyped-def]
        calls.append(kind)
        return None if len(calls) == 1 else real(session, kind, object_id)  # the first look comes too early

    monkeypatch.setattr(count_jobs, "active_job", missed_it)
    again, created = budget_jobs.request_count(db.session, officer, heading, "en")
    db.session.commit()
    assert not created and again.id == first.id and len(calls) == 2
    assert len(_jobs("budget", heading.id)) == 1


def test_a_job_lost_long_ago_is_failed_and_a_new_one_starts(app):
    process, heading = _budget_to_count()
    officer = make_user(Role.OFFICER)
    lost, _ = budget_jobs.request_count(db.session, officer, heading, "en")
    lost.state, lost.created_at = CountState.RUNNING.value, utcnow() - count_jobs.abandon_after() - timedelta(minutes=1)
    db.session.commit()
    fresh, created = budget_jobs.request_count(db.session, officer, heading, "en")
    db.session.commit()
    assert created and fresh.id != lost.id
    db.session.refresh(lost)
    assert lost.state == CountState.FAILED.value and "stopped or lost" in (lost.error or "")
    assert _last_audit("budget.count_failed").object_id == str(lost.id)
    jobs.run_job(budget_jobs.JOB, lost.id)  # a lost job that turns up later does nothing
    assert db.session.execute(select(func.count(BudgetCount.id))).scalar_one() == 0


# ----------------------------------------------------------------------------------------------------- failures


def test_a_refused_count_fails_in_the_officers_language_and_is_audited(browser, after_response):
    vote = _vote_to_close()
    _officer_signed_in(browser)
    pl = {"Accept-Language": "pl"}
    posted = browser.submit(f"/votes/{vote.id}/close", {}, follow=False, headers=pl)
    [job] = _jobs("vote", vote.id)
    assert job.locale == "pl"
    db.session.get(Vote, vote.id).closes_at = utcnow() + timedelta(days=1)  # reopened before the job ran
    db.session.commit()
    posted.close()
    db.session.expire_all()
    job = db.session.get(CountJob, job.id)
    assert job.state == CountState.FAILED.value and job.active_key is None and job.result_id is None
    assert job.error and job.error.startswith("To głosowanie zamyka się")
    entry = _last_audit("vote.count_failed")
    assert entry.object_type == "count_jobs" and entry.object_id == str(job.id) and entry.actor_id == job.requested_by_id
    assert json.loads(entry.data_json) == {"kind": "vote", "object_id": vote.id, "error": job.error}
    assert counting.count_of(db.session, vote) is None and db.session.get(Vote, vote.id).state == VoteState.OPEN.value
    html = browser.get(f"/votes/{vote.id}/close/{job.id}", headers=pl).get_data(as_text=True)
    assert "Liczenie głosów nie powiodło się." in html and "To głosowanie zamyka się" in html
    assert f'href="/votes/{vote.id}/close"' in html and "Odśwież tę stronę" not in html
    html = browser.get(f"/votes/{vote.id}/close").get_data(as_text=True)
    assert "The last count failed." in html and "Close the vote and count" in html  # may be asked again


def test_an_error_in_the_software_fails_the_job_and_stores_nothing(browser, after_response, monkeypatch, caplog):
    process, heading = _budget_to_count()
    _officer_signed_in(browser)

    def broken(session, actor, heading):  # type: ignore[no-untyped-def]
        services.counting.audit.record(session, "budget.count", actor=actor, data={"half": "done"})  # rolled back
        raise RuntimeError("solver crashed")

    monkeypatch.setattr(services, "run_count", broken)
    posted = browser.submit(f"/budgets/headings/{heading.id}/count", {}, follow=False)
    posted.close()
    [job] = _jobs("budget", heading.id)
    assert job.state == CountState.FAILED.value and "error in the software" in (job.error or "")
    assert "solver crashed" not in (job.error or "") and "solver crashed" in caplog.text
    assert db.session.execute(select(func.count(AuditEntry.id)).where(AuditEntry.action == "budget.count")).scalar_one() == 0
    assert _last_audit("budget.count_failed").object_id == str(job.id)
    html = browser.get(f"/budgets/headings/{heading.id}/count/{job.id}").get_data(as_text=True)
    assert "The count failed." in html and "Nothing from this count was stored." in html


def test_progress_pages_are_for_officers_and_for_their_own_object(browser):
    process, heading = _budget_to_count()
    other_process, other = make_budget(title="Another fund")
    officer = make_user(Role.OFFICER)
    job, _ = budget_jobs.request_count(db.session, officer, heading, "en")
    db.session.commit()
    assert browser.get(f"/budgets/headings/{heading.id}/count/{job.id}").status_code == 302  # to sign in
    browser.sign_in(resident("Rita").email, PASSWORD)
    assert browser.get(f"/budgets/headings/{heading.id}/count/{job.id}").status_code == 403
    browser.sign_out()
    browser.sign_in(officer.email, PASSWORD)
    assert browser.get(f"/budgets/headings/{heading.id}/count/{job.id}").status_code == 200
    assert browser.get(f"/budgets/headings/{other.id}/count/{job.id}").status_code == 404  # not this heading's job
    assert browser.get(f"/votes/{make_vote().id}/close/{job.id}").status_code == 404  # nor a vote's


# --------------------------------------------------------------------------------------------------- with Redis


def _redis_reason() -> str | None:
    try:
        from redis import Redis

        Redis.from_url(REDIS, socket_connect_timeout=2).ping()
    except Exception as exc:  # noqa: BLE001
        return f"Redis at {REDIS} did not answer ({exc.__class__.__name__}): the RQ path of count jobs needs it"
    return None


def test_with_redis_counts_wait_on_the_queue_until_a_worker_runs_them(browser, app, monkeypatch):
    require_service(_redis_reason())
    from rq import SimpleWorker

    monkeypatch.setitem(app.config, "JOBS_INLINE", False)
    monkeypatch.setitem(app.config, "JOBS_REDIS_URL", REDIS)
    monkeypatch.setitem(app.config, "JOBS_QUEUE", f"folkmoot-test-counts-{uuid.uuid4().hex[:8]}")
    process, heading = _budget_to_count()
    vote = _vote_to_close()
    expected_count, _ = _direct_budget_count(heading)
    expected_close, _ = _direct_close(vote)
    q = jobs.queue()
    try:
        _officer_signed_in(browser)
        posted = browser.submit(f"/budgets/headings/{heading.id}/count", {}, follow=False)
        posted.close()  # sent: with Redis nothing runs in the web process
        browser.submit(f"/votes/{vote.id}/close", {}, follow=False).close()
        [count_job], [close_job] = _jobs("budget", heading.id), _jobs("vote", vote.id)
        assert len(q) == 2 and count_job.state == close_job.state == CountState.QUEUED.value
        progress = posted.headers["Location"]
        assert "Waiting to start" in browser.get(progress).get_data(as_text=True)
        again = browser.client.post(f"/votes/{vote.id}/close", data={"csrf_token": csrf_from(browser.get("/").get_data(as_text=True))})
        assert again.headers["Location"].endswith(f"/close/{close_job.id}") and len(q) == 2  # nothing more queued
        assert SimpleWorker([q], connection=q.connection).work(burst=True)
        assert len(q) == 0
        db.session.expire_all()
        assert db.session.get(CountJob, count_job.id).state == db.session.get(CountJob, close_job.id).state == "done"
        assert "Done." in browser.get(progress).get_data(as_text=True)
        assert _fields(services.latest_count(db.session, heading), COUNT_FIELDS) == expected_count
        assert _fields(counting.count_of(db.session, vote), CLOSE_FIELDS) == expected_close
        assert db.session.execute(select(func.count(VoteCount.id))).scalar_one() == 1
    finally:
        q.delete(delete_jobs=True)


def test_a_vote_not_yet_closing_is_refused_at_once_and_nothing_is_queued(browser, after_response):
    vote = make_vote()  # closes in a week
    from app.core.errors import DomainError

    with pytest.raises(DomainError, match="It can be counted after that"):
        vote_jobs.request_close(db.session, make_user(Role.OFFICER), vote, "en")
    db.session.rollback()
    _officer_signed_in(browser)
    html = browser.submit(f"/votes/{vote.id}/close", {}).get_data(as_text=True)
    assert "closes on" in html and 'href="#' in html  # on the form's error summary, as before
    from app.core.i18n import moment

    # the closing time as every other date is shown (through Babel, in the officer's language), not ISO
    assert moment(vote.closes_at) in html and vote.closes_at.strftime("%Y-%m-%d") not in html
    assert _jobs("vote", vote.id) == []
