"""Budget demonstration data: a finished Fenland budget with published results, and a South Cambridgeshire
budget with voting open.  Idempotent (each budget is created once, by title), and quick: the demo voters are
inserted in bulk with one precomputed password hash, and their ballots are generated from a seeded
``random.Random(2026)`` so every run produces the same choices.

The story is dated from the day the demonstration is loaded, so it stays true whenever that is: Fenland's
stages happened over the past five months on their planned dates (its results were published ten days ago),
and South Cambridgeshire's vote opened two weeks ago and closes in two weeks.  Each stage change is recorded
with the moment it took effect in the story (``advance_phase(at=...)``), ballots are dated within the voting
window, so the timetable shows planned dates for the stages to come and believable times for those reached.
"""

from __future__ import annotations

import random
from datetime import date, datetime, time, timedelta

from sqlalchemy import insert, select, update
from sqlalchemy.orm import Session

from app.auth.models import User
from app.auth.passwords import hash_password
from app.budgets import services
from app.budgets.models import (
    BallotChannel,
    BallotChoice,
    BallotType,
    BudgetBallot,
    BudgetHeading,
    BudgetProcess,
    BudgetRegister,
    Completion,
    Phase,
    Rule,
)
from app.core import audit, secrecy
from app.core.db import utcnow
from app.core.demo import DEMO_PASSWORD
from app.places.models import Place, Postcode
from app.places.queries import descendant_ids
from app.proposals.models import Proposal, ProposalState

FENLAND = "Fenland Community Fund 2026"
SOUTH_CAMBS = "South Cambridgeshire Greener Villages 2027"

# (title, description, cost in pence, popularity 0..1)
FENLAND_PROJECTS = [
    ("Wisbech Park play area renewal", "New accessible play equipment and safer surfacing in Wisbech Park.", 4_500_000, 0.55),
    ("March riverside path lighting", "Low-energy lighting along the riverside path between the town centre and the station.", 3_200_000, 0.45),
    ("Chatteris youth club minibus", "A shared minibus so the youth club can run trips and bring in young people from outlying villages.", 3_800_000, 0.30),
    ("Whittlesey community fridge", "A community fridge and volunteer kitchen to cut food waste.", 900_000, 0.40),
    ("Fenland rural bus shelters", "Ten new bus shelters with timetables at rural stops.", 2_500_000, 0.35),
    ("Wisbech High Street planters", "Planters and benches along the High Street, cared for by local volunteers.", 1_200_000, 0.28),
    ("March library digital hub", "Laptops, wifi and weekly help sessions for people getting online.", 1_800_000, 0.33),
    ("Chatteris skate park extension", "A bigger skate park with a beginners' area.", 6_000_000, 0.22),
]
FENLAND_POTS = [("Fenland District Council community grants", 10_000_000), ("Community Infrastructure Levy", 5_000_000)]

SOUTH_CAMBS_PROJECTS = [
    ("Cambourne tree planting", "Two hundred street trees along Cambourne's main roads.", 1_800_000, 0.5),
    ("Cottenham wildflower verges", "Sow and manage wildflower verges around the village.", 600_000, 0.45),
    ("Sawston solar-powered village hall", "Solar panels and a battery for the village hall.", 3_500_000, 0.35),
    ("Willingham cycle racks and repair stand", "Covered cycle racks and a public repair stand by the shops.", 400_000, 0.4),
    ("Great Shelford pond restoration", "Clear and replant the village pond, with a dipping platform.", 1_500_000, 0.3),
    ("South Cambridgeshire repair café kit", "Tools and insurance for monthly repair cafés in five villages.", 300_000, 0.35),
    ("Cambourne community orchard", "A community orchard with heritage apple varieties.", 900_000, 0.3),
]
SOUTH_CAMBS_POTS = [("Greener Villages grant", 6_000_000), ("Section 106 contributions", 2_000_000)]


def _voters(session: Session, prefix: str, postcodes: list[str], n: int, start: int) -> list[User]:
    """``n`` demo voters ``voterNNNN@demo.example.org`` living at ``postcodes`` (created once, in bulk)."""
    emails = [f"voter{start + i:04d}@demo.example.org" for i in range(n)]
    existing = {u.email: u for u in session.execute(select(User).where(User.email.in_(emails))).scalars()}
    missing = [e for e in emails if e not in existing]
    if missing:
        places = {pc.postcode: pc.place_id for pc in session.execute(select(Postcode).where(Postcode.postcode.in_(postcodes))).scalars()}
        password_hash = hash_password(DEMO_PASSWORD)
        confirmed_at = utcnow()
        rows = []
        for i, email in enumerate(emails):
            if email in existing:
                continue
            postcode = postcodes[i % len(postcodes)]
            rows.append({"email": email, "display_name": f"{prefix} voter {start + i}", "password_hash": password_hash,
                         "postcode": postcode, "home_place_id": places[postcode],
                         "email_confirmed_at": confirmed_at})  # demo voters have confirmed their address
        session.execute(insert(User), rows)
        audit.record(session, "account.demo_voters_created", actor="cli", data={"count": len(rows), "first": missing[0], "last": missing[-1]})
        existing = {u.email: u for u in session.execute(select(User).where(User.email.in_(emails))).scalars()}
    return [existing[e] for e in emails]


def _projects(session: Session, heading: BudgetHeading, fallback: list[tuple[str, str, int, float]]) -> list[float]:
    """Shortlisted, costed demo proposals in the heading's area if there are any, else officer-made projects.
    Returns each project's popularity for the ballot generator."""
    proposals = list(
        session.execute(
            select(Proposal).where(
                Proposal.state == ProposalState.SHORTLISTED.value,
                Proposal.place_id.in_(descendant_ids(session, heading.place)),
                Proposal.hidden_at.is_(None),
            ).order_by(Proposal.id)
        ).scalars()
    )
    proposals = [p for p in proposals if p.cost_pence]
    if len(proposals) >= 3:
        services.add_projects_from_proposals(session, None, heading, proposals)
        rng = random.Random(len(proposals))
        return [round(0.2 + 0.4 * rng.random(), 2) for _ in proposals]
    for title, text, cost, _pop in fallback:
        services.add_project(session, None, heading, services.ProjectData(title, text, cost, "en"))
    return [pop for *_rest, pop in fallback]


def _set_up(session: Session, title: str, description: str, place_code: str, kind: BallotType, rule: Rule, completion: Completion,
            pots: list[tuple[str, int]], projects: list[tuple[str, str, int, float]], dates: tuple[date, ...]) -> tuple[BudgetProcess, list[float]]:
    """The process as set up by an officer, moved on to voting on its planned dates (``dates``: proposals open,
    review starts, voting opens, voting closes, results)."""
    place = session.execute(select(Place).where(Place.code == place_code)).scalar_one()
    data = services.ProcessData(
        title=title, description=description, place=place, ballot_type=kind, rule=rule, completion=completion, language="en",
        proposals_open_on=dates[0], review_starts_on=dates[1], voting_opens_on=dates[2], voting_closes_on=dates[3], results_on=dates[4],
    )
    process = services.create_process(session, None, data, seed=2026)
    heading = services.add_heading(session, None, process, place, place.name, sum(a for _s, a in pots))
    for source, amount in pots:
        services.add_pot(session, None, heading, source, amount)
    popularity = _projects(session, heading, projects)
    for phase, day in zip((Phase.ACCEPTING_PROPOSALS, Phase.REVIEWING, Phase.BALLOTING), dates, strict=False):
        services.advance_phase(session, None, process, phase, "demonstration data", confirm_early=True, confirm_low_turnout=True,
                               at=_morning(day))
    return process, popularity


def _morning(day: date) -> datetime:
    """Stages change at 9 o'clock (UTC) on their planned day in the story."""
    return datetime.combine(day, time(9, 0))


def _story(today: date, *offsets: int) -> tuple[date, ...]:
    return tuple(today + timedelta(days=n) for n in offsets)


def _choose(heading: BudgetHeading, popularity: list[float], rng: random.Random) -> list[int]:
    """Indexes of the projects one generated voter chooses (within the budget on knapsack ballots)."""
    projects = list(heading.projects)
    if heading.process.ballot_type_enum is BallotType.KNAPSACK:
        order = sorted(range(len(projects)), key=lambda j: rng.random() / (0.1 + popularity[j]))
        chosen, spent = [], 0
        for j in order:
            if spent + projects[j].cost_pence <= heading.amount_pence and rng.random() < 0.5 + popularity[j] / 2:
                chosen.append(j)
                spent += projects[j].cost_pence
        return sorted(chosen)
    return [j for j in range(len(projects)) if rng.random() < popularity[j]]


def _ballots(session: Session, heading: BudgetHeading, voters: list[User], popularity: list[float], rng: random.Random,
             window: tuple[datetime, datetime]) -> None:
    """One generated online ballot per voter, cast at a moment within ``window`` (voting open), inserted in bulk
    (the choices are valid by construction)."""
    projects = list(heading.projects)
    start, span = window[0], (window[1] - window[0]).total_seconds()
    key = secrecy.ballot_key()
    rows, marks, chosen_sets = [], [], []
    for voter in voters:
        chosen = _choose(heading, popularity, rng)
        when = start + timedelta(seconds=int(span * rng.random()))
        marks.append({"heading_id": heading.id, "voter_id": voter.id, "channel": BallotChannel.ONLINE.value, "marked_at": when})
        rows.append({
            "id": secrecy.random_id(), "heading_id": heading.id, "token": secrecy.token(secrecy.BUDGET, heading.id, voter.id, key), "weight": 1,
            "receipt_hash": services.receipt_hash(f"demo-{heading.id}-{voter.id}-{rng.getrandbits(64)}"),
            "cast_on": when.date(), "is_spoilt": False, "replaced_count": 0,
        })
        chosen_sets.append(chosen)
    session.execute(insert(BudgetRegister), marks)
    session.execute(insert(BudgetBallot), rows)
    ids = [r["id"] for r in rows]
    choices = [{"ballot_id": bid, "project_id": projects[j].id, "points": 1} for bid, chosen in zip(ids, chosen_sets, strict=True) for j in chosen]
    if choices:
        session.execute(insert(BallotChoice), choices)


def _paper(session: Session, heading: BudgetHeading, popularity: list[float], rng: random.Random, sizes: list[int], *, accept: bool,
           electors: list[User]) -> int:
    """Paper batches as officers enter them: the demo officer issues a paper ballot to each of ``electors``
    (marking the register), keys the batches and, when ``accept``, the demo administrator keys them again and
    they are accepted.  Otherwise the batches wait for their second keying.  Returns the number of paper
    ballots added."""
    officer = session.execute(select(User).where(User.email == "officer@demo.example.org")).scalar_one()
    for resident in electors:
        services.issue_paper(session, officer, heading, resident)
    second = session.execute(select(User).where(User.email == "admin@demo.example.org")).scalar_one()
    projects = list(heading.projects)
    added = 0
    for number, size in enumerate(sizes, start=1):
        batch = services.create_batch(session, officer, heading, number, size)
        rows = [
            services.PaperRow({}, spoilt=True) if rng.random() < 0.05
            else services.PaperRow({projects[j].id: 1 for j in _choose(heading, popularity, rng)})
            for _ in range(size)
        ]
        services.key_batch(session, officer, batch, rows)
        if accept:
            services.key_batch(session, second, batch, rows)
            added += services.accept_batch(session, officer, batch)
    return added


def seed(session: Session) -> list[str]:
    lines = []
    rng = random.Random(2026)
    now = utcnow()
    today = now.date()
    existing = set(session.execute(select(BudgetProcess.title).where(BudgetProcess.title.in_([FENLAND, SOUTH_CAMBS]))).scalars())
    if FENLAND not in existing:
        dates = _story(today, -150, -100, -60, -30, -10)
        process, popularity = _set_up(
            session, FENLAND,
            "Residents of Fenland chose how to spend £150,000 on community projects across the district. Votes were "
            "counted with the Method of Equal Shares, so that each group of residents decides over its fair share; "
            "money it leaves unspent returns to the council's community grants.",
            "E07000010", BallotType.APPROVAL, Rule.EQUAL_SHARES, Completion.NONE, FENLAND_POTS, FENLAND_PROJECTS, dates,
        )
        heading = process.headings[0]
        opened, closed, published = _morning(dates[2]), _morning(dates[3]), _morning(dates[4])
        voters = _voters(session, "Fenland", ["PE13 1AG", "PE13 2NN", "PE15 8AH", "PE16 6AA"], 300, 1)
        _ballots(session, heading, voters, popularity, rng, (opened, closed - timedelta(minutes=1)))
        paper_voters = _voters(session, "Fenland", ["PE13 1AG", "PE13 2NN", "PE15 8AH", "PE16 6AA"], 45, 501)
        paper = _paper(session, heading, popularity, rng, [25, 20], accept=True, electors=paper_voters)
        # the paper ballots came in from the polling stations on the last day of voting
        session.execute(update(BudgetBallot).where(BudgetBallot.heading_id == heading.id, BudgetBallot.paper_batch_id.is_not(None))
                        .values(cast_on=(closed - timedelta(hours=1)).date()))
        session.execute(update(BudgetRegister).where(BudgetRegister.heading_id == heading.id, BudgetRegister.channel != BallotChannel.ONLINE.value)
                        .values(marked_at=closed - timedelta(days=2)))
        services.advance_phase(session, None, process, Phase.REVIEWING_BALLOTS, "demonstration data", confirm_early=True,
                               confirm_low_turnout=True, at=closed)
        count = services.run_count(session, None, heading)
        count.created_at = published - timedelta(days=3)  # counted during the review of the ballots, before publishing
        services.advance_phase(session, None, process, Phase.FINISHED, "demonstration data", confirm_early=True,
                               confirm_low_turnout=True, at=published)
        lines.append(f"Budget: {FENLAND} (finished, results published; 300 online and {paper} paper demo ballots)")
    if SOUTH_CAMBS not in existing:
        dates = _story(today, -84, -42, -14, 14, 28)
        process, popularity = _set_up(
            session, SOUTH_CAMBS,
            "£80,000 for greener villages in South Cambridgeshire. Choose projects that together fit the budget.",
            "E07000012", BallotType.KNAPSACK, Rule.GREEDY, Completion.NONE, SOUTH_CAMBS_POTS, SOUTH_CAMBS_PROJECTS, dates,
        )
        voters = _voters(session, "South Cambridgeshire", ["CB23 6AA", "CB24 8RA", "CB22 3HA"], 200, 301)
        _ballots(session, process.headings[0], voters, popularity, rng, (_morning(dates[2]), now - timedelta(hours=1)))
        paper_voters = _voters(session, "South Cambridgeshire", ["CB23 6AA", "CB24 8RA", "CB22 3HA"], 12, 546)
        _paper(session, process.headings[0], popularity, rng, [12], accept=False, electors=paper_voters)
        lines.append(f"Budget: {SOUTH_CAMBS} (voting open; 200 demo ballots, a paper batch awaiting its second keying; sarah@demo.example.org can vote)")
    if not lines:
        lines.append("Budgets: demonstration budgets already present.")
    return lines
