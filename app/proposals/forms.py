"""Proposal forms (Flask-WTF: every form carries a CSRF token)."""

from __future__ import annotations

from typing import Any

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    DateField,
    EmailField,
    Field,
    RadioField,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
)
from wtforms.validators import DataRequired, Email, InputRequired, Length, Optional, ValidationError
from wtforms.widgets import CheckboxInput, ListWidget

from app.core.once import OnceForm
from app.proposals.money import AmountError, parse_pounds
from app.proposals.services import (
    MAX_CONTACT_NOTE,
    MAX_CONTRIBUTOR_NAME,
    MAX_REASON,
    MAX_SERVICE,
    MAX_TEXT,
    MAX_TITLE,
    MAX_TOPIC,
)

AMOUNT_MESSAGES = {
    "format": _l("Enter an amount in pounds, like 2,500 or 2500.50"),
    "pence": _l("Enter pence as two digits after the point, like 2500.50"),
    "negative": _l("Enter an amount of £0 or more"),
    "too_large": _l("Enter an amount of £100,000,000 or less"),
}


def pounds(required_message: Any = None) -> Any:
    """Validator: parse pounds into ``field.pence`` (int or None), with a clear message for each mistake."""

    def check(form: FlaskForm, field: Field) -> None:
        try:
            field.pence = parse_pounds(field.data)
        except AmountError as exc:
            field.pence = None
            raise ValidationError(AMOUNT_MESSAGES[exc.code]) from None
        if field.pence is None and required_message is not None:
            raise ValidationError(required_message)

    return check


class MultiCheckboxField(SelectMultipleField):
    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


class ProposalForm(OnceForm):
    title = StringField(
        _l("Title"),
        validators=[DataRequired(_l("Enter a title")), Length(max=MAX_TITLE, message=_l("The title must be 200 characters or fewer"))],
        description=_l("A short name for your idea, like “Benches along the river path”."),
    )
    summary = TextAreaField(
        _l("Summary"),
        validators=[DataRequired(_l("Enter a summary")), Length(max=MAX_TEXT, message=_l("The summary must be 10,000 characters or fewer"))],
        description=_l("Two or three sentences: what you propose and why."),
    )
    need = TextAreaField(
        _l("The need"),
        validators=[DataRequired(_l("Describe the need")), Length(max=MAX_TEXT, message=_l("The need must be 10,000 characters or fewer"))],
        description=_l("What problem does this solve, and for whom?"),
    )
    solution = TextAreaField(
        _l("The proposed solution"),
        validators=[DataRequired(_l("Describe the proposed solution")), Length(max=MAX_TEXT, message=_l("The proposed solution must be 10,000 characters or fewer"))],
    )
    place_id = SelectField(_l("The place it concerns"), coerce=int, validators=[InputRequired(_l("Choose the place your proposal is about"))])
    topic_ids = MultiCheckboxField(_l("Topics"), coerce=int, validators=[Optional()], description=_l("Choose any that fit."))
    cost_estimate = StringField(
        _l("Cost estimate in pounds (optional)"),
        validators=[Length(max=20, message=AMOUNT_MESSAGES["format"]), pounds()],
        description=_l("If you have an idea of the cost, like 2,500 or 2500.50. Officers will work out a costing."),
    )
    offer_of_help = TextAreaField(
        _l("What we can contribute (optional)"),
        validators=[Optional(), Length(max=MAX_TEXT, message=_l("What you can contribute must be 10,000 characters or fewer"))],
        description=_l("For example time, skills, materials or a group that would look after it."),
    )

    def set_choices(self, places: list[tuple[int, str]], topics: list[tuple[int, str]]) -> None:
        self.place_id.choices = places
        self.topic_ids.choices = topics


class AssistedEntryForm(ProposalForm):
    channel = RadioField(
        _l("How the proposal reached you"),
        choices=[("paper", _l("On paper")), ("phone", _l("By phone")), ("in_person", _l("In person"))],
        validators=[InputRequired(_l("Choose how the proposal reached you"))],
    )
    contributor = RadioField(
        _l("Whose proposal is it?"),
        choices=[("account", _l("Someone with an account")), ("offline", _l("Someone without an account"))],
        validators=[InputRequired(_l("Choose whose proposal it is"))],
    )
    email = EmailField(
        _l("Email address of their account"),
        validators=[Optional(), Email(_l("Enter an email address like name@example.com")), Length(max=254)],
        description=_l("Only if they have an account."),
    )
    contributor_name = StringField(
        _l("Their name"),
        validators=[Length(max=MAX_CONTRIBUTOR_NAME, message=_l("The name must be 120 characters or fewer"))],
        description=_l("Only if they have no account. Shown beside the proposal."),
    )
    contact_note = StringField(
        _l("How to contact them (optional)"),
        validators=[Length(max=MAX_CONTACT_NOTE, message=_l("The contact note must be 200 characters or fewer"))],
        description=_l("Seen by officers only, never shown publicly."),
    )
    contributor_place_id = SelectField(_l("Where they live (optional)"), coerce=int, validators=[Optional()])
    publish = BooleanField(_l("Publish it now"), default=True)

    def set_choices(self, places: list[tuple[int, str]], topics: list[tuple[int, str]]) -> None:
        super().set_choices(places, topics)
        self.contributor_place_id.choices = [(0, str(_l("Not known")))] + places

    def validate_email(self, field: Field) -> None:
        if self.contributor.data == "account" and not (field.data or "").strip():
            raise ValidationError(_l("Enter the email address of their account"))

    def validate_contributor_name(self, field: Field) -> None:
        if self.contributor.data == "offline" and not (field.data or "").strip():
            raise ValidationError(_l("Enter the name of the person who made the proposal"))


class TransitionForm(FlaskForm):
    # The page offers only the moves this account may make; anything else sent is refused by the service.
    to_state = RadioField(_l("Move the proposal to"), validate_choice=False, validators=[InputRequired(_l("Choose what happens next"))])
    reason = TextAreaField(
        _l("Reason"),
        validators=[Optional(), Length(max=MAX_REASON, message=_l("The reason must be 2,000 characters or fewer"))],
        description=_l("Required when declining: it is shown to everyone on the proposal's timeline."),
    )


class ReviewForm(FlaskForm):
    feasibility = TextAreaField(
        _l("Feasibility"),
        validators=[DataRequired(_l("Describe how feasible the proposal is")),
                    Length(max=MAX_TEXT, message=_l("The feasibility assessment must be 10,000 characters or fewer"))],
        description=_l("Can it be done, on what land, with what permissions, and what risks?"),
    )
    costing = StringField(
        _l("Costing in pounds"),
        validators=[Length(max=20, message=AMOUNT_MESSAGES["format"]), pounds(required_message=_l("Enter the costing in pounds"))],
        description=_l("Like 12,500 or 12500.50."),
    )
    responsible_service = StringField(
        _l("Responsible service"),
        validators=[DataRequired(_l("Enter the service responsible for it")), Length(max=MAX_SERVICE, message=_l("The service must be 120 characters or fewer"))],
        description=_l("For example Highways, or Parks and Open Spaces."),
    )


class UpdateForm(OnceForm):
    text = TextAreaField(
        _l("What has been done"),
        validators=[DataRequired(_l("Write what has been done")),
                    Length(max=MAX_TEXT, message=_l("The update must be 10,000 characters or fewer"))],
        description=_l("Written for residents: what you said, what we did."),
    )
    happened_on = DateField(
        _l("Date"),
        format="%Y-%m-%d",
        validators=[InputRequired(_l("Enter the date"))],
        description=_l("For example 2026-03-27."),
    )


class ConfirmForm(FlaskForm):
    """Support, withdraw: nothing to fill in but the CSRF token."""


class TopicForm(OnceForm):
    name = StringField(
        _l("Topic name"),
        validators=[DataRequired(_l("Enter the topic's name")), Length(max=MAX_TOPIC, message=_l("The name must be 120 characters or fewer"))],
    )
    name_pl = StringField(
        _l("Topic name in Polish (optional)"),
        validators=[Optional(), Length(max=MAX_TOPIC, message=_l("The name must be 120 characters or fewer"))],
        description=_l("Shown to people reading the site in Polish. Left empty, they see the English name."),
    )


class TopicEditForm(TopicForm):
    is_active = BooleanField(_l("Residents can choose this topic"))
