"""What the vote pages show, computed outside the views: the checked ballot, names along a chain, the
round/stage table and the server-side SVG chart drawn from the same figures."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from flask_babel import gettext as _
from flask_babel import ngettext
from sqlalchemy.orm import Session

from app.auth.models import User
from app.core.i18n import number
from app.delegation.services import active_profile
from app.voting import forms, services
from app.voting.models import Vote


def checked(form: forms.FlaskForm, vote: Vote) -> services.RankCheck:
    """Check the submitted ranking and put each problem on its select."""
    check = services.check_ranking(vote, forms.ranks_from(form, vote.options), bool(form.confirm_blank.data))
    for oid, message in check.field_problems.items():
        form[f"rank_{oid}"].errors = [*list(form[f"rank_{oid}"].errors or []), message]
    form.form_errors.extend(check.problems)
    return check


def signature(check: services.RankCheck) -> str:
    """What the cast button carries: the ranking that was shown when it was checked."""
    return "blank" if check.blank else "r:" + check.text


def delegate_name(session: Session, user_id: int) -> str:
    profile = active_profile(session, user_id)
    if profile is not None:
        return profile.shown_name
    user = session.get(User, user_id)
    return user.public_name if user else _("Former member")


@dataclass(frozen=True)
class Table:
    caption: str
    header: list[str]
    rows: list[list[str]]


def _v(value: Any) -> str:
    return number(value) if isinstance(value, (int, float)) else str(value or "")


def rounds_table(result: dict[str, Any]) -> Table:
    names = [c for c in result["candidates"] if c not in result.get("withdrawn", [])]
    rule = result["rule"]
    if rule == "irv":
        rounds = result["rounds"]
        header = [_("Option")] + [_("Round %(num)d", num=r["round"]) for r in rounds]
        rows = [[n] + [_v(r["votes"].get(n, "")) if n in r["votes"] else "–" for r in rounds] for n in names]
        rows.append([_("No further preference (exhausted)")] + [_v(r["exhausted"]) for r in rounds])
        rows.append([_("Eliminated this round")] + [r["eliminated"] or "" for r in rounds])
        return Table(_("Votes for each option in each round"), header, rows)
    if rule == "stv-scottish":
        stages = result["rounds"]
        header = [_("Option")] + [_("Stage %(num)d", num=s["stage"]) for s in stages]
        rows = [[n] + [_v(s["totals"].get(n, 0)) for s in stages] for n in names]
        rows.append([_("Non-transferable")] + [_v(s["non_transferable_total"]) for s in stages])
        rows.append([_("What happened")] + [_stage_action(s) for s in stages])
        return Table(_("Votes for each option at each stage"), header, rows)
    order = result["order"]
    header = [_("Option")] + [_("Preferred to %(option)s", option=o) for o in order]
    rows = [[order[i]] + [("–" if i == j else _v(result["d"][i][j])) for j in range(len(order))] for i in range(len(order))]
    return Table(_("How many votes preferred each option (row) to each other option (column)"), header, rows)


def _stage_action(stage: dict[str, Any]) -> str:
    if stage["action"] == "first-preferences":
        text = _("First preferences")
    elif stage["action"] == "surplus":
        text = _("Surplus of %(option)s transferred", option=stage["candidate"])
    else:
        text = _("%(option)s excluded", option=stage["candidate"])
    if stage["elected"]:
        text += "; " + _("elected: %(options)s", options=", ".join(stage["elected"]))
    return text


@dataclass(frozen=True)
class Bar:
    y: int
    width: float
    label: str
    value: str


@dataclass(frozen=True)
class Chart:
    title: str
    bars: list[Bar]
    groups: list[tuple[int, str]]  # (y, option name)
    height: int


def chart(result: dict[str, Any], width: float = 420.0) -> Chart:
    """Horizontal bars: for each option, one bar per round or stage (IRV, STV), or its pairwise wins (Schulze)."""
    names = [c for c in result["candidates"] if c not in result.get("withdrawn", [])]
    series: list[tuple[str, list[tuple[str, float]]]] = []
    if result["rule"] == "irv":
        for n in names:
            series.append((n, [(_("Round %(num)d", num=r["round"]), float(r["votes"][n])) for r in result["rounds"] if n in r["votes"]]))
        title = _("Votes in each round")
    elif result["rule"] == "stv-scottish":
        for n in names:
            series.append((n, [(_("Stage %(num)d", num=s["stage"]), float(s["totals"].get(n, 0))) for s in result["rounds"]]))
        title = _("Votes at each stage")
    else:
        order, d = result["order"], result["d"]
        for i, n in enumerate(order):
            wins = sum(1 for j in range(len(order)) if i != j and d[i][j] > d[j][i])
            series.append((n, [(ngettext("%(num)d pairwise win", "%(num)d pairwise wins", wins), float(wins))]))
        title = _("Pairwise wins of each option")
    top = max((v for _n, vals in series for _l, v in vals), default=0.0) or 1.0
    bars, groups, y = [], [], 10
    for name, vals in series:
        groups.append((y + 12, name))
        y += 20
        for label, value in vals:
            bars.append(Bar(y, width * value / top, label, number(round(value, 2))))
            y += 18
        y += 8
    return Chart(title, bars, groups, y + 10)
