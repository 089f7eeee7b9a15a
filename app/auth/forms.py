"""Account forms (Flask-WTF: every form carries a CSRF token)."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, EmailField, PasswordField, RadioField, SelectField, StringField
from wtforms.validators import DataRequired, Email, EqualTo, InputRequired, Length, Optional, ValidationError

from app.auth.models import GRANTABLE_ROLES
from app.auth.services import MIN_PASSWORD_LENGTH
from app.places.services import normalise_postcode


def uk_postcode(form: FlaskForm, field: StringField) -> None:
    if field.data and normalise_postcode(field.data) is None:
        raise ValidationError(_l("Enter a real postcode, like CB2 1TN"))


class RegisterForm(FlaskForm):
    display_name = StringField(
        _l("Your name"),
        validators=[DataRequired(_l("Enter the name other people will see")), Length(max=80, message=_l("Your name must be 80 characters or fewer"))],
        description=_l("Shown beside what you write. You can use your first name only."),
    )
    email = EmailField(
        _l("Email address"),
        validators=[DataRequired(_l("Enter your email address")), Email(_l("Enter an email address like name@example.com")), Length(max=254)],
    )
    password = PasswordField(
        _l("Password"),
        validators=[DataRequired(_l("Enter a password")), Length(min=MIN_PASSWORD_LENGTH, max=200, message=_l("Your password must be between 10 and 200 characters"))],
        description=_l("At least 10 characters. A few unrelated words make a strong password."),
    )
    confirm = PasswordField(
        _l("Confirm password"),
        validators=[DataRequired(_l("Enter your password again")), EqualTo("password", message=_l("The passwords do not match"))],
    )
    postcode = StringField(
        _l("Home postcode"),
        validators=[DataRequired(_l("Enter your home postcode")), Length(max=10, message=_l("Enter a real postcode, like CB2 1TN")), uk_postcode],
        description=_l("We use it to find your area, so you can vote on what happens there. It is never shown."),
    )
    ward_id = SelectField(
        _l("Your ward"),
        coerce=int,
        validators=[Optional()],
        description=_l("Only if we could not find your postcode (new streets are often missing). "
                       "A council officer will confirm it; until then your area shows as “to be confirmed”."),
    )

    def set_wards(self, wards: list[tuple[int, str]]) -> None:
        self.ward_id.choices = [(0, str(_l("Choose your ward")))] + wards


class AssistedRegisterForm(FlaskForm):
    display_name = StringField(
        _l("Their name"),
        validators=[DataRequired(_l("Enter the name other people will see")), Length(max=80, message=_l("Your name must be 80 characters or fewer"))],
    )
    email = EmailField(
        _l("Their email address"),
        validators=[DataRequired(_l("Enter their email address")), Email(_l("Enter an email address like name@example.com")), Length(max=254)],
        description=_l("We send a link there so they can choose a password."),
    )
    postcode = StringField(
        _l("Their home postcode"),
        validators=[DataRequired(_l("Enter their home postcode")), Length(max=10, message=_l("Enter a real postcode, like CB2 1TN")), uk_postcode],
    )
    ward_id = SelectField(_l("Their ward"), coerce=int, validators=[Optional()],
                          description=_l("Only if the postcode is not in the directory."))
    checked = BooleanField(
        _l("I have met this person and checked who they are"),
        validators=[DataRequired(_l("Confirm that you have checked who this person is"))],
    )

    def set_wards(self, wards: list[tuple[int, str]]) -> None:
        self.ward_id.choices = [(0, str(_l("Choose the ward")))] + wards


class ConfirmAreaForm(FlaskForm):
    place_id = SelectField(_l("Ward"), coerce=int, validators=[InputRequired(_l("Choose the ward from the list."))])


class ResendConfirmationForm(FlaskForm):
    pass


class SignInForm(FlaskForm):
    email = EmailField(_l("Email address"), validators=[DataRequired(_l("Enter your email address")), Length(max=254)])
    password = PasswordField(_l("Password"), validators=[DataRequired(_l("Enter your password")), Length(max=200)])
    remember = BooleanField(_l("Keep me signed in on this device"))


class ResetRequestForm(FlaskForm):
    email = EmailField(
        _l("Email address"),
        validators=[DataRequired(_l("Enter your email address")), Email(_l("Enter an email address like name@example.com")), Length(max=254)],
    )


class ResetForm(FlaskForm):
    password = PasswordField(
        _l("New password"),
        validators=[DataRequired(_l("Enter a password")), Length(min=MIN_PASSWORD_LENGTH, max=200, message=_l("Your password must be between 10 and 200 characters"))],
        description=_l("At least 10 characters. A few unrelated words make a strong password."),
    )
    confirm = PasswordField(
        _l("Confirm new password"),
        validators=[DataRequired(_l("Enter your password again")), EqualTo("password", message=_l("The passwords do not match"))],
    )


class AccountForm(FlaskForm):
    display_name = StringField(
        _l("Your name"),
        validators=[DataRequired(_l("Enter the name other people will see")), Length(max=80, message=_l("Your name must be 80 characters or fewer"))],
    )
    postcode = StringField(
        _l("Home postcode"),
        validators=[DataRequired(_l("Enter your home postcode")), Length(max=10, message=_l("Enter a real postcode, like CB2 1TN")), uk_postcode],
    )
    ward_id = SelectField(
        _l("Your ward"), coerce=int, validators=[Optional()],
        description=_l("Only if we could not find your postcode (new streets are often missing). "
                       "A council officer will confirm it; until then your area shows as “to be confirmed”."),
    )
    locale = SelectField(_l("Language"), choices=[("en", "English"), ("pl", "Polski")])

    def set_wards(self, wards: list[tuple[int, str]]) -> None:
        self.ward_id.choices = [(0, str(_l("Choose your ward")))] + wards
    notify_email = BooleanField(_l("Send me emails as well as showing notifications on the site"))
    notify_replies = BooleanField(_l("Replies to what I write and updates on ideas I follow"))
    notify_results = BooleanField(_l("Results of votes and budgets in my area"))


class DeleteAccountForm(FlaskForm):
    password = PasswordField(
        _l("Your password"),
        validators=[DataRequired(_l("Enter your password to confirm")), Length(max=200)],
        description=_l("We ask for it so nobody else can delete your account."),
    )


class RoleForm(FlaskForm):
    role = SelectField(_l("Role"), choices=[(r.value, r.label) for r in GRANTABLE_ROLES])
    action = RadioField(
        _l("Change"),
        choices=[("grant", _l("Grant this role")), ("revoke", _l("Remove this role"))],
        default="grant",
        validators=[InputRequired(_l("Choose whether to grant or remove the role"))],
    )

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)
        self.role.choices = [(r.value, r.label) for r in GRANTABLE_ROLES]
