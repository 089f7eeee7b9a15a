"""Panel forms (Flask-WTF: every form carries a CSRF token).

The public response forms add bot protection that needs no JavaScript: a honeypot field that people never see
(``website``) and a signed timing token (``started``): a form sent back sooner than ``PANEL_FORM_MIN_SECONDS``
after it was served, or with an altered or expired token, is refused.  The rate limits are on the views.
"""

from __future__ import annotations

import time
from typing import Any

from flask import current_app
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer
from wtforms import (
    BooleanField,
    DateField,
    DateTimeLocalField,
    DecimalField,
    HiddenField,
    IntegerField,
    RadioField,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional

from app.panels.models import Channel, Method, Status

TOKEN_MAX_AGE = 4 * 3600


def _serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt="panels-form-started")


def timing_token() -> str:
    return _serializer().dumps(time.time())


class BotProtectedForm(FlaskForm):
    website = StringField(_l("Leave this field empty"))
    started = HiddenField()

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if not self.is_submitted():
            self.started.data = timing_token()

    def looks_automated(self) -> bool:
        """True when the honeypot is filled, or the timing token is missing, forged, expired or too fresh."""
        if (self.website.data or "").strip():
            return True
        try:
            started = float(_serializer().loads(self.started.data or "", max_age=TOKEN_MAX_AGE))
        except (BadSignature, SignatureExpired, TypeError, ValueError):
            return True
        return time.time() - started < float(current_app.config["PANEL_FORM_MIN_SECONDS"])


class PanelForm(FlaskForm):
    title = StringField(_l("Name of the panel"), validators=[DataRequired(_l("Enter a title for the panel")), Length(max=200)],
                        description=_l("For example, Cambridgeshire Climate Panel 2027"))
    description = TextAreaField(_l("What the panel will consider"), validators=[Length(max=5000)])
    place = SelectField(_l("Area"), coerce=int, validators=[Optional()])
    retention_until = DateField(_l("Delete personal data on"), validators=[InputRequired(_l("Enter the date as YYYY-MM-DD"))],
                                description=_l("Contact details and answers are deleted on this date. For example 2027-12-31"))


class OfficerForm(FlaskForm):
    email = StringField(_l("Email address of the officer"), validators=[DataRequired(_l("Enter an email address"))])


class UploadForm(FlaskForm):
    file = FileField(_l("Address list (CSV)"), validators=[FileRequired(_l("Choose a CSV file"))],
                     description=_l("Columns: address_id, postcode, and optionally decile (1 to 10, for example "
                                    "the Index of Multiple Deprivation of the postcode)."))


class InvitationPlanForm(FlaskForm):
    households = IntegerField(_l("Households to invite"), validators=[InputRequired(_l("Enter how many households to invite")),
                                                                      NumberRange(min=1, message=_l("Enter a whole number of 1 or more"))])
    is_stratified = RadioField(_l("How to draw"), choices=[
        ("no", _l("Uniformly: every household has the same chance")),
        ("yes", _l("Stratified by place: each area gets invitations in proportion to its households")),
    ], default="yes", validators=[InputRequired(_l("Choose how to draw"))])
    weights = TextAreaField(_l("Deprivation weights (optional)"), validators=[Length(max=500)],
                            description=_l("Decile=weight, for example 1=3, 2=2, 3=1.5 to over-sample the most deprived "
                                           "areas, who answer least often. Deciles not named weigh 1."))
    seed_plan = TextAreaField(_l("How the seed will be fixed"), validators=[DataRequired(_l("Say how the seed will be fixed"))],
                              description=_l("For example: five ten-sided dice thrown by witnesses at the public meeting "
                                             "on 3 March 2027, read left to right."))


class SeedForm(FlaskForm):
    seed = StringField(_l("Seed"), validators=[DataRequired(_l("Enter the seed")), Length(max=200)],
                       description=_l("Exactly as it was fixed, for example the digits the witnesses drew."))


class QuestionForm(FlaskForm):
    category = StringField(_l("Short name"), validators=[DataRequired(_l("Enter a short name"))],
                           description=_l("The column in the published files, for example age_band"))
    text = StringField(_l("Question"), validators=[DataRequired(_l("Enter the question"))],
                       description=_l("As the respondent reads it, for example: How old are you?"))
    options = TextAreaField(_l("Answers"), validators=[DataRequired(_l("Give at least two answers, one on each line"))],
                            description=_l("One on each line"))


class ConfirmForm(FlaskForm):
    """A one-button form: its CSRF token is all there is to check."""


class CodeForm(BotProtectedForm):
    code = StringField(_l("Your response code"), validators=[DataRequired(_l("Enter the code from your invitation letter"))],
                       description=_l("It is printed on your letter, like ABCD-EFGH-JKLM"))


def response_form_class(questions: list[Any], *, officer: bool) -> type[FlaskForm]:
    """The registration form: contact, availability, consent, and one set of radio buttons per category question.
    The officers' version adds the code and the channel (paper or telephone)."""

    base: type[FlaskForm] = FlaskForm if officer else BotProtectedForm

    class ResponseForm(base):  # type: ignore[valid-type,misc]
        name = StringField(_l("Your name"), validators=[DataRequired(_l("Enter your name")), Length(max=120)])
        email = StringField(_l("Email address"), validators=[Optional(), Length(max=254)],
                            description=_l("An email address or a telephone number, so we can tell you if you are chosen"))
        phone = StringField(_l("Telephone number"), validators=[Optional(), Length(max=40)])
        availability = TextAreaField(_l("When you could not attend (optional)"), validators=[Length(max=2000)],
                                     description=_l("The panel meets on the dates in your letter."))
        has_consented = BooleanField(_l("I agree that the council keeps my answers to choose the panel, and deletes "
                                        "them after the panel ends"))

    if officer:
        ResponseForm.code = StringField(_l("Response code"), validators=[DataRequired(_l("Enter the code from the invitation letter"))])
        ResponseForm.channel = RadioField(_l("How the answer came"), choices=[
            (Channel.PAPER.value, Channel.PAPER.label), (Channel.PHONE.value, Channel.PHONE.label)],
            validators=[InputRequired(_l("Choose paper or telephone"))])
    for q in questions:
        setattr(ResponseForm, f"q_{q.category}", RadioField(q.text, choices=[(o, o) for o in q.options],
                                                            validators=[InputRequired(_l("Choose an answer"))]))
    return ResponseForm


def quotas_form_class(questions: list[Any]) -> type[FlaskForm]:
    class QuotasForm(FlaskForm):
        size = IntegerField(_l("Panel size"), validators=[InputRequired(_l("Enter the panel size")),
                                                          NumberRange(min=1, max=1000, message=_l("Enter a panel size from 1 to 1000"))])
        leeway = IntegerField(_l("Leeway, in seats either side"), default=1,
                              validators=[InputRequired(_l("Enter the leeway, 0 or more")),
                                          NumberRange(min=0, max=1000, message=_l("Enter the leeway, 0 or more"))],
                              description=_l("Widens each minimum and maximum, so that a member who withdraws can be "
                                             "replaced without breaking a quota. 1 is usual."))
        method = RadioField(_l("Selection method"), choices=[(m.value, m.label) for m in Method], default=Method.LEXIMIN.value,
                            validators=[InputRequired(_l("Choose a method"))])

    for q in questions:
        for i, value in enumerate(q.options):
            setattr(QuotasForm, f"share-{q.category}-{i}", DecimalField(
                value, places=1, validators=[InputRequired(_l("Enter a share in per cent")),
                                             NumberRange(min=0, max=100, message=_l("Enter a share from 0 to 100"))]))
    return QuotasForm


class CommitForm(FlaskForm):
    seed_plan = TextAreaField(_l("How the seed will be fixed"), validators=[DataRequired(_l("Say how the seed will be fixed"))],
                              description=_l("For example: the first five digits of the EuroMillions draw of 10 March 2027, "
                                             "or ten-sided dice thrown by witnesses at the public meeting."))
    lottery = IntegerField(_l("Transparent lottery: number of panels (optional)"),
                           validators=[Optional(), NumberRange(min=2, max=10_000, message=_l("Enter a number of panels from 2 to 10000, or leave it empty"))],
                           description=_l("For example 1000. The fair selection is rounded to this many equally likely "
                                          "panels, and their list is published now. Witnesses then draw one number "
                                          "from 1 to this number in public, for example with three ten-sided dice for "
                                          "1000, and that number picks the panel. Leave empty to draw with a seed."))


class TicketForm(FlaskForm):
    ticket = IntegerField(_l("The number drawn"), validators=[InputRequired(_l("Enter the number drawn")),
                                                              NumberRange(min=1, message=_l("Enter a whole number of 1 or more"))],
                          description=_l("Exactly as the witnesses drew it, as announced in the commitment."))


class MarkForm(FlaskForm):
    status = RadioField(_l("Answer"), choices=[(s.value, s.label) for s in (Status.CONFIRMED, Status.DECLINED, Status.UNREACHABLE)],
                        validators=[InputRequired(_l("Choose confirmed, declined or unreachable"))])
    comment = TextAreaField(_l("Comment"), validators=[Length(max=2000)])


class MeetingForm(FlaskForm):
    title = StringField(_l("Session"), validators=[DataRequired(_l("Enter a title")), Length(max=200)])
    starts_at = DateTimeLocalField(_l("Starts at"), format="%Y-%m-%dT%H:%M",
                                   validators=[InputRequired(_l("Enter the date and time, like 2027-03-03T18:30"))],
                                   description=_l("For example 2027-03-03T18:30"))
    location = StringField(_l("Where"), validators=[Length(max=200)])


class EvidenceForm(FlaskForm):
    title = StringField(_l("Title"), validators=[DataRequired(_l("Enter a title")), Length(max=200)])
    url = StringField(_l("Web address (optional)"), validators=[Length(max=500)])
    source = StringField(_l("Source"), validators=[DataRequired(_l("Say where this comes from")), Length(max=200)],
                         description=_l("Who wrote or published it"))
    summary = TextAreaField(_l("Summary"), validators=[Length(max=5000)])


