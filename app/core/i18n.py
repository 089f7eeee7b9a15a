"""Locale selection and the formatting helpers templates use (money, dates, numbers and percentages through Babel)."""

from __future__ import annotations

import re
from datetime import date, datetime
from decimal import Decimal
from typing import Any

import flask_babel
from flask import Flask, current_app, has_request_context, request, session
from flask_babel import (
    format_currency,
    format_date,
    format_datetime,
    format_decimal,
    format_percent,
    get_locale,
)
from flask_login import current_user
from jinja2 import pass_context
from markupsafe import Markup

LANGUAGE_NAMES = {"en": "English", "pl": "Polski"}


def select_locale() -> str:
    """The account's preference, then the language chosen with the switcher, then Accept-Language."""
    languages: list[str] = current_app.config["LANGUAGES"]
    if not has_request_context():
        return str(current_app.config["BABEL_DEFAULT_LOCALE"])
    if current_user and current_user.is_authenticated and getattr(current_user, "locale", None) in languages:
        return str(current_user.locale)
    chosen = session.get("locale")
    if chosen in languages:
        return str(chosen)
    return request.accept_languages.best_match(languages) or current_app.config["BABEL_DEFAULT_LOCALE"]


def money(pence: int | None) -> str:
    """Integer pence → '£1,234.50' in the current locale (Babel)."""
    if pence is None:
        return ""
    return format_currency(pence / 100, current_app.config["CURRENCY"])


def whole_money(pence: int | None) -> str:
    if pence is None:
        return ""
    return format_currency(pence / 100, current_app.config["CURRENCY"], format="¤#,##0", currency_digits=False)


def day(value: date | datetime | None, fmt: str = "long") -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        return format_date(value.date(), fmt)
    return format_date(value, fmt)


def moment(value: datetime | None, fmt: str = "medium") -> str:
    return "" if value is None else format_datetime(value, fmt)


def number(value: int | float | None) -> str:
    return "" if value is None else format_decimal(value)


def percent(share: float | None, digits: int = 0) -> str:
    """A share (0.003) → '0%' / '0.3%' (digits=1) in English, '0,3%' in Polish: always through Babel, never '%' by hand."""
    if share is None:
        return ""
    pattern = "#,##0%" if digits <= 0 else "#,##0." + "0" * digits + "%"
    return format_percent(share, pattern)


def ratio(value: float | None, digits: int = 2) -> str:
    """A plain decimal with a fixed number of places ('1.25' / '1,25'), through Babel."""
    if value is None:
        return ""
    return format_decimal(value, "#,##0." + "0" * digits if digits > 0 else "#,##0")


_INT_PLACEHOLDER = re.compile(r"%\((\w+)\)d")
# Placeholders that name a thing rather than count (an error code, an id, a batch number, a year): never grouped.
IDENTIFIER_PLACEHOLDERS = frozenset({"code", "id", "number", "year", "seed", "line", "rank", "step"})


def _localised(rv: str, variables: dict[str, Any], autoescape: bool) -> str:
    """Substitute ``variables`` into a translated string, whole numbers formatted by Babel ("1,234" in English,
    "1234"/"12 345" in Polish) instead of by Python's ``%d``."""
    counted = set(_INT_PLACEHOLDER.findall(rv))
    rv = _INT_PLACEHOLDER.sub(r"%(\1)s", rv)
    values = dict(variables)
    for key in counted & values.keys():
        value = values[key]
        if isinstance(value, (int, float, Decimal)):  # what %d would have taken, truncated as %d truncates
            whole = int(value)
            values[key] = str(whole) if key in IDENTIFIER_PLACEHOLDERS else number(whole)
    if autoescape:
        return Markup(rv) % values  # type: ignore[no-any-return]
    return rv % values


@pass_context
def _template_gettext(context: Any, string: str, **variables: Any) -> str:
    return _localised(flask_babel.get_translations().ugettext(string), variables, context.eval_ctx.autoescape)


@pass_context
def _template_ngettext(context: Any, singular: str, plural: str, num: int, **variables: Any) -> str:
    variables.setdefault("num", num)
    return _localised(flask_babel.get_translations().ungettext(singular, plural, num), variables,
                      context.eval_ctx.autoescape)


class LocalisedDomain(flask_babel.Domain):
    """Flask-Babel's message domain, with the whole numbers in Python-built messages (``_("%(num)d …", num=…)``,
    ``ngettext``, lazy strings in forms) formatted by Babel, exactly as the templates' ``_()`` does."""

    def gettext(self, string: str, **variables: Any) -> str:
        s: str = self.get_translations().ugettext(string)
        return _localised(s, variables, False) if variables else s

    def ngettext(self, singular: str, plural: str, num: int, **variables: Any) -> str:
        variables.setdefault("num", num)
        s: str = self.get_translations().ungettext(singular, plural, num)
        return _localised(s, variables, False)

    def pgettext(self, context: str, string: str, **variables: Any) -> str:
        s: str = self.get_translations().upgettext(context, string)
        return _localised(s, variables, False) if variables else s

    def npgettext(self, context: str, singular: str, plural: str, num: int, **variables: Any) -> str:
        variables.setdefault("num", num)
        s: str = self.get_translations().unpgettext(context, singular, plural, num)
        return _localised(s, variables, False)


def init_app(app: Flask) -> None:
    # flask_babel.gettext/ngettext/lazy_gettext all go through the Babel instance's domain: make it ours.
    config = app.extensions["babel"]
    config.instance.domain_instance = LocalisedDomain(domain=config.default_domain)
    # Templates' _() and ngettext() format their whole numbers through Babel (Jinja's own would use %d).
    app.jinja_env.globals.update(gettext=_template_gettext, _=_template_gettext, ngettext=_template_ngettext)
    app.jinja_env.filters["number"] = number
    app.jinja_env.filters["percent"] = percent
    app.jinja_env.filters["ratio"] = ratio
    app.jinja_env.filters["money"] = money
    app.jinja_env.filters["whole_money"] = whole_money
    app.jinja_env.filters["day"] = day
    app.jinja_env.filters["moment"] = moment

    @app.context_processor
    def language_context() -> dict[str, object]:
        return {
            "current_locale": str(get_locale() or "en"),
            "language_names": LANGUAGE_NAMES,
        }
