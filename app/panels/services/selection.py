"""Quotas, the feasibility check, and the verifiable draw.

Officers enter each category value's target share and the panel size; each share gives a minimum (rounded down)
and a maximum (rounded up) number of members.  Before the draw, ``app.tally.sortition.check_quotas`` says whether
the pool can meet them, and which smallest relaxations would make it.

The draw is verifiable: ``commit`` freezes the anonymised pool file (public ids and category answers only) and
the quotas file, and publishes their SHA-256, the inputs hash the recount command prints, the method, the size,
the software version and how the seed will be fixed, before anyone knows the seed.  ``record_seed_and_draw``
then records the seed and runs the selection on the frozen files, exactly as
``python -m app.tally sortition pool.csv quotas.csv --size K --seed S --method M`` does, so anyone can re-run it.

Optionally the draw is a *transparent lottery* (Flanigan, Kehne and Procaccia, "Fair sortition made transparent",
NeurIPS 2021; ``app.tally.sortition.transparent``): at the commitment the fair distribution is rounded to M equally
likely panels, whose list (``lottery.csv``) and its SHA-256 are published; witnesses then draw a number from 1 to M
in public (three ten-sided dice for M = 1000) and ``record_ticket_and_draw`` takes that ticket's panel, exactly as
``python -m app.tally sortition pool.csv quotas.csv --size K --method M --lottery M --ticket N`` does.
"""

from __future__ import annotations

import csv
import hashlib
import importlib.metadata
import io
import json
import math
import shlex
from collections import Counter
from dataclasses import dataclass
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import delete
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from app.auth.models import User
from app.core import audit
from app.core.db import utcnow
from app.core.errors import DomainError
from app.core.i18n import number
from app.panels.models import Method, Panel, Quota, Respondent, SelectionDraw, Status
from app.panels.services.invitations import PLAN_MAX, SEED_MAX
from app.panels.services.registration import pool

POOL_FILE = "pool.csv"
QUOTAS_FILE = "quotas.csv"
MAX_SIZE = 1_000
LOTTERY_FILE = "lottery.csv"
LOTTERY_MIN = 2
LOTTERY_MAX = 10_000  # four ten-sided dice


def software_version() -> str:
    try:
        return "folkmoot " + importlib.metadata.version("folkmoot")
    except importlib.metadata.PackageNotFoundError:  # a source checkout that was never installed
        return "folkmoot (source)"


# --- quotas -----------------------------------------------------------------------------------------------

def bounds(share_permille: int, size: int, leeway: int = 0) -> tuple[int, int]:
    """The minimum and maximum members a target share gives: the share of the seats rounded down and up, each
    widened by ``leeway`` seats (which leaves room for replacements), within 0 and the panel size."""
    target = share_permille * size / 1000
    return max(0, math.floor(target + 1e-9) - leeway), min(size, math.ceil(target - 1e-9) + leeway)


@dataclass(frozen=True)
class QuotaPlan:
    size: int | None
    method: Method
    shares: dict[tuple[str, str], int]  # (category, value) -> share in tenths of a percent
    leeway: int = 0


def set_quotas(session: Session, officer: User, panel: Panel, plan: QuotaPlan) -> list[Quota]:
    if panel.selection is not None:
        raise DomainError(_("The draw is committed: the quotas can no longer change."))
    if not panel.questions:
        raise DomainError(_("Add the panel's questions first."))
    if plan.size is None or not 1 <= plan.size <= MAX_SIZE:
        raise DomainError(_("Enter a panel size from 1 to %(max)d", max=MAX_SIZE), field="size")
    if not 0 <= plan.leeway <= plan.size:
        raise DomainError(_("The leeway must be from 0 to the panel size"), field="leeway")
    for q in panel.questions:
        total = sum(plan.shares.get((q.category, v), 0) for v in q.options)
        if abs(total - 1000) > 5:
            raise DomainError(_("The shares for “%(question)s” add up to %(total)s%%; they must add up to 100%%.",
                                question=q.text, total=number(total / 10)), field=f"share-{q.category}-0")
    session.execute(delete(Quota).where(Quota.panel_id == panel.id))
    rows = []
    for q in panel.questions:
        for value in q.options:
            share = plan.shares.get((q.category, value), 0)
            low, high = bounds(share, plan.size, plan.leeway)
            rows.append(Quota(panel_id=panel.id, category=q.category, value=value, share_permille=share,
                              min_count=low, max_count=high))
    session.add_all(rows)
    panel.size, panel.method, panel.quota_leeway = plan.size, plan.method.value, plan.leeway
    session.flush()
    session.refresh(panel)
    audit.record(session, "panels.quotas_set", actor=officer, obj=panel,
                 data={"size": plan.size, "method": plan.method.value, "leeway": plan.leeway,
                       "quotas": [[r.category, r.value, r.share_permille, r.min_count, r.max_count] for r in rows]})
    return rows


# --- the files: built once at commitment by app.tally.formats.sortition_csv, and read back for the draw with its
# readers, exactly as the recount command reads them ------------------------------------------------------------

def _tally_quotas(panel: Panel) -> tuple[Any, ...]:
    from app.tally.sortition import Quota as TallyQuota

    return tuple(TallyQuota(q.category, q.value, q.min_count, q.max_count) for q in panel.quotas)


def pool_csv(panel: Panel, people: list[Respondent]) -> str:
    from app.tally.formats.sortition_csv import write_pool
    from app.tally.sortition import Person

    categories = [q.category for q in panel.questions]
    return write_pool([Person(r.public_id, {c: r.answers.get(c, "") for c in categories}) for r in people],
                      _tally_quotas(panel))


def quotas_csv(panel: Panel) -> str:
    from app.tally.formats.sortition_csv import write_quotas

    return write_quotas(_tally_quotas(panel))


def problem_from_files(people_text: str, quotas_text: str, size: int) -> Any:
    """The selection problem the two published files describe."""
    from app.tally.formats.sortition_csv import parse_categories, parse_people
    from app.tally.sortition import Problem

    quotas = parse_categories(quotas_text, QUOTAS_FILE)
    return Problem(people=parse_people(people_text, quotas, source=POOL_FILE), quotas=quotas, size=size)


def current_problem(session: Session, panel: Panel) -> Any:
    return problem_from_files(pool_csv(panel, pool(session, panel)), quotas_csv(panel), panel.size or 0)


@dataclass(frozen=True)
class Feasibility:
    ok: bool
    pool_size: int
    problems: list[str]
    relaxations: list[tuple[str, str, int, int, int, int]]  # category, value, min, max, new min, new max


def feasibility(session: Session, panel: Panel) -> Feasibility | None:
    """Can the current pool meet the quotas?  None until the size and quotas are set."""
    from app.tally.records import InputError
    from app.tally.sortition import check_quotas

    if not panel.size or not panel.quotas:
        return None
    people = pool(session, panel)
    if len(people) < panel.size:
        return Feasibility(False, len(people), [_("The pool has %(pool)d people, fewer than the panel's %(size)d seats.",
                                                  pool=len(people), size=panel.size)], [])
    counts = Counter((c, v) for r in people for c, v in r.answers.items())
    problems = [
        _("%(category)s = %(value)s needs at least %(min)d members but only %(have)d people in the pool gave this answer.",
          category=q.category, value=q.value, min=q.min_count, have=counts[(q.category, q.value)])
        for q in panel.quotas if counts[(q.category, q.value)] < q.min_count
    ]
    try:
        result = check_quotas(current_problem(session, panel))
    except InputError as exc:
        return Feasibility(False, len(people), [*problems, str(exc)], [])
    if result is None and not problems:
        return Feasibility(True, len(people), [], [])
    relaxations = []
    if result is not None:
        problems += [_("These quotas cannot all be met together: %(quotas)s",
                       quotas=", ".join(f"{q.category} = {q.value} ({q.min}–{q.max})" for q in result.quotas))]
        relaxations = [(q.category, q.value, q.min, q.max, new_min, new_max) for q, new_min, new_max in result.relaxations]
    return Feasibility(False, len(people), problems, relaxations)


def apply_relaxations(session: Session, officer: User, panel: Panel) -> int:
    """Widen the quotas as the feasibility check suggests; the shares stay as entered."""
    if panel.selection is not None:
        raise DomainError(_("The draw is committed: the quotas can no longer change."))
    check = feasibility(session, panel)
    if check is None or not check.relaxations:
        raise DomainError(_("There are no suggested relaxations to apply."))
    by_key = {(q.category, q.value): q for q in panel.quotas}
    changed = []
    for category, value, _old_min, _old_max, new_min, new_max in check.relaxations:
        quota = by_key[(category, value)]
        quota.min_count, quota.max_count = new_min, new_max
        changed.append([category, value, new_min, new_max])
    session.flush()
    audit.record(session, "panels.quotas_relaxed", actor=officer, obj=panel, data={"quotas": changed})
    return len(changed)


# --- the commitment, the seed and the draw -----------------------------------------------------------------

def sha256(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def commitment_document(*, pool_sha: str, quotas_sha: str, inputs_sha: str, method: str, size: int, version: str,
                        seed_plan: str, lottery_size: int | None = None, lottery_sha: str | None = None) -> str:
    """The statement whose SHA-256 is the commitment (canonical JSON, sorted keys, UTF-8).  With a transparent
    lottery it also names the number of panels and the SHA-256 of their list (lottery.csv)."""
    statement: dict[str, Any] = {"pool_csv_sha256": pool_sha, "quotas_csv_sha256": quotas_sha, "inputs_sha256": inputs_sha,
                                 "method": method, "size": size, "software": version, "seed_will_be_fixed_by": seed_plan}
    if lottery_size is not None:
        statement |= {"lottery_panels": lottery_size, "lottery_csv_sha256": lottery_sha}
    return json.dumps(statement, sort_keys=True, ensure_ascii=False, separators=(",", ":"))


def _check_lottery_size(method: str, lottery: int | None) -> None:
    if lottery is None:
        return
    if method not in ("leximin", "maximin"):
        raise DomainError(_("A transparent lottery needs the LEXIMIN or maximin method: the legacy draw's panels "
                            "depend on the seed. Change the method on the quotas page, or leave the lottery empty."),
                          field="lottery")
    if not LOTTERY_MIN <= lottery <= LOTTERY_MAX:
        raise DomainError(_("Enter a number of panels from %(min)d to %(max)d, or leave it empty",
                            min=LOTTERY_MIN, max=LOTTERY_MAX), field="lottery")


def commit(session: Session, officer: User, panel: Panel, seed_plan: str, lottery: int | None = None) -> SelectionDraw:
    """Freeze and publish the files and the commitment.  With ``lottery=M`` the fair distribution is rounded to
    M equally likely panels, whose list is published too; the number drawn in public then picks the panel."""
    from app.tally.records import InputError
    from app.tally.sortition import inputs_sha256
    from app.tally.sortition.transparent import lottery_csv, transparent_lottery

    if panel.selection is not None:
        raise DomainError(_("The draw is already committed."))
    seed_plan = (seed_plan or "").strip()
    if not seed_plan:
        raise DomainError(_("Say how the seed will be fixed, for example by witnesses at a public meeting"), field="seed_plan")
    if len(seed_plan) > PLAN_MAX:
        raise DomainError(_("Keep this to %(max)d characters or fewer", max=PLAN_MAX), field="seed_plan")
    _check_lottery_size(panel.method, lottery)
    check = feasibility(session, panel)
    if check is None:
        raise DomainError(_("Set the panel size and the quotas first."))
    if not check.ok:
        raise DomainError(_("The pool cannot meet the quotas yet. Change them or apply the suggested relaxations."))
    assert panel.size is not None
    people_text, quotas_text = pool_csv(panel, pool(session, panel)), quotas_csv(panel)
    problem = problem_from_files(people_text, quotas_text, panel.size)
    inputs = inputs_sha256(problem, panel.method)
    listing = max_change = None
    if lottery is not None:
        try:
            rounded = transparent_lottery(problem, lottery, method=panel.method)
        except InputError as exc:
            raise DomainError(_("The lottery could not be made: %(problem)s", problem=str(exc))) from None
        listing, max_change = lottery_csv(rounded.panels), float(rounded.max_change)
    version = software_version()
    document = commitment_document(pool_sha=sha256(people_text), quotas_sha=sha256(quotas_text), inputs_sha=inputs,
                                   method=panel.method, size=panel.size, version=version, seed_plan=seed_plan,
                                   lottery_size=lottery, lottery_sha=sha256(listing) if listing is not None else None)
    draw = SelectionDraw(panel_id=panel.id, method=panel.method, size=panel.size, software_version=version,
                         seed_plan=seed_plan, pool_csv=people_text, quotas_csv=quotas_text, inputs_sha256=inputs,
                         commitment_text=document, commitment_sha256=sha256(document), committed_by_id=officer.id,
                         lottery_size=lottery, lottery_csv=listing,
                         lottery_sha256=sha256(listing) if listing is not None else None, lottery_max_change=max_change)
    session.add(draw)
    try:
        with session.begin_nested():
            session.flush()
    except IntegrityError:
        raise DomainError(_("The draw is already committed.")) from None
    panel.is_registration_open = False
    session.flush()
    session.refresh(panel)
    audit.record(session, "panels.draw_committed", actor=officer, obj=panel,
                 data={"commitment_sha256": draw.commitment_sha256, "inputs_sha256": inputs, "method": draw.method,
                       "size": draw.size, "software": version, "seed_plan": seed_plan, "pool": check.pool_size,
                       "lottery_panels": lottery, "lottery_csv_sha256": draw.lottery_sha256,
                       "lottery_max_change": max_change})
    return draw


def frozen_problem(draw: SelectionDraw) -> Any:
    return problem_from_files(draw.pool_csv, draw.quotas_csv, draw.size)


def _open_draw(panel: Panel) -> SelectionDraw:
    draw = panel.selection
    if draw is None:
        raise DomainError(_("Publish the commitment before recording the seed."))
    if draw.seed is not None:
        raise DomainError(_("The seed is already recorded and the panel drawn."))
    return draw


def record_seed_and_draw(session: Session, officer: User, panel: Panel, seed: str) -> SelectionDraw:
    """Record the seed and draw the panel from the committed distribution (no transparent lottery)."""
    from app.tally.records import InputError
    from app.tally.sortition import select

    draw = _open_draw(panel)
    if draw.lottery_size is not None:
        raise DomainError(_("This draw uses a transparent lottery: record the number drawn instead."))
    seed = (seed or "").strip()
    if not seed:
        raise DomainError(_("Enter the seed"), field="seed")
    if len(seed) > SEED_MAX:
        raise DomainError(_("The seed must be %(max)d characters or fewer", max=SEED_MAX), field="seed")
    draw.seed, draw.seed_recorded_at = seed, utcnow()
    session.flush()
    audit.record(session, "panels.seed_recorded", actor=officer, obj=panel,
                 data={"seed": seed, "commitment_sha256": draw.commitment_sha256})
    problem = frozen_problem(draw)
    try:
        result = select(problem, method=draw.method, seed=seed)
    except InputError as exc:  # the commitment checked the quotas, so this means the files were changed
        raise DomainError(_("The draw could not run: %(problem)s", problem=str(exc))) from None
    return _finish(session, officer, panel, draw, problem, list(result.panel), dict(result.probabilities),
                   {"panels": int(result.panels), "inputs_sha256": result.inputs_sha256,
                    "seconds": round(float(result.seconds), 3)})


def record_ticket_and_draw(session: Session, officer: User, panel: Panel, ticket: int | None) -> SelectionDraw:
    """Record the number drawn in public (1..M) and take that ticket's panel from the published lottery list.
    The number is stored as the draw's seed, so the reserves (and later replacements) are ranked from it."""
    from app.tally.sortition.transparent import parse_lottery_csv, probabilities_of

    draw = _open_draw(panel)
    if draw.lottery_size is None or draw.lottery_csv is None:
        raise DomainError(_("This draw has no transparent lottery: record the seed instead."))
    if ticket is None or not 1 <= ticket <= draw.lottery_size:
        raise DomainError(_("Enter the number drawn, a whole number from 1 to %(max)d", max=draw.lottery_size),
                          field="ticket")
    if sha256(draw.lottery_csv) != draw.lottery_sha256:  # the list cannot change after the commitment; check anyway
        raise DomainError(_("The lottery list no longer matches the commitment, so the panel cannot be drawn."))
    draw.seed, draw.seed_recorded_at = str(ticket), utcnow()
    session.flush()
    audit.record(session, "panels.ticket_recorded", actor=officer, obj=panel,
                 data={"ticket": ticket, "lottery_panels": draw.lottery_size, "lottery_csv_sha256": draw.lottery_sha256,
                       "commitment_sha256": draw.commitment_sha256})
    panels = parse_lottery_csv(draw.lottery_csv)
    problem = frozen_problem(draw)
    probabilities = probabilities_of(panels, [p.id for p in problem.people])
    return _finish(session, officer, panel, draw, problem, list(panels[ticket - 1]), probabilities,
                   {"panels": len(panels), "inputs_sha256": draw.inputs_sha256, "ticket": ticket,
                    "lottery": draw.lottery_size, "rounding_max_change": draw.lottery_max_change})


def _finish(session: Session, officer: User, panel: Panel, draw: SelectionDraw, problem: Any, chosen: list[str],
            probabilities: dict[str, float], extra: dict[str, Any]) -> SelectionDraw:
    """Store the result (panel, probabilities, reserves ranked from the seed), mark the drawn, audit it."""
    from app.tally.sortition import rank_reserves

    assert draw.seed is not None
    reserves = list(rank_reserves(problem, tuple(chosen), draw.seed))
    minimum = min(probabilities.values(), default=0.0)
    draw.result_json = json.dumps({
        "panel": sorted(chosen), "probabilities": {str(k): float(v) for k, v in sorted(probabilities.items())},
        "min_probability": float(minimum), "reserves": reserves, **extra,
    }, sort_keys=True)
    draw.drawn_at = utcnow()
    chosen_set = set(chosen)
    for r in pool(session, panel):
        if r.public_id in chosen_set:
            r.status = Status.SELECTED.value
    session.flush()
    audit.record(session, "panels.drawn", actor=officer, obj=panel,
                 data={"seed": draw.seed, "method": draw.method, "inputs_sha256": draw.inputs_sha256,
                       "panel": sorted(chosen), "min_probability": float(minimum),
                       **({"ticket": extra["ticket"]} if "ticket" in extra else {})})
    return draw


def rerun_command(draw: SelectionDraw) -> str:
    parts = ["python", "-m", "app.tally", "sortition", POOL_FILE, QUOTAS_FILE, "--size", str(draw.size)]
    if draw.lottery_size is not None:
        parts += ["--method", draw.method, "--lottery", str(draw.lottery_size), "--ticket", draw.seed or "N"]
    else:
        parts += ["--seed", draw.seed or "SEED", "--method", draw.method]
    return " ".join(shlex.quote(p) for p in parts)


def lottery_rows(draw: SelectionDraw) -> list[tuple[int, tuple[str, ...]]]:
    """The published lottery: (ticket, panel) for every ticket (empty without a lottery or after the purge)."""
    from app.tally.sortition.transparent import parse_lottery_csv

    if not draw.lottery_csv:
        return []
    return list(enumerate(parse_lottery_csv(draw.lottery_csv), start=1))


def probabilities_by_category(draw: SelectionDraw) -> list[tuple[str, str, int, float, float]]:
    """For each category value: people in the pool, their lowest and their average selection probability (kept
    in the result when the pool file is deleted with the personal data)."""
    if "by_category" in draw.result:
        return [(str(c), str(v), int(n), float(lo), float(mean)) for c, v, n, lo, mean in draw.result["by_category"]]
    probabilities = draw.result.get("probabilities", {})
    groups: dict[tuple[str, str], list[float]] = {}
    for row in csv.DictReader(io.StringIO(draw.pool_csv)):
        for category, value in row.items():
            if category != "id":
                groups.setdefault((category, value), []).append(float(probabilities.get(row["id"], 0.0)))
    return [(c, v, len(ps), min(ps), sum(ps) / len(ps)) for (c, v), ps in sorted(groups.items())]
