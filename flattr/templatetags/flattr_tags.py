"""Template helpers of the core app: money in the reader's locale, language names."""

from decimal import Decimal

from django import template
from django.conf import settings
from django.utils.formats import number_format
from django.utils.translation import get_language

from flattr.languages import language_name as _language_name

register = template.Library()

CURRENCY_SYMBOLS = {"EUR": "€", "USD": "$", "GBP": "£"}
CENTS_PER_UNIT = 100
NBSP = "\u00a0"


@register.filter
def cents(value: int | None) -> str:
    """Format integer cents in the active language: `€5.00` in English, `5,00 €` in German."""
    value = int(value or 0)
    amount = number_format(
        Decimal(abs(value)) / CENTS_PER_UNIT, 2, use_l10n=True, force_grouping=True
    )
    symbol = CURRENCY_SYMBOLS.get(settings.CURRENCY, settings.CURRENCY)
    sign = "−" if value < 0 else ""
    if (get_language() or "en").startswith("de"):
        return f"{sign}{amount}{NBSP}{symbol}"
    return f"{sign}{symbol}{amount}"


@register.filter
def language_name(code: str) -> str:
    """Return the name of a Flattr language id in the active language."""
    return _language_name(code or "")


@register.simple_tag
def sign_in_platforms():
    """The platforms whose "Sign in with …" buttons the login and sign-up pages show."""
    from flattr.platforms import sign_in_platforms as registered

    return registered()
