"""Single transferable vote under the Scottish local government rules.

Source: The Scottish Local Government Elections Order 2007 (SSI 2007/42), schedule 1, rules 45–52
(https://www.legislation.gov.uk/ssi/2007/42/schedule/1).  Each step below names the rule it implements.

* Rule 45 — first stage: every valid ballot paper counts one vote for its first preference.
* Rule 46 — quota = (valid ballot papers ÷ (vacancies + 1)), decimals ignored, plus one.
* Rule 47 — a candidate whose votes equal or exceed the quota at the end of a stage is deemed elected
  (several at once: in order of their votes, equal votes ordered as for equal surpluses, rule 49(2)–(3)).
* Rule 48 — a surplus is transferred by sending *every* ballot paper credited to the elected candidate to its
  next available preference at transfer value = (surplus × value of the paper when received) ÷ total votes
  credited to the candidate, to five decimal places with any remainder ignored (weighted inclusive Gregory).
  Papers with no next available preference are non-transferable; what truncation loses is recorded too.
* Rule 49 — the largest surplus first; equal surpluses: the candidate with the most votes at the end of the
  most recent preceding stage at which they had unequal votes goes first; equal at all stages: by lot.
* Rule 50 — when no surplus remains to transfer, the continuing candidate with the fewest votes is excluded
  and all their papers go to the next available preference at the value they carry (one stage).
* Rule 51 — ties for exclusion: the candidate with fewest votes at the end of the most recent preceding stage
  at which the tied candidates had unequal votes is excluded; equal at all stages: by lot.
* Rule 52 — when the continuing candidates are as many as the vacancies left, they are all deemed elected and
  no further transfer is made.

All arithmetic is integer fixed point with five decimal places (:data:`SCALE` = 100000 stands for one vote),
so the count is exact and reproducible.  Identical ballots are merged (one row per distinct ranking, which
always travels as a unit: the same holder and the same value at every stage), and transfers are vectorised
with NumPy.
"""

from __future__ import annotations

import random
import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Literal

import numpy as np
import numpy.typing as npt

from app.tally.ranked import RankedElection, _check_tiebreak, first_continuing
from app.tally.records import InputError, Lot
from app.tally.tiebreak import TieBreak, break_tie

#: One vote in fixed point: five decimal places (SSI 2007/42 sch. 1 r. 48(3)).
SCALE = 100_000
_MAX_PAPERS = (2**62) // (SCALE * SCALE)  # surplus x value stays within int64; sums exact in float64


def fmt(value: int) -> str:
    """Format a fixed-point value with five decimals, e.g. ``123456789 -> "1234.56789"``."""
    sign = "-" if value < 0 else ""
    v = abs(value)
    return f"{sign}{v // SCALE}.{v % SCALE:05d}"


@dataclass(frozen=True, slots=True)
class StvStage:
    """One stage of the count (SSI 2007/42 sch. 1 r. 2, "stage of the count").

    Values are fixed point (:data:`SCALE` = one vote).  ``transfers`` is the change for every candidate in
    this stage (negative for the candidate whose papers were transferred); ``non_transferable`` the value of
    papers with no next available preference; ``rounding_loss`` what truncating transfer values to five
    decimals lost (surplus stages only); ``totals`` every candidate's votes at the end of the stage;
    ``non_transferable_total`` the cumulative non-transferable value including rounding losses.
    ``transfer_values`` lists ``(value of paper when received, transfer value)`` pairs for a surplus.
    ``elected`` are the candidates deemed elected at the end of the stage, in order of election.
    """

    number: int
    action: Literal["first-preferences", "surplus", "exclusion"]
    candidate: str | None
    transfers: Mapping[str, int]
    non_transferable: int
    rounding_loss: int
    totals: Mapping[str, int]
    non_transferable_total: int
    transfer_values: tuple[tuple[int, int], ...]
    elected: tuple[str, ...]
    excluded: tuple[str, ...]
    notes: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class StvResult:
    """The outcome of :func:`count_stv_scottish`.

    ``quota`` is in whole votes; ``elected`` in order of election; ``excluded`` in order of exclusion.
    ``valid_papers`` counts ballot papers with at least one preference for a non-withdrawn candidate.
    """

    rule: Literal["stv-scottish"]
    candidates: tuple[str, ...]
    withdrawn: tuple[str, ...]
    seats: int
    valid_papers: int
    quota: int
    scale: int
    elected: tuple[str, ...]
    excluded: tuple[str, ...]
    stages: tuple[StvStage, ...]
    lots: tuple[Lot, ...]
    tiebreak: TieBreak
    seed: int | None


class _Counter:
    """Mutable state of one Scottish STV count; :func:`count_stv_scottish` is the public face."""

    def __init__(
        self,
        election: RankedElection,
        seats: int,
        rng: random.Random,
        tiebreak: TieBreak,
        progress: bool,
    ) -> None:
        self.names = election.candidates
        self.n = len(self.names)
        self.seats = seats
        self.rng = rng
        self.tiebreak = tiebreak
        self.progress = progress
        prefs, counts = election.to_arrays()
        m = prefs.shape[0]
        self.prefs = np.concatenate([prefs, np.full((m, 1), -1, dtype=np.int64)], axis=1)
        self.counts = counts
        self.values = np.full(m, SCALE, dtype=np.int64)
        self.pos = np.zeros(m, dtype=np.int64)
        self.holder = np.full(m, -1, dtype=np.int64)  # candidate holding each row's papers (-1: none)
        self.withdrawn = election.withdrawn
        self.continuing = np.array([i not in election.withdrawn for i in range(self.n)], dtype=bool)
        self.active = [i for i in range(self.n) if i not in election.withdrawn]
        self.votes = [0] * self.n
        self.history: list[list[int]] = []
        self.stages: list[StvStage] = []
        self.lots: list[Lot] = []
        self.elected: list[int] = []
        self.excluded: list[int] = []
        self.pending: list[int] = []
        self.nt_total = 0
        self.order_memo: dict[tuple[int, frozenset[int]], list[int]] = {}
        self._notes: list[str] = []
        self.valid = int(counts.sum())
        if self.valid > _MAX_PAPERS:
            raise InputError(f"more than {_MAX_PAPERS} ballot papers: too many for exact fixed point")
        self.quota = self.valid // (seats + 1) + 1
        self.quota_fp = self.quota * SCALE

    # -- helpers -------------------------------------------------------------------------------------
    def _credit(self, rows: npt.NDArray[np.int64]) -> tuple[dict[int, int], int]:
        """Credit ``rows`` to their current preference at their current value; return credits and NT."""
        holders = self.prefs[rows, self.pos[rows]]
        self.holder[rows] = holders
        amounts = self.counts[rows] * self.values[rows]
        live = holders >= 0
        credits: dict[int, int] = {}
        if live.any():
            to = holders[live]
            # float64 sums are exact here: the total value is below 2**53 (checked in __init__).
            acc = np.bincount(to, weights=amounts[live].astype(np.float64), minlength=self.n)
            present = np.bincount(to, minlength=self.n) > 0
            credits = {int(c): int(acc[c]) for c in np.flatnonzero(present)}
        nt = int(amounts[~live].sum())
        return credits, nt

    def _rows_of(self, cand: int) -> npt.NDArray[np.int64]:
        return np.flatnonzero(self.holder == cand).astype(np.int64)

    def _ordered_desc(self, cands: Sequence[int], stage: int, purpose: str) -> list[int]:
        """Candidates by votes, most first; equal votes ordered by rule 49(2)–(3) (look back, then lot)."""
        by_votes: dict[int, list[int]] = {}
        for c in cands:
            by_votes.setdefault(self.votes[c], []).append(c)
        out: list[int] = []
        for v in sorted(by_votes, reverse=True):
            group = sorted(by_votes[v])
            if len(group) == 1:
                out.extend(group)
                continue
            key = (stage, frozenset(group))
            if key not in self.order_memo:
                order: list[int] = []
                left = list(group)
                while len(left) > 1:
                    outcome = break_tie(
                        left,
                        self.history[:-1],
                        lowest=False,
                        names=self.names,
                        rng=self.rng,
                        stage=stage,
                        purpose=purpose,
                        method=self.tiebreak,
                    )
                    if outcome.lot is not None:
                        self.lots.append(outcome.lot)
                    self._notes.append(outcome.explanation)
                    order.append(outcome.chosen)
                    left.remove(outcome.chosen)
                order.extend(left)
                self.order_memo[key] = order
            out.extend(self.order_memo[key])
        return out

    # -- the count -----------------------------------------------------------------------------------
    def run(self) -> StvResult:
        stage = 1
        rows = np.arange(self.prefs.shape[0], dtype=np.int64)
        first_continuing(self.prefs, self.pos, rows, self.continuing)
        credits, nt = self._credit(rows)
        for c, v in credits.items():
            self.votes[c] += v
        # Ballots ranking only withdrawn candidates were dropped by to_arrays(); nt is 0 here.
        self.nt_total += nt
        transfers = {self.names[c]: self.votes[c] for c in self.active}
        self._end_stage(stage, "first-preferences", None, transfers, nt, 0, ())
        while True:
            if len(self.elected) >= self.seats:
                break
            continuing = [c for c in self.active if self.continuing[c]]
            vacancies = self.seats - len(self.elected)
            if len(continuing) <= vacancies:
                # Rule 52: the continuing candidates fill the last vacancies; no further transfer.
                self._notes = []
                order = self._ordered_desc(continuing, stage, "elect-order")
                self._last_vacancies(order)
                break
            stage += 1
            self._notes = []
            if self.pending:
                self._transfer_surplus(stage)
            else:
                self._exclude(stage)
        return StvResult(
            "stv-scottish",
            self.names,
            tuple(self.names[c] for c in sorted(self.withdrawn)),
            self.seats,
            self.valid,
            self.quota,
            SCALE,
            tuple(self.names[c] for c in self.elected),
            tuple(self.names[c] for c in self.excluded),
            tuple(self.stages),
            tuple(self.lots),
            self.tiebreak,
            None,
        )

    def _end_stage(
        self,
        stage: int,
        action: Literal["first-preferences", "surplus", "exclusion"],
        subject: int | None,
        transfers: dict[str, int],
        nt: int,
        loss: int,
        tvs: tuple[tuple[int, int], ...],
    ) -> None:
        """Record totals, then deem elected everyone at or above the quota (rule 47)."""
        self.history.append(list(self.votes))
        newly: list[str] = []
        vacancies = self.seats - len(self.elected)
        reached = [c for c in self.active if self.continuing[c] and self.votes[c] >= self.quota_fp]
        if reached and vacancies > 0:
            for c in self._ordered_desc(reached, stage, "elect-order")[:vacancies]:
                self.continuing[c] = False
                self.elected.append(c)
                newly.append(self.names[c])
                if self.votes[c] > self.quota_fp:
                    self.pending.append(c)
        total_check = sum(self.votes) + self.nt_total
        if total_check != self.valid * SCALE:  # pragma: no cover - an internal invariant
            raise AssertionError(
                f"stage {stage}: votes + non-transferable = {total_check} != {self.valid * SCALE}"
            )
        excluded = (self.names[subject],) if action == "exclusion" and subject is not None else ()
        self.stages.append(
            StvStage(
                number=stage,
                action=action,
                candidate=None if subject is None else self.names[subject],
                transfers=transfers,
                non_transferable=nt,
                rounding_loss=loss,
                totals={self.names[c]: self.votes[c] for c in self.active},
                non_transferable_total=self.nt_total,
                transfer_values=tvs,
                elected=tuple(newly),
                excluded=excluded,
                notes=tuple(self._notes),
            )
        )
        if self.progress:
            what = "first preferences" if subject is None else f"{action} of {self.names[subject]}"
            print(
                f"  stage {stage}: {what}" + (f"; elected {', '.join(newly)}" if newly else ""),
                file=sys.stderr,
            )

    def _last_vacancies(self, order: list[int]) -> None:
        last = self.stages[-1]
        names = [self.names[c] for c in order]
        for c in order:
            self.continuing[c] = False
            self.elected.append(c)
        note = (
            f"rule 52: {len(order)} continuing candidate(s) for {len(order)} remaining vacancies deemed elected"
            if order
            else "rule 52: no continuing candidates remain"
        )
        self.stages[-1] = StvStage(
            number=last.number,
            action=last.action,
            candidate=last.candidate,
            transfers=last.transfers,
            non_transferable=last.non_transferable,
            rounding_loss=last.rounding_loss,
            totals=last.totals,
            non_transferable_total=last.non_transferable_total,
            transfer_values=last.transfer_values,
            elected=last.elected + tuple(names),
            excluded=last.excluded,
            notes=last.notes + tuple(self._notes) + (note,),
        )

    def _transfer_surplus(self, stage: int) -> None:
        # Rule 49(1)-(3): largest surplus first; equal surpluses by look-back, then lot.
        best = max(self.votes[c] for c in self.pending)
        top = [c for c in self.pending if self.votes[c] == best]
        source = self._ordered_desc(top, stage - 1, "elect-order")[0] if len(top) > 1 else top[0]
        self.pending.remove(source)
        total = self.votes[source]
        surplus = total - self.quota_fp
        rows = self._rows_of(source)
        received = self.values[rows].copy()
        # Rule 48(3): transfer value = surplus x value when received / total credited, 5 d.p. truncated.
        tv = (surplus * received) // total
        distinct = np.unique(np.stack([received, tv], axis=1), axis=0)
        pairs = tuple(sorted(((int(a), int(b)) for a, b in distinct), reverse=True))
        self.values[rows] = tv
        self.pos[rows] += 1
        first_continuing(self.prefs, self.pos, rows, self.continuing)
        credits, nt = self._credit(rows)
        moved = sum(credits.values())
        loss = surplus - moved - nt
        for c, v in credits.items():
            self.votes[c] += v
        self.votes[source] = self.quota_fp
        self.nt_total += nt + loss
        transfers = {self.names[c]: credits.get(c, 0) for c in self.active}
        transfers[self.names[source]] = -surplus
        self._end_stage(stage, "surplus", source, transfers, nt, loss, pairs)

    def _exclude(self, stage: int) -> None:
        # Rule 50(1) and 51: lowest continuing candidate; ties by look-back, then lot.
        cont = [c for c in self.active if self.continuing[c]]
        low = min(self.votes[c] for c in cont)
        lowest = [c for c in cont if self.votes[c] == low]
        if len(lowest) > 1:
            outcome = break_tie(
                lowest,
                self.history[:-1],
                lowest=True,
                names=self.names,
                rng=self.rng,
                stage=stage,
                purpose="exclude",
                method=self.tiebreak,
            )
            if outcome.lot is not None:
                self.lots.append(outcome.lot)
            self._notes.append(outcome.explanation)
            loser = outcome.chosen
        else:
            loser = lowest[0]
        self.continuing[loser] = False
        self.excluded.append(loser)
        rows = self._rows_of(loser)
        self.pos[rows] += 1
        first_continuing(self.prefs, self.pos, rows, self.continuing)
        # Rule 50(4): papers move at the value they carry.
        credits, nt = self._credit(rows)
        for c, v in credits.items():
            self.votes[c] += v
        given = self.votes[loser]
        self.votes[loser] = 0
        self.nt_total += nt
        transfers = {self.names[c]: credits.get(c, 0) for c in self.active}
        transfers[self.names[loser]] = -given
        self._end_stage(stage, "exclusion", loser, transfers, nt, 0, ())


def count_stv_scottish(
    election: RankedElection,
    *,
    seats: int | None = None,
    tiebreak: str = "backwards",
    seed: int | None = 0,
    rng: random.Random | None = None,
    progress: bool = False,
) -> StvResult:
    """Count ``election`` by STV under the Scottish Local Government Elections Order 2007 (SSI 2007/42),
    schedule 1, rules 45–52 (see the module docstring for each rule).

    ``seats`` overrides ``election.seats``.  ``tiebreak`` is ``"backwards"`` (the Order's rule, default),
    ``"forwards"`` or ``"lot"`` (non-statutory options).  Lots are drawn with ``rng`` or
    ``random.Random(seed)`` and listed in the result.  A ballot's weight counts as that many identical papers.
    """
    n_seats = election.seats if seats is None else seats
    if n_seats < 1:
        raise InputError(f"seats must be at least 1, got {n_seats}")
    tb = _check_tiebreak(tiebreak)
    generator = rng if rng is not None else random.Random(seed)
    result = _Counter(election, n_seats, generator, tb, progress).run()
    if rng is None:
        import dataclasses

        result = dataclasses.replace(result, seed=seed)
    return result
