"""Monthly budgets: how much payday may take from a donor's money each month."""

from __future__ import annotations

from django.conf import settings
from django.db import transaction
from django.utils.translation import gettext

from payments.errors import PaymentError
from payments.models import (
    Budget,
)
from payments.templatetags.money import format_cents


def budget_validate(monthly_cents: int) -> None:
    """Raise PaymentError("invalid_budget") unless the budget is 0 (none) or within limits."""
    if not isinstance(monthly_cents, int) or isinstance(monthly_cents, bool):
        raise PaymentError("invalid_budget", gettext("The budget must be a whole number of cents."))
    if monthly_cents != 0 and not (
        settings.MIN_BUDGET_CENTS <= monthly_cents <= settings.MAX_BUDGET_CENTS
    ):
        raise PaymentError(
            "invalid_budget",
            gettext("A monthly budget is 0 or between %(min)s and %(max)s.")
            % {
                "min": format_cents(settings.MIN_BUDGET_CENTS),
                "max": format_cents(settings.MAX_BUDGET_CENTS),
            },
        )


@transaction.atomic
def budget_set(*, user, monthly_cents: int, use_earnings: bool, unused_to_charity: bool) -> Budget:
    """Set the user's monthly budget (0 = no budget) and spending choices.

    A budget above the wallet is allowed: payday takes what the wallet holds (the page says so).
    """
    budget_validate(monthly_cents)
    budget, _ = Budget.objects.select_for_update().get_or_create(user=user)
    budget.monthly_cents = monthly_cents
    budget.use_earnings = bool(use_earnings)
    budget.unused_to_charity = bool(unused_to_charity)
    budget.save()
    return budget
