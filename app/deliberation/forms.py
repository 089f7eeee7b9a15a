"""Deliberation forms (Flask-WTF: every form carries a CSRF token).  Lengths match the services' limits so
an oversize entry gets a field error and nothing is saved."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    DateField,
    EmailField,
    IntegerField,
    RadioField,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional

from app.core.once import OnceForm
from app.deliberation.models import Outcome, SpaceKind, SpaceRole
from app.deliberation.services import (
    COMMENT_MAX,
    DEBATE_BODY_MAX,
    DESCRIPTION_MAX,
    NAME_MAX,
    REASON_MAX,
    RECOMMENDATION_MAX,
    TITLE_MAX,
)

STANCE_CHOICES = [
    ("", _l("No stance")),
    ("for", _l("For")),
    ("against", _l("Against")),
    ("question", _l("Question")),
]


def _body(label: object, required: object, limit: int, too_long: object, description: object = None) -> TextAreaField:
    return TextAreaField(
        label,
        validators=[DataRequired(required), Length(max=limit, message=too_long)],
        description=description,
    )


class CommentForm(OnceForm):
    body = _body(_l("Your comment"), _l("Enter your comment"), COMMENT_MAX,
                 _l("Your comment must be 10,000 characters or fewer"),
                 _l("Challenge ideas, not people. Everyone can read what you write."))
    stance = RadioField(_l("Your stance (optional)"), choices=STANCE_CHOICES, default="",
                        validators=[Optional()])


class ReplyForm(CommentForm):
    body = _body(_l("Your reply"), _l("Enter your reply"), COMMENT_MAX,
                 _l("Your reply must be 10,000 characters or fewer"),
                 _l("Challenge ideas, not people. Everyone can read what you write."))


class EditCommentForm(CommentForm):
    body = _body(_l("Your comment"), _l("Enter your comment"), COMMENT_MAX,
                 _l("Your comment must be 10,000 characters or fewer"),
                 _l("The previous version stays visible in the comment's history."))


class AssistedCommentForm(OnceForm):
    channel = RadioField(
        _l("How was the comment received?"),
        choices=[("paper", _l("On paper")), ("phone", _l("By phone")), ("in_person", _l("In person"))],
        validators=[InputRequired(_l("Choose how the comment was received"))],
    )
    email = EmailField(_l("Email address of the resident's account"), validators=[Optional(), Length(max=254)],
                       description=_l("If they have an account. Otherwise leave this empty and give their name."))
    name = StringField(_l("Name of the person (no account)"),
                       validators=[Optional(), Length(max=NAME_MAX, message=_l("The name must be 120 characters or fewer"))],
                       description=_l("Shown beside the comment."))
    contact_note = StringField(_l("Contact note (officers only, never shown)"),
                               validators=[Optional(), Length(max=200, message=_l("The note must be 200 characters or fewer"))])
    body = _body(_l("The comment, as received"), _l("Enter the comment"), COMMENT_MAX,
                 _l("The comment must be 10,000 characters or fewer"))
    stance = RadioField(_l("Their stance (optional)"), choices=STANCE_CHOICES, default="", validators=[Optional()])


class DebateForm(OnceForm):
    title = StringField(_l("Title"), validators=[DataRequired(_l("Enter a title")),
                                                Length(max=TITLE_MAX, message=_l("The title must be 200 characters or fewer"))],
                        description=_l("A question or a topic, for example: Should Mill Road close to through traffic on Sundays?"))
    body = _body(_l("What do you want to discuss?"), _l("Enter what you want to discuss"), DEBATE_BODY_MAX,
                 _l("The text must be 20,000 characters or fewer"))
    place = SelectField(_l("Place (optional)"), choices=[], validators=[Optional()])


class ReportForm(OnceForm):
    reason = _body(_l("What is wrong with it?"), _l("Tell us what is wrong with it"), REASON_MAX,
                   _l("The reason must be 2,000 characters or fewer"),
                   _l("For example: it is abusive, it shares someone's personal details, or it is advertising."))


class HideForm(FlaskForm):
    reason = _body(_l("Public reason"), _l("Enter the reason people will see"), REASON_MAX,
                   _l("The reason must be 2,000 characters or fewer"),
                   _l("Shown in place of the text as “Hidden by a moderator: …”. Describe the behaviour, not the person."))


class RestoreForm(FlaskForm):
    note = TextAreaField(_l("Note for the audit log (optional)"),
                         validators=[Optional(), Length(max=REASON_MAX, message=_l("The note must be 2,000 characters or fewer"))])


class ConfirmForm(FlaskForm):
    """A button only (with its CSRF token)."""


class AccountModerationForm(FlaskForm):
    action = RadioField(
        _l("What do you want to do?"),
        choices=[("warn", _l("Warn the account")), ("suspend", _l("Suspend the account (it can no longer post)")),
                 ("unsuspend", _l("Lift the suspension"))],
        validators=[InputRequired(_l("Choose what to do"))],
    )
    reason = _body(_l("Reason"), _l("Enter the reason"), REASON_MAX, _l("The reason must be 2,000 characters or fewer"),
                   _l("Say which behaviour was the problem. The account holder sees a warning's reason."))


class SpaceForm(OnceForm):
    name = StringField(_l("Name"), validators=[DataRequired(_l("Enter a name for the space")),
                                              Length(max=NAME_MAX, message=_l("The name must be 120 characters or fewer"))])
    description = TextAreaField(_l("Description"), validators=[Optional(), Length(max=DESCRIPTION_MAX, message=_l("The description must be 5,000 characters or fewer"))])
    kind = RadioField(_l("Kind of space"), choices=[(k.value, k.label) for k in SpaceKind], default=SpaceKind.PUBLIC.value,
                      validators=[InputRequired(_l("Choose the kind of space"))])
    is_restricted = BooleanField(_l("Only members can see and write in this space"),
                                 description=_l("The guiding coalition, panels and working groups are always members only."))

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)
        self.kind.choices = [(k.value, k.label) for k in SpaceKind]


class MemberForm(OnceForm):
    email = EmailField(_l("Email address of the member's account"),
                       validators=[DataRequired(_l("Enter the email address of the member's account")), Length(max=254)])
    role = RadioField(_l("Role in the space"), choices=[(r.value, r.label) for r in SpaceRole], default=SpaceRole.MEMBER.value,
                      validators=[InputRequired(_l("Choose a role"))])
    started_on = DateField(_l("Start date"), validators=[InputRequired(_l("Enter the start date as YYYY-MM-DD"))],
                           description=_l("For example 2026-04-01"))
    term_ends_on = DateField(_l("End of term (optional)"), validators=[Optional()],
                             description=_l("For the guiding coalition, two years after the start unless you enter a date."))

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)
        self.role.choices = [(r.value, r.label) for r in SpaceRole]


class RecommendationForm(OnceForm):
    title = StringField(_l("Title"), validators=[DataRequired(_l("Enter a title")),
                                                Length(max=TITLE_MAX, message=_l("The title must be 200 characters or fewer"))])
    text = _body(_l("Recommendation"), _l("Enter the recommendation"), RECOMMENDATION_MAX,
                 _l("The recommendation must be 20,000 characters or fewer"))


class AgreementForm(FlaskForm):
    agrees = RadioField(_l("Do you agree that the coalition sends this recommendation?"),
                        choices=[("yes", _l("Yes, I agree")), ("no", _l("No, I do not agree"))],
                        validators=[InputRequired(_l("Choose whether you agree"))])


class AgreementPercentForm(FlaskForm):
    agreement_percent = IntegerField(
        _l("Share of current members who must agree (per cent)"),
        validators=[InputRequired(_l("Enter a whole number from 1 to 100")),
                    NumberRange(min=1, max=100, message=_l("Enter a whole number from 1 to 100"))],
        description=_l("A recommendation goes out when at least this share of the current members have agreed. "
                       "50 means half; 67 means two thirds; 100 means everyone."),
    )


class ResponseForm(OnceForm):
    outcome = RadioField(_l("The council's response"), choices=[(o.value, o.label) for o in Outcome],
                         validators=[InputRequired(_l("Choose the council's response"))])
    explanation = _body(_l("Explanation"), _l("Explain the council's response"), RECOMMENDATION_MAX,
                        _l("The explanation must be 20,000 characters or fewer"),
                        _l("Required for every response, including adoption: say what the council will do and why."))
    responded_on = DateField(_l("Date of the response"), validators=[InputRequired(_l("Enter the date as YYYY-MM-DD"))],
                             description=_l("For example 2026-04-01"))

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)
        self.outcome.choices = [(o.value, o.label) for o in Outcome]
