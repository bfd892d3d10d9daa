"""Demo money for `make run`: Anna has funds (a deposit credited the way Stripe's webhook
credits one) and a monthly budget, so she can flattr right away. Safe to run twice."""

from __future__ import annotations

import time
import uuid

from accounts.models import User
from payments.models import Deposit
from payments.services import budget_set, deposit_create
from payments.webhooks import stripe_event_process

DEMO_DEPOSITS = {"anna": 5000}  # cents
DEMO_BUDGETS = {"anna": 1000}


def load(stdout) -> None:
    for username, cents in DEMO_DEPOSITS.items():
        user = User.objects.filter(username=username).first()
        if user is None or Deposit.objects.filter(user=user).exists():
            continue
        reference = uuid.uuid5(uuid.NAMESPACE_URL, f"flattr:demo-deposit:{username}")
        deposit, _ = deposit_create(
            user=user, amount_cents=cents, method=Deposit.Method.CARD, reference=reference
        )
        payment_id = f"pi_demo_{username}"
        # The same path a verified webhook takes; only the signature check is skipped.
        stripe_event_process(
            event={
                "id": f"evt_demo_{username}",
                "type": "payment_intent.succeeded",
                "created": int(time.time()),
                "livemode": False,
                "data": {
                    "object": {
                        "id": payment_id,
                        "object": "payment_intent",
                        "amount": cents,
                        "amount_received": cents,
                        "currency": deposit.currency.lower(),
                        "metadata": {"flattr_deposit": str(reference)},
                    }
                },
            }
        )
    for username, cents in DEMO_BUDGETS.items():
        user = User.objects.filter(username=username).first()
        if user is not None:
            budget_set(user=user, monthly_cents=cents, use_earnings=False, unused_to_charity=False)
    stdout.write("Demo money: anna has €50.00 of funds and a €10.00 monthly budget.")
