"""`{% load money %}` then `{{ cents|money }}`: integer cents as money in the reader's locale.

English puts the symbol first (`€1,234.50`), German after the number (`1.234,50 €`), as people
there write it. Numbers use the active language's separators (Django's number_format).
`{{ cents|money_signed }}` always shows the sign (`+€5.00`, `−€5.00`), for statements.
"""

from __future__ import annotations

from decimal import Decimal

from django import template
from django.conf import settings
from django.utils.formats import number_format
from django.utils.translation import get_language

register = template.Library()

CURRENCY_SYMBOLS = {"EUR": "€", "USD": "$", "GBP": "£"}
CENTS_PER_UNIT = 100
NBSP = "\u00a0"
MINUS = "\u2212"  # a real minus sign, not a hyphen
# Languages that write the symbol after the amount, separated by a no-break space.
SYMBOL_AFTER = ("de", "fr", "es", "it", "nl", "sv", "fi")


def format_cents(cents: int | None, *, signed: bool = False) -> str:
    """Return `cents` formatted with the currency in the active language."""
    try:
        cents = int(cents or 0)
    except (TypeError, ValueError):
        return ""
    amount = number_format(
        Decimal(abs(cents)) / CENTS_PER_UNIT, 2, use_l10n=True, force_grouping=True
    )
    symbol = CURRENCY_SYMBOLS.get(settings.CURRENCY, settings.CURRENCY)
    sign = MINUS if cents < 0 else ("+" if signed and cents > 0 else "")
    if (get_language() or "en").split("-")[0] in SYMBOL_AFTER:
        return f"{sign}{amount}{NBSP}{symbol}"
    return f"{sign}{symbol}{amount}"


@register.filter
def money(cents: int | None) -> str:
    """Format integer cents: `€5.00` in English, `5,00 €` in German."""
    return format_cents(cents)


@register.filter
def money_signed(cents: int | None) -> str:
    """Format integer cents with an explicit sign: `+€5.00`, `−€5.00`, `€0.00`."""
    return format_cents(cents, signed=True)
