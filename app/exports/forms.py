"""The committee report's text form and the build button."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import StringField, TextAreaField
from wtforms.validators import Length, Optional

from app.exports.services import MEETING_MAX, TEXT_MAX


def _text(label: object, hint: object) -> TextAreaField:
    return TextAreaField(label, description=hint, validators=[Optional(), Length(max=TEXT_MAX)], render_kw={"rows": 5})


class ReportForm(FlaskForm):
    meeting = StringField(_l("Meeting"), description=_l("The committee or cabinet meeting and its date, for example Cabinet, 14 January 2027"),
                          validators=[Optional(), Length(max=MEETING_MAX)])
    summary = _text(_l("Summary"), _l("What the report is about and what happened, in a few sentences"))
    recommendations = _text(_l("Recommendations"), _l("What the committee is asked to decide, one per line"))
    background = _text(_l("Background"), _l("Why the process was run and what led to it"))
    options = _text(_l("Options considered"), _l("The alternatives and why they were not recommended"))
    implications_financial = _text(_l("Financial implications"), _l("Costs, budgets and funding"))
    implications_legal = _text(_l("Legal implications"), _l("Powers, duties and risks"))
    implications_equalities = _text(_l("Equalities implications"), _l("Effects on people with protected characteristics"))
    implications_engagement = _text(_l("Engagement implications"), _l("Who was engaged and how, beyond the figures"))
    background_papers = _text(_l("Background papers"), _l("Documents relied on, one per line"))


class BuildForm(FlaskForm):
    pass
