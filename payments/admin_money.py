"""Money as money in the admin: every list column and form field that holds integer cents is
shown as `€18.00` (in the reader's locale), never as `1800`.

`MoneyAdminMixin` with `money_fields = ("amount", …)` swaps each named cents field for a
read-only formatted column, in the changelist, the change form and inlines alike, so money
columns stay read-only everywhere. `MoneyFormField` is for the few settings an admin may edit
that are amounts (a budget): typed in euros, stored in cents.
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

from django import forms

from payments.templatetags.money import CENTS_PER_UNIT, format_cents

SUFFIX = "_money"


def _money_column(model, name: str):
    def column(obj) -> str:
        return format_cents(getattr(obj, name))

    column.short_description = model._meta.get_field(name).verbose_name
    column.admin_order_field = name
    column.__name__ = name + SUFFIX
    return column


class MoneyAdminMixin:
    """For a ModelAdmin or an inline: show `money_fields` as money, read-only."""

    money_fields: tuple[str, ...] = ()

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        for name in self.money_fields:
            setattr(self, name + SUFFIX, _money_column(self.model, name))

    def _swap(self, names) -> list:
        return [
            f"{name}{SUFFIX}" if isinstance(name, str) and name in self.money_fields else name
            for name in names
        ]

    def get_list_display(self, request):
        return self._swap(super().get_list_display(request))

    def get_fields(self, request, obj=None):
        return list(dict.fromkeys(self._swap(super().get_fields(request, obj))))

    def get_readonly_fields(self, request, obj=None):
        readonly = self._swap(super().get_readonly_fields(request, obj))
        return list(dict.fromkeys([*readonly, *(f"{name}{SUFFIX}" for name in self.money_fields)]))

    def get_exclude(self, request, obj=None):
        return [*(super().get_exclude(request, obj) or ()), *self.money_fields]


class MoneyFormField(forms.DecimalField):
    """An amount typed in the currency ("18.00", "18,50" in German), cleaned to integer cents."""

    def __init__(self, **kwargs) -> None:
        kwargs.setdefault("max_digits", 12)
        kwargs.setdefault("decimal_places", 2)
        kwargs.setdefault("min_value", Decimal(0))
        kwargs.setdefault("localize", True)
        super().__init__(**kwargs)

    def prepare_value(self, value):
        if isinstance(value, int):  # the model's cents
            value = (Decimal(value) / CENTS_PER_UNIT).quantize(Decimal("0.01"))
        return super().prepare_value(value)

    def clean(self, value):
        amount = super().clean(value)
        if amount is None:
            return None
        return int((amount * CENTS_PER_UNIT).quantize(Decimal(1), rounding=ROUND_HALF_UP))
