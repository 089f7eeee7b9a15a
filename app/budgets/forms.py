"""Budget forms (Flask-WTF: every form carries a CSRF token).  Money is typed in pounds and held as pence."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import Any

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, DateField, IntegerField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional, ValidationError

from app.budgets.models import BallotType, Completion, Phase, Rule
from app.core.once import OnceForm


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


class WholeNumberField(IntegerField):
    """A whole number; anything else ("2.5", "ten") gives this field's own ``message`` once, in the reader's
    language (WTForms' own English "Not a valid integer value" never shows)."""

    def __init__(self, label: Any = None, validators: Any = None, message: Any = None, **kwargs: Any) -> None:
        super().__init__(label, validators, **kwargs)
        self.message = message or _l("Enter a whole number, like 5")

    def process_formdata(self, valuelist: list[Any]) -> None:
        text = str(valuelist[0]).strip() if valuelist else ""
        if not text:
            self.data = None
            return
        try:
            self.data = int(text)
        except ValueError:
            self.data = None
            raise ValueError(str(self.message)) from None


class InRange:
    """Like NumberRange, but silent when the value could not be read (the field already said why), and with the
    field's own message."""

    def __init__(self, low: int, high: int, message: Any) -> None:
        self.low, self.high, self.message = low, high, message

    def __call__(self, form: FlaskForm, field: Any) -> None:
        if field.process_errors or field.data is None:
            return
        if not self.low <= field.data <= self.high:
            raise ValidationError(str(self.message))


class PercentField(StringField):
    """A percentage as typed ("2", "2.5" or "2,5"); ``data`` is tenths of a percent (None when empty)."""

    def process_formdata(self, valuelist: list[Any]) -> None:
        self.raw = valuelist[0] if valuelist else ""
        text = str(self.raw or "").strip().rstrip("%").strip().replace(",", ".")
        if not text:
            self.data = None
            return
        try:
            value = Decimal(text)
        except InvalidOperation:
            value = Decimal("NaN")
        if not value.is_finite() or value != value.quantize(Decimal("0.1")):
            self.data = None
            raise ValueError(_l("Enter a percentage like 2 or 2.5, or leave it empty."))
        self.data = int(value * 10)

    def _value(self) -> str:
        if getattr(self, "raw", None) is not None:
            return str(self.raw)
        if self.data is None:
            return ""
        whole, tenth = divmod(int(self.data), 10)
        return f"{whole}.{tenth}" if tenth else str(whole)


def _money_required(form: FlaskForm, field: MoneyField) -> None:
    if field.data is None and not field.errors:
        raise ValidationError(_l("Enter an amount in pounds"))


class ProcessForm(OnceForm):
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
    low_turnout = PercentField(
        _l("Turnout below which publishing needs a confirmation (optional, per cent of residents)"),
        validators=[InRange(1, 1000, _l("Enter a turnout from 0.1 to 100 per cent, or leave it empty."))],
        description=_l("When a heading's turnout is below this, the officer publishing the results must confirm it, with the figure shown."),
    )


class MinimumSupportMixin:
    """A heading's minimum support: a project with no votes is never funded; these add a higher bar."""

    min_votes = WholeNumberField(
        _l("Minimum votes a project needs (optional)"),
        validators=[Optional(), InRange(1, 1_000_000, _l("Enter a minimum number of votes between 1 and 1,000,000, or leave it empty."))],
        message=_l("Enter a minimum number of votes between 1 and 1,000,000, or leave it empty."),
        description=_l("On a points ballot, the minimum number of points. A project with no votes is never funded, whatever you enter."),
    )
    min_percent = WholeNumberField(
        _l("Minimum share of ballots a project needs, in % (optional)"),
        validators=[Optional(), InRange(1, 100, _l("Enter a minimum share from 1 to 100 per cent, or leave it empty."))],
        message=_l("Enter a minimum share from 1 to 100 per cent, or leave it empty."),
        description=_l("For example, 5 means a project must be chosen on at least 5 in every 100 valid ballots. Not for points ballots."),
    )


class HeadingForm(OnceForm, MinimumSupportMixin):
    place = SelectField(_l("Area"), coerce=int)
    name = StringField(_l("Name of the heading"), validators=[Length(max=200)], description=_l("Leave empty to use the area's name"))
    amount = MoneyField(_l("Amount in pounds"), validators=[_money_required],
                        description=_l("The total of the funding pots you add below"))


class HeadingEditForm(MinimumSupportMixin, FlaskForm):
    name = StringField(_l("Name of the heading"), validators=[DataRequired(_l("Enter a name")), Length(max=200)])
    amount = MoneyField(_l("Amount in pounds"), validators=[_money_required])


class PotForm(OnceForm):
    source = StringField(_l("Where the money comes from"), validators=[DataRequired(_l("Enter where the money comes from")), Length(max=200)],
                         description=_l("For example, Community Infrastructure Levy"))
    amount = MoneyField(_l("Amount in pounds"), validators=[_money_required])


class ProjectForm(OnceForm):
    title = StringField(_l("Project name"), validators=[DataRequired(_l("Enter the project's name")), Length(max=200)])
    description = TextAreaField(_l("Description"), validators=[Length(max=5000)])
    cost = MoneyField(_l("Cost in pounds"), validators=[_money_required])


class ConfirmForm(FlaskForm):
    """A button that only needs a CSRF token (remove a pot, run a count, accept a batch)."""


class PhaseForm(FlaskForm):
    to_phase = SelectField(_l("Next stage"), choices=[(p.value, p.label) for p in Phase])
    reason = StringField(_l("Note for the audit log (optional)"), validators=[Length(max=500)])
    confirm_early = BooleanField(_l("Yes, move to this stage before its planned date"))
    confirm_low_turnout = BooleanField(_l("Yes, publish with this turnout"))


class BackForm(FlaskForm):
    """Going back a stage: reopen voting, or back to set-up before any ballot exists."""

    reason = TextAreaField(_l("Why the budget goes back a stage"), validators=[DataRequired(_l("Enter the reason for going back. It is published in the audit log.")), Length(max=500)],
                           description=_l("It is published in the audit log."))


def proposals_form_class(proposals: list[Any]) -> type[FlaskForm]:
    """A checkbox per shortlisted proposal."""

    class ProposalsForm(OnceForm):
        pass

    for p in proposals:
        setattr(ProposalsForm, f"prop{p.id}", BooleanField(p.title))
    return ProposalsForm


class BatchForm(OnceForm):
    number = WholeNumberField(_l("Batch number"), validators=[InputRequired(_l("Enter the batch number")),
                              InRange(1, 100000, _l("Enter the batch number written on the bundle (1 or more)."))],
                              message=_l("Enter the batch number written on the bundle (1 or more)."),
                              description=_l("As written on the bundle of papers"))
    size = WholeNumberField(_l("Ballots in the batch"), validators=[InputRequired(_l("Enter how many ballots are in the batch")),
                            InRange(1, 100, _l("A batch holds between 1 and 100 paper ballots."))],
                            message=_l("A batch holds between 1 and 100 paper ballots."))


class ReceiptForm(FlaskForm):
    class Meta:
        csrf = False  # a GET look-up that changes nothing

    code = StringField(_l("Receipt code"), validators=[DataRequired(_l("Enter your receipt code")), Length(max=40)],
                       description=_l("For example, ABCD-EFGH-JKLM-NPQR"))


class BallotBox(BooleanField):
    """A project's checkbox: ticked (its value is "y") or absent.  Any other value, such as the "-3" of a
    hand-made POST, is refused rather than read as a tick."""

    def process_formdata(self, valuelist: list[Any]) -> None:
        if valuelist and str(valuelist[0]) not in ("y", "on", "1", "true", ""):
            self.data = False
            raise ValueError(str(_l("Tick the box for “%(title)s”, or leave it empty.", title=self.label.text)))
        super().process_formdata(valuelist)


def points_field(title: str, max_points: int, keyed: bool = False) -> WholeNumberField:
    """A project's points box: a whole number from 0 to ``max_points``; both a number out of range and one
    that is not whole ("2.5") get the one message naming the project and the maximum."""
    message = _l("Enter a whole number of points from 0 to %(max)d for “%(title)s”.", max=max_points, title=title)
    return WholeNumberField(title, validators=[Optional(), InRange(0, max_points, message)], message=message)


def ballot_form_class(projects: list[Any], cumulative: bool, max_points: int | None) -> type[FlaskForm]:
    """A form with one checkbox (or one points box, for cumulative ballots) per project, and a one-time token."""

    class BallotForm(OnceForm):
        pass

    for p in projects:
        if cumulative:
            setattr(BallotForm, f"p{p.id}", points_field(p.title, max_points or 1000))
        else:
            setattr(BallotForm, f"p{p.id}", BallotBox(p.title))
    return BallotForm


def keying_form_class(size: int, projects: list[Any], cumulative: bool) -> type[FlaskForm]:
    """One row per paper ballot: a box per project, and "spoilt"."""

    class KeyingForm(FlaskForm):
        pass

    for n in range(1, size + 1):
        setattr(KeyingForm, f"b{n}_spoilt", BooleanField(_l("Spoilt")))
        for p in projects:
            if cumulative:
                setattr(KeyingForm, f"b{n}_p{p.id}", points_field(p.title, 100000))
            else:
                setattr(KeyingForm, f"b{n}_p{p.id}", BallotBox(p.title))
    return KeyingForm


class RegisterSearchForm(FlaskForm):
    """Find a resident on the register: by poll card number, or by name and the start of the postcode."""

    class Meta:
        csrf = False  # a GET look-up that changes nothing

    poll_card = StringField(_l("Poll card number"), validators=[Length(max=30)], description=_l("As printed on the resident's poll card"))
    name = StringField(_l("Name"), validators=[Length(max=80)], description=_l("Or the resident's name, or part of it"))
    postcode = StringField(_l("Postcode"), validators=[Length(max=10)],
                           description=_l("With a name: the postcode, or its first part (for example PE13)"))


class IssueForm(FlaskForm):
    """Issue a paper ballot to one resident found on the register."""

    channel = SelectField(_l("Kind of ballot"), choices=[("paper", _l("Paper ballot")), ("assisted", _l("Assisted paper ballot"))],
                          default="paper")


class CancelIssueForm(FlaskForm):
    reason = TextAreaField(_l("Why the issue is cancelled"), validators=[
        DataRequired(_l("Give the reason for cancelling this paper ballot issue.")), Length(max=500)],
        description=_l("For example: the paper was spoilt and handed back. The reason is kept and written to the audit log."))
