"""The open-data API: no personal data anywhere (walked page by page over the demo), only what public pages show,
pagination with links and bounds, ETag / If-None-Match, CORS, the rate limit, and problem+json errors."""

from __future__ import annotations

import json
import re
from collections import deque
from datetime import timedelta

from sqlalchemy import select

from app.budgets.models import BallotType, Completion, Rule
from app.core.db import utcnow
from app.extensions import db
from app.proposals.models import ProposalState
from tests.factories import make_user
from tests.factories_deliberation import make_place, make_proposal

EMAIL = re.compile(r"[\w.+-]+@[\w-]+\.[\w.-]+")
FULL_POSTCODE = re.compile(r"\b[A-Z]{1,2}\d[A-Z\d]? \d[A-Z]{2}\b")  # a sector (e.g. "CB1 2") is as fine as it gets
BASE = "http://localhost/api/v1"


def walk(client, start: str = "/api/v1/") -> dict[str, str]:  # type: ignore[no-untyped-def]
    """Every API resource reachable from ``start`` by the links in its answers (every page of every list, ten
    items a page, through the next and last links), as {path: body}."""
    seen: dict[str, str] = {}
    queue = deque([start])
    while queue:
        path = queue.popleft()
        if path in seen:
            continue
        resp = client.get(path)
        assert resp.status_code == 200, (path, resp.status_code, resp.get_data(as_text=True)[:300])
        body = resp.get_data(as_text=True)
        seen[path] = body
        if resp.mimetype != "application/json":
            continue
        for url in re.findall(rf'"({re.escape(BASE)}[^"]*)"', body):
            nxt = url.removeprefix("http://localhost")
            if re.fullmatch(r"/api/v1/(places|budgets|proposals|votes|panels)", nxt):  # a list: page by page
                nxt += "?page=1&per_page=10"
            if nxt not in seen and "/openapi.json" not in nxt:
                queue.append(nxt)
    return seen


def personal_data(session) -> dict[str, list[str]]:  # type: ignore[no-untyped-def]
    """What must never be published: every e-mail address, the name of every resident who is not a public
    delegate, every respondent's contact details, and every full postcode the database knows."""
    from app.auth.models import User
    from app.delegation.models import DelegateProfile
    from app.panels.models import Address, Respondent
    from app.places.models import Postcode
    from app.proposals.models import OfflineContributor

    delegates = set(session.execute(select(DelegateProfile.user_id).where(DelegateProfile.is_active.is_(True))).scalars())
    users = session.execute(select(User)).scalars().all()
    respondents = session.execute(select(Respondent)).scalars().all()
    return {
        "emails": [u.email for u in users if u.email] + [r.email for r in respondents if r.email],
        "names": [u.display_name for u in users if u.display_name and u.id not in delegates]
        + [r.name for r in respondents if r.name]
        + list(session.execute(select(OfflineContributor.name)).scalars()),
        "phones": [r.phone for r in respondents if r.phone],
        "postcodes": sorted({p for p in [*session.execute(select(Postcode.postcode)).scalars(),
                                         *session.execute(select(Address.postcode)).scalars(),
                                         *(u.postcode for u in users if u.postcode)]}),
    }


def test_no_api_answer_holds_personal_data(client, demo):
    pages = walk(client)
    paths = set(pages)
    for resource in ("places", "budgets", "proposals", "votes", "panels"):
        assert f"/api/v1/{resource}?page=1&per_page=10" in paths
        assert any(re.fullmatch(rf"/api/v1/{resource}/\d+", p) for p in paths), resource
    assert any(p.startswith("/api/v1/budget-headings/") for p in paths)
    assert "/api/v1/places?page=3&per_page=10" in paths and "/api/v1/proposals?page=2&per_page=10" in paths
    forbidden = personal_data(db.session)
    assert len(forbidden["names"]) > 500 and forbidden["postcodes"]  # the demo's residents, voters and respondents
    text = "\n".join(pages.values())
    assert not EMAIL.findall(text), EMAIL.findall(text)[:5]
    assert not FULL_POSTCODE.findall(text), FULL_POSTCODE.findall(text)[:5]
    for code in forbidden["postcodes"]:
        compact = code.replace(" ", "")
        assert code not in text and re.search(rf"\b{compact}\b", text) is None, code
    words = sorted(set(forbidden["names"] + forbidden["phones"]), key=len, reverse=True)
    names = re.compile(r"(?<!\w)(?:{})(?!\w)".format("|".join(re.escape(w) for w in words)))
    assert names.findall("proposed by Priya Shah.") == ["Priya Shah"]  # the check would see a leak
    assert not names.findall(text), names.findall(text)[:5]
    # what the public pages do show is there: a published result, a public delegate named in it, a draw record
    votes = [json.loads(b) for p, b in pages.items() if re.fullmatch(r"/api/v1/votes/\d+", p)]
    published = [v for v in votes if v["result"]]
    assert published and any(t["name"] for v in published for t in v["result"]["turnout"]["top_weights"])
    assert all(v["result"] is None for v in votes if v["state"] != "published")
    panels = [json.loads(b) for p, b in pages.items() if re.fullmatch(r"/api/v1/panels/\d+", p)]
    drawn = [p for p in panels if p["draw"] and p["draw"]["result"]]
    assert drawn and drawn[0]["draw"]["result"]["selected"]
    assert set(drawn[0]["draw"]["result"]["selected"]) <= set(drawn[0]["draw"]["result"]["probabilities"])
    proposals = [json.loads(b) for p, b in pages.items() if re.fullmatch(r"/api/v1/proposals/\d+", p)]
    assert all(p["author"]["name"] is None for p in proposals if p["author"]["kind"] != "public_delegate")
    assert any(p["history"] for p in proposals)


def test_only_what_public_pages_show(client, app):
    author = make_user(name="Hidden Author")
    shown = make_proposal(author, ProposalState.PUBLISHED, title="A shown proposal")
    draft = make_proposal(author, ProposalState.DRAFT, title="A draft")
    hidden = make_proposal(author, ProposalState.PUBLISHED, title="A hidden one")
    hidden.hidden_at, hidden.hidden_reason = utcnow(), "Off topic"
    db.session.commit()
    listed = client.get("/api/v1/proposals").get_json()
    assert [p["id"] for p in listed["items"]] == [shown.id]
    assert listed["items"][0]["author"] == {"kind": "member", "name": None}
    assert "Hidden Author" not in client.get(f"/api/v1/proposals/{shown.id}").get_data(as_text=True)
    for p in (draft, hidden):
        assert client.get(f"/api/v1/proposals/{p.id}").status_code == 404


def test_a_draft_budget_is_not_found(client, app):
    from app.budgets import services
    from app.budgets.models import BudgetProcess

    place = make_place()
    officer = make_user()
    process = services.create_process(db.session, officer, services.ProcessData(
        title="Secret draft fund", description="", place=place, ballot_type=BallotType.APPROVAL, rule=Rule.GREEDY, completion=Completion.NONE,
        max_choices=None, max_points=None), seed=1)
    heading = services.add_heading(db.session, officer, process, place, place.name, 1000)
    db.session.commit()
    assert db.session.get(BudgetProcess, process.id).phase == "drafting"
    assert client.get("/api/v1/budgets").get_json()["total"] == 0
    assert client.get(f"/api/v1/budgets/{process.id}").status_code == 404
    assert client.get(f"/api/v1/budget-headings/{heading.id}").status_code == 404


def _places(n: int) -> None:
    for _ in range(n):
        make_place()


def test_pagination_links_totals_and_bounds(client, app):
    _places(7)
    first = client.get("/api/v1/places?per_page=3")
    assert first.status_code == 200
    page = first.get_json()
    assert (page["page"], page["per_page"], page["total"], page["pages"], len(page["items"])) == (1, 3, 7, 3, 3)
    links = page["links"]
    assert links["prev"] is None and links["first"] == f"{BASE}/places?page=1&per_page=3"
    assert links["next"] == f"{BASE}/places?page=2&per_page=3" and links["last"] == f"{BASE}/places?page=3&per_page=3"
    assert 'rel="next"' in first.headers["Link"] and 'rel="last"' in first.headers["Link"]
    last = client.get(links["last"].removeprefix("http://localhost")).get_json()
    assert len(last["items"]) == 1 and last["links"]["next"] is None and last["links"]["prev"].endswith("page=2&per_page=3")
    ids = [p["id"] for n in (1, 2, 3) for p in client.get(f"/api/v1/places?page={n}&per_page=3").get_json()["items"]]
    assert len(ids) == len(set(ids)) == 7
    beyond = client.get("/api/v1/places?page=9&per_page=3").get_json()
    assert beyond["items"] == [] and beyond["links"]["prev"].endswith("page=3&per_page=3")
    assert client.get("/api/v1/places").get_json()["per_page"] == 20
    assert client.get("/api/v1/places?per_page=100").status_code == 200
    for bad in ("per_page=0", "per_page=101", "per_page=abc", "page=0", "page=-1", "page=x"):
        resp = client.get(f"/api/v1/places?{bad}")
        assert resp.status_code == 400, bad
        assert resp.mimetype == "application/problem+json"
        problem = resp.get_json()
        assert problem["status"] == 400 and problem["invalid_params"][0]["name"] == bad.split("=")[0]


def test_etag_and_if_none_match(client, app):
    _places(2)
    first = client.get("/api/v1/places")
    etag = first.headers["ETag"]
    assert etag.startswith('"') and first.headers["Cache-Control"] == "public, no-cache"
    again = client.get("/api/v1/places", headers={"If-None-Match": etag})
    assert again.status_code == 304 and again.data == b"" and again.headers["ETag"] == etag
    assert again.headers["Access-Control-Allow-Origin"] == "*"
    assert client.get("/api/v1/places", headers={"If-None-Match": '"other"'}).status_code == 200
    make_place()  # the data changes, so does the tag
    changed = client.get("/api/v1/places", headers={"If-None-Match": etag})
    assert changed.status_code == 200 and changed.headers["ETag"] != etag
    place_id = changed.get_json()["items"][0]["id"]
    one = client.get(f"/api/v1/places/{place_id}")
    assert client.get(f"/api/v1/places/{place_id}", headers={"If-None-Match": one.headers["ETag"]}).status_code == 304


def test_cors_for_reading_and_preflight(client, app):
    resp = client.get("/api/v1/", headers={"Origin": "https://data.example.org"})
    assert resp.headers["Access-Control-Allow-Origin"] == "*"
    assert "ETag" in resp.headers["Access-Control-Expose-Headers"] and "Link" in resp.headers["Access-Control-Expose-Headers"]
    pre = client.options("/api/v1/places", headers={"Origin": "https://data.example.org", "Access-Control-Request-Method": "GET",
                                                    "Access-Control-Request-Headers": "If-None-Match"})
    assert pre.status_code == 200
    assert pre.headers["Access-Control-Allow-Origin"] == "*"
    assert "GET" in pre.headers["Access-Control-Allow-Methods"] and "POST" not in pre.headers["Access-Control-Allow-Methods"]
    assert "If-None-Match" in pre.headers["Access-Control-Allow-Headers"]
    assert "Access-Control-Allow-Credentials" not in pre.headers
    assert client.get("/api/v1/nothing-here").headers["Access-Control-Allow-Origin"] == "*"  # scripts can read errors too
    assert "Access-Control-Allow-Origin" not in client.get("/places/").headers  # only the API


def test_errors_are_problem_json(client, app):
    for path, status in (("/api/v1/nothing-here", 404), ("/api/v1/places/999999", 404), ("/api/v1/places/99999999999", 404),
                         ("/api/v1/votes/0", 404), ("/api/v1/proposals/-1", 404)):
        resp = client.get(path)
        assert resp.status_code == status, path
        assert resp.mimetype == "application/problem+json"
        problem = resp.get_json()
        assert problem["type"] == "about:blank" and problem["status"] == status and problem["title"] == "Not found"
        assert problem["instance"] == path.split("?")[0] and problem["detail"]
    for method in ("post", "put", "delete", "patch"):
        resp = getattr(client, method)("/api/v1/places")
        assert resp.status_code == 405 and resp.mimetype == "application/problem+json"
        assert "GET" in resp.headers["Allow"] and resp.get_json()["title"] == "Method not allowed"
    polish = client.get("/api/v1/nothing-here", headers={"Accept-Language": "pl"}).get_json()
    assert polish["title"] == "Nie znaleziono"
    assert "text/html" in client.get("/no-such-page").content_type  # the rest of the site keeps its HTML pages


def test_the_rate_limit_answers_429_as_problem_json(client, app):
    app.config["RATELIMIT_API"] = "3 per minute"
    try:
        codes = [client.get("/api/v1/").status_code for _ in range(4)]
        assert codes == [200, 200, 200, 429]
        resp = client.get("/api/v1/places")
        assert resp.status_code == 429 and resp.mimetype == "application/problem+json"
        assert resp.get_json()["status"] == 429 and resp.headers.get("Retry-After")
        assert resp.headers["Access-Control-Allow-Origin"] == "*"
    finally:
        app.config.pop("RATELIMIT_API")


def test_the_openapi_description_covers_every_route(client, app):
    doc = client.get("/api/v1/openapi.json").get_json()
    assert doc["openapi"] == "3.1.0" and doc["info"]["license"]["name"] == "Open Government Licence v3.0"
    routes = {re.sub(r"<(?:\w+:)?(\w+)>", r"{\1}", r.rule) for r in app.url_map.iter_rules() if r.endpoint.startswith("api.")}
    assert routes == set(doc["paths"])
    for path, ops in doc["paths"].items():
        assert set(ops) == {"get"}, path
        assert "429" in ops["get"]["responses"] and "304" in ops["get"]["responses"]
    per_page = next(p for p in doc["paths"]["/api/v1/places"]["get"]["parameters"] if p["name"] == "per_page")
    assert per_page["schema"]["maximum"] == 100 and per_page["schema"]["minimum"] == 1
    polish = client.get("/api/v1/openapi.json", headers={"Accept-Language": "pl"}).get_json()
    assert polish["paths"]["/api/v1/places"]["get"]["summary"] != doc["paths"]["/api/v1/places"]["get"]["summary"]


def test_the_docs_page_is_plain_translated_html(client, app):
    resp = client.get("/api/v1/docs")
    html = resp.get_data(as_text=True)
    assert resp.status_code == 200 and resp.mimetype == "text/html"
    assert "<script" not in html and html.count("<h1") == 1 and "<title>Open data API" in html
    assert "/api/v1/openapi.json" in html and "/api/v1/places/{place_id}" in html and 'id="shape-Place"' in html
    polish = client.get("/api/v1/docs", headers={"Accept-Language": "pl"}).get_data(as_text=True)
    assert '<html lang="pl">' in polish and "Open data API" not in polish.split("<main", 1)[1]


def test_finished_budget_results_are_published_with_the_recount_file(client, app):
    from app.budgets import services
    from app.budgets.models import Phase

    place = make_place()
    place.population = 1000
    officer = make_user()
    process = services.create_process(db.session, officer, services.ProcessData(
        title="Open fund", description="", place=place, ballot_type=BallotType.APPROVAL, rule=Rule.GREEDY, completion=Completion.NONE,
        max_choices=None, max_points=None), seed=3)
    heading = services.add_heading(db.session, officer, process, place, place.name, 500_00)
    services.add_pot(db.session, officer, heading, "Grant", 500_00)
    services.add_project(db.session, officer, heading, services.ProjectData("Bench", "", 300_00))
    for step in (Phase.ACCEPTING_PROPOSALS, Phase.REVIEWING, Phase.BALLOTING):
        services.advance_phase(db.session, officer, process, step)
    db.session.commit()
    detail = client.get(f"/api/v1/budgets/{process.id}").get_json()
    assert detail["phase"] == "balloting" and detail["headings"][0]["result"] is None
    assert [p["title"] for p in detail["headings"][0]["projects"]] == ["Bench"]
    voters = [make_user(postcode=None) for _ in range(2)]
    for v in voters:
        v.home_place_id = place.id
        v.email_confirmed_at = utcnow() - timedelta(days=1)
    db.session.commit()
    project = heading.projects[0]
    for v in voters:
        services.cast_ballot(db.session, v, heading, {project.id: 1})
    services.advance_phase(db.session, officer, process, Phase.REVIEWING_BALLOTS)
    services.run_count(db.session, officer, heading)
    services.advance_phase(db.session, officer, process, Phase.FINISHED)
    db.session.commit()
    result = client.get(f"/api/v1/budget-headings/{heading.id}").get_json()["result"]
    assert result["ballots"]["online"] == 2 and result["ballots"]["population"] == 1000
    assert result["projects"] == [{"project_id": project.id, "votes": 2, "score": 2, "funded": True, "reason": None}]
    assert result["money_left_pence"] == 200_00 and result["pabulib_file"].endswith(f"/budgets/headings/{heading.id}/results.pb")
    assert result["counted_at"].endswith("Z")


def test_a_failure_under_the_api_is_problem_json_too(tmp_path):
    from app import create_app
    from app.core.permissions import public

    application = create_app("testing", {"SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'e.sqlite'}",
                                         "PROPAGATE_TEST_ERRORS": False})

    @public
    def explode() -> str:
        raise RuntimeError("boom")

    application.add_url_rule("/api/v1/explode", "explode", explode)
    with application.app_context():
        resp = application.test_client().get("/api/v1/explode", headers={"Accept-Language": "pl"})
        assert resp.status_code == 500 and resp.mimetype == "application/problem+json"
        assert resp.get_json()["title"] == "Wewnętrzny błąd serwera" and "boom" not in resp.get_data(as_text=True)
        assert resp.headers["Access-Control-Allow-Origin"] == "*"
        db.engine.dispose()
