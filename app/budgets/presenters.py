"""Turning stored counts into what the results page shows: plain-language reasons and the bar chart."""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction
from typing import Any

from flask_babel import gettext as _
from flask_babel import ngettext

from app.budgets.models import Phase
from app.budgets.services import ProjectOutcome
from app.core.i18n import money


def _pence(value: Any) -> int:
    """Tally money (an int, or "p/q" for exact fractions) → whole pence, rounded down."""
    if value is None:
        return 0
    return int(Fraction(str(value)))


def reason_text(reason: dict[str, Any] | None, titles: dict[str, str], points: bool = False) -> str:
    """A plain-language sentence from the tally's machine-readable reason (see ``app.tally.budget.Reason``)."""
    if not reason:
        return ""
    code = reason.get("code")
    needed = money(_pence(reason.get("needed")))
    left = money(_pence(reason.get("left")))
    if code == "did-not-fit":
        return _("It needed %(needed)s and %(left)s was left when its turn came.", needed=needed, left=left)
    if code == "stopped":
        return _(
            "It needed %(needed)s and %(left)s was left, but counting had already stopped at “%(at)s”, the first project that did not fit.",
            needed=needed, left=left, at=titles.get(str(reason.get("at")), str(reason.get("at"))),
        )
    if code == "below-threshold":
        score = int(reason.get("score") or 0)
        if score == 0:
            return _("Nobody voted for it, and a project with no votes is never funded.")
        if points:
            return ngettext("It had %(num)d point, fewer than the minimum support needed to be funded.",
                            "It had %(num)d points, fewer than the minimum support needed to be funded.", score)
        return ngettext("It had %(num)d vote, fewer than the minimum support needed to be funded.",
                        "It had %(num)d votes, fewer than the minimum support needed to be funded.", score)
    if code == "no-support":
        return _("Nobody voted for it.")
    if code == "supporters-could-not-afford":
        return _(
            "Under Equal Shares each voter controls an equal share of the money. By the time it could be chosen, its supporters had %(left)s of their shares left, less than the %(needed)s it needed.",
            left=left, needed=needed,
        )
    if code == "zero-cost":
        return _("It costs nothing, so Equal Shares gives it no weight.")
    if code == "not-reached":
        return _("Equal Shares ended before reaching it, and the completion did not fund it.")
    if code == "comparison":
        return _("Equal Shares would have funded it, but more voters preferred the result of counting by most votes.")
    return _("It was not funded.")


def phase_effect(phase: Phase) -> str:
    """What moving into ``phase`` switches on and off, for the officer confirming the move."""
    return {
        Phase.DRAFTING: "",
        Phase.ACCEPTING_PROPOSALS: _("The budget becomes public, and residents are invited to propose projects."),
        Phase.REVIEWING: _("The invitation to propose projects closes. Officers review and cost the proposals and put shortlisted ones on the ballot."),
        Phase.BALLOTING: _("Voting opens. From now on, headings, funding pots and projects cannot change."),
        Phase.REVIEWING_BALLOTS: _("Voting closes: no more ballots can be cast online. Paper ballots can still be entered, and officers count the votes."),
        Phase.FINISHED: _("The results of every heading are published to everyone, with the file for recounting them, and proposals on the ballot are marked selected or not."),
    }[phase]


def lot_texts(lots: list[dict[str, Any]], titles: dict[str, str], seed: int) -> list[str]:
    """Each tie the count settled by lot, in plain language (the draw is repeatable with the published seed)."""

    def names(ids: Any) -> str:
        return ", ".join(_("“%(title)s”", title=titles.get(str(i), str(i))) for i in ids)

    out = []
    for lot in lots:
        tied, chosen = lot.get("tied", []), str(lot.get("chosen", ""))
        if lot.get("purpose") == "order":
            out.append(_("%(projects)s had the same votes and cost. A draw by lot with the seed %(seed)d put them in this order: %(order)s.",
                         projects=names(tied), seed=seed, order=names(chosen.split(","))))
        elif lot.get("purpose") == "fund":
            out.append(_("At step %(step)d of Equal Shares, %(projects)s were tied. A draw by lot with the seed %(seed)d chose %(chosen)s.",
                         step=int(lot.get("stage", 0)), projects=names(tied), seed=seed, chosen=names([chosen])))
        else:
            out.append(_("%(projects)s were tied. A draw by lot with the seed %(seed)d chose %(chosen)s.",
                         projects=names(tied), seed=seed, chosen=names(chosen.split(","))))
    return out


@dataclass(frozen=True)
class Bar:
    label: str
    value: int
    y: int
    width: int
    funded: bool


CHART_WIDTH = 400
BAR_HEIGHT = 24
BAR_GAP = 8


def chart(outcomes: list[ProjectOutcome]) -> tuple[list[Bar], int]:
    """Horizontal bars of each project's score, scaled to the largest; returns the bars and the height."""
    top = max([o.score for o in outcomes] + [1])
    bars = [
        Bar(o.project.title, o.score, i * (BAR_HEIGHT + BAR_GAP), max(1, round(CHART_WIDTH * o.score / top)) if o.score else 0, o.funded)
        for i, o in enumerate(outcomes)
    ]
    return bars, max(1, len(bars) * (BAR_HEIGHT + BAR_GAP))
