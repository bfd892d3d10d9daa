"""Template filters for payday pages and emails: money in the reader's locale."""

from decimal import Decimal

from django import template
from django.conf import settings
from django.utils.formats import number_format
from django.utils.translation import get_language

register = template.Library()

CURRENCY_SYMBOLS = {"EUR": "€", "USD": "$", "GBP": "£", "CHF": "CHF", "SEK": "kr"}
CENTS_PER_UNIT = 100
NBSP = "\u00a0"


@register.filter
def money(cents: int | None) -> str:
    """Format integer cents in the active language: `€5.00` in English, `5,00 €` in German."""
    cents = int(cents or 0)
    amount = number_format(
        Decimal(abs(cents)) / CENTS_PER_UNIT, 2, use_l10n=True, force_grouping=True
    )
    symbol = CURRENCY_SYMBOLS.get(settings.CURRENCY, settings.CURRENCY)
    sign = "−" if cents < 0 else ""
    if (get_language() or "en").startswith("de"):
        return f"{sign}{amount}{NBSP}{symbol}"
    return f"{sign}{symbol}{amount}"
