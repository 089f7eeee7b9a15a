"""Forms of equality monitoring: the resident's questions (with consent), an officer's paper slip, and the
officer's switch.  The question fields are built from :mod:`app.equality.questions`."""

from __future__ import annotations

from typing import Any

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, RadioField, SelectMultipleField, SubmitField
from wtforms.validators import Optional
from wtforms.widgets import CheckboxInput, ListWidget

from app.equality import questions as q


def _question_field(question: q.Question) -> RadioField:
    return RadioField(question.text, choices=[(a.key, a.label) for a in question.answers], validators=[Optional()],
                      description=question.hint)


def answers_form_class(asked: list[q.Question], *, consent: bool = True) -> type[FlaskForm]:
    """One set of radio buttons per question asked (none required); the consent box for residents."""

    class AnswersForm(FlaskForm):
        pass

    for question in asked:
        setattr(AnswersForm, question.key, _question_field(question))
    if consent:
        AnswersForm.consent = BooleanField(_l("I agree that my answers are used, without my name, to count who took part, as explained above."))
        AnswersForm.decline = SubmitField(_l("Skip these questions"))
    else:
        AnswersForm.channel = RadioField(_l("How the slip came in"), choices=[("paper", _l("Paper slip")), ("assisted", _l("Assisted (an officer asked the questions)"))],
                                         default="paper")
    AnswersForm.submit = SubmitField(_l("Send my answers") if consent else _l("Key this slip"))
    return AnswersForm


def answers_of(form: FlaskForm, asked: list[q.Question]) -> dict[str, Any]:
    return {question.key: getattr(form, question.key).data for question in asked}


class MultiCheckboxField(SelectMultipleField):
    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


class SwitchForm(FlaskForm):
    questions = MultiCheckboxField(_l("Questions to ask"), choices=[(x.key, x.title) for x in q.QUESTIONS],
                                   description=_l("Every question offers “Prefer not to say”, and residents may leave any question unanswered."))
    switch_on = SubmitField(_l("Save and ask these questions"))
    switch_off = SubmitField(_l("Switch equality monitoring off"))
