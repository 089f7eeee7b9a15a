"""Vote pages for everyone: the list, a vote, the ballot (check, then cast; replaceable until close), the
receipt look-up, the delegate's ballot (for their delegators), results and the ballot file."""

from __future__ import annotations

import json

from flask import Response, abort, render_template, request
from flask_babel import gettext as _
from flask_login import current_user
from werkzeug.wrappers import Response as WResponse

from app.core.db import commit_keeping_loaded
from app.core.errors import DomainError
from app.core.forms import attach_error
from app.core.permissions import Permission, public, requires
from app.delegation import presenters as chain_words
from app.delegation.resolution import explain, scope_for
from app.delegation.where import names_in
from app.extensions import db
from app.voting import bp, counting, forms, policy, presenters, queries, services
from app.voting.models import Vote, VoteBallot, VoteState


@bp.route("/")
@public
def index() -> str:
    return render_template("voting/index.html", votes=queries.votes(db.session))


@bp.route("/<int:vote_id>")
@public
def show(vote_id: int) -> str:
    vote = queries.vote_or_404(vote_id)
    chain = lines = None
    if current_user.is_authenticated and vote.state == VoteState.OPEN.value and policy.lives_in(current_user, vote):
        chain = explain(services.live_resolution(db.session, vote), current_user.id)
        lines = chain_words.route(chain, names_in(db.session, chain), current_user.id, scope_for(vote.place, vote.topic_id))
    return render_template("voting/show.html", vote=vote, refusal=policy.vote_refusal(current_user, vote), chain=chain, lines=lines,
                           voted=services.ballot_of(db.session, current_user, vote) is not None, chain_words=chain_words,
                           scope=scope_for(vote.place, vote.topic_id), ballots=queries.ballot_count(db.session, vote)
                           if policy.is_officer(current_user) else None)


def _prefill(vote: Vote, form_class: type[forms.FlaskForm], existing: VoteBallot | None) -> forms.FlaskForm:
    ranking = None
    if request.args.get("from") == "delegate":
        rep = services.representative_ballot(db.session, vote, current_user)
        ranking = rep.option_ids if rep is not None else None
    if ranking is None:
        ranking = existing.option_ids if existing is not None else None
    if ranking is None:
        return form_class()
    return form_class(data={f"rank_{oid}": str(n) for n, oid in enumerate(ranking, start=1)})


def _check_or_cast(vote: Vote, form: forms.FlaskForm) -> tuple[services.RankCheck, str | None]:
    """Check the submitted ranking; cast it when the voter pressed "Cast ballot" on exactly the ranking they
    checked.  Returns the check and the receipt code when a ballot was cast."""
    check = presenters.checked(form, vote)
    if check.ok and "cast" in request.form and form.checked.data == presenters.signature(check):
        try:
            code = services.cast_ballot(db.session, current_user, vote, forms.ranks_from(form, vote.options), check.blank)
        except DomainError as exc:
            db.session.rollback()
            attach_error(form, exc)
        else:
            commit_keeping_loaded(db.session)  # the receipt page shows what this request loaded: nothing to load again
            return check, code
    elif check.ok and "cast" in request.form:
        form.form_errors.append(_("Your ranking changed since you checked it. Check it below, then cast your ballot."))
    if check.ok:
        form.checked.data = presenters.signature(check)
    return check, None


@bp.route("/<int:vote_id>/ballot", methods=["GET", "POST"])
@public
def ballot(vote_id: int) -> str | WResponse:
    vote = queries.vote_or_404(vote_id)
    refusal = policy.vote_refusal(current_user, vote)
    existing = services.ballot_of(db.session, current_user, vote)
    form_class = forms.ballot_form_class(vote.options)
    form = _prefill(vote, form_class, existing) if request.method == "GET" else form_class()
    check = None
    if request.method == "POST" and refusal is not None:
        form.form_errors.append(refusal)
    elif form.validate_on_submit():
        check, code = _check_or_cast(vote, form)
        if code is not None:
            return render_template("voting/ballot_cast.html", vote=vote, code=code, replaced=existing is not None)
    return render_template("voting/ballot.html", vote=vote, form=form, refusal=refusal, check=check, existing=existing,
                           old=services.ranking_titles(vote, existing.option_ids) if existing else None,
                           new=services.ranking_titles(vote, check.ranking) if check and check.ok else None,
                           from_delegate=request.args.get("from") == "delegate")


@bp.route("/receipt")
@public
def receipt() -> str:
    form = forms.ReceiptForm(request.args)
    status = None
    looked_up = "code" in request.args and form.validate()
    if looked_up:
        status = services.check_receipt(db.session, form.code.data or "")
    return render_template("voting/receipt.html", form=form, status=status, looked_up=looked_up)


@bp.route("/<int:vote_id>/delegate")
@requires(Permission.VOTE_SEE_DELEGATE_BALLOT, load=queries.vote_or_404)
def delegate_ballot(vote: Vote) -> str:
    found = services.representative(db.session, vote, current_user)
    rep = found[1] if found else None
    mine = services.ballot_of(db.session, current_user, vote)
    return render_template("voting/delegate_ballot.html", vote=vote, rep=rep, mine=mine,
                           ranking=services.ranking_titles(vote, rep.option_ids) if rep else None,
                           who=presenters.delegate_name(db.session, found[0]) if found else None,
                           accepting=policy.vote_refusal(current_user, vote) is None)


@bp.route("/<int:vote_id>/results")
@public
def results(vote_id: int) -> str:
    vote = queries.vote_or_404(vote_id)
    if not policy.results_visible(current_user, vote):
        abort(404)
    count = counting.count_of(db.session, vote)
    if count is None:
        abort(404)
    result, figures = json.loads(count.result_json), json.loads(count.figures_json)
    return render_template("voting/results.html", vote=vote, count=count, result=result, figures=figures,
                           table=presenters.rounds_table(result), chart=presenters.chart(result))


@bp.route("/<int:vote_id>/ballots.blt")
@public
def results_file(vote_id: int) -> Response:
    vote = queries.vote_or_404(vote_id)
    count = counting.count_of(db.session, vote)
    if vote.state != VoteState.PUBLISHED.value or count is None:
        abort(404)
    return Response(count.blt_text, mimetype="text/plain; charset=utf-8",
                    headers={"Content-Disposition": f'attachment; filename="{counting.blt_filename(vote)}"'})
