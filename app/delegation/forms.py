"""Delegation forms (Flask-WTF, every form carries a CSRF token)."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    HiddenField,
    RadioField,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
)
from wtforms.validators import DataRequired, Length, Optional

from app.delegation.models import MAX_DEPTH_CHOICES, ScopeKind


class ProfileForm(FlaskForm):
    statement = TextAreaField(_l("Your statement"), validators=[DataRequired(_l("Write a statement")), Length(max=5000)],
                              description=_l("What you stand for, what you know about, and how you will decide. Everyone can read it."))
    topics = SelectMultipleField(_l("Topics you will vote on for others"), coerce=int, validators=[Optional()],
                                 description=_l("Optional. Hold Ctrl or Cmd to choose more than one."))
    places = SelectMultipleField(_l("Places you know well"), coerce=int, validators=[Optional()],
                                 description=_l("Optional. Hold Ctrl or Cmd to choose more than one."))
    name_in_results = BooleanField(_l("Show my name beside the weight I carry on published results"))
    accepts_disclosure = BooleanField(
        _l("I accept that the people who delegate to me may see how I voted on the matters they delegated to me")
    )


class DelegationForm(FlaskForm):
    scope = RadioField(_l("What do you want to delegate?"), choices=[(k.value, k.label) for k in ScopeKind],
                       default=ScopeKind.GLOBAL.value, validators=[DataRequired(_l("Choose what you want to delegate"))])
    topic = SelectField(_l("Topic"), coerce=int, validators=[Optional()], description=_l("Only if you delegate a topic"))
    place = SelectField(_l("Place"), coerce=int, validators=[Optional()], description=_l("Only if you delegate a place"))
    delegate1 = SelectField(_l("Your delegate"), coerce=int)
    delegate2 = SelectField(_l("First backup (optional)"), coerce=int, validators=[Optional()],
                            description=_l("Used if your delegate neither votes nor passes your vote on"))
    delegate3 = SelectField(_l("Second backup (optional)"), coerce=int, validators=[Optional()])
    max_depth = SelectField(
        _l("How far may your vote travel?"),
        choices=[(0, _l("As far as delegates pass it on")), (1, _l("Only to my delegate, not theirs"))]
        + [(n, _l("Up to %(num)d steps", num=n)) for n in range(2, MAX_DEPTH_CHOICES + 1)],
        coerce=int, default=0,
    )
    show_my_name = BooleanField(_l("My delegate may see my name among the people who delegate to them"))


class RevokeForm(FlaskForm):
    scope_kind = HiddenField(validators=[DataRequired()])
    scope_key = HiddenField(validators=[DataRequired()])


class ConfirmForm(FlaskForm):
    pass


class PrefsForm(FlaskForm):
    delegate_voted = BooleanField(_l("My delegate voted (so I can see how, and vote myself if I want)"))
    delegate_stopped = BooleanField(_l("My delegate stopped being a delegate"))
    delegated_to_me = BooleanField(_l("Someone delegated their vote to me"))


class GroupForm(FlaskForm):
    is_group = BooleanField(_l("This delegate account is run by the officers of a registered community group"))
    group_name = StringField(_l("The group's registered name"), validators=[Length(max=200)],
                             description=_l("For example, Wisbech Residents' Association"))
