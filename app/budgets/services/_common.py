"""What every budget service shares: limits, the software version, money wording and the process lock."""

from __future__ import annotations

import importlib.metadata

from sqlalchemy import select
from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import set_committed_value

from app.budgets.models import BudgetProcess

MAX_AMOUNT_PENCE = 2_000_000_000  # fits a 32-bit integer column with room to spare
MAX_SUPPORT_THRESHOLD = 100_000


def software_version() -> str:
    try:
        return importlib.metadata.version("folkmoot")
    except importlib.metadata.PackageNotFoundError:  # pragma: no cover - always installed in this project
        return "unknown"


def _money(pence: int) -> str:
    from app.core.i18n import money

    return money(pence)


def _lock_process(session: Session, process: BudgetProcess, *, read: bool) -> None:
    """Serialise phase changes against ballots being cast or added (PostgreSQL row lock; SQLite serialises
    writers), then re-read the phase: the process was loaded earlier in the request, and another officer may
    have moved it on since, so the guards that follow must not trust the copy in memory."""
    phase = session.execute(select(BudgetProcess.phase).where(BudgetProcess.id == process.id).with_for_update(read=read)).scalar_one()
    set_committed_value(process, "phase", phase)  # the locked row's phase, read in the same statement
