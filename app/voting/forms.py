"""Vote forms (Flask-WTF, every form carries a CSRF token)."""

from __future__ import annotations

from typing import Any

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    DateTimeLocalField,
    HiddenField,
    IntegerField,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
)
from wtforms.validators import DataRequired, Email, InputRequired, Length, NumberRange, Optional

from app.voting.models import VoteRule


class VoteForm(FlaskForm):
    title = StringField(_l("Question"), validators=[DataRequired(_l("Enter the question")), Length(max=200)],
                        description=_l("For example, Which three priorities should Fenland fund first?"))
    description = TextAreaField(_l("More about the vote"), validators=[Length(max=5000)])
    rule = SelectField(_l("How the vote is counted"), choices=[(r.value, r.label) for r in VoteRule])
    seats = IntegerField(_l("Number of winners"), default=1, validators=[Optional(), NumberRange(min=1, max=19)],
                         description=_l("Only for the single transferable vote"))
    place = SelectField(_l("Area"), coerce=int, description=_l("Everyone whose home is in this area, or an area within it, may vote."))
    topic = SelectField(_l("Topic"), coerce=int, validators=[Optional()],
                        description=_l("Optional. Members' delegations for this topic apply to the vote."))
    proposals = SelectMultipleField(_l("Shortlisted proposals to vote on"), coerce=int, validators=[Optional()],
                                    description=_l("Optional. Hold Ctrl or Cmd to choose more than one."))
    options = TextAreaField(_l("Other options, one per line"), validators=[Length(max=5000)])
    opens_at = DateTimeLocalField(_l("Opens (UTC)"), format="%Y-%m-%dT%H:%M",
                                  validators=[InputRequired(_l("Enter when the vote opens, like 2027-03-01 09:00"))])
    closes_at = DateTimeLocalField(_l("Closes (UTC)"), format="%Y-%m-%dT%H:%M",
                                   validators=[InputRequired(_l("Enter when the vote closes, like 2027-03-15 17:00"))])
    weight_cap = IntegerField(_l("Most votes any one delegate's ballot may carry"), validators=[Optional(), NumberRange(min=1)],
                              description=_l("Optional. Weight above the cap counts as abstentions, and the result says so."))


def ordinal(n: int) -> str:
    if n == 1:
        return _("1st")
    if n == 2:
        return _("2nd")
    if n == 3:
        return _("3rd")
    return _("%(num)dth", num=n)


def ballot_form_class(options: list[Any]) -> type[FlaskForm]:
    """One select per option ("Not ranked", "1st", "2nd", …), a blank-ballot confirmation, the checked ranking."""

    class BallotForm(FlaskForm):
        confirm_blank = BooleanField(_l("I want to cast a blank ballot"))
        checked = HiddenField()

    choices = [("", _("Not ranked"))] + [(str(n), ordinal(n)) for n in range(1, len(options) + 1)]
    for o in options:
        setattr(BallotForm, f"rank_{o.id}", SelectField(o.title, choices=choices, default="", validators=[Optional()],
                                                         description=o.description or ""))
    return BallotForm


def ranks_from(form: FlaskForm, options: list[Any]) -> dict[int, int | None]:
    out: dict[int, int | None] = {}
    for o in options:
        value = form[f"rank_{o.id}"].data
        out[o.id] = int(value) if value and str(value).isdigit() else None
    return out


class AssistedForm(FlaskForm):
    member_email = StringField(_l("The member's email address"), validators=[DataRequired(_l("Enter the member's email address")),
                                                                              Email(_l("Enter an email address like name@example.org"))])


class ConfirmForm(FlaskForm):
    pass


class ReceiptForm(FlaskForm):
    class Meta:
        csrf = False

    code = StringField(_l("Receipt code"), validators=[DataRequired(_l("Enter your receipt code")), Length(max=40)])
