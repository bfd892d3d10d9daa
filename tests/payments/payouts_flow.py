"""Steps of a payout as a recipient, an admin and Stripe take them, over real HTTP: our pages
through Django's test client, Stripe Connect through the loopback fake, and the fake's events
posted, signed, to our real webhook view."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from urllib.parse import urlsplit

import requests
from django.urls import reverse

from payments.models import LedgerAccount, Payout
from payments.services import transfer_post, user_account
from tests.payments import stripe_events as se

IBAN = "DE89370400440532013000"


@dataclass
class FakeConnectClient:
    base: str
    fake: object
    delivered: int = 0
    outcomes: list = field(default_factory=list)

    def post(self, path: str, **data) -> dict:
        response = requests.post(f"{self.base}/_fake/{path}", json=data, timeout=5)
        response.raise_for_status()
        return response.json()

    def state(self) -> dict:
        return requests.get(f"{self.base}/_fake/state", timeout=5).json()

    def events(self) -> list[dict]:
        return requests.get(f"{self.base}/_fake/events", timeout=5).json()["events"]

    def deliver(self, client) -> list[str]:
        """Post every event not delivered yet to our webhook, signed; return the outcomes."""
        events = self.events()[self.delivered :]
        self.delivered += len(events)
        outcomes = [deliver_event(client, event) for event in events]
        self.outcomes += outcomes
        return outcomes


def deliver_event(client, event: dict) -> str:
    payload = json.dumps(event).encode()
    response = se.post(client, payload)
    assert response.status_code == 200, response.content
    return response.json()["outcome"]


def local(url: str) -> str:
    parts = urlsplit(url)
    return parts.path + (f"?{parts.query}" if parts.query else "")


def give_earnings(user, cents: int, *, key: str) -> None:
    """Credit earnings as a payday would (a share from the outside world's money)."""
    stripe = LedgerAccount.objects.get_or_create(
        kind=LedgerAccount.Kind.STRIPE, user=None, defaults={"label": "Stripe clearing"}
    )[0]
    funds = user_account(user, LedgerAccount.Kind.FUNDS)
    transfer_post(key=f"{key}:in", kind="deposit", debit=stripe, credit=funds, amount_cents=cents)
    transfer_post(
        key=f"{key}:share",
        kind="internal",
        debit=funds,
        credit=user_account(user, LedgerAccount.Kind.EARNINGS),
        amount_cents=cents,
    )


def onboard(client, fake_connect: FakeConnectClient, *, iban: str = IBAN) -> requests.Response:
    """Press "Set up payouts", fill in the fake Stripe page, come back; return our page."""
    start = client.post(reverse("payments:payout_onboarding"))
    assert start.status_code == 302, start.content
    link = start["Location"]
    assert link.startswith(fake_connect.base + "/connect/onboarding/"), (link, fake_connect.base)
    page = requests.get(link, timeout=5)
    assert page.status_code == 200 and "IBAN" in page.text
    submitted = requests.post(
        link, data={"name": "Pat Example", "iban": iban}, allow_redirects=False, timeout=5
    )
    assert submitted.status_code == 302
    back = client.get(local(submitted.headers["Location"]), follow=True)
    assert back.status_code == 200
    return back


def request_payout(client, *, amount: str = "", everything: bool = False):
    """Fill in the amount, read the fee on the review page, confirm; return both responses."""
    data = {"everything": "on"} if everything else {"amount": amount}
    review = client.post(reverse("payments:payout_review"), data)
    if review.status_code != 200:
        return review, None
    form = review.context["form"]
    confirm = client.post(
        reverse("payments:payout_confirm"),
        {
            "amount": form.initial["amount"],
            "everything": "on" if form.initial["everything"] else "",
            "reference": str(form.initial["reference"]),
        },
        follow=True,
    )
    return review, confirm


def admin_approve(admin_client, payout: Payout):
    return admin_client.post(
        reverse("admin:payments_payout_changelist"),
        {"action": "payouts_approve", "_selected_action": [payout.pk], "reason": ""},
        follow=True,
    )


def clearing_balance() -> int:
    account = LedgerAccount.objects.filter(kind=LedgerAccount.Kind.PAYOUTS).first()
    return account.balance if account else 0
