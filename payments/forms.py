"""Forms of the money pages. Amounts are typed in euros ("5", "5.50" or "5,50") and become
integer cents here; nothing else in the app parses money from text."""

from __future__ import annotations

import re
from decimal import Decimal

from django import forms
from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from payments import stripe_test_cards
from payments.templatetags.money import format_cents

CENTS_PER_UNIT = 100
# Digits, then optionally a decimal point or comma and one or two digits. No signs, exponents,
# grouping separators, NaN or Infinity.
AMOUNT_RE = re.compile(r"^(\d{1,30})(?:[.,](\d{1,2}))?$")
CUSTOM = "custom"
TEST_CARD_CHOICES = [
    ("visa", _("Visa that pays (pm_card_visa)")),
    ("declined", _("Card that is declined")),
    ("3ds", _("Card that asks for 3-D Secure confirmation")),
]


def parse_cents(text: str) -> int:
    """Return the cents in `text` ("12", "12.5", "12,50", "€12"), or raise ValidationError."""
    cleaned = (text or "").strip().replace("€", "").replace("\u00a0", "").replace(" ", "")
    if not cleaned:
        raise ValidationError(_("Enter an amount."), code="required")
    if cleaned.startswith(("-", "−")):
        raise ValidationError(_("The amount cannot be negative."), code="negative")
    match = AMOUNT_RE.match(cleaned)
    if not match:
        if re.match(r"^\d+[.,]\d{3,}$", cleaned):
            raise ValidationError(
                _("Use at most two decimal places (cents)."), code="too_many_decimals"
            )
        raise ValidationError(_("Enter an amount in euros, for example 5 or 7.50."), code="invalid")
    units, fraction = match.group(1), (match.group(2) or "0").ljust(2, "0")
    cents = int(Decimal(units) * CENTS_PER_UNIT + int(fraction))
    if cents == 0:
        raise ValidationError(_("The amount must be more than zero."), code="zero")
    return cents


def _limits_check(cents: int, minimum: int, maximum: int) -> None:
    if cents < minimum:
        raise ValidationError(
            _("The smallest amount is %(min)s."), code="min", params={"min": format_cents(minimum)}
        )
    if cents > maximum:
        raise ValidationError(
            _("The largest amount is %(max)s."), code="max", params={"max": format_cents(maximum)}
        )


class PresetOrCustomForm(forms.Form):
    """A choice of preset amounts or "custom" with a typed amount; `cents` after cleaning."""

    presets: tuple[int, ...] = ()
    minimum = 0
    maximum = 0
    allow_zero = False

    choice = forms.ChoiceField(widget=forms.RadioSelect, required=True)
    custom_amount = forms.CharField(
        required=False,
        max_length=20,
        widget=forms.TextInput(attrs={"inputmode": "decimal", "autocomplete": "off"}),
    )

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        if self.is_bound and self.data.get("custom_amount") and not self.data.get("choice"):
            # A typed amount with no choice ticked (no JavaScript) means "another amount".
            self.data = self.data.copy()
            self.data["choice"] = CUSTOM
        choices = [(str(cents), format_cents(cents)) for cents in self.presets]
        if self.allow_zero:
            choices.insert(0, ("0", _("No budget (stop giving)")))
        choices.append((CUSTOM, _("Another amount")))
        self.fields["choice"].choices = choices

    def clean(self) -> dict:
        data = super().clean()
        choice = data.get("choice")
        if choice is None:
            return data
        if choice == CUSTOM:
            try:
                cents = parse_cents(data.get("custom_amount", ""))
                _limits_check(cents, self.minimum, self.maximum)
            except ValidationError as error:
                self.add_error("custom_amount", error)
                return data
        else:
            cents = int(choice)
        data["cents"] = cents
        return data


class DepositAmountForm(PresetOrCustomForm):
    """Step 1 of "Add funds": how much."""

    def __init__(self, *args, **kwargs) -> None:
        self.presets = settings.DEPOSIT_PRESETS_CENTS
        self.minimum = settings.MIN_DEPOSIT_CENTS
        self.maximum = settings.MAX_DEPOSIT_CENTS
        super().__init__(*args, **kwargs)
        self.fields["choice"].label = _("Amount")
        self.fields["custom_amount"].label = _("Another amount in euros")


class DepositConfirmForm(forms.Form):
    """Step 2 of "Add funds": the amount again (checked again), a one-time reference that makes
    a double click harmless, and in development the test card to pay with."""

    amount = forms.IntegerField(widget=forms.HiddenInput)
    reference = forms.UUIDField(widget=forms.HiddenInput)
    card = forms.ChoiceField(
        label=_("Test card"),
        widget=forms.RadioSelect,
        required=False,
        choices=TEST_CARD_CHOICES,
    )

    def __init__(self, *args, test_cards: bool, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.test_cards = test_cards
        self.fields["card"].required = test_cards

    def clean_amount(self) -> int:
        cents = self.cleaned_data["amount"]
        _limits_check(cents, settings.MIN_DEPOSIT_CENTS, settings.MAX_DEPOSIT_CENTS)
        return cents

    def clean_card(self) -> str:
        card = self.cleaned_data.get("card", "")
        if self.test_cards and card not in stripe_test_cards.TEST_CARDS:
            raise ValidationError(_("Choose a test card."), code="invalid")
        return card


class BudgetForm(PresetOrCustomForm):
    """The monthly budget: presets, none, or a custom amount; and what may pay for it."""

    use_earnings = forms.BooleanField(
        required=False,
        label=_("Also spend my earnings on flattrs"),
        help_text=_("Your funds are used first; earnings only when you tick this."),
    )
    unused_to_charity = forms.BooleanField(
        required=False,
        label=_("Give my budget to charity in months when I flattr nothing"),
        help_text=_("Otherwise an unused budget simply stays in your wallet."),
    )
    allow_zero = True

    def __init__(self, *args, **kwargs) -> None:
        self.presets = settings.BUDGET_PRESETS_CENTS
        self.minimum = settings.MIN_BUDGET_CENTS
        self.maximum = settings.MAX_BUDGET_CENTS
        super().__init__(*args, **kwargs)
        self.fields["choice"].label = _("Monthly budget")
        self.fields["custom_amount"].label = _("Another monthly budget in euros")


class AutoTopUpForm(forms.Form):
    """Automatic top-up: the amount, on or off, and (development) the test card to save."""

    amount = forms.CharField(
        label=_("Amount to add each time, in euros"),
        max_length=20,
        widget=forms.TextInput(attrs={"inputmode": "decimal", "autocomplete": "off"}),
    )
    active = forms.BooleanField(required=False, initial=True, label=_("Top up automatically"))
    card = forms.ChoiceField(
        label=_("Test card to save"),
        widget=forms.RadioSelect,
        required=False,
        choices=[("", _("Keep the saved card")), *TEST_CARD_CHOICES],
    )

    def clean_amount(self) -> int:
        cents = parse_cents(self.cleaned_data["amount"])
        _limits_check(cents, settings.MIN_DEPOSIT_CENTS, settings.MAX_DEPOSIT_CENTS)
        return cents


class PayoutAmountForm(forms.Form):
    """Step 1 of a payout: an amount in euros, or everything payable."""

    amount = forms.CharField(
        label=_("Amount"),
        required=False,
        max_length=20,
        widget=forms.TextInput(attrs={"inputmode": "decimal", "autocomplete": "off"}),
    )
    everything = forms.BooleanField(label=_("Everything payable"), required=False)

    def clean(self):
        data = super().clean()
        if data.get("everything"):
            data["cents"] = None
        else:
            try:
                data["cents"] = parse_cents(data.get("amount", ""))
            except ValidationError as error:
                self.add_error("amount", error)
        return data


class PayoutConfirmForm(forms.Form):
    """Step 2: the amount shown with its fee, confirmed once (the reference makes a double
    click one request)."""

    amount = forms.IntegerField(min_value=1, max_value=10**12, widget=forms.HiddenInput)
    everything = forms.BooleanField(required=False, widget=forms.HiddenInput)
    reference = forms.UUIDField(widget=forms.HiddenInput)
