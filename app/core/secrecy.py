"""Ballot secrecy at rest: a ballot row never holds its voter's id, only a keyed token.

``token = HMAC-SHA256(key, "<scope>:<id>:<voter id>")`` where scope is ``budget`` (a budget heading) or ``vote``
(a ranked vote).  The server, which holds the key, can recompute a resident's token to show back or replace
their own ballot, and the count can join the register (who voted) to the ballot box (what was chosen) to apply
delegated weights; a database dump or backup without the key cannot link a ballot to a person.  The key is the
configuration value ``BALLOT_SECRET``, or ``SECRET_KEY`` when that is not set.  ``flask ballots rekey`` moves
every token to a new key (README, "Ballot secrecy").

Ballot ids are random 64-bit numbers (:func:`random_id`), so the order of the ballot box does not follow the
order of the register.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets

from flask import current_app
from sqlalchemy.orm import Session

BUDGET = "budget"
VOTE = "vote"


def ballot_key() -> bytes:
    """The key the tokens are made with: ``BALLOT_SECRET``, else ``SECRET_KEY``."""
    key = current_app.config.get("BALLOT_SECRET") or current_app.config.get("SECRET_KEY")
    if not key:
        raise RuntimeError("BALLOT_SECRET or SECRET_KEY must be set to store ballots")
    return key.encode("utf-8") if isinstance(key, str) else bytes(key)


def token(scope: str, object_id: int, voter_id: int, key: bytes | None = None) -> str:
    """The ballot token of ``voter_id`` in the heading or vote ``object_id`` (64 hex characters)."""
    k = key if key is not None else ballot_key()
    return hmac.new(k, f"{scope}:{int(object_id)}:{int(voter_id)}".encode("ascii"), hashlib.sha256).hexdigest()


def tokens(scope: str, object_id: int, voter_ids: list[int], key: bytes | None = None) -> dict[str, int]:
    """token -> voter id for many voters of one heading or vote (one key look-up)."""
    k = key if key is not None else ballot_key()
    return {token(scope, object_id, v, k): int(v) for v in voter_ids}


def random_id() -> int:
    """A random positive 63-bit id (fits a signed 64-bit column)."""
    return secrets.randbits(63) or 1


def rekey(session: Session, old_key: bytes, new_key: bytes) -> dict[str, int]:
    """Re-compute every ballot token with ``new_key`` (budget and ranked ballots), in the caller's transaction.

    The register says who voted where; each voter's old token finds their ballot and the new one replaces it.
    Raises ValueError, changing nothing the caller commits, when a token matches no one under ``old_key``
    (the old key is wrong, or a ballot has no mark on the register)."""
    from sqlalchemy import select, update

    from app.budgets.models import BudgetBallot, BudgetRegister
    from app.voting.models import VoteBallot, VoteRegister

    done = {"budget": 0, "vote": 0}
    for scope, register, ballots, column in (
        (BUDGET, BudgetRegister, BudgetBallot, "heading_id"),
        (VOTE, VoteRegister, VoteBallot, "vote_id"),
    ):
        reg_obj, box_obj = getattr(register, column), getattr(ballots, column)
        voters: dict[int, list[int]] = {}
        for obj_id, voter_id in session.execute(select(reg_obj, register.voter_id)):
            voters.setdefault(int(obj_id), []).append(int(voter_id))
        for ballot_id, obj_id, old in session.execute(select(ballots.id, box_obj, ballots.token).where(ballots.token.is_not(None))).all():
            olds = tokens(scope, obj_id, voters.get(int(obj_id), []), old_key)
            voter = olds.get(old)
            if voter is None:
                raise ValueError(f"{scope} ballot tokens do not match the register under the current key: nothing was changed")
            session.execute(update(ballots).where(ballots.id == ballot_id).values(token=token(scope, obj_id, voter, new_key)))
            done[scope] += 1
    session.flush()
    return done
