"""The committee report's content: facts about the process, who took part, result tables, "you said, we did",
and the methodology, gathered for one target in the current language (call it inside ``force_locale``)."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.equality.report import EqualityReport
from app.exports import files
from app.exports.models import CommitteeReport
from app.exports.participation import CHANNELS, Participation, participation
from app.exports.tables import Column, Table
from app.exports.targets import Target


@dataclass(frozen=True)
class Bar:
    label: str
    value: float
    text: str


@dataclass(frozen=True)
class Chart:
    title: str
    bars: list[Bar]


@dataclass
class Report:
    target: Target
    texts: CommitteeReport
    facts: list[tuple[str, str]]
    participation: Participation
    tables: list[Table]  # results first, then participation
    charts: list[Chart]
    you_said: list[dict[str, str]]
    rule_text: str
    tiebreak_text: str
    seed: str | None
    software: str
    recount: list[files.RecountFile] = field(default_factory=list)
    generated_on: Any = None


def software_version() -> str:
    from app.panels.services.selection import software_version as version

    return version()


def texts_for(session: Session, kind: str, key: str) -> CommitteeReport:
    found = session.execute(select(CommitteeReport).where(CommitteeReport.kind == kind, CommitteeReport.object_key == key)).scalar_one_or_none()
    return found or CommitteeReport(kind=kind, object_key=key)


def _yes(flag: bool) -> str:
    return _("yes") if flag else _("no")


# --- participation tables --------------------------------------------------------------------------------

def participation_tables(part: Participation) -> list[Table]:
    places = Table("turnout-by-place", _("Turnout by place"), [
        Column("place", _("Place"), "text", _("The area, from the places import")),
        Column("participants", _("Participants"), "int", _("People who took part whose home is in the area")),
        Column("population", _("Population"), "int", _("The area's population, from the places import")),
        Column("turnout", _("Turnout"), "share", _("Participants divided by the population")),
        Column("share_of_participants", _("Share of participants"), "share", _("The area's share of all participants whose home is known")),
        Column("share_of_population", _("Share of population"), "share", _("The area's share of the population of all the areas")),
    ], [[r.place, r.participants, r.population, r.turnout, r.share_of_participants, r.share_of_population] for r in part.places])
    labels = {"online": _("Online"), "paper": _("Paper"), "assisted": _("Assisted (by an officer, telephone or in person)")}
    channels = Table("channels", _("Participants by channel"), [
        Column("channel", _("Channel"), "text", _("How people took part")),
        Column("participants", _("Participants"), "int", _("How many took part this way")),
        Column("share", _("Share"), "share", _("Their share of all participants")),
    ], [[labels[c], part.channels.get(c, 0), part.channels.get(c, 0) / part.participants if part.participants else None] for c in CHANNELS])
    out = [places, channels]
    if part.groups:
        out.append(Table("make-up", _("The panel's make-up against its targets"), [
            Column("category", _("Category"), "text", _("The question asked of everyone who registered")),
            Column("value", _("Answer"), "text", _("One answer to it")),
            Column("target_share", _("Target share"), "share", _("The share of the panel the quotas aim for")),
            Column("pool", _("In the pool"), "int", _("People who registered with this answer")),
            Column("members", _("On the panel"), "int", _("Members drawn with this answer")),
            Column("share_of_members", _("Share of the panel"), "share", _("Their share of the panel")),
        ], [[g.category, g.value, g.target_share, g.pool, g.members, g.share_of_members] for g in part.groups]))
    if part.equality is not None:
        out += equality_tables(part.equality)
    return out


def equality_tables(eq: EqualityReport) -> list[Table]:
    """The equality-monitoring tables: who answered, then one table per question.  A hidden cell holds the words
    "fewer than 10" (text), every other count is a number; nothing at all when fewer than 10 answered."""
    fewer = _("fewer than 10")
    out = [Table("equality-answered", _("Equality monitoring: who answered"), [
        Column("participants", _("Participants"), "int", _("People who took part (each person once)")),
        Column("answered", _("Answered"), "int", _("People who answered at least one of the optional questions (“fewer than 10” when so)")),
        Column("share_answered", _("Share who answered"), "share", _("Answered divided by participants")),
    ], [[eq.participants, eq.responders if eq.published else fewer, eq.share_answered]])]
    for t in eq.tables:
        out.append(Table(f"equality-{t.key.replace('_', '-')}", _("Equality monitoring: %(question)s", question=t.title), [
            Column("answer", _("Answer"), "text", t.text),
            Column("people", _("People"), "int", _("People who gave this answer; “fewer than 10” for a group under 10, or hidden so that one cannot be worked out")),
            Column("share", _("Share"), "share", _("Their share of the people who answered the questions")),
        ], [[c.label, c.people if c.people is not None else fewer, c.share] for c in t.cells]))
    return out


# --- results by kind -----------------------------------------------------------------------------------------

def _budget(session: Session, target: Target) -> tuple[list[Table], list[Chart], list[dict[str, str]], str, str, str | None]:
    from app.budgets import services
    from app.budgets.models import Completion, Rule

    process = target.obj
    tables, charts, you_said = [], [], []
    for heading in process.headings:
        count = services.published_count(session, heading)
        if count is None:
            continue
        outcomes = services.outcomes(heading, count)
        tables.append(Table(f"results-heading-{heading.id}", _("Results: %(heading)s", heading=heading.name), [
            Column("project", _("Project"), "text", _("The project on the ballot")),
            Column("cost", _("Cost"), "money", _("What the project costs, in pounds")),
            Column("votes", _("Votes"), "int", _("Ballots that chose the project")),
            Column("funded", _("Funded"), "text", _("Whether the count funded it")),
        ], [[o.project.title, o.project.cost_pence, o.votes, _yes(o.funded)] for o in outcomes]))
        charts.append(Chart(_("Votes for each project: %(heading)s", heading=heading.name),
                            [Bar(o.project.title, float(o.votes), str(o.votes)) for o in outcomes]))
        for o in outcomes:
            if o.project.proposal_id:
                you_said.append(_you_said(session, o.project.proposal_id, _("funded") if o.funded else _("not funded")))
    rule = Rule(process.rule).label
    if process.completion != Completion.NONE.value:
        rule += " – " + Completion(process.completion).label
    tiebreak = _("Ties in votes go to the cheaper project; equal costs are settled by lot with the recorded seed.")
    return tables, charts, you_said, rule, tiebreak, str(process.seed)


def _vote(session: Session, target: Target) -> tuple[list[Table], list[Chart], list[dict[str, str]], str, str, str | None]:
    from app.voting import counting
    from app.voting.models import VoteRule

    vote = target.obj
    count = counting.count_of(session, vote)
    if count is None:
        return [], [], [], VoteRule(vote.rule).label, "", str(vote.seed)
    result = json.loads(count.result_json)
    names = [c for c in result["candidates"] if c not in result.get("withdrawn", [])]
    elected = set(result.get("elected", []))
    if result["rule"] == "irv":
        first, last = result["rounds"][0]["votes"], result["rounds"][-1]["votes"]
    elif result["rule"] == "stv-scottish":
        first, last = result["rounds"][0]["totals"], result["rounds"][-1]["totals"]
    else:
        order, d = result["order"], result["d"]
        wins = {n: sum(1 for j in range(len(order)) if i != j and d[i][j] > d[j][i]) for i, n in enumerate(order)}
        first, last = wins, wins
    first_title = _("Pairwise wins") if result["rule"] == "schulze" else _("First preferences")
    table = Table("results", _("Results"), [
        Column("option", _("Option"), "text", _("The option on the ballot")),
        Column("first", first_title, "float", _("Weighted votes at the first round or stage (for Schulze: pairwise wins)")),
        Column("final", _("Final round"), "float", _("Weighted votes at the last round or stage (for Schulze: pairwise wins)")),
        Column("elected", _("Elected"), "text", _("Whether the option won")),
    ], [[n, _num(first.get(n)), _num(last.get(n)), _yes(n in elected)] for n in names])
    chart = Chart(first_title, [Bar(n, float(first.get(n) or 0), str(_num(first.get(n)))) for n in names])
    you_said = [_you_said(session, o.proposal_id, _("elected") if o.title in elected else _("not elected"))
                for o in vote.options if o.proposal_id]
    tiebreak = _("Ties are settled as the rule's definition says, and by lot with the recorded seed where it still ties.")
    return [table], [chart], you_said, VoteRule(vote.rule).label, tiebreak, str(count.seed)


def _num(value: Any) -> Any:
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


def _panel(session: Session, target: Target) -> tuple[list[Table], list[Chart], list[dict[str, str]], str, str, str | None]:
    from app.panels.models import Method

    panel = target.obj
    sel = panel.selection
    if sel is None or not sel.result_json:
        return [], [], [], Method(panel.method).label, "", None
    result = sel.result
    table = Table("selection", _("The draw"), [
        Column("figure", _("Figure"), "text", _("What is counted")),
        Column("value", _("Value"), "float", _("Its value")),
    ], [[_("People in the pool"), len(result.get("probabilities", {}))], [_("Panel size"), sel.size],
        [_("Lowest selection probability"), round(float(result.get("min_probability", 0.0)), 6)],
        [_("Panels in the distribution"), result.get("panels")]])
    tiebreak = _("There are no ties: the seed drives every random choice, so the same files and seed give the same panel.")
    return [table], [], [], Method(sel.method).label, tiebreak, sel.seed


def _proposals(session: Session, target: Target) -> tuple[list[Table], list[Chart], list[dict[str, str]], str, str, str | None]:
    from app.proposals.models import ProposalState

    proposals = target.obj
    table = Table("proposals", _("Proposals"), [
        Column("id", _("Number"), "int", _("The proposal's number on the site")),
        Column("title", _("Proposal"), "text", _("Its title, as its author wrote it")),
        Column("state", _("Where it stands"), "text", _("Its state today")),
        Column("supports", _("Supports"), "int", _("Residents who supported it")),
        Column("published", _("Published"), "date", _("When it was published")),
    ], [[p.id, p.title, ProposalState(p.state).label, p.support_count, p.published_at.date() if p.published_at else None]
        for p in proposals])
    you_said = [_you_said(session, p.id, ProposalState(p.state).label) for p in proposals]
    rule = _("Residents propose and support; officers review each proposal and record what happens to it.")
    return [table], [], you_said, rule, _("Not applicable: nothing is counted to a winner."), None


def _you_said(session: Session, proposal_id: int, outcome: str) -> dict[str, str]:
    from app.proposals.models import Proposal, ProposalEvent, ProposalState

    proposal = session.get(Proposal, proposal_id)
    if proposal is None:
        return {"title": "", "outcome": outcome, "state": "", "update": ""}
    update = session.execute(select(ProposalEvent).where(ProposalEvent.proposal_id == proposal_id, ProposalEvent.kind == "update")
                             .order_by(ProposalEvent.happened_on.desc(), ProposalEvent.id.desc()).limit(1)).scalar_one_or_none()
    return {"title": proposal.title, "outcome": outcome, "state": ProposalState(proposal.state).label,
            "update": (update.text or "") if update else ""}


BUILDERS = {"budget": _budget, "vote": _vote, "panel": _panel, "proposals": _proposals}


def facts(target: Target, part: Participation) -> list[tuple[str, str]]:
    from app.core.i18n import day, number

    out = [(_("Process"), target.title), (_("Where"), target.place.name if target.place else _("Not tied to a place"))]
    if target.starts:
        out.append((_("Started"), day(target.starts)))
    if target.ends:
        out.append((_("Ended"), day(target.ends)))
    if target.kind == "budget":
        p = target.obj
        for label, value in ((_("Proposals open"), p.proposals_open_on), (_("Review starts"), p.review_starts_on),
                             (_("Voting opens"), p.voting_opens_on), (_("Voting closes"), p.voting_closes_on),
                             (_("Results"), p.results_on)):
            if value:
                out.append((label, day(value)))
    out.append((_("Stage reached"), target.state))
    out.append((_("Participants"), number(part.participants)))
    return out


def build_report(session: Session, target: Target, today: Any = None) -> Report:
    from datetime import date

    part = participation(session, target.kind, target.obj, target.place)
    tables, charts, you_said, rule, tiebreak, seed = BUILDERS[target.kind](session, target)
    return Report(target=target, texts=texts_for(session, target.kind, target.key), facts=facts(target, part),
                  participation=part, tables=tables + participation_tables(part), charts=charts, you_said=you_said,
                  rule_text=rule, tiebreak_text=tiebreak, seed=seed, software=software_version(),
                  recount=files.files_for(session, target.kind, target.obj), generated_on=today or date.today())
