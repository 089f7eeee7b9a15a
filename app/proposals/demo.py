"""Demonstration proposals across the five Cambridgeshire districts, in every stage of the lifecycle.

Loaded through the same services as real data (so each has its timeline and audit entries).  Idempotent:
topics are keyed on their name and proposals on their title; what exists already is left alone.
Money is in pence.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.auth import services as accounts
from app.auth.models import User
from app.core.db import utcnow
from app.core.demo import DEMO_PASSWORD
from app.places.models import Place
from app.proposals import services
from app.proposals.models import Proposal, ProposalEvent, ProposalState, Topic

# Each topic's name in English and in Polish (topics are officers' data: their names are translated on the topic).
TOPICS = {
    "Parks and green spaces": "Parki i tereny zielone",
    "Roads and pavements": "Drogi i chodniki",
    "Play and young people": "Zabawa i młodzież",
    "Community buildings": "Budynki społeczne",
    "Environment and climate": "Środowisko i klimat",
    "Safety": "Bezpieczeństwo",
    "Transport and cycling": "Transport i rower",
}

OFFICER = "officer@demo.example.org"
RESIDENTS = ["priya@demo.example.org", "tom@demo.example.org", "agnieszka@demo.example.org", "dev@demo.example.org", "sarah@demo.example.org"]
# Neighbours: demo accounts who support proposals near home, so the named residents start with room to act (each
# named resident supports at most NAMED_SUPPORT_LIMIT proposals, all in their own district).
NEIGHBOURS = [
    ("neighbour.castle@demo.example.org", "Ben Castle", "CB3 0AP"),
    ("neighbour.market@demo.example.org", "Maria Lopes", "CB2 3QJ"),
    ("neighbour.ely@demo.example.org", "Ruth Ely", "CB7 4EY"),
    ("neighbour.littleport@demo.example.org", "Josh Webb", "CB6 1AA"),
    ("neighbour.wisbech@demo.example.org", "Ewa Kowalska", "PE13 2NN"),
    ("neighbour.chatteris@demo.example.org", "Sam Hart", "PE16 6AA"),
    ("neighbour.stneots@demo.example.org", "Leah Price", "PE19 1AA"),
    ("neighbour.huntingdon@demo.example.org", "Owen Fry", "PE29 3TN"),
    ("neighbour.cottenham@demo.example.org", "Nia Evans", "CB24 8RA"),
    ("neighbour.sawston@demo.example.org", "Karl Berg", "CB22 3HA"),
]
NAMED_SUPPORT_LIMIT = 2
S = ProposalState


@dataclass
class DemoProposal:
    title: str
    author: str | None  # an email, or None for an offline contributor
    place: str  # place code
    topics: list[str]
    summary: str
    need: str
    solution: str
    state: ProposalState
    estimate_pence: int | None = None
    offer: str | None = None
    review: tuple[str, int, str] | None = None  # feasibility, costing (pence), service
    decline_reason: str | None = None
    updates: list[tuple[int, str]] = field(default_factory=list)  # (days after selection, text)
    supporters: int = 0
    channel: str | None = None  # paper / phone / in_person: entered by an officer
    offline_name: str | None = None


PROPOSALS = [
    DemoProposal(
        "Benches along the Mill Road cemetery path", "priya@demo.example.org", "DEMO-CAM-PET", ["Parks and green spaces"],
        "Put four benches along the main path through Mill Road cemetery so older residents can rest on the walk to the shops.",
        "The path is a well-used short cut but there is nowhere to sit for nearly half a mile. Several neighbours with limited mobility have stopped using it.",
        "Four hardwood benches with arm rests, spaced along the path, installed with the Friends of Mill Road Cemetery.",
        S.DELIVERED, estimate_pence=600000, offer="The Friends group will oil the benches every spring.",
        review=("Feasible on the existing hard standing; the Friends group has agreed the positions.", 720000, "Streets and Open Spaces"),
        updates=[(8, "Benches ordered from a Fenland joinery workshop."), (16, "All four benches are installed. Thank you to the Friends group for choosing the spots.")],
        supporters=5,
    ),
    DemoProposal(
        "Safer crossing outside St Matthew's School", "priya@demo.example.org", "DEMO-CAM-PET", ["Roads and pavements", "Safety"],
        "A zebra crossing on York Street outside St Matthew's Primary School.",
        "Children cross between parked cars at drop-off time. There have been two near misses reported this school year.",
        "A zebra crossing with a build-out so children can see the traffic, and a 20 mph sign.",
        S.IN_DELIVERY, estimate_pence=4500000,
        review=("Feasible; needs a traffic regulation order (about 12 weeks).", 5200000, "Highways"),
        updates=[(8, "Traffic regulation order advertised; consultation closes at the end of the month.")],
        supporters=4,
    ),
    DemoProposal(
        "Repair cafe at the Ross Street community centre", "sarah@demo.example.org", "DEMO-CAM-PET", ["Community buildings", "Environment and climate"],
        "A monthly repair cafe where volunteers fix small appliances, bikes and clothes.",
        "People throw away things that could be fixed in ten minutes, and many would like to learn how.",
        "Tools, a storage cupboard and insurance for a monthly Saturday session run by volunteers.",
        S.SELECTED, estimate_pence=350000, offer="Six of us have offered to volunteer, including an electrician.",
        review=("Feasible; the centre has a free Saturday slot and storage space.", 380000, "Communities"),
        updates=[(8, "The centre's committee has confirmed the second Saturday of each month.")],
        supporters=3,
    ),
    DemoProposal(
        "Street trees for Castle Street", "priya@demo.example.org", "DEMO-CAM-CAS", ["Environment and climate", "Parks and green spaces"],
        "Plant ten street trees along Castle Street to give shade and slow traffic.",
        "Castle Street is hot and treeless in summer and traffic speeds downhill.",
        "Ten trees in tree pits with root guards, species chosen by the council's arboriculture team.",
        S.ON_BALLOT, estimate_pence=2000000,
        review=("Feasible at six of ten positions because of services under the pavement; costing is for six.", 1850000, "Trees and Arboriculture"),
        supporters=4,
    ),
    DemoProposal(
        "Covered cycle parking at the Grafton Centre", "dev@demo.example.org", "DEMO-CAM-MKT", ["Transport and cycling"],
        "Forty covered cycle stands near the Grafton Centre bus stops.",
        "Existing stands are always full and bikes are locked to railings, blocking the pavement.",
        "Twenty Sheffield stands (forty bikes) under a simple canopy on the wide paving by Fitzroy Street.",
        S.SHORTLISTED, estimate_pence=1500000,
        review=("Feasible; the landowner has agreed in principle.", 1640000, "Transport"),
        supporters=2,
    ),
    DemoProposal(
        "Free water refill points in the market square", "sarah@demo.example.org", "DEMO-CAM-MKT", ["Environment and climate"],
        "Two drinking water fountains in Market Square.",
        "Visitors and traders buy bottled water all summer; there is no public tap.",
        "Two vandal-resistant refill fountains connected to the existing market water supply.",
        S.DECLINED, estimate_pence=900000,
        review=("The market water supply cannot serve drinking fountains without a new main.", 6800000, "Markets"),
        decline_reason="The nearest drinking-water main is under the Guildhall; a new connection would cost about £68,000, far more than the benefit. We will add the square to the Refill app's list of cafés instead.",
        supporters=1,
    ),
    DemoProposal(
        "Youth shelter at the Ely recreation ground", "tom@demo.example.org", "DEMO-PAR-ELY", ["Play and young people"],
        "A covered youth shelter with seating and lighting at Paradise recreation ground.",
        "Teenagers have nowhere to meet in the evening except the bus station, which worries both them and residents.",
        "A steel youth shelter with a solar light, placed where it can be seen from the path, designed with the youth club.",
        S.UNDER_REVIEW, estimate_pence=1800000, offer="Ely youth club will run the design sessions.",
        supporters=3,
    ),
    DemoProposal(
        "Riverside path resurfacing, Ely", "tom@demo.example.org", "DEMO-PAR-ELY", ["Roads and pavements", "Transport and cycling"],
        "Resurface the riverside path between the Maltings and the railway bridge.",
        "The path floods into deep ruts every winter; pushchairs and wheelchairs cannot use it.",
        "A bound gravel surface with a drainage edge along 400 metres of path.",
        S.PUBLISHED, estimate_pence=4000000,
        supporters=2,
    ),
    DemoProposal(
        "Defibrillator at Soham library", "tom@demo.example.org", "DEMO-ECA-SOH", ["Safety", "Community buildings"],
        "A public-access defibrillator in a heated cabinet outside Soham library.",
        "The nearest public defibrillator is over a mile away and is inside a building that closes at 5 pm.",
        "A defibrillator in a heated, unlocked cabinet on the library wall, registered with the ambulance service.",
        S.DELIVERED, estimate_pence=180000,
        review=("Feasible; the library has a suitable wall and power supply.", 195000, "Libraries"),
        updates=[(8, "Defibrillator installed and registered on The Circuit."), (16, "Free training session held at the library; 34 people came.")],
        supporters=4,
    ),
    DemoProposal(
        "Littleport pump track", None, "DEMO-ECA-LIT", ["Play and young people"],
        "A tarmac pump track for bikes and scooters on the Littleport playing field.",
        "Children ride on the roads because there is nowhere safe for bikes in the village.",
        "A small tarmac pump track for all ages next to the existing skate ramp.",
        S.PUBLISHED, estimate_pence=6000000, channel="paper", offline_name="Margaret Hill",
        supporters=1,
    ),
    DemoProposal(
        "Wisbech market place seating and planters", "agnieszka@demo.example.org", "DEMO-PAR-WIS", ["Parks and green spaces", "Community buildings"],
        "Movable planters and seats in the Market Place to make it somewhere to stay, not just pass through.",
        "The Market Place is empty outside market days and there is nowhere to sit in the town centre.",
        "Twelve large planters with built-in seats that can be moved for markets and events.",
        S.SHORTLISTED, estimate_pence=2500000, offer="The Wisbech in Bloom volunteers will plant and water them.",
        review=("Feasible; planters must be movable by pallet truck for market days.", 2760000, "Town Centre Management"),
        supporters=3,
    ),
    DemoProposal(
        "Polish and English conversation café", "agnieszka@demo.example.org", "DEMO-PAR-WIS", ["Community buildings"],
        "A weekly conversation café at Wisbech library for people learning English or Polish.",
        "Many neighbours would like to talk but share no language; classes are full and far away.",
        "A room, tea and coffee, and simple materials for a weekly evening session run by volunteers.",
        S.SELECTED, estimate_pence=120000,
        review=("Feasible; the library has a room free on Wednesday evenings.", 140000, "Libraries"),
        updates=[(8, "First session held: 22 people came.")],
        supporters=5,
    ),
    DemoProposal(
        "Street lighting on Norfolk Street footpath", "agnieszka@demo.example.org", "DEMO-FEN-WIE", ["Safety", "Roads and pavements"],
        "Lights along the footpath from Norfolk Street to the bus station.",
        "The path is pitch dark in winter and people, especially women, avoid it after 4 pm.",
        "Six low-energy column lights along the path.",
        S.NOT_SELECTED, estimate_pence=2400000,
        review=("Feasible; needs a new feed from the street lighting network.", 3100000, "Highways"),
        supporters=2,
    ),
    DemoProposal(
        "March riverside wildflower meadow", None, "DEMO-FEN-MAN", ["Environment and climate", "Parks and green spaces"],
        "Turn the mown grass by the river Nene in March into a wildflower meadow.",
        "The grass is cut every two weeks and has almost no wildlife value.",
        "Sow native wildflowers, cut twice a year, with mown paths through it and an information board.",
        S.UNDER_REVIEW, estimate_pence=450000, channel="phone", offline_name="Ray Denton",
    ),
    DemoProposal(
        "Chatteris bus shelter with timetable screen", "dev@demo.example.org", "DEMO-FEN-CHA", ["Transport and cycling"],
        "A bus shelter with a real-time timetable screen at the Chatteris High Street stop.",
        "People wait in the rain with no idea whether the bus is coming; services are hourly.",
        "A shelter with seating and a solar real-time information screen.",
        S.DECLINED, estimate_pence=1400000,
        review=("The pavement is too narrow for a shelter that meets accessibility standards.", 1600000, "Passenger Transport"),
        decline_reason="The pavement at this stop is 1.6 metres wide; a shelter would leave too little room for wheelchairs and pushchairs. We have asked the bus operator to move the stop 40 metres to a wider pavement, where a shelter could go.",
    ),
    DemoProposal(
        "Huntingdon skate park refurbishment", "dev@demo.example.org", "DEMO-HUN-HUN", ["Play and young people"],
        "Refurbish the worn-out ramps at the Hartford skate park.",
        "Two ramps are closed because of damage and the surface is cracked.",
        "Replace the two damaged ramps and resurface, designed with local skaters.",
        S.IN_DELIVERY, estimate_pence=8000000,
        review=("Feasible; structural survey done.", 8400000, "Leisure"),
        updates=[(8, "Design workshop held with 30 young skaters; contractor appointed.")],
        supporters=5,
    ),
    DemoProposal(
        "St Ives Guided Busway lighting", "dev@demo.example.org", "DEMO-HUN-STI", ["Transport and cycling", "Safety"],
        "Solar stud lights along the busway cycle path between St Ives and Swavesey.",
        "The path is unlit and cyclists commuting in winter ride in complete darkness.",
        "Solar-powered cat's-eye studs along the edge of the path, which do not disturb wildlife.",
        S.ON_BALLOT, estimate_pence=5500000,
        review=("Feasible; the county council owns the path.", 6100000, "Transport"),
        supporters=4,
    ),
    DemoProposal(
        "Community fridge in Eaton Socon", "sarah@demo.example.org", "DEMO-HUN-SNE", ["Community buildings", "Environment and climate"],
        "A community fridge where shops and neighbours share surplus food.",
        "Supermarkets throw away good food while families in the area use the food bank.",
        "A commercial fridge in the Eaton Socon community centre with volunteers checking it daily.",
        S.PUBLISHED, estimate_pence=300000, offer="The Rotary club will run the rota.",
        supporters=2,
    ),
    DemoProposal(
        "Cottenham village green play area", "sarah@demo.example.org", "DEMO-SCA-COT", ["Play and young people", "Parks and green spaces"],
        "New play equipment for under-fives on Cottenham village green.",
        "The play area has one broken spring rider; young families drive to Histon instead.",
        "Accessible play equipment for toddlers, with a fence and bench, chosen with local parents.",
        S.SHORTLISTED, estimate_pence=3500000,
        review=("Feasible; the parish council will maintain it.", 3900000, "Parks and Open Spaces"),
        supporters=3,
    ),
    DemoProposal(
        "Sawston cycle route to the Biomedical Campus", "priya@demo.example.org", "DEMO-SCA-SAW", ["Transport and cycling"],
        "Fill the missing link in the cycle route from Sawston to the Cambridge Biomedical Campus.",
        "A 300 metre gap forces cyclists onto the busy A1301.",
        "A segregated path on the verge to join the existing routes.",
        S.PUBLISHED, estimate_pence=25000000,
        supporters=3,
    ),
    DemoProposal(
        "Cambourne litter-picking kits", "sarah@demo.example.org", "DEMO-SCA-CAM", ["Environment and climate"],
        "Litter-picking kits that residents can borrow from the Cambourne hub.",
        "Residents want to help keep the lakes and paths clean but have no equipment.",
        "Twenty kits (pickers, hoops, gloves, hi-vis) to borrow, and collection of full bags by the council.",
        S.DRAFT, estimate_pence=80000,
    ),
    DemoProposal(
        "Warm space at Cambourne hub in winter", "sarah@demo.example.org", "DEMO-SCA-CAM", ["Community buildings"],
        "Open the hub as a warm space on weekday afternoons from November to March.",
        "Some older residents cannot afford to heat their homes all day.",
        "Staffed warm space with hot drinks and activities, four afternoons a week.",
        S.UNDER_REVIEW, estimate_pence=600000,
        supporters=5,
    ),
]


def _path_to(state: ProposalState) -> list[ProposalState]:
    """The lifecycle steps from draft to ``state``."""
    paths = {
        S.DRAFT: [],
        S.PUBLISHED: [S.PUBLISHED],
        S.UNDER_REVIEW: [S.PUBLISHED, S.UNDER_REVIEW],
        S.SHORTLISTED: [S.PUBLISHED, S.UNDER_REVIEW, S.SHORTLISTED],
        S.DECLINED: [S.PUBLISHED, S.UNDER_REVIEW, S.DECLINED],
        S.ON_BALLOT: [S.PUBLISHED, S.UNDER_REVIEW, S.SHORTLISTED, S.ON_BALLOT],
        S.SELECTED: [S.PUBLISHED, S.UNDER_REVIEW, S.SHORTLISTED, S.ON_BALLOT, S.SELECTED],
        S.NOT_SELECTED: [S.PUBLISHED, S.UNDER_REVIEW, S.SHORTLISTED, S.ON_BALLOT, S.NOT_SELECTED],
        S.IN_DELIVERY: [S.PUBLISHED, S.UNDER_REVIEW, S.SHORTLISTED, S.ON_BALLOT, S.SELECTED, S.IN_DELIVERY],
        S.DELIVERED: [S.PUBLISHED, S.UNDER_REVIEW, S.SHORTLISTED, S.ON_BALLOT, S.SELECTED, S.IN_DELIVERY, S.DELIVERED],
    }
    return paths[state]


def _topics(session: Session, officer: User | None) -> dict[str, Topic]:
    existing = {t.name: t for t in session.execute(select(Topic)).scalars()}
    for name, polish in TOPICS.items():
        if name not in existing:
            existing[name] = services.create_topic(session, officer, name, {"pl": polish})
        elif officer is not None and existing[name].name_in("pl") == name:
            services.update_topic(session, officer, existing[name], name, existing[name].is_active, {"pl": polish})
    return existing


def seed(session: Session) -> list[str]:
    officer = accounts.find_by_email(session, OFFICER)
    if officer is None:
        return ["Proposals: skipped (the demo officer account is missing)."]
    topics = _topics(session, officer)
    places = {p.code: p for p in session.execute(select(Place)).scalars()}
    residents = [u for u in (accounts.find_by_email(session, e) for e in RESIDENTS) if u is not None]
    neighbours = _neighbours(session)
    supported: dict[int, int] = {}
    titles = set(session.execute(select(Proposal.title)).scalars())
    created = 0
    for index, item in enumerate(PROPOSALS):
        if item.title in titles or item.place not in places:
            continue
        data = services.ProposalData(
            title=item.title, summary=item.summary, need=item.need, solution=item.solution,
            place_id=places[item.place].id, topic_ids=[topics[t].id for t in item.topics],
            cost_estimate_pence=item.estimate_pence, offer_of_help=item.offer, language="en",
        )
        if item.channel is not None:
            author = accounts.find_by_email(session, item.author) if item.author else None
            offline = None if author else services.OfflineContributorData(
                name=item.offline_name or "Resident", contact_note="Demo contact note (officers only)", place_id=places[item.place].id
            )
            proposal = services.assisted_entry(session, officer, data, item.channel, for_user=author, offline=offline, publish=False)
        else:
            author = accounts.find_by_email(session, item.author or "")
            if author is None:
                continue
            proposal = services.create_proposal(session, author, data)
        for step in _path_to(item.state):
            if step is S.SHORTLISTED or (step is S.DECLINED and item.review):
                if item.review and proposal.costing_pence is None:
                    feasibility, costing, service = item.review
                    services.record_review(session, officer, proposal, feasibility=feasibility, costing_pence=costing, responsible_service=service)
            reason = item.decline_reason if step is S.DECLINED else None
            services.transition(session, officer if step is not S.PUBLISHED or item.channel else _owner(session, proposal), proposal, step, reason)
            if step is S.PUBLISHED:
                for supporter in _supporters(proposal.place, item.supporters, residents, neighbours, supported):
                    services.support(session, supporter, proposal)
        selected_on = _backdate(session, proposal, index)
        for days, text in item.updates:
            assert selected_on is not None
            services.post_update(session, officer, proposal, text, (selected_on + timedelta(days=days)).date())
        created += 1
    session.flush()
    return [f"Proposals: {len(topics)} topics; {created} proposals created ({len(PROPOSALS)} in the demo set)."]


def _district(place: Place | None) -> int | None:
    for p in place.lineage() if place is not None else []:
        if p.kind == "district":
            return p.id
    return None


def _neighbours(session: Session) -> list[User]:
    out = []
    for email, name, postcode in NEIGHBOURS:
        user = accounts.find_by_email(session, email)
        if user is None:
            user = accounts.create_user(session, email=email, display_name=name, password=DEMO_PASSWORD, roles=[],
                                        postcode=postcode)
        out.append(user)
    return out


def _supporters(place: Place, wanted: int, residents: list[User], neighbours: list[User],
                supported: dict[int, int]) -> list[User]:
    """Who supports a demo proposal: at most one named resident of the same district (while under their limit),
    then neighbours from that district, then from elsewhere."""
    district = _district(place)
    chosen: list[User] = []
    for user in residents:
        if (_district(user.home_place) == district and supported.get(user.id, 0) < NAMED_SUPPORT_LIMIT):
            chosen.append(user)
            supported[user.id] = supported.get(user.id, 0) + 1
            break
    near = [u for u in neighbours if _district(u.home_place) == district]
    far = [u for u in neighbours if u not in near]
    chosen += (near + far)[: max(0, wanted - len(chosen))]
    return chosen[:wanted]


def _owner(session: Session, proposal: Proposal) -> User:
    author = session.get(User, proposal.author_id) if proposal.author_id else None
    assert author is not None
    return author


STEP_DAYS = 20


def _backdate(session: Session, proposal: Proposal, index: int) -> datetime | None:
    """Spread the demo proposal's history over the past months (one step every 20 days, ending a few days
    ago), as if it had happened; return when it was selected, if it was."""
    events = list(
        session.execute(
            select(ProposalEvent).where(ProposalEvent.proposal_id == proposal.id).order_by(ProposalEvent.id)
        ).scalars()
    )
    start = utcnow() - timedelta(days=STEP_DAYS * (len(events) + 1) + 3 + index % 7, hours=index)
    proposal.created_at = start
    selected_on = None
    for k, event in enumerate(events, start=1):
        event.happened_on = start + timedelta(days=STEP_DAYS * k)
        if event.to_state == S.PUBLISHED.value:
            proposal.published_at = event.happened_on
        if event.to_state == S.SELECTED.value:
            selected_on = event.happened_on
    session.flush()
    return selected_on
