"""Budget forms (Flask-WTF: every form carries a CSRF token).  Money is typed in pounds and held as pence."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import Any

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, DateField, IntegerField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional, ValidationError

from app.budgets.models import BallotType, Completion, Phase, Rule


class MoneyField(StringField):
    """Pounds as typed ("12,500" or "£12,500.50"); ``data`` is integer pence (None when empty or invalid)."""

    def process_formdata(self, valuelist: list[Any]) -> None:
        self.raw = valuelist[0] if valuelist else ""
        text = str(self.raw or "").strip().replace("£", "").replace(",", "").replace(" ", "")
        if not text:
            self.data = None
            return
        try:
            value = Decimal(text)
        except InvalidOperation:
            self.data = None
            raise ValueError(_l("Enter an amount in pounds, like 12500 or 12,500.50")) from None
        if not value.is_finite() or value != value.quantize(Decimal("0.01")):
            self.data = None
            raise ValueError(_l("Enter an amount in pounds, like 12500 or 12,500.50"))
        self.data = int(value * 100)

    def _value(self) -> str:
        if getattr(self, "raw", None) is not None:
            return str(self.raw)
        if self.data is None:
            return ""
        pounds, pence = divmod(int(self.data), 100)
        return f"{pounds}.{pence:02d}" if pence else str(pounds)


def _money_required(form: FlaskForm, field: MoneyField) -> None:
    if field.data is None and not field.errors:
        raise ValidationError(_l("Enter an amount in pounds"))


class ProcessForm(FlaskForm):
    title = StringField(_l("Name of the budget"), validators=[DataRequired(_l("Enter a name for the budget")), Length(max=200)],
                        description=_l("For example, Fenland Community Fund 2027"))
    description = TextAreaField(_l("What it is for"), validators=[Length(max=5000)])
    place = SelectField(_l("Area"), coerce=int, description=_l("The whole area the budget covers. Each heading is this area or an area within it."))
    ballot_type = SelectField(_l("Kind of ballot"), choices=[(t.value, t.label) for t in BallotType])
    max_choices = IntegerField(_l("Most projects a person may choose"), validators=[Optional(), NumberRange(min=1, max=100)],
                               description=_l("Only for limited approval ballots"))
    max_points = IntegerField(_l("Points each person shares out"), validators=[Optional(), NumberRange(min=1, max=1000)],
                              description=_l("Only for points ballots"))
    rule = SelectField(_l("How votes are counted"), choices=[(r.value, r.label) for r in Rule])
    completion = SelectField(_l("Completion for the Method of Equal Shares"), choices=[(c.value, c.label) for c in Completion],
                             description=_l("What to do with money Equal Shares leaves unspent"))
    proposals_open_on = DateField(_l("Proposals open on"), validators=[Optional()])
    review_starts_on = DateField(_l("Review starts on"), validators=[Optional()])
    voting_opens_on = DateField(_l("Voting opens on"), validators=[Optional()])
    voting_closes_on = DateField(_l("Voting closes on"), validators=[Optional()])
    results_on = DateField(_l("Results expected on"), validators=[Optional()])
    support_threshold = IntegerField(
        _l("Supports that bring a proposal to officers' review (optional)"),
        validators=[Optional(), NumberRange(min=1, max=100_000, message=_l("Enter a number of supports between 1 and 100,000, or leave it empty."))],
        description=_l("While this budget takes or reviews proposals, a proposal in its area with this many supports is flagged for review."),
    )


class HeadingForm(FlaskForm):
    place = SelectField(_l("Area"), coerce=int)
    name = StringField(_l("Name of the heading"), validators=[Length(max=200)], description=_l("Leave empty to use the area's name"))
    amount = MoneyField(_l("Amount in pounds"), validators=[_money_required],
                        description=_l("The total of the funding pots you add below"))


class HeadingEditForm(FlaskForm):
    name = StringField(_l("Name of the heading"), validators=[DataRequired(_l("Enter a name")), Length(max=200)])
    amount = MoneyField(_l("Amount in pounds"), validators=[_money_required])


class PotForm(FlaskForm):
    source = StringField(_l("Where the money comes from"), validators=[DataRequired(_l("Enter where the money comes from")), Length(max=200)],
                         description=_l("For example, Community Infrastructure Levy"))
    amount = MoneyField(_l("Amount in pounds"), validators=[_money_required])


class ProjectForm(FlaskForm):
    title = StringField(_l("Project name"), validators=[DataRequired(_l("Enter the project's name")), Length(max=200)])
    description = TextAreaField(_l("Description"), validators=[Length(max=5000)])
    cost = MoneyField(_l("Cost in pounds"), validators=[_money_required])


class ConfirmForm(FlaskForm):
    """A button that only needs a CSRF token (remove a pot, run a count, accept a batch)."""


class PhaseForm(FlaskForm):
    to_phase = SelectField(_l("Next stage"), choices=[(p.value, p.label) for p in Phase])
    reason = StringField(_l("Note for the audit log (optional)"), validators=[Length(max=500)])


def proposals_form_class(proposals: list[Any]) -> type[FlaskForm]:
    """A checkbox per shortlisted proposal."""

    class ProposalsForm(FlaskForm):
        pass

    for p in proposals:
        setattr(ProposalsForm, f"prop{p.id}", BooleanField(p.title))
    return ProposalsForm


class BatchForm(FlaskForm):
    number = IntegerField(_l("Batch number"), validators=[InputRequired(_l("Enter the batch number")), NumberRange(min=1, max=100000)],
                          description=_l("As written on the bundle of papers"))
    size = IntegerField(_l("Ballots in the batch"), validators=[InputRequired(_l("Enter how many ballots are in the batch")), NumberRange(min=1, max=100)])


class ReceiptForm(FlaskForm):
    class Meta:
        csrf = False  # a GET look-up that changes nothing

    code = StringField(_l("Receipt code"), validators=[DataRequired(_l("Enter your receipt code")), Length(max=40)],
                       description=_l("For example, ABCD-EFGH-JKLM-NPQR"))


def ballot_form_class(projects: list[Any], cumulative: bool, max_points: int | None) -> type[FlaskForm]:
    """A form with one checkbox (or one points box, for cumulative ballots) per project."""

    class BallotForm(FlaskForm):
        pass

    for p in projects:
        if cumulative:
            setattr(BallotForm, f"p{p.id}", IntegerField(p.title, validators=[Optional(), NumberRange(min=0, max=max_points or 1000, message=_l("Enter a whole number of points from 0"))]))
        else:
            setattr(BallotForm, f"p{p.id}", BooleanField(p.title))
    return BallotForm


def keying_form_class(size: int, projects: list[Any], cumulative: bool) -> type[FlaskForm]:
    """One row per paper ballot: a box per project, and "spoilt"."""

    class KeyingForm(FlaskForm):
        pass

    for n in range(1, size + 1):
        setattr(KeyingForm, f"b{n}_spoilt", BooleanField(_l("Spoilt")))
        for p in projects:
            if cumulative:
                setattr(KeyingForm, f"b{n}_p{p.id}", IntegerField(p.title, validators=[Optional(), NumberRange(min=0, max=100000)]))
            else:
                setattr(KeyingForm, f"b{n}_p{p.id}", BooleanField(p.title))
    return KeyingForm
