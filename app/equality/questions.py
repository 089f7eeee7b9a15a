"""The standard equality-monitoring questions, as data: one place to read, translate and test them.

They follow the Office for National Statistics' Census 2021 questions for England and the Government
Statistical Service's harmonised standards, the same ones UK councils' equality monitoring forms use:

- age, in the bands councils report (the census asks the date of birth; we never store it);
- sex ("What is your sex?", census 2021);
- gender identity ("Is the gender you identify with the same as your sex registered at birth?", census 2021,
  without its write-in box: we store no free text);
- ethnic group, the five high-level groups of the census 2021 question for England;
- disability, the harmonised standard behind the Equality Act 2010 definition (a condition lasting or expected
  to last 12 months or more that reduces the ability to carry out day-to-day activities);
- religion (census 2021, its write-in replaced by "any other religion") and sexual orientation (census 2021,
  asked of people aged 16 and over), which an officer switches on only when the process needs them.

Every question offers "Prefer not to say", and every question may be left unanswered.  Keys are stored; labels
are translated when shown.  Nothing here imports the database.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from flask_babel import lazy_gettext as _l

PREFER_NOT = "prefer_not"
KINDS = ("budget", "vote")  # the processes that may collect answers: budget processes and ranked votes


@dataclass(frozen=True)
class Answer:
    key: str
    label: Any  # a lazy translated string


@dataclass(frozen=True)
class Question:
    key: str
    text: Any  # the question as the resident reads it
    title: Any  # the short name of the question in reports
    hint: Any
    answers: tuple[Answer, ...]
    standard: bool  # asked by default when an officer switches monitoring on

    def label(self, answer_key: str) -> str:
        for answer in self.answers:
            if answer.key == answer_key:
                return str(answer.label)
        raise KeyError(answer_key)

    @property
    def keys(self) -> tuple[str, ...]:
        return tuple(a.key for a in self.answers)


def _prefer_not() -> Answer:
    return Answer(PREFER_NOT, _l("Prefer not to say"))


QUESTIONS: tuple[Question, ...] = (
    Question("age", _l("What is your age?"), _l("Age"), _l("Choose the band your age is in today."), (
        Answer("under_16", _l("Under 16")),
        Answer("16_24", _l("16 to 24")),
        Answer("25_34", _l("25 to 34")),
        Answer("35_44", _l("35 to 44")),
        Answer("45_54", _l("45 to 54")),
        Answer("55_64", _l("55 to 64")),
        Answer("65_74", _l("65 to 74")),
        Answer("75_over", _l("75 or over")),
        _prefer_not(),
    ), True),
    Question("sex", _l("What is your sex?"), _l("Sex"), _l("A question about gender identity follows."), (
        Answer("female", _l("Female")),
        Answer("male", _l("Male")),
        _prefer_not(),
    ), True),
    Question("gender_identity", _l("Is the gender you identify with the same as your sex registered at birth?"),
             _l("Gender identity the same as sex registered at birth"), _l("This question is voluntary."), (
        Answer("yes", _l("Yes")),
        Answer("no", _l("No")),
        _prefer_not(),
    ), True),
    Question("ethnic_group", _l("What is your ethnic group?"), _l("Ethnic group"),
             _l("Choose the one that best describes your ethnic group or background."), (
        Answer("asian", _l("Asian, Asian British or Asian Welsh")),
        Answer("black", _l("Black, Black British, Black Welsh, Caribbean or African")),
        Answer("mixed", _l("Mixed or Multiple ethnic groups")),
        Answer("white", _l("White")),
        Answer("other", _l("Other ethnic group")),
        _prefer_not(),
    ), True),
    Question("disability", _l("Do you have a physical or mental health condition or illness lasting or expected to last 12 months or more that reduces your ability to carry out day-to-day activities?"),
             _l("Disability (Equality Act 2010)"),
             _l("This is how the Equality Act 2010 defines disability. Include problems related to old age."), (
        Answer("yes_a_lot", _l("Yes, a lot")),
        Answer("yes_a_little", _l("Yes, a little")),
        Answer("no", _l("No")),
        _prefer_not(),
    ), True),
    Question("religion", _l("What is your religion?"), _l("Religion"), _l("This question is voluntary."), (
        Answer("none", _l("No religion")),
        Answer("christian", _l("Christian")),
        Answer("buddhist", _l("Buddhist")),
        Answer("hindu", _l("Hindu")),
        Answer("jewish", _l("Jewish")),
        Answer("muslim", _l("Muslim")),
        Answer("sikh", _l("Sikh")),
        Answer("other", _l("Any other religion")),
        _prefer_not(),
    ), False),
    Question("sexual_orientation", _l("Which of the following best describes your sexual orientation?"),
             _l("Sexual orientation"), _l("This question is voluntary, for people aged 16 and over."), (
        Answer("straight", _l("Straight or heterosexual")),
        Answer("gay_lesbian", _l("Gay or lesbian")),
        Answer("bisexual", _l("Bisexual")),
        Answer("other", _l("Other sexual orientation")),
        _prefer_not(),
    ), False),
)

BY_KEY: dict[str, Question] = {q.key: q for q in QUESTIONS}
STANDARD: tuple[str, ...] = tuple(q.key for q in QUESTIONS if q.standard)


def chosen(keys: str | list[str] | tuple[str, ...]) -> list[Question]:
    """The questions named by ``keys`` (a list, or the comma-separated stored form), in the standard order."""
    wanted = set(keys.split(",") if isinstance(keys, str) else keys)
    return [q for q in QUESTIONS if q.key in wanted]


def stored(keys: list[str] | tuple[str, ...]) -> str:
    """The comma-separated form of a choice of questions, in the standard order; unknown keys are refused."""
    unknown = set(keys) - set(BY_KEY)
    if unknown:
        raise ValueError(f"unknown equality questions: {sorted(unknown)}")
    return ",".join(q.key for q in chosen(keys))
