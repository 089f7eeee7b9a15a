"""The world the security tests share: the Cambridgeshire demo data, a few accounts for the roles of the matrix,
objects each role owns, and a stored-XSS payload in every free-text column.

``URL_ARGUMENTS`` says how to fill each URL argument of the URL map for the three kinds of object the matrix
tries: the resident's own, someone else's, and one in a restricted place (a members-only space, a draft, a
vote or budget not public yet).  A new endpoint whose URL arguments are all named here is covered without
any change; one with a new argument name fails the matrix with the line to add.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import String, Text, func, select, text
from sqlalchemy.orm import Session

from app.auth import services as accounts
from app.auth.models import Role, User
from app.core.db import utcnow
from app.extensions import db

ROLES = ("anonymous", "resident", "elsewhere", "suspended", "moderator", "officer", "administrator", "coalition", "panel")
VARIANTS = ("own", "other", "restricted")
PASSWORD = "matrix password 1234"

# --- stored XSS -------------------------------------------------------------------------------------------
# Each free-text column gets its own numbered payload, so a page that prints one unescaped names the column.
PAYLOAD = '"><svg id=x{n}>'
RAW_PAYLOAD_RE = re.compile(r"<svg id=x(\d+)>")
ESCAPED_PAYLOAD_RE = re.compile(r"&lt;svg id=x(\d+)&gt;")

# Columns of type String/Text that are not free text: codes, states, hashes, machine-written JSON or CSV,
# identifiers, addresses.  Anything else is free text that someone types and a page may show.  A column is
# coded when its name is in CODED_NAMES, ends with one of CODED_SUFFIXES, or is listed in CODED_COLUMNS.
CODED_NAMES = {
    "action", "actor_label", "ballot_type", "category", "channel", "code", "completion", "content_kind", "email",
    "endpoint", "from_state", "kind", "language", "locale", "method", "object_id", "object_type", "ons_code",
    "outcome", "password_hash", "phase", "phone", "postcode", "public_id", "ranking", "ref", "resolution",
    "result_url", "role", "rule", "scope_kind", "seed", "seed_plan", "session_token", "slug", "software_version",
    "stance", "state", "status", "subject_type", "to_state", "token", "url", "value", "key", "sha256",
}
CODED_SUFFIXES = ("_json", "_hash", "_sha256", "_csv", "_text", "_id", "_key", "_translations")
CODED_COLUMNS: set[str] = set()
SHORTEST_FREE_TEXT = 40  # a String shorter than this holds a code, not prose
# Rows whose text the app itself freezes, which the payloads must leave alone: a counted heading's project
# titles are part of the count's inputs hash (the app refuses to change projects once voting has started).
FROZEN_ROWS = {"budget_projects.title": "heading_id NOT IN (SELECT heading_id FROM budget_counts)"}


def is_free_text(table: str, column: Any) -> bool:
    if not isinstance(column.type, String | Text):
        return False
    name = column.name
    if name in CODED_NAMES or name.endswith(CODED_SUFFIXES) or f"{table}.{name}" in CODED_COLUMNS:
        return False
    length = getattr(column.type, "length", None)
    return length is None or length >= SHORTEST_FREE_TEXT


def free_text_columns() -> list[tuple[str, str, int | None]]:
    return [(t.name, c.name, getattr(c.type, "length", None))
            for t in db.metadata.sorted_tables for c in t.columns if is_free_text(t.name, c)]


def inject_payloads(session: Session) -> dict[int, str]:
    """Put a numbered payload at the start of every value of every free-text column; returns number → column."""
    numbers: dict[int, str] = {}
    for n, (table, column, length) in enumerate(free_text_columns(), start=1):
        payload = PAYLOAD.format(n=n)
        numbers[n] = f"{table}.{column}"
        value = f":p || {column}" if length is None else f"substr(:p || {column}, 1, {int(length)})"
        where = f"{column} IS NOT NULL"
        if f"{table}.{column}" in FROZEN_ROWS:
            where += f" AND {FROZEN_ROWS[f'{table}.{column}']}"
        session.execute(text(f"UPDATE {table} SET {column} = {value} WHERE {where}"), {"p": payload})
    session.flush()
    return numbers


# --- the world ----------------------------------------------------------------------------------------------
@dataclass
class World:
    users: dict[str, int | None]  # role → user id (None: anonymous)
    values: dict[Any, dict[str, Any]] = field(default_factory=dict)  # argument (or tuple of arguments) → variant → value
    payloads: dict[int, str] = field(default_factory=dict)  # payload number → "table.column"
    spare: dict[str, int] = field(default_factory=dict)  # accounts for the session tests (they sign out)

    def user(self, role: str) -> User | None:
        uid = self.users[role]
        return db.session.get(User, uid) if uid is not None else None


def _account(session: Session, email: str, name: str, postcode: str, *roles: Role) -> User:
    user = accounts.create_user(session, email=email, display_name=name, password=PASSWORD, roles=list(roles),
                                postcode=postcode)
    user.email_confirmed_at = utcnow()
    session.flush()
    return user


def _by_email(session: Session, email: str) -> User:
    return session.execute(select(User).where(User.email == email)).scalar_one()


def _first(session: Session, stmt: Any) -> Any:
    value = session.execute(stmt.limit(1)).scalar()
    assert value is not None, f"the demo world has nothing for {stmt}"
    return value


def build_world(session: Session) -> World:
    from app.budgets.models import BudgetHeading, BudgetProcess, BudgetProject, FundingPot, PaperBatch
    from app.core.demo import seed_demo
    from app.delegation.models import DelegateProfile
    from app.deliberation import services as deliberation
    from app.deliberation.models import Comment, ContentKind, Debate, Recommendation, Space, SpaceMembership
    from app.panels.models import Panel, Question, Respondent
    from app.places.models import Place
    from app.proposals import services as proposals
    from app.proposals.models import Proposal, Topic
    from app.voting.models import Vote

    seed_demo(session)
    resident = _account(session, "rosa.resident@example.org", "Rosa Resident", "PE15 8AH")
    elsewhere = _account(session, "ellis.elsewhere@example.org", "Ellis Elsewhere", "CB1 2JB")
    suspended = _account(session, "sam.suspended@example.org", "Sam Suspended", "PE15 8AH")
    spare = {name: _account(session, f"{name}.session@example.org", f"Session {name}", "PE15 8AH").id
             for name in ("fixation", "copied", "reset", "csrf", "password", "remember", "redirect")}
    coalition = _by_email(session, "tom@demo.example.org")
    coalition_space = session.execute(select(Space).where(Space.kind == "coalition")).scalar_one()
    panel_space = session.execute(select(Space).where(Space.kind == "panel")).scalars().first()
    assert panel_space is not None
    panel_member = _first(session, select(User).join(SpaceMembership, SpaceMembership.user_id == User.id)
                          .where(SpaceMembership.space_id == panel_space.id, SpaceMembership.role == "member")
                          .order_by(User.id))
    users = {
        "anonymous": None, "resident": resident.id, "elsewhere": elsewhere.id, "suspended": suspended.id,
        "moderator": _by_email(session, "moderator@demo.example.org").id,
        "officer": _by_email(session, "officer@demo.example.org").id,
        "administrator": _by_email(session, "admin@demo.example.org").id,
        "coalition": coalition.id, "panel": panel_member.id,
    }

    # What the resident owns, written through the services, with payloads from the start (so the audit log
    # and the notifications built from them carry payloads too).
    march = resident.home_place
    assert march is not None
    other_proposal = _first(session, select(Proposal).where(Proposal.state == "published", Proposal.author_id.is_not(None))
                            .order_by(Proposal.id))
    draft = _first(session, select(Proposal).where(Proposal.state == "draft").order_by(Proposal.id))
    own_proposal = proposals.create_proposal(session, resident, proposals.ProposalData(
        title=PAYLOAD.format(n=0) + " Rosa's draft", summary=PAYLOAD.format(n=0), need=PAYLOAD.format(n=0),
        solution=PAYLOAD.format(n=0), place_id=march.id))
    own_debate = deliberation.start_debate(session, resident, None, deliberation.DebateData(
        PAYLOAD.format(n=0) + " Rosa asks", PAYLOAD.format(n=0)))
    own_comment = deliberation.add_comment(session, resident, other_proposal, PAYLOAD.format(n=0) + " Rosa says", None).comment
    other_comment = _first(session, select(Comment).where(Comment.proposal_id.is_not(None), Comment.author_id != resident.id,
                                                         Comment.hidden_at.is_(None)).order_by(Comment.id))
    coalition_debate = _first(session, select(Debate).where(Debate.space_id == coalition_space.id).order_by(Debate.id))
    restricted_comment = session.execute(select(Comment).where(Comment.debate_id == coalition_debate.id)
                                         .order_by(Comment.id)).scalars().first()
    if restricted_comment is None:
        restricted_comment = deliberation.add_comment(session, coalition, coalition_debate, "Coalition only.", None).comment
    public_debate = _first(session, select(Debate).where(Debate.space_id.is_(None), Debate.id != own_debate.id).order_by(Debate.id))
    panel = session.get(Panel, _first(session, select(Panel.id).where(Panel.space_id == panel_space.id)))
    other_panel = _first(session, select(Panel).where(Panel.id != panel.id).order_by(Panel.id))
    votes = session.execute(select(Vote).order_by(Vote.id)).scalars().all()
    open_vote = next(v for v in votes if v.state == "open")
    published_vote = next(v for v in votes if v.state == "published")
    processes = session.execute(select(BudgetProcess).order_by(BudgetProcess.id)).scalars().all()
    headings = session.execute(select(BudgetHeading).order_by(BudgetHeading.id)).scalars().all()
    delegate = _first(session, select(DelegateProfile.user_id).order_by(DelegateProfile.user_id))
    setup = _budget(session, users["officer"], "drafting")  # an officer may still change everything
    closed = _budget(session, users["officer"], "reviewing_ballots")  # ready to count
    by_state = {state: _first(session, select(Proposal.id).where(Proposal.state == state).order_by(Proposal.id))
                for state in ("under_review", "in_delivery")}
    recommendations = session.execute(select(Recommendation).where(Recommendation.status == "published")
                                      .order_by(Recommendation.id)).scalars().all()
    awaiting = next(r for r in recommendations if r.response is None)
    answered = next(r for r in recommendations if r.response is not None)
    reset_user = session.get(User, spare["reset"])
    started = accounts.start_password_reset(session, reset_user.email or "")
    assert started is not None
    from app.auth import confirmation

    tokens = {"reset": started[1], "confirm": confirmation.start(session, session.get(User, spare["csrf"]))}

    def pair(own: Any, other: Any, restricted: Any, **more: Any) -> dict[str, Any]:
        """The three kinds of object, and any more the endpoints need to reach their views (by a readable name)."""
        return {"own": own, "other": other, "restricted": restricted, **{k.replace("_", " "): v for k, v in more.items()}}

    values: dict[Any, dict[str, Any]] = {
        "proposal_id": pair(own_proposal.id, other_proposal.id, draft.id, under_review=by_state["under_review"],
                            in_delivery=by_state["in_delivery"]),
        "comment_id": pair(own_comment.id, other_comment.id, restricted_comment.id),
        "debate_id": pair(own_debate.id, public_debate.id, coalition_debate.id),
        "slug": pair(None, coalition_space.slug, panel_space.slug),
        "user_id": pair(resident.id, delegate, users["administrator"]),
        "membership_id": pair(None, _first(session, select(SpaceMembership.id).where(
            SpaceMembership.space_id == coalition_space.id, SpaceMembership.user_id == coalition.id)),
            _first(session, select(SpaceMembership.id).where(SpaceMembership.space_id == panel_space.id))),
        "recommendation_id": pair(None, awaiting.id, _first(session, select(Recommendation.id).where(Recommendation.status == "draft")),
                                  answered=answered.id),
        "panel_id": pair(None, other_panel.id, panel.id),
        "vote_id": pair(None, published_vote.id, open_vote.id),
        "process_id": pair(None, processes[0].id, processes[-1].id, in_setup=setup[0], to_count=closed[0]),
        "heading_id": pair(None, headings[0].id, headings[-1].id, in_setup=setup[1], to_count=closed[1]),
        "batch_id": pair(None, _first(session, select(PaperBatch.id).order_by(PaperBatch.id)),
                         _first(session, select(PaperBatch.id).order_by(PaperBatch.id.desc()))),
        "pot_id": pair(None, _first(session, select(FundingPot.id).order_by(FundingPot.id)), None, in_setup=setup[2]),
        "project_id": pair(None, _first(session, select(BudgetProject.id).order_by(BudgetProject.id)), None,
                           in_setup=setup[3]),
        "topic_id": pair(None, _first(session, select(Topic.id).order_by(Topic.id)), None),
        "token": pair(None, "not-a-real-token", None),
        "reset_token": pair(None, tokens["reset"], None),
        "confirm_token": pair(None, tokens["confirm"], None),
        "code": pair(None, _first(session, select(Place.code).where(Place.parent_id.is_not(None)).order_by(Place.id)), None),
        ("content_id", "kind"): pair((own_comment.id, "comment"), (public_debate.id, "debate"),
                                     (restricted_comment.id, "comment")),
        "place_id": pair(march.id, elsewhere.home_place_id, None),
        # exports and open data name what they export by kind and key (the object's id)
        ("key", "kind"): pair(None, (str(processes[0].id), "budget"), (str(open_vote.id), "vote"),
                              panel=(str(panel.id), "panel")),
        ("key", "kind", "name"): pair(None, (str(processes[0].id), "budget", "MANIFEST.sha256"), None),
        # the marked register: a resident found on a heading's register (officers issue or cancel a paper ballot)
        ("heading_id", "resident_id"): pair(None, (headings[0].id, resident.id), None),
        ("panel_id", "respondent_id"): pair(None, None, (panel.id, _first(session, select(Respondent.id).where(
            Respondent.panel_id == panel.id, Respondent.status == "confirmed").order_by(Respondent.id)))),
        ("panel_id", "question_id"): pair(None, None, (panel.id, _first(session, select(Question.id).where(
            Question.panel_id == panel.id).order_by(Question.id)))),
    }
    # Moderation and edits, so that their free-text columns have rows too (on objects the matrix does not use).
    moderator = session.get(User, users["moderator"])
    deliberation.moderate_account(session, moderator, suspended, "suspend", "Repeated personal attacks.")
    assert suspended.is_suspended
    deliberation.edit_comment(session, resident, own_comment, PAYLOAD.format(n=0) + " Rosa, edited", None)
    hidden_debate = deliberation.start_debate(session, elsewhere, None, deliberation.DebateData("To be hidden", "Spam."))
    deliberation.hide(session, moderator, deliberation.ContentRef(ContentKind.DEBATE, hidden_debate), "Advertising.")
    hidden_proposal = _first(session, select(Proposal).where(Proposal.state == "published", Proposal.id != other_proposal.id)
                             .order_by(Proposal.id.desc()))
    deliberation.hide(session, moderator, deliberation.ContentRef(ContentKind.PROPOSAL, hidden_proposal), "Off topic.")
    # a cancelled paper issue, so that its reason has a row (as the officer's cancel page writes it)
    from datetime import datetime

    _row(session, "budget_register_cancellations", heading_id=headings[0].id, voter_id=elsewhere.id, channel="paper",
         issued_at=datetime(2026, 1, 5), issued_by_id=users["officer"], cancelled_by_id=users["officer"],
         cancelled_at=datetime(2026, 1, 5))
    pack = _ready_pack(session, "budget", str(processes[0].id))
    if pack is not None:
        values[("build_id", "key", "kind")] = pair(None, (pack, str(processes[0].id), "budget"), None)
    # counts run in the background (app/core/count_jobs.py): a failed count of a heading (its reason is free text)
    # and a finished close of a vote, for their progress pages
    count_job = _row(session, "count_jobs", kind="budget", object_id=closed[1], state="failed", locale="en")
    if count_job is not None:
        values[("heading_id", "job_id")] = pair(None, (closed[1], count_job), None)
        close_job = _row(session, "count_jobs", kind="vote", object_id=published_vote.id, state="done", locale="en", error=None)
        values[("job_id", "vote_id")] = pair(None, (close_job, published_vote.id), None)
    session.flush()
    # Sanity: the objects the matrix relies on exist.
    assert session.execute(select(func.count(Comment.id))).scalar_one() > 2
    payloads = inject_payloads(session)
    return World(users=users, values=values, payloads=payloads, spare=spare)


def _row(session: Session, table_name: str, **values: Any) -> int | None:
    """A row in ``table_name`` when the app has that table (a feature's), its free-text columns filled; its id."""
    table = db.metadata.tables.get(table_name)
    if table is None:
        return None
    for column in table.columns:
        if column.name not in values and is_free_text(table_name, column):
            values[column.name] = "Written by an officer."
    result = session.execute(table.insert().values(**values))
    return int(result.inserted_primary_key[0])


def _ready_pack(session: Session, kind: str, key: str) -> int | None:
    """A built committee pack and its report's texts, when the exports feature is there (the pack's id)."""
    _row(session, "committee_reports", kind=kind, object_key=key)
    return _row(session, "pack_builds", kind=kind, object_key=key, locale="en", state="ready",
                content=b"PK\x05\x06" + b"\x00" * 18, sha256="0" * 64)


def _budget(session: Session, officer_id: int | None, phase: str) -> tuple[int, int, int, int]:
    """A budget moved on to ``phase``, as an officer sets one up: (process, heading, pot, project) ids."""
    from app.budgets import services as budgets
    from app.budgets.models import BallotType, Completion, Phase, Rule
    from app.places.models import Place

    officer = session.get(User, officer_id)
    where = session.execute(select(Place).where(Place.parent_id.is_(None)).order_by(Place.id)).scalars().first()
    assert where is not None
    process = budgets.create_process(session, officer, budgets.ProcessData(
        title=f"Matrix budget ({phase})", description="Set up for the security matrix.", place=where,
        ballot_type=BallotType.APPROVAL, rule=Rule.GREEDY, completion=Completion.NONE, max_choices=None, max_points=None),
        seed=3)
    heading = budgets.add_heading(session, officer, process, where, where.name, 10_000_00)
    pot = budgets.add_pot(session, officer, heading, "Council grant", 10_000_00)
    project = budgets.add_project(session, officer, heading, budgets.ProjectData("Play area", "Swings.", 4_000_00))
    for step in list(Phase)[1: list(Phase).index(Phase(phase)) + 1]:
        budgets.advance_phase(session, officer, process, step, confirm_early=True, confirm_low_turnout=True)
    session.flush()
    return process.id, heading.id, pot.id, project.id


# Endpoints whose argument means something else than the same name elsewhere.
ENDPOINT_ARGUMENTS: dict[str, Callable[[World], dict[str, dict[str, Any]]]] = {
    "core.set_language": lambda world: {"other": {"code": "pl"}},
    "auth.reset_password": lambda world: {"other": {"token": world.values["reset_token"]["other"]},
                                          "unknown": {"token": "not-a-real-token"}},
    "auth.confirm_email": lambda world: {"other": {"token": world.values["confirm_token"]["other"]},
                                         "unknown": {"token": "not-a-real-token"}},
}


def url_arguments(world: World, endpoint: str, arguments: set[str]) -> dict[str, dict[str, Any]] | str:
    """variant → URL arguments for ``endpoint``, or the message saying what to add when they are unknown."""
    if endpoint in ENDPOINT_ARGUMENTS:
        return ENDPOINT_ARGUMENTS[endpoint](world)
    if not arguments:
        return {"other": {}}
    names = tuple(sorted(arguments))  # several arguments: the key is their names in alphabetical order
    key: Any = names[0] if len(names) == 1 else names
    table = world.values.get(key)
    if table is None:
        table = _combined(world, names)
    if table is None:
        example = f'"{names[0]}"' if len(names) == 1 else repr(names)
        return (f"the security matrix cannot fill the URL argument(s) {', '.join(names)}: add {example}: "
                "pair(own=…, other=…, restricted=…) to the values in build_world() in tests/security/world.py "
                "(the resident's own object, someone else's, and one in a restricted place; None where there is none), "
                "or an entry for the endpoint to ENDPOINT_ARGUMENTS there")
    out: dict[str, dict[str, Any]] = {}
    for variant, value in table.items():
        if value is None:
            continue
        out[variant] = dict(zip(names, value, strict=True)) if len(names) > 1 else {names[0]: value}
    return out


def _combined(world: World, names: tuple[str, ...]) -> dict[str, Any] | None:
    """Several arguments each known on its own (e.g. a vote and a heading): take each one's same variant."""
    if len(names) < 2 or not all(n in world.values for n in names):
        return None
    combined: dict[str, Any] = {}
    for variant in world.values[names[0]]:
        parts = [world.values[n].get(variant) for n in names]
        combined[variant] = None if any(p is None for p in parts) else tuple(parts)
    return combined
