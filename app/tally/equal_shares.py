"""The Method of Equal Shares (MES) with its completions, in exact arithmetic.

Rule: Peters & Skowron, *Proportionality and the Limits of Welfarism* (EC 2021), and Peters, Pierczyński &
Skowron, *Proportional Participatory Budgeting with Additive Utilities* (NeurIPS 2021); as computed by the
equalshares.net compute tool (``methodOfEqualSharesWorker.js``) and by pabutools'
``method_of_equal_shares``.  Every voter starts with an equal share ``e`` of the budget (``budget / n`` where
``n`` counts every ballot, blank ones included, each ``weight`` times).  In each round, for every project still
in the running, find the smallest price ``rho`` per unit of utility such that its supporters, each paying
``min(remaining money, rho * utility)``, cover its cost; projects whose supporters together have less money
than the cost drop out for good.  The project with the smallest ``rho`` (largest *effective vote count*) is
funded and its supporters pay.  Stop when no project is affordable.

Utilities: ``cost`` (equalshares.net default; a supporter's utility for a project is its cost, times the points
for points ballots) or ``approval`` (1 per supported project, or the points).  With cost utilities a project
that costs nothing gives nobody utility and is not funded by Equal Shares itself (as in pabutools and the
compute tool; reason ``zero-cost``); a greedy completion funds it.

Ties (equal ``rho``): more supporters first (weighted number of ballots supporting the project), then lower
cost (../shared/data/README.md, the compute tool's "maxVotes, minCost"), then by lot with the seeded
``random.Random`` (recorded as a :class:`~app.tally.records.Lot`).  (pabulib's checker,
``_break_equalshares_ties``, tries lower cost before more approvals; the two orders differ only when tied
projects differ in both, and the README's order is used here.)  With approval utilities, projects that cost
nothing and have support are funded before the first round (as pabutools does).

A minimum score (``BudgetElection.min_score``, pabulib ``min_project_score_threshold``: "a minimum score a project
must receive to be eligible for implementation") applies to every rule: projects below it are left out of Equal
Shares and of any greedy step (reason ``below-threshold``).

Completions (README "Notes on the rules"):

* ``add1``: rerun MES with each voter's money raised by one currency unit at a time; keep the last outcome
  whose cost is within the budget; stop as soon as the next raise would overspend (no early stop when an
  outcome becomes exhaustive).  If every supported project together fits in the budget, no raise can ever
  overspend and the literal loop never ends; the raises then end at the outcome funding every supported
  project (reached at the latest once each voter holds the cost of all of them together).
  Outcomes are not monotone in the voters' money (on Wieliczka 2023 the outcome changes 74 times in 166
  raises), so there is no bisection: Equal Shares is rerun for every raise, except that on small instances
  (where each voter's share, hence the number of raises, is large) a stretch of raises is skipped when
  :func:`plateau_end` proves that Equal Shares makes exactly the same decisions throughout it.
  ``add1_integral`` starts the raises from ``floor(budget / n)`` as pabulib's checker does (see :func:`add1`).
* ``add1-greedy``: ``add1``, then greedy by votes with the money left.
* ``add1-comparison``: ``add1``, then the comparison step against greedy by votes
  (:func:`app.tally.budget.compare_outcomes`): the greedy outcome replaces Equal Shares' when strictly more
  voters prefer it.
* ``greedy``: plain MES, then greedy by votes with the money left.
* ``comparison``: plain MES, then the comparison step (pabulib ``equalshares-comparison``).

Exactness: decisions are made on exact rationals.  For speed, each voter group's money is also tracked as a
float; a float comparison is trusted only when its margin exceeds a bound on the accumulated rounding error,
otherwise the exact value is computed.  Exact money of a group is ``e - sum_r rho_r * u_r`` over the rounds
``r`` in which it paid in full share (``0`` once it has paid its last money), so exact sums over any set of
groups need only integer numpy sums and one rational product per round.
"""

from __future__ import annotations

import math
import random
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from fractions import Fraction

import numpy as np
import numpy.typing as npt

from app.tally.budget import (
    BudgetElection,
    BudgetResult,
    BudgetRound,
    Comparison,
    Reason,
    compare_outcomes,
    greedy,
    project_scores,
    validate,
)
from app.tally.records import InputError, Lot

__all__ = ["MESRun", "Prepared", "add1", "equal_shares", "prepare", "run_mes"]

IntArray = npt.NDArray[np.int64]
FloatArray = npt.NDArray[np.float64]
BoolArray = npt.NDArray[np.bool_]

Progress = Callable[[str], None] | None


@dataclass(frozen=True)
class Prepared:
    """Ballots grouped for Equal Shares: identical ballots form one group with multiplicity ``mult``.

    ``sup[j]`` are the (sorted) groups supporting project ``j``, ``util[j]`` their utilities (integers),
    ``wutil[j] = mult[sup[j]] * util[j]``; ``n`` is the total weight of all ballots (blank ones too).
    """

    ids: tuple[str, ...]
    cost: tuple[int, ...]
    votes: tuple[int, ...]
    mult: IntArray
    n: int
    sup: tuple[IntArray, ...]
    util: tuple[IntArray, ...]
    wutil: tuple[IntArray, ...]
    total_util: tuple[int, ...]
    utility: str


def prepare(
    election: BudgetElection, utility: str = "cost", exclude: frozenset[str] = frozenset()
) -> Prepared:
    """Group identical ballots and compute each supporter's utility (see module docstring).

    Projects in ``exclude`` (e.g. below the minimum score) get no supporters, so Equal Shares never funds them.
    """
    if utility not in ("cost", "approval"):
        raise InputError(f"unknown utility {utility!r} (expected 'cost' or 'approval')")
    index_all = {p.id: j for j, p in enumerate(election.projects)}
    index = {p: j for p, j in index_all.items() if p not in exclude}
    costs = [p.cost for p in election.projects]
    # Group identical ballots first (cheap: the raw ballot is the key), then normalise each distinct one.
    raw: dict[tuple[tuple[str, ...], tuple[int, ...] | None], int] = {}
    n = 0
    for b in election.ballots:
        n += b.weight
        if b.weight:
            k0 = (b.projects, b.points)
            raw[k0] = raw.get(k0, 0) + b.weight
    groups: dict[tuple[tuple[int, int], ...], int] = {}
    for (projects, points), weight in raw.items():
        pts = points if points is not None else (1,) * len(projects)
        key = tuple(sorted((index[p], x) for p, x in zip(projects, pts, strict=True) if x > 0 and p in index))
        if key:
            groups[key] = groups.get(key, 0) + weight
    keys = list(groups)
    mult = np.array([groups[k] for k in keys], dtype=np.int64)
    m = len(costs)
    sizes = np.fromiter((len(k) for k in keys), dtype=np.int64, count=len(keys))
    total = int(sizes.sum())
    flat_j = np.fromiter((j for k in keys for j, _ in k), dtype=np.int64, count=total)
    flat_x = np.fromiter((x for k in keys for _, x in k), dtype=np.int64, count=total)
    flat_g = np.repeat(np.arange(len(keys), dtype=np.int64), sizes)
    by_project = np.argsort(flat_j, kind="stable")  # groups stay in increasing order within a project
    bounds = np.concatenate(([0], np.cumsum(np.bincount(flat_j, minlength=m)))).tolist()
    cost_arr = np.array(costs, dtype=np.int64)
    flat_u = flat_x * cost_arr[flat_j] if utility == "cost" else flat_x
    g_sorted, u_sorted = flat_g[by_project], flat_u[by_project]
    sup = tuple(g_sorted[bounds[j] : bounds[j + 1]] for j in range(m))
    util = tuple(u_sorted[bounds[j] : bounds[j + 1]] for j in range(m))
    limit = 2**62
    n_weight = int(mult.sum())
    for j in range(m):
        if len(util[j]) and int(util[j].max()) * n_weight >= limit:
            raise InputError("utilities too large for exact Equal Shares arithmetic")
    wutil = tuple(mult[s] * u for s, u in zip(sup, util, strict=True))
    votes = [0] * m
    for (projects, points), weight in raw.items():
        pts = points if points is not None else (1,) * len(projects)
        for p, x in zip(projects, pts, strict=True):
            if x > 0:
                votes[index_all[p]] += weight
    return Prepared(
        ids=tuple(p.id for p in election.projects),
        cost=tuple(costs),
        votes=tuple(votes),
        mult=mult,
        n=n,
        sup=sup,
        util=util,
        wutil=wutil,
        total_util=tuple(int(w.sum()) for w in wutil),
        utility=utility,
    )


@dataclass
class MESRun:
    """Outcome of one Equal Shares run with each voter's starting money ``endowment``."""

    endowment: Fraction
    selected: list[int] = field(default_factory=list)
    prices: list[Fraction] = field(default_factory=list)
    dropped: dict[int, tuple[int, Fraction]] = field(default_factory=dict)  # j -> (round, money behind it)
    lots: list[Lot] = field(default_factory=list)
    free: list[int] = field(default_factory=list)

    @property
    def funded(self) -> list[int]:
        return self.free + self.selected


class _State:
    """Money of every group during one run (see the module docstring for the representation)."""

    def __init__(self, prep: Prepared, endowment: Fraction) -> None:
        self.prep = prep
        self.e = endowment
        g = len(prep.mult)
        self.alive: BoolArray = np.ones(g, dtype=np.bool_)
        self.money: FloatArray = np.full(g, float(endowment), dtype=np.float64)
        self.rho: list[Fraction] = []
        self.rich: list[IntArray] = []
        self.rich_u: list[IntArray] = []
        self.rich_wu: list[IntArray] = []
        self.scale = float(endowment) if endowment > 0 else 1.0
        # exact arithmetic over a common denominator: money of a group = (eD - sum_r K[r] * u_r) / D
        self.D = endowment.denominator
        self.eD = endowment.numerator
        self.K: list[int] = []
        g_total = len(prep.mult) * max(1, len(prep.cost))
        # dense (group x round) weighted utilities paid, when small enough: one numpy call per exact sum
        self.dense: IntArray | None = (
            np.zeros((len(prep.mult), max(1, len(prep.cost))), dtype=np.int64)
            if g_total <= 2_000_000
            else None
        )

    def add_round(self, rho: Fraction, rich: IntArray, rich_u: IntArray) -> None:
        self.rho.append(rho)
        self.rich.append(rich)
        self.rich_u.append(rich_u)
        wu = self.prep.mult[rich] * rich_u
        self.rich_wu.append(wu)
        if self.dense is not None:
            self.dense[rich, len(self.rho) - 1] = wu
        g = math.gcd(self.D, rho.denominator)
        f = rho.denominator // g
        if f != 1:
            self.D *= f
            self.eD *= f
            self.K = [k * f for k in self.K]
        self.K.append(rho.numerator * (self.D // rho.denominator))

    @property
    def err(self) -> float:
        """Bound on the absolute error of any float ``money`` entry: each round adds at most about
        3.3e-16 times the starting money (float(rho) * u and one subtraction), so this has a 30-fold margin."""
        return 1e-14 * self.scale * (1 + len(self.rho))

    def exact_sum(self, groups: IntArray) -> Fraction:
        """Exact total money (times multiplicity) of ``groups`` (sorted, distinct)."""
        groups = groups[self.alive[groups]]
        if len(groups) == 0:
            return Fraction(0)
        total = self.eD * int(self.prep.mult[groups].sum())
        r_count = len(self.rho)
        if r_count:
            if self.dense is not None:
                coeffs = self.dense[groups, :r_count].sum(axis=0).tolist()
            else:
                mask = np.zeros(len(self.prep.mult), dtype=np.bool_)
                mask[groups] = True
                coeffs = [int(self.rich_wu[r][mask[self.rich[r]]].sum()) for r in range(r_count)]
            for k, c in zip(self.K, coeffs, strict=True):
                if c:
                    total -= k * int(c)
        return Fraction(total, self.D)

    def exact_money(self, groups: IntArray) -> tuple[list[int], int]:
        """Exact money of each of ``groups`` (per member) as numerators over the common denominator ``D``."""
        nums = [self.eD] * len(groups)
        for r, k in enumerate(self.K):
            rich = self.rich[r]
            pos = np.searchsorted(rich, groups)
            pos_c = np.minimum(pos, len(rich) - 1)
            hit = (rich[pos_c] == groups) & (pos < len(rich))
            for t in np.nonzero(hit)[0].tolist():
                nums[t] -= k * int(self.rich_u[r][pos_c[t]])
        alive = self.alive[groups]
        for t in np.nonzero(~alive)[0].tolist():
            nums[t] = 0
        return nums, self.D


@dataclass
class _Eval:
    rho: Fraction
    rich: IntArray
    rich_u: IntArray
    poor: IntArray


@dataclass
class _Float:
    """A project's price from the float money: ``rho`` within ``delta`` of the exact price."""

    rho: float
    delta: float
    s: IntArray
    u: IntArray
    order: IntArray
    k: int


def _float_price(st: _State, j: int, details: bool = True) -> _Float | Fraction | None:
    """Project ``j``'s price from the float money, with an error bound; if its supporters cannot afford it (an
    exact decision), their total money (a bare Fraction, only when ``details``) or ``None``."""
    prep = st.prep
    c = prep.cost[j]
    s_all = prep.sup[j]
    keep = st.alive[s_all]
    s = s_all[keep]
    u = prep.util[j][keep]
    if len(s) == 0:
        return Fraction(0)
    w = prep.mult[s]
    b = st.money[s]
    wb = w * b
    money = float(wb.sum())
    wsum = float(w.sum())
    tol = st.err * wsum + 1e-12 * (c + abs(money))
    if money < c - tol:
        return st.exact_sum(s) if details else None
    if money <= c + tol:
        exact = st.exact_sum(s)
        if exact < c:
            return exact if details else None
    uf = u.astype(np.float64)
    x = b / uf
    order = np.argsort(x, kind="stable")
    xs = x[order]
    wu = (w * u)[order]
    before = np.concatenate(([0.0], np.cumsum(wb[order])[:-1]))
    after = np.cumsum(wu[::-1])[::-1].astype(np.float64)
    rho_k = (c - before) / after
    ok = xs >= rho_k
    k = int(np.argmax(ok)) if bool(ok.any()) else len(xs) - 1
    rho = float(rho_k[k])
    # f(r) = sum_i w_i min(b_i, r u_i) is concave, increasing, with slope >= the smallest w_i u_i where it
    # matters; the float f is within tol of the exact one, so the exact root is within tol / min(w u).
    delta = tol / float(wu.min()) + 1e-12 * abs(rho)
    return _Float(rho=rho, delta=delta, s=s, u=u, order=order, k=k)


def _evaluate(st: _State, j: int, details: bool = True) -> _Eval | Fraction | None:
    """Exact price of project ``j`` now; if its supporters cannot afford it, their total money (a bare Fraction,
    only when ``details``) or ``None``."""
    fp = _float_price(st, j, details)
    if not isinstance(fp, _Float):
        return fp
    return _exact_of(st, j, fp)


def _exact_of(st: _State, j: int, fp: _Float) -> _Eval:
    ev = _exact_price(st, j, fp.s, fp.u, fp.order, fp.k)
    if ev is None:
        ev = _exact_price_slow(st, j, fp.s, fp.u)
    return ev


def _exact_price(st: _State, j: int, s: IntArray, u: IntArray, order: IntArray, k: int) -> _Eval | None:
    """Exact price for the poor/rich split ``order[:k]`` / ``order[k:]``, or ``None`` if the split is wrong."""
    prep = st.prep
    c = prep.cost[j]
    poor_pos = np.sort(order[:k])
    rich_pos = np.sort(order[k:])
    poor, rich = s[poor_pos], s[rich_pos]
    denom = int((prep.mult[rich] * u[rich_pos]).sum())
    if denom == 0:
        return None
    rho = (c - st.exact_sum(poor)) / denom
    if rho < 0:
        return None
    rf = float(rho)
    uf = u.astype(np.float64)
    d = st.money[s] - rf * uf
    tol = st.err + 4e-16 * rf * uf + 1e-300
    is_poor = np.zeros(len(s), dtype=np.bool_)
    is_poor[poor_pos] = True
    # poor need money <= rho*u, rich need money >= rho*u
    if bool(np.any(is_poor & (d > tol))) or bool(np.any(~is_poor & (d < -tol))):
        return None
    unsure = np.nonzero(np.abs(d) <= tol)[0]
    if len(unsure):
        nums, dd = st.exact_money(s[unsure])
        for t, pos in enumerate(unsure.tolist()):
            lhs = nums[t] * rho.denominator
            rhs = rho.numerator * int(u[pos]) * dd
            if is_poor[pos] and lhs > rhs:
                return None
            if not is_poor[pos] and lhs < rhs:
                return None
    return _Eval(rho=rho, rich=rich, rich_u=u[rich_pos], poor=poor)


def _exact_price_slow(st: _State, j: int, s: IntArray, u: IntArray) -> _Eval:
    """Exact poor/rich computation over every supporter (used only when the float shortcut is unsure)."""
    prep = st.prep
    c = prep.cost[j]
    nums, d = st.exact_money(s)
    money = [Fraction(x, d) for x in nums]
    ratio = [mo / int(uu) for mo, uu in zip(money, u.tolist(), strict=True)]
    order = sorted(range(len(s)), key=lambda t: ratio[t])
    wu = [int(prep.mult[s[t]]) * int(u[t]) for t in order]
    after = sum(wu)
    paid = Fraction(0)
    for pos, t in enumerate(order):
        rho = (c - paid) / after
        if rho <= ratio[t]:
            rich_pos = np.array(sorted(order[pos:]), dtype=np.int64)
            poor_pos = np.array(sorted(order[:pos]), dtype=np.int64)
            return _Eval(rho=rho, rich=s[rich_pos], rich_u=u[rich_pos], poor=s[poor_pos])
        paid += money[t] * int(prep.mult[s[t]])
        after -= wu[pos]
    raise AssertionError("affordable project without a price")  # pragma: no cover


def _break_tie(
    prep: Prepared, tied: list[int], rng: random.Random, lots: list[Lot], stage: int, tiebreak: Sequence[str]
) -> int:
    cands = sorted(tied)
    for how in tiebreak:
        if len(cands) == 1:
            break
        if how == "votes":
            best = max(prep.votes[j] for j in cands)
            cands = [j for j in cands if prep.votes[j] == best]
        elif how == "cost":
            low = min(prep.cost[j] for j in cands)
            cands = [j for j in cands if prep.cost[j] == low]
        elif how == "id":
            cands = [min(cands, key=lambda j: prep.ids[j])]
        elif how == "lot":
            chosen = rng.choice(cands)
            lots.append(
                Lot(
                    stage=stage,
                    purpose="fund",
                    tied=tuple(prep.ids[j] for j in cands),
                    chosen=prep.ids[chosen],
                )
            )
            cands = [chosen]
        else:
            raise InputError(f"unknown tie-break {how!r}")
    if len(cands) != 1:
        raise InputError(
            f"tie between projects {', '.join(prep.ids[j] for j in cands)} not resolved by {list(tiebreak)}"
        )
    return cands[0]


def run_mes(
    prep: Prepared,
    endowment: Fraction,
    rng: random.Random,
    tiebreak: Sequence[str] = ("votes", "cost", "lot"),
    details: bool = True,
) -> MESRun:
    """One run of Equal Shares with each voter starting with ``endowment``.

    ``details=False`` skips computing the exact money behind projects that drop out (only needed for the
    reasons reported); the outcome is the same.
    """
    st = _State(prep, endowment)
    run = MESRun(endowment=endowment)
    # low[j]: a lower bound on j's price now (prices only rise as money is spent), from its last evaluation.
    # Each round, candidates are visited by increasing low; once low[j] exceeds an upper bound on the best
    # price found, no later candidate can be cheapest or tied with it.  Prices are first computed in floats
    # with an error bound; only the projects that may be the cheapest get their exact price, and the winner
    # and any ties are decided on exact prices, as a full exact scan would.
    low: dict[int, float] = {}
    for j in range(len(prep.cost)):
        if prep.total_util[j] <= 0:
            continue
        if prep.cost[j] == 0:
            run.free.append(j)
            continue
        low[j] = float(Fraction(prep.cost[j], prep.total_util[j])) * (1 - 1e-12)
    while low:
        best_high = math.inf
        cands: list[tuple[int, _Float]] = []
        for j in sorted(low, key=low.__getitem__):
            if low[j] > best_high:
                break
            fp = _float_price(st, j, details)
            if not isinstance(fp, _Float):
                run.dropped[j] = (len(run.selected) + 1, fp if fp is not None else Fraction(-1))
                del low[j]
                continue
            low[j] = max(low[j], fp.rho - fp.delta)
            cands.append((j, fp))
            best_high = min(best_high, fp.rho + fp.delta)
        if not cands:
            break
        best: Fraction | None = None
        tied: list[int] = []
        evals: dict[int, _Eval] = {}
        for j, fp in cands:
            if fp.rho - fp.delta > best_high:
                continue
            ev = _exact_of(st, j, fp)
            evals[j] = ev
            low[j] = max(low[j], float(ev.rho) * (1 - 1e-12))
            if best is None or ev.rho < best:
                best, tied = ev.rho, [j]
            elif ev.rho == best:
                tied.append(j)
        assert best is not None
        j = (
            tied[0]
            if len(tied) == 1
            else _break_tie(prep, tied, rng, run.lots, len(run.selected) + 1, tiebreak)
        )
        ev = evals[j]
        del low[j]
        run.selected.append(j)
        run.prices.append(ev.rho)
        st.alive[ev.poor] = False
        st.money[ev.poor] = 0.0
        st.money[ev.rich] -= float(ev.rho) * ev.rich_u.astype(np.float64)
        st.add_round(ev.rho, ev.rich, ev.rich_u)
    return run


# --------------------------------------------------------------------------------------------- completions


def _sub_rng(base: int, k: int) -> random.Random:
    return random.Random(f"mes:{base}:{k}")


def _cost(prep: Prepared, run: MESRun) -> int:
    return sum(prep.cost[j] for j in run.funded)


def _beats(prep: Prepared, a: int, b: int, tiebreak: Sequence[str]) -> bool:
    """Does project ``a`` win a tie against ``b`` under ``tiebreak`` without a lot?"""
    for how in tiebreak:
        if how == "votes" and prep.votes[a] != prep.votes[b]:
            return prep.votes[a] > prep.votes[b]
        if how == "cost" and prep.cost[a] != prep.cost[b]:
            return prep.cost[a] < prep.cost[b]
        if how == "id":
            return prep.ids[a] < prep.ids[b]
        if how == "lot":
            return False
    return False


def plateau_end(prep: Prepared, e_star: Fraction, tiebreak: Sequence[str]) -> tuple[Fraction, bool] | None:
    """How far each voter's money can grow from ``e_star`` with Equal Shares making exactly the same decisions.

    Returns ``(e_hi, inclusive)``: for every ``e`` with ``e_star <= e < e_hi`` (``<=`` when ``inclusive``) the
    run funds the same projects in the same order; ``None`` if a tie at ``e_star`` needed a lot.

    Proof sketch.  Replay the run at ``e_star`` exactly, with every group's money kept as an affine function
    ``A + B e`` of the starting money ``e``.  While the decisions stay the same, every price is affine in ``e``
    too.  The decisions stay the same on the range where (i) each project that dropped out still cannot be
    afforded, (ii) each winner's poor/rich split still holds for all its supporters (so its price and the
    payments keep their formulas), and (iii) the winner's price stays below (or, when it wins the tie-break,
    not above) ``(c - sum of poor money) / (rich utility)`` of every other project for the split that project
    had at ``e_star`` -- a lower bound on that project's true price for any split, since
    ``sum_i min(b_i, r u_i) <= sum_poor b_i + r * sum_rich u_i``.  Each condition is an affine inequality in
    ``e`` that holds at ``e_star``; ``e_hi`` is where the first of them stops holding.
    """
    mult = [int(x) for x in prep.mult.tolist()]
    g_count = len(mult)
    A = [Fraction(0)] * g_count
    B = [Fraction(1)] * g_count
    alive = [True] * g_count
    sup = [prep.sup[j].tolist() for j in range(len(prep.cost))]
    util = [prep.util[j].tolist() for j in range(len(prep.cost))]
    remaining = {j for j in range(len(prep.cost)) if prep.total_util[j] > 0 and prep.cost[j] > 0}
    hi: Fraction | None = None
    inclusive = True

    def limit(a: Fraction, b: Fraction, op: str) -> None:
        # the condition "a + b e  op  0" holds at e_star; find where it stops holding for e > e_star
        nonlocal hi, inclusive
        if op in (">", ">="):
            a, b, op = -a, -b, ("<" if op == ">" else "<=")
        if b <= 0:
            return
        root = -a / b
        strict = op == "<"  # at the root the left side is 0: fails "<", holds "<="
        if hi is None or root < hi or (root == hi and strict):
            hi, inclusive = root, not strict

    while remaining:
        priced: dict[
            int, tuple[Fraction, Fraction, Fraction, list[int], list[int], list[int], list[int]]
        ] = {}
        for j in sorted(remaining):
            c = prep.cost[j]
            groups = [(g, x) for g, x in zip(sup[j], util[j], strict=True) if alive[g]]
            money = {g: A[g] + B[g] * e_star for g, _ in groups}
            if sum((mult[g] * money[g] for g, _ in groups), Fraction(0)) < c:
                limit(
                    sum((mult[g] * A[g] for g, _ in groups), Fraction(0)) - c,
                    sum((mult[g] * B[g] for g, _ in groups), Fraction(0)),
                    "<",
                )
                remaining.discard(j)
                continue
            groups.sort(key=lambda gx: money[gx[0]] / gx[1])
            paid = Fraction(0)
            denom = sum(mult[g] * x for g, x in groups)
            for pos, (g, x) in enumerate(groups):
                rho = (c - paid) / denom
                if rho * x <= money[g]:
                    poor = [gg for gg, _ in groups[:pos]]
                    poor_u = [xx for _, xx in groups[:pos]]
                    rich = [gg for gg, _ in groups[pos:]]
                    rich_u = [xx for _, xx in groups[pos:]]
                    ra = (c - sum((mult[gg] * A[gg] for gg in poor), Fraction(0))) / denom
                    rb = -sum((mult[gg] * B[gg] for gg in poor), Fraction(0)) / denom
                    priced[j] = (rho, ra, rb, poor, poor_u, rich, rich_u)
                    break
                paid += mult[g] * money[g]
                denom -= mult[g] * x
        if not priced:
            break
        best = min(v[0] for v in priced.values())
        tied = [j for j, v in priced.items() if v[0] == best]
        w = tied[0]
        for j in tied[1:]:
            if _beats(prep, j, w, tiebreak):
                w = j
        if any(j != w and not _beats(prep, w, j, tiebreak) for j in tied):
            return None  # a lot would decide
        _, wa, wb, poor, poor_u, rich, rich_u = priced[w]
        for g, x in zip(poor, poor_u, strict=True):
            limit(A[g] - wa * x, B[g] - wb * x, "<=")
        for g, x in zip(rich, rich_u, strict=True):
            limit(A[g] - wa * x, B[g] - wb * x, ">=")
        for j, (_, ja, jb, *_rest) in priced.items():
            if j != w:
                limit(wa - ja, wb - jb, "<=" if _beats(prep, w, j, tiebreak) else "<")
        for g in poor:
            alive[g] = False
        for g, x in zip(rich, rich_u, strict=True):
            A[g] -= wa * x
            B[g] -= wb * x
        remaining.discard(w)
    if hi is None:
        return None
    return hi, inclusive


def add1(
    prep: Prepared,
    budget: int,
    unit: int,
    rng: random.Random,
    tiebreak: Sequence[str] = ("votes", "cost", "lot"),
    progress: Progress = None,
    integral: bool = False,
    skip: bool = True,
) -> tuple[MESRun, int]:
    """The Add1 completion, literally: raise each voter's money by ``unit`` until the next raise overspends.

    Raise ``k`` gives each voter ``budget / n + k * unit``.  With ``integral=True`` the raises start from the
    whole currency unit below ``budget / n`` instead (raise ``k`` gives ``floor(budget / n) + k * unit``; the
    first run still uses ``budget / n``), as pabulib's checker (``_compute_equalshares_winners``) and the
    compute tool's "integral" option do.  Returns the kept run and its raise number.  Each run draws its lots
    from its own generator seeded from ``rng``, so the kept run's lots can be replayed alone.

    ``skip``: on small instances (few distinct ballots and projects, where the raises are many because each
    voter's share is large), when two raises in a row gave the same outcome, :func:`plateau_end` proves how many
    further raises give exactly the same decisions, and those raises are not rerun.  The result is the literal
    definition's (tests compare both ways).
    """
    if prep.n == 0:
        return MESRun(endowment=Fraction(0)), 0
    base = rng.getrandbits(64)
    e0 = Fraction(budget, prep.n)
    start = Fraction(math.floor(e0 / unit) * unit) if integral else e0

    def endowment(k: int) -> Fraction:
        return e0 if k == 0 else start + k * unit

    supported = [j for j in range(len(prep.cost)) if prep.total_util[j] > 0]
    everything = sum(prep.cost[j] for j in supported)
    if everything <= budget:
        # No raise can ever overspend and the literal loop never ends.  Once each voter holds the cost of all
        # supported projects together, every supporter can pay for everything, so every supported project is
        # funded from then on: that is where the raises end.
        k = 0
        if e0 < everything:
            k = max(1, math.ceil((everything - start) / unit))
        return run_mes(prep, endowment(k), _sub_rng(base, k), tiebreak), k
    kept = run_mes(prep, e0, _sub_rng(base, 0), tiebreak, details=False)
    if _cost(prep, kept) > budget:  # pragma: no cover - MES never overspends at budget/n
        raise AssertionError("Equal Shares overspent at budget / n")
    k = 0
    small = len(prep.mult) * max(1, len(prep.cost)) <= 6000
    same_in_a_row, wait = 0, 2
    run_time = 0.0  # seconds per Equal Shares run (running mean), to judge whether a proof paid off
    while True:
        t0 = time.perf_counter()
        nxt = run_mes(prep, endowment(k + 1), _sub_rng(base, k + 1), tiebreak, details=False)
        run_time = 0.8 * run_time + 0.2 * (time.perf_counter() - t0) if run_time else time.perf_counter() - t0
        spent = _cost(prep, nxt)
        if progress is not None:
            progress(f"Add1 raise {k + 1}: spends {spent} of {budget}")
        if spent > budget:
            break
        same_in_a_row = same_in_a_row + 1 if nxt.funded == kept.funded else 0
        kept, k = nxt, k + 1
        if skip and small and same_in_a_row >= wait and not nxt.lots:
            t0 = time.perf_counter()
            end = plateau_end(prep, endowment(k), tiebreak)
            saved = 0
            if end is not None:
                e_hi, inclusive = end
                # largest k2 >= k with endowment(k2) inside the plateau [endowment(k), e_hi)
                k2 = math.floor((e_hi - start) / unit)
                if not inclusive and start + k2 * unit >= e_hi:
                    k2 -= 1
                if k2 > k:
                    saved, k = k2 - k, k2
            # A proof costs about `ratio` runs.  Keep proving while it pays for itself; otherwise wait for a
            # longer stretch of equal outcomes (long plateaus announce themselves that way) before trying again.
            ratio = (time.perf_counter() - t0) / max(run_time, 1e-9)
            wait = max(1, int(ratio / 4)) if saved > ratio else max(2 * wait, int(ratio / 2))
            same_in_a_row = 0
    # the same run again, now recording the money behind every project that dropped out
    return run_mes(prep, endowment(k), _sub_rng(base, k), tiebreak, details=True), k


def equal_shares(
    election: BudgetElection,
    *,
    completion: str = "none",
    rng: random.Random | None = None,
    utility: str = "cost",
    comparison: str = "satisfaction",
    tiebreak: Sequence[str] = ("votes", "cost", "lot"),
    progress: Progress = None,
    greedy_tiebreak: Sequence[str] = ("cost", "lot"),
    add1_integral: bool = False,
) -> BudgetResult:
    """Count ``election`` with the Method of Equal Shares and ``completion`` (see the module docstring).

    ``tiebreak`` settles ties inside Equal Shares (``votes``, ``cost``, ``id``, ``lot``); ``greedy_tiebreak``
    those of any greedy step (see :func:`app.tally.budget.greedy`).
    """
    validate(election)
    rng = rng if rng is not None else random.Random(0)
    scores = project_scores(election)
    threshold = election.min_score
    below = frozenset(p for p, v in scores.items() if threshold is not None and v < threshold)
    prep = prepare(election, utility, below | election.withdrawn)
    budget = election.budget
    if completion in ("add1", "add1-greedy", "add1-comparison"):
        run, raises = add1(prep, budget, election.currency_unit, rng, tiebreak, progress, add1_integral)
    elif completion in ("none", "greedy", "comparison"):
        base = rng.getrandbits(64)
        run = run_mes(prep, Fraction(budget, prep.n) if prep.n else Fraction(0), _sub_rng(base, 0), tiebreak)
        raises = 0
    else:
        raise InputError(f"unknown completion {completion!r}")

    rounds: list[BudgetRound] = []
    spent = 0
    for j in run.free:
        rounds.append(
            BudgetRound(
                len(rounds) + 1,
                prep.ids[j],
                0,
                "equal-shares",
                Fraction(0),
                Fraction(budget - spent),
                Fraction(0),
            )
        )
    for j, rho in zip(run.selected, run.prices, strict=True):
        spent += prep.cost[j]
        eff = (1 / rho) if prep.utility == "cost" else Fraction(prep.cost[j]) / rho
        rounds.append(
            BudgetRound(
                len(rounds) + 1, prep.ids[j], prep.cost[j], "equal-shares", eff, Fraction(budget - spent), rho
            )
        )
    selected = [prep.ids[j] for j in run.funded]
    reasons: dict[str, Reason] = {}
    for j, pid in enumerate(prep.ids):
        if j in run.funded:
            continue
        if pid in election.withdrawn:
            reasons[pid] = Reason("withdrawn", score=scores[pid])
        elif pid in below:
            reasons[pid] = Reason("below-threshold", score=scores[pid])
        elif prep.total_util[j] <= 0:
            free = prep.cost[j] == 0 and prep.votes[j] > 0
            reasons[pid] = Reason("zero-cost" if free else "no-support", score=scores[pid])
        elif j in run.dropped:
            rnd, behind = run.dropped[j]
            reasons[pid] = Reason("supporters-could-not-afford", needed=prep.cost[j], left=behind, round=rnd)
        else:  # pragma: no cover - every supported project is funded or dropped
            reasons[pid] = Reason("not-reached", needed=prep.cost[j])
    lots = list(run.lots)
    comp: Comparison | None = None
    if completion in ("add1-greedy", "greedy"):
        filled = greedy(
            election, rng=rng, already=selected, min_score=None, tiebreak=greedy_tiebreak, _validate=False
        )
        for r in filled.rounds:
            rounds.append(
                BudgetRound(len(rounds) + 1, r.project, r.cost, "completion", r.score, r.money_left)
            )
            reasons.pop(r.project, None)
        selected = list(filled.selected)
        lots.extend(filled.lots)
    elif completion in ("add1-comparison", "comparison"):
        g = greedy(election, rng=rng, min_score=None, tiebreak=greedy_tiebreak, _validate=False)
        pm, pg = compare_outcomes(election, selected, g.selected, comparison)
        used = "greedy" if pg > pm else "equal-shares"
        comp = Comparison(comparison, pm, pg, used, g.selected)
        if used == "greedy":
            lots.extend(g.lots)
            rounds = list(g.rounds)
            mes_funded = set(selected)
            reasons = {
                pid: (Reason("comparison") if pid in mes_funded else why) for pid, why in g.reasons.items()
            }
            selected = list(g.selected)
    total = sum(prep.cost[prep.ids.index(p)] for p in selected) if selected else 0
    return BudgetResult(
        rule="equal-shares",
        completion=completion,
        budget=budget,
        selected=tuple(selected),
        total_cost=total,
        rounds=tuple(rounds),
        reasons=reasons,
        scores=scores,
        lots=tuple(lots),
        voter_budget=run.endowment,
        add1_raises=raises,
        comparison=comp,
        utility=prep.utility,
    )
