"""The address list and the invitation lottery.

An officer uploads the households (CSV: ``address_id``, ``postcode``, optionally ``decile`` for an index of
deprivation).  The place of each comes from its postcode.  The lottery is committed before its seed is known:
the hash of the address list, the number of households, uniform or stratified by place, and the deprivation
weights are published with how the seed will be fixed; then the seed is recorded and the households drawn by
``app.tally.invitations``.  Each drawn household gets one letter with a unique, single-use response code.
"""

from __future__ import annotations

import csv
import hashlib
import json
import re
import secrets
import shlex
from dataclasses import dataclass
from typing import IO, Any

from flask_babel import gettext as _
from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from app.auth.models import User
from app.core import audit
from app.core.db import utcnow
from app.core.errors import DomainError
from app.panels.models import Address, Invitation, InvitationDraw, Panel
from app.places.models import Postcode
from app.places.services import normalise_postcode

MAX_ADDRESSES = 500_000
SEED_MAX = 200
PLAN_MAX = 2_000
CODE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no 0/O, 1/I
CODE_LENGTH = 12


@dataclass(frozen=True)
class UploadReport:
    count: int
    places: int


def _fail_row(line: int, message: str) -> DomainError:
    return DomainError(_("Row %(line)d: %(problem)s", line=line, problem=message), field="file")


def upload_addresses(session: Session, officer: User, panel: Panel, handle: IO[str]) -> UploadReport:
    """Replace the panel's address list with the file's (refused once the invitation lottery is committed)."""
    if panel.invitation_draw is not None:
        raise DomainError(_("The invitation lottery is committed: the address list can no longer change."), field="file")
    reader = csv.DictReader(handle)
    header = [(h or "").strip().lower() for h in (reader.fieldnames or [])]
    id_col = "address_id" if "address_id" in header else ("id" if "id" in header else None)
    if id_col is None or "postcode" not in header:
        raise DomainError(_("The file needs a header row with the columns address_id and postcode."), field="file")
    known = dict(session.execute(select(Postcode.postcode, Postcode.place_id)).all())
    rows: dict[str, tuple[str, int, int | None]] = {}
    for line, raw in enumerate(reader, start=2):
        row = {(k or "").strip().lower(): (v or "").strip() for k, v in raw.items() if k is not None}
        ref = row.get(id_col, "")
        if not ref:
            raise _fail_row(line, _("the address id is empty."))
        if len(ref) > 60:
            raise _fail_row(line, _("the address id is longer than 60 characters."))
        if ref in rows:
            raise _fail_row(line, _("the address id %(ref)s appears twice.", ref=ref))
        postcode = normalise_postcode(row.get("postcode", ""))
        if postcode is None:
            raise _fail_row(line, _("“%(postcode)s” is not a UK postcode.", postcode=row.get("postcode", "")))
        if postcode not in known:
            raise _fail_row(line, _("the postcode %(postcode)s is not in any area this site covers.", postcode=postcode))
        decile_text = row.get("decile", "")
        decile: int | None = None
        if decile_text:
            if not decile_text.isdigit() or not 1 <= int(decile_text) <= 10:
                raise _fail_row(line, _("the decile must be a whole number from 1 to 10."))
            decile = int(decile_text)
        rows[ref] = (postcode, known[postcode], decile)
        if len(rows) > MAX_ADDRESSES:
            raise DomainError(_("The file has more than %(max)d addresses.", max=MAX_ADDRESSES), field="file")
    if not rows:
        raise DomainError(_("The file has no addresses."), field="file")
    session.execute(delete(Address).where(Address.panel_id == panel.id))
    session.add_all(Address(panel_id=panel.id, ref=ref, postcode=pc, place_id=place_id, decile=decile)
                    for ref, (pc, place_id, decile) in rows.items())
    session.flush()
    places = len({place_id for _pc, place_id, _d in rows.values()})
    audit.record(session, "panels.addresses_uploaded", actor=officer, obj=panel,
                 data={"addresses": len(rows), "places": places, "sha256": addresses_sha256(session, panel)})
    return UploadReport(len(rows), places)


def addresses(session: Session, panel: Panel) -> list[Address]:
    return list(session.execute(select(Address).where(Address.panel_id == panel.id).order_by(Address.ref)).scalars())


def address_count(session: Session, panel: Panel) -> int:
    return int(session.execute(select(func.count()).select_from(Address).where(Address.panel_id == panel.id)).scalar_one())


def households_by_place(session: Session, panel: Panel) -> list[tuple[str, int]]:
    from app.places.models import Place

    rows = session.execute(
        select(Place.name, func.count(Address.id)).join(Place, Place.id == Address.place_id)
        .where(Address.panel_id == panel.id).group_by(Place.name).order_by(Place.name)
    ).all()
    return [(str(name), int(n)) for name, n in rows]


PUBLIC_ID_PREFIX = "H"
ADDRESSES_FILE = "addresses.csv"
INVITED_FILE = "invited.csv"


def public_ids(session: Session, panel: Panel) -> list[tuple[str, Address]]:
    """Each address with its published id: ``H000001``, ``H000002``, ... in the order of the council's own
    references (sorted in Python, so every database gives the same order).  The reference itself, which may be
    a UPRN, and the postcode are never published."""
    rows = sorted(addresses(session, panel), key=lambda a: a.ref)
    return [(f"{PUBLIC_ID_PREFIX}{i:06d}", a) for i, a in enumerate(rows, start=1)]


def addresses_csv(session: Session, panel: Panel) -> str:
    """The anonymised list, as published and hashed for the commitment: the published id, the area (the place
    code of the postcode) and the deprivation decile (``app.tally.formats.addresses_csv``)."""
    from app.tally.formats.addresses_csv import write_addresses

    return write_addresses([(pid, a.place.code, a.decile) for pid, a in public_ids(session, panel)])


def addresses_sha256(session: Session, panel: Panel) -> str:
    return hashlib.sha256(addresses_csv(session, panel).encode("utf-8")).hexdigest()


def invited_ids(session: Session, panel: Panel) -> list[str]:
    """The published ids of the invited households, in draw order."""
    pid_of = {a.id: pid for pid, a in public_ids(session, panel)}
    rows = session.execute(select(Invitation.address_id).where(Invitation.panel_id == panel.id).order_by(Invitation.id))
    return [pid_of[address_id] for address_id in rows.scalars() if address_id in pid_of]


def invited_csv(ids: list[str]) -> str:
    return "address_id\n" + "".join(f"{pid}\n" for pid in ids)


def rerun_command(draw: InvitationDraw) -> str:
    """``python -m app.tally invitations addresses.csv ...``: re-runs the draw from the published file."""
    from app.tally.formats.addresses_csv import format_weights

    parts = ["python", "-m", "app.tally", "invitations", ADDRESSES_FILE, "--households", str(draw.households),
             "--seed", draw.seed or "SEED"]
    if draw.is_stratified:
        parts += ["--stratify", "area"]
    if draw.weights:
        parts += ["--weights", format_weights(draw.weights)]
    return " ".join(shlex.quote(p) for p in parts)


_WEIGHT_RE = re.compile(r"^\s*(10|[1-9])\s*[=:]\s*([0-9]+(?:\.[0-9]+)?)\s*$")


def parse_weights(text: str) -> dict[str, float]:
    """'1=3, 2=2, 3=1.5' → {'1': 3.0, '2': 2.0, '3': 1.5}; deciles not named weigh 1."""
    weights: dict[str, float] = {}
    for part in re.split(r"[,;\n]+", text or ""):
        if not part.strip():
            continue
        m = _WEIGHT_RE.match(part)
        if not m:
            raise DomainError(_("Write the weights as decile=weight, for example 1=3, 2=2, 3=1.5"), field="weights")
        weight = float(m.group(2))
        if not 0 < weight <= 100:
            raise DomainError(_("Each weight must be more than 0 and at most 100"), field="weights")
        weights[m.group(1)] = weight
    return weights


@dataclass(frozen=True)
class LotteryPlan:
    households: int | None
    is_stratified: bool
    weights_text: str
    seed_plan: str


def commit_invitations(session: Session, officer: User, panel: Panel, plan: LotteryPlan) -> InvitationDraw:
    """Publish what will be drawn and how the seed will be fixed, before the seed exists."""
    if panel.invitation_draw is not None:
        raise DomainError(_("The invitation lottery is already committed."))
    total = address_count(session, panel)
    if total == 0:
        raise DomainError(_("Upload the address list first."))
    if plan.households is None or plan.households < 1:
        raise DomainError(_("Enter how many households to invite"), field="households")
    if plan.households > total:
        raise DomainError(_("You cannot invite more households than the %(total)d on the list", total=total),
                          field="households")
    weights = parse_weights(plan.weights_text)
    if weights and not session.execute(
        select(Address.id).where(Address.panel_id == panel.id, Address.decile.is_not(None)).limit(1)
    ).first():
        raise DomainError(_("The address list has no decile column, so there is nothing to weight."), field="weights")
    seed_plan = (plan.seed_plan or "").strip()
    if not seed_plan:
        raise DomainError(_("Say how the seed will be fixed, for example by witnesses at a public meeting"), field="seed_plan")
    if len(seed_plan) > PLAN_MAX:
        raise DomainError(_("Keep this to %(max)d characters or fewer", max=PLAN_MAX), field="seed_plan")
    draw = InvitationDraw(panel_id=panel.id, households=plan.households, is_stratified=plan.is_stratified,
                          weights_json=json.dumps(weights, sort_keys=True), seed_plan=seed_plan,
                          addresses_sha256=addresses_sha256(session, panel),
                          inputs_sha256=lottery_sha256(session, panel, plan.households, plan.is_stratified, weights))
    session.add(draw)
    session.flush()
    session.refresh(panel)
    audit.record(session, "panels.invitations_committed", actor=officer, obj=panel,
                 data={"households": draw.households, "stratified": draw.is_stratified, "weights": weights,
                       "addresses_sha256": draw.addresses_sha256, "inputs_sha256": draw.inputs_sha256,
                       "seed_plan": seed_plan})
    return draw


def _check_seed(seed: str) -> str:
    seed = (seed or "").strip()
    if not seed:
        raise DomainError(_("Enter the seed"), field="seed")
    if len(seed) > SEED_MAX:
        raise DomainError(_("The seed must be %(max)d characters or fewer", max=SEED_MAX), field="seed")
    return seed


def _random_code() -> str:
    raw = "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))
    return f"{raw[:4]}-{raw[4:8]}-{raw[8:]}"


def new_codes(session: Session, count: int) -> list[str]:
    """``count`` fresh response codes, none already in use (the column is unique as well)."""
    codes: set[str] = set()
    while len(codes) < count:
        batch = {_random_code() for _ in range(count - len(codes))} - codes
        taken = set(session.execute(select(Invitation.code).where(Invitation.code.in_(batch))).scalars()) if batch else set()
        codes |= batch - taken
    return list(codes)


def normalise_code(raw: str) -> str:
    compact = re.sub(r"[^A-Za-z0-9]", "", raw or "").upper()
    return f"{compact[:4]}-{compact[4:8]}-{compact[8:]}" if len(compact) == CODE_LENGTH else compact


def _lottery_inputs(session: Session, panel: Panel, weights: dict[str, float]) -> tuple[list[Any], dict[str, float] | None]:
    """The library's inputs, read from the published file exactly as the recount command reads it: each
    address in the stratum of its area (and, when deprivation weights are used, of its decile:
    ``AREA/decile-N``), and each stratum's weight."""
    from app.tally.formats.addresses_csv import parse_addresses

    listing = parse_addresses(addresses_csv(session, panel), stratify="area", weights=weights, source=ADDRESSES_FILE)
    return list(listing.addresses), listing.stratum_weights


def lottery_sha256(session: Session, panel: Panel, households: int, is_stratified: bool, weights: dict[str, float]) -> str:
    from app.tally.invitations import inputs_sha256

    tally_addresses, stratum_weights = _lottery_inputs(session, panel, weights)
    return inputs_sha256(tally_addresses, households, stratified=is_stratified, weights=stratum_weights)


def draw_invitations(session: Session, officer: User, panel: Panel, seed: str) -> InvitationDraw:
    """Record the seed and draw the households; each gets an invitation with its own code."""
    from app.tally.invitations import draw_invitations as lottery

    draw = panel.invitation_draw
    if draw is None:
        raise DomainError(_("Commit the invitation lottery before recording its seed."))
    if draw.seed is not None:
        raise DomainError(_("The invitation lottery has already been drawn."))
    draw.seed = _check_seed(seed)
    tally_addresses, stratum_weights = _lottery_inputs(session, panel, draw.weights)
    result = lottery(tally_addresses, draw.households, draw.seed, stratified=draw.is_stratified, weights=stratum_weights)
    if result.inputs_sha256 != draw.inputs_sha256:  # the list cannot change after the commitment; check anyway
        raise DomainError(_("The address list no longer matches the commitment, so the lottery cannot be drawn."))
    draw.drawn_at = utcnow()
    draw.method_text = result.method
    draw.strata_json = json.dumps(dict(result.per_stratum), sort_keys=True)
    by_public_id = dict(public_ids(session, panel))
    session.add_all([Invitation(panel_id=panel.id, address_id=by_public_id[pid].id, code=code)
                     for pid, code in zip(result.selected, new_codes(session, len(result.selected)), strict=True)])
    session.flush()
    audit.record(session, "panels.invitations_seed_recorded", actor=officer, obj=panel, data={"seed": draw.seed})
    audit.record(session, "panels.invitations_drawn", actor=officer, obj=panel,
                 data={"seed": draw.seed, "inputs_sha256": draw.inputs_sha256, "households": len(result.selected),
                       "per_stratum": dict(result.per_stratum)})
    return draw


def invitations(session: Session, panel: Panel) -> list[Invitation]:
    return list(session.execute(
        select(Invitation).join(Address, Address.id == Invitation.address_id)
        .where(Invitation.panel_id == panel.id).order_by(Address.ref)
    ).scalars())
