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
