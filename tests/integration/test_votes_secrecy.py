"""Ballot secrecy: no page, export or log links a resident to the content of their ballot.  The one
exception is a delegate's ballot, shown to the members whose vote it casts.

The walk visits every GET page of the voting and delegation features (and the place pages, notifications
and audit log, which they feed) as everyone involved, and checks each page for every other voter's ranking,
as an ordered list or as the pre-selected ranks of a ballot form; then the ballot file (web and CLI), the
CLI's JSON, the audit log's data and the application log.
"""

from __future__ import annotations

import logging
import re
from html.parser import HTMLParser

import pytest
from sqlalchemy import select

from app.auth.models import Role
from app.core.models import AuditEntry
from app.extensions import db
from tests.factories import PASSWORD, make_user
from tests.factories_votes import cambs, cast, close_and_publish, delegate, make_vote, offer, resident  # noqa: F401

pytestmark = pytest.mark.usefixtures("cambs")
OPTIONS = ("Alpha", "Bravo", "Charlie", "Delta", "Echo")


class _Lists(HTMLParser):
    """Every <ol>/<ul> as its items' texts, and every form's pre-selected ranks (option title -> rank)."""

    def __init__(self, labels: dict[str, str]) -> None:
        super().__init__()
        self.lists: list[list[str]] = []
        self._stack: list[list[str]] = []
        self._li: list[str] | None = None
        self.selected: dict[str, int] = {}
        self._select: str | None = None
        self._option_selected = False
        self._option_text = ""
        self.labels = labels

    def handle_starttag(self, tag, attrs):  # type: ignore[no-untyped-def]
        a = dict(attrs)
        if tag in ("ol", "ul"):
            self._stack.append([])
        elif tag == "li":
            self._li = []
        elif tag == "select":
            self._select = a.get("id")
        elif tag == "option":
            self._option_selected = "selected" in a
            self._option_value = a.get("value") or ""

    def handle_endtag(self, tag):  # type: ignore[no-untyped-def]
        if tag == "li" and self._li is not None and self._stack:
            self._stack[-1].append("".join(self._li).strip())
            self._li = None
        elif tag in ("ol", "ul") and self._stack:
            self.lists.append(self._stack.pop())
        elif tag == "option" and self._option_selected and self._select and self._option_value.isdigit():
            self.selected[self.labels.get(self._select, self._select)] = int(self._option_value)
        elif tag == "select":
            self._select = None

    def handle_data(self, data):  # type: ignore[no-untyped-def]
        if self._li is not None:
            self._li.append(data)


def _shows(html: str, ranking: tuple[str, ...], labels: dict[str, str]) -> bool:
    parser = _Lists(labels)
    parser.feed(html)
    k = len(ranking)
    for items in parser.lists:
        for i in range(len(items) - k + 1):
            if tuple(items[i : i + k]) == ranking:
                return True
    selected = tuple(t for t, _r in sorted(parser.selected.items(), key=lambda x: x[1]))
    return selected[:k] == ranking and len(selected) >= k


def test_no_page_export_or_log_links_a_resident_to_their_ballot(app, client, browser, caplog, tmp_path):
    caplog.set_level(logging.DEBUG)
    d = offer(resident("Delegate Dee"), name_in_results=True)
    member = resident("Member Mo")
    delegate(member, d)
    v1, v2 = resident("Voter One"), resident("Voter Two")
    officer, admin = make_user(Role.OFFICER), make_user(Role.ADMINISTRATOR)
    rankings = {v1.id: ("Echo", "Alpha", "Delta"), v2.id: ("Charlie", "Bravo", "Echo"), d.id: ("Bravo", "Delta", "Alpha")}
    published = make_vote(OPTIONS, seed=3)
    open_vote = make_vote(OPTIONS, seed=4)
    codes = {}
    for voter in (v1, v2, d):
        codes[voter.id] = cast(voter, published, *rankings[voter.id])
        cast(voter, open_vote, *rankings[voter.id])
    close_and_publish(published)
    labels = {f"rank_{o.id}": o.title for v in (published, open_vote) for o in v.options}

    pages = ["/votes/", f"/votes/receipt?code={codes[v1.id]}", "/delegation/delegates", "/places/", "/places/E07000010",
             "/places/DEMO-FEN-MAN", "/audit", "/deliberation/notifications"]
    for v in (published, open_vote):
        pages += [f"/votes/{v.id}", f"/votes/{v.id}/ballot", f"/votes/{v.id}/ballot?from=delegate", f"/votes/{v.id}/delegate",
                  f"/votes/{v.id}/results", f"/votes/{v.id}/publish", f"/votes/{v.id}/close", f"/votes/{v.id}/assisted"]
    pages += [f"/delegation/delegates/{d.id}", f"/delegation/delegates/{d.id}/group"]
    from app.core.count_jobs import CountJob  # the page saying how a close in the background went

    job = CountJob(kind="vote", object_id=published.id, state="done", locale="en", requested_by_id=officer.id)
    db.session.add(job)
    db.session.commit()
    pages += [f"/votes/{published.id}/close/{job.id}"]
    pages += [r.rule for r in app.url_map.iter_rules()
              if r.endpoint.split(".")[0] in ("delegation", "voting") and "GET" in r.methods and not r.arguments]
    walked = {rule.endpoint for rule in app.url_map.iter_rules() if rule.endpoint.split(".")[0] in ("delegation", "voting")}
    visited: set[str] = set()
    detected: set[tuple[int, int, str]] = set()  # (viewer, voter, url) where the allowed ballot was seen

    for viewer in (None, v1, v2, member, d, officer, admin):
        if viewer is not None:
            browser.sign_in(viewer.email, PASSWORD)
        for url in pages:
            resp = client.get(url)
            if resp.status_code != 200:
                continue
            endpoint = app.url_map.bind("localhost").match(url.split("?")[0])[0]
            visited.add(endpoint)
            html = resp.get_data(as_text=True)
            for voter_id, ranking in rankings.items():
                allowed = viewer is not None and (viewer.id == voter_id or (voter_id == d.id and viewer.id == member.id))
                if allowed and _shows(html, ranking, labels):
                    detected.add((viewer.id, voter_id, url))
                if not allowed:
                    assert not _shows(html, ranking, labels), f"{url} shows voter {voter_id}'s ballot to {viewer and viewer.id}"
        if viewer is not None:
            browser.sign_out()
    # the check does see a ballot where it is allowed: one's own, and the delegate's for their delegator
    assert (v1.id, v1.id, f"/votes/{open_vote.id}/ballot") in detected
    assert (member.id, d.id, f"/votes/{published.id}/delegate") in detected
    assert (member.id, d.id, f"/votes/{open_vote.id}/ballot?from=delegate") in detected
    # every page type of both features was walked, except the POST-only revoke
    assert walked - visited <= {"voting.results_file", "delegation.revoke"}, walked - visited
    # the ballot file: rankings and weights, never who
    blt = client.get(f"/votes/{published.id}/ballots.blt").get_data(as_text=True)
    runner = app.test_cli_runner()
    path = tmp_path / "x.blt"
    runner.invoke(args=["votes", "export", str(published.id), str(path)])
    cli_json = runner.invoke(args=["votes", "result", str(published.id), "--json"]).output
    for text in (blt, path.read_text(), cli_json):
        for person in (v1, v2, d, member):
            assert person.public_name not in text and person.email not in text
    # the audit log and the application log carry no ranking
    option_ids = {str(o.id) for v in (published, open_vote) for o in v.options}
    for entry in db.session.execute(select(AuditEntry)).scalars():
        assert "ranking" not in entry.data_json
        if entry.action.startswith("vote.") and entry.action != "vote.created":
            data = entry.data_json
            assert not re.search(r'"ranking"|"choices"', data)
    log = caplog.text
    for ranking in rankings.values():
        assert ", ".join(ranking) not in log and ",".join(ranking) not in log
    assert option_ids  # the vote had options to leak, and none leaked
