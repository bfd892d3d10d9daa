"""The money pages: wallet and statement, add funds, budget, automatic top-up; money formatting."""

from __future__ import annotations

import csv
import io
import re

import pytest
from django.urls import reverse
from django.utils import translation

from payments import stripe_gateway
from payments.models import AutoTopUp, Budget, Deposit, LedgerAccount, Transfer
from payments.services import budget_set, system_account, transfer_post, user_account
from payments.templatetags.money import format_cents
from tests.factories import make_user
from tests.payments import stripe_events as se

pytestmark = pytest.mark.django_db
Kind = LedgerAccount.Kind


def give(user, cents: int, *, key: str, kind: str = Kind.FUNDS) -> None:
    transfer_post(
        key=key,
        kind=Transfer.Kind.DEPOSIT if kind == Kind.FUNDS else Transfer.Kind.SHARE,
        debit=system_account(Kind.STRIPE),
        credit=user_account(user, kind),
        amount_cents=cents,
        memo="test",
    )


@pytest.fixture
def donor(client):
    user = make_user()
    client.force_login(user)
    return user


# ---- Money formatting ----


@pytest.mark.parametrize(
    ("language", "cents", "text"),
    [
        ("en", 500, "€5.00"),
        ("en", 123456, "€1,234.56"),
        ("en", -250, "−€2.50"),
        ("de", 500, "5,00\u00a0€"),
        ("de", 123456, "1.234,56\u00a0€"),
        ("de", -250, "−2,50\u00a0€"),
        ("en", 0, "€0.00"),
    ],
)
def test_money_is_shown_with_its_currency_in_the_readers_language(language, cents, text):
    with translation.override(language):
        assert format_cents(cents) == text


def test_signed_money_shows_a_plus_for_money_in():
    with translation.override("en"):
        assert format_cents(500, signed=True) == "+€5.00"


# ---- Wallet ----


def test_the_wallet_needs_a_login(client):
    response = client.get(reverse("payments:wallet"))
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


def test_an_empty_wallet_explains_the_next_step(client, donor):
    page = client.get(reverse("payments:wallet")).text
    assert "Nothing has moved yet" in page
    assert reverse("payments:deposit_new") in page


def test_the_wallet_shows_balances_budget_and_a_statement_in_plain_words(client, donor):
    give(donor, 1500, key="d1")
    give(donor, 320, key="s1", kind=Kind.EARNINGS)
    budget_set(user=donor, monthly_cents=500, use_earnings=True, unused_to_charity=False)

    page = client.get(reverse("payments:wallet")).text

    assert "€15.00" in page and "€3.20" in page
    assert "Deposit by card" in page and "Flattr share received" in page
    assert "+€15.00" in page
    assert "Your earnings also pay for your flattrs" in page
    assert "Next payday takes €5.00." in page


def test_a_frozen_wallet_says_what_is_owed_and_how_to_settle_it(client, donor):
    deposit = se.new_deposit(donor, 1000)
    se.post(client, se.intent_succeeded(deposit))
    other = make_user()
    transfer_post(
        key="spend",
        kind=Transfer.Kind.INTERNAL,
        debit=user_account(donor, Kind.FUNDS),
        credit=user_account(other, Kind.FUNDS),
        amount_cents=600,
    )
    se.post(client, se.charge_refunded(deposit, payment_id=deposit.payment_id, refunded=1000))

    page = client.get(reverse("payments:wallet")).text

    assert "Your account is frozen for flattring." in page
    assert "you owe €6.00" in page
    assert "Refund of a deposit to your card" in page


def test_the_statement_is_paginated(client, donor):
    for n in range(30):
        give(donor, 100 + n, key=f"many:{n}")
    first = client.get(reverse("payments:wallet")).text
    second = client.get(reverse("payments:wallet"), {"page": 2}).text
    assert "Page 1 of 2" in first and "€1.29" in first
    assert "Page 2 of 2" in second and "€1.00" in second
    assert client.get(reverse("payments:wallet"), {"page": "zzz"}).status_code == 200


def test_the_statement_csv_lists_every_transfer_of_the_user_and_nothing_else(client, donor):
    give(donor, 1500, key="mine")
    give(donor, 250, key="earned", kind=Kind.EARNINGS)
    give(make_user(), 999, key="not-mine")

    response = client.get(reverse("payments:statement_csv"))

    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    assert "attachment" in response["Content-Disposition"]
    rows = list(csv.DictReader(io.StringIO(b"".join(response.streaming_content).decode())))
    assert [(r["kind"], r["funds_change"], r["earnings_change"]) for r in rows] == [
        ("deposit", "15.00", "0.00"),
        ("share", "0.00", "2.50"),
    ]
    assert rows[0]["currency"] == "EUR" and rows[0]["description"] == "Deposit by card"


# ---- Add funds ----


@pytest.mark.parametrize(
    ("data", "cents"),
    [
        ({"choice": "1000"}, 1000),
        ({"choice": "custom", "custom_amount": "7,50"}, 750),
        ({"choice": "custom", "custom_amount": "12.5"}, 1250),
        ({"choice": "custom", "custom_amount": " €3 "}, 300),
        ({"custom_amount": "25"}, 2500),  # typed, but no choice ticked
    ],
)
def test_choosing_an_amount_leads_to_the_confirmation(client, donor, data, cents):
    response = client.post(reverse("payments:deposit_new"), data)
    assert response.status_code == 302
    assert response["Location"] == reverse("payments:deposit_confirm") + f"?amount={cents}"


@pytest.mark.parametrize(
    ("custom", "message"),
    [
        ("-5", "cannot be negative"),
        ("0", "more than zero"),
        ("0,00", "more than zero"),
        ("abc", "Enter an amount in euros"),
        ("1e3", "Enter an amount in euros"),
        ("NaN", "Enter an amount in euros"),
        ("5.555", "at most two decimal places"),
        ("1", "The smallest amount is €2.00"),
        ("99999999", "The largest amount is €1,000.00"),
        ("", "Enter an amount"),
    ],
)
def test_a_bad_amount_is_refused_beside_the_field_and_starts_nothing(
    client, donor, custom, message
):
    response = client.post(
        reverse("payments:deposit_new"), {"choice": "custom", "custom_amount": custom}
    )
    assert response.status_code == 400
    assert message in response.text
    assert f'value="{custom}"' in response.text or not custom  # the input is kept
    assert Deposit.objects.count() == 0


def test_an_unknown_preset_is_refused(client, donor):
    response = client.post(reverse("payments:deposit_new"), {"choice": "123456789"})
    assert response.status_code == 400


@pytest.mark.parametrize("amount", ["", "abc", "0", "-500", "199", "100001", str(10**30), "5.5"])
def test_the_confirmation_refuses_an_amount_outside_the_limits(client, donor, amount):
    response = client.get(reverse("payments:deposit_confirm"), {"amount": amount})
    assert response.status_code == 400
    assert Deposit.objects.count() == 0


def test_the_confirmation_says_exactly_what_will_happen(client, donor):
    give(donor, 300, key="before")
    page = client.get(reverse("payments:deposit_confirm"), {"amount": 1000}).text
    assert "Your card is charged <strong>€10.00</strong>. There is no fee on deposits." in page
    assert "Your funds go from €3.00 to €13.00." in page
    assert "Pay €10.00" in page
    assert "Visa that pays" in page  # development: the test cards


@pytest.mark.parametrize(
    "data",
    [
        {"amount": "1", "card": "visa"},  # tampered below the minimum
        {"amount": "10000000", "card": "visa"},
        {"amount": "1000", "card": "amex-of-doom"},
        {"amount": "1000"},  # no card
        {"amount": "1000", "card": "visa", "reference": "not-a-uuid"},
    ],
)
def test_a_tampered_confirmation_is_refused_and_charges_nothing(client, donor, data):
    data = {"reference": "7f0c3a4e-7e9b-4cf6-9f55-1c4a8d9c2b11", **data}
    response = client.post(reverse("payments:deposit_confirm"), data)
    assert response.status_code == 400
    assert Deposit.objects.count() == 0


def test_someone_elses_deposit_is_not_found(client, donor):
    deposit = se.new_deposit(make_user(), 500)
    url = reverse("payments:deposit_detail", args=[deposit.reference])
    assert client.get(url).status_code == 404
    assert (
        client.get(reverse("payments:deposit_status", args=[deposit.reference])).status_code == 404
    )


def test_the_deposit_page_waits_for_the_webhook_and_then_shows_the_credit(client, donor):
    deposit = se.new_deposit(donor, 1200)
    url = reverse("payments:deposit_detail", args=[deposit.reference])

    waiting = client.get(url).text
    assert "Waiting for Stripe" in waiting and "deposit.js" in waiting

    se.post(client, se.intent_succeeded(deposit))
    done = client.get(url).text
    assert "€12.00 was added to your funds." in done


def test_production_sends_the_donor_to_stripe_checkout_and_credits_only_from_the_webhook(
    client, donor, settings, monkeypatch
):
    settings.STRIPE_DEPOSIT_FLOW = "checkout"
    calls = []

    def fake_session(**kwargs):
        calls.append(kwargs)
        return stripe_gateway.CheckoutSession("cs_test_abc", "https://checkout.stripe.test/pay")

    monkeypatch.setattr(stripe_gateway, "checkout_session_create", fake_session)
    monkeypatch.setattr(stripe_gateway, "customer_create", lambda **kw: "cus_test_1")
    page = client.get(reverse("payments:deposit_confirm"), {"amount": 2000}).text
    assert "Visa that pays" not in page and "Stripe's secure payment page" in page
    reference = re.search(r'name="reference" value="([0-9a-f-]{36})"', page).group(1)

    response = client.post(
        reverse("payments:deposit_confirm"), {"amount": 2000, "reference": reference}
    )

    assert response.status_code == 302
    assert response["Location"] == "https://checkout.stripe.test/pay"
    deposit = Deposit.objects.get()
    assert (deposit.checkout_session_id, deposit.method) == ("cs_test_abc", "checkout")
    assert calls[0]["amount_cents"] == 2000 and calls[0]["reference"] == reference
    assert calls[0]["success_url"].endswith(f"/payments/deposits/{reference}/")
    # Back from Stripe: still waiting, nothing credited from the redirect.
    assert "Waiting for Stripe" in client.get(calls[0]["success_url"]).text
    assert Transfer.objects.count() == 0

    se.post(client, se.checkout_completed(deposit, payment_id="pi_checkout_1"))
    deposit.refresh_from_db()
    assert deposit.status == Deposit.Status.SUCCEEDED
    assert user_account(donor, Kind.FUNDS).balance == 2000


# ---- Budget ----


def test_the_budget_page_shows_the_fee_of_each_preset_before_saving(client, donor):
    page = client.get(reverse("payments:budget")).text
    assert "€4.50 to what you flattr, €0.50 fee" in page
    assert "€18.00 to what you flattr, €2.00 fee" in page
    assert "We keep a 10 % fee" in page


def test_saving_a_budget_larger_than_the_wallet_says_what_payday_will_take(client, donor):
    give(donor, 300, key="small")

    response = client.post(
        reverse("payments:budget"), {"choice": "1000", "use_earnings": "on"}, follow=True
    )

    budget = Budget.objects.get(user=donor)
    assert (budget.monthly_cents, budget.use_earnings, budget.unused_to_charity) == (
        1000,
        True,
        False,
    )
    assert "Your monthly budget is now €10.00: €9.00 for what you flattr, €1.00 fee." in (
        response.text
    )
    assert "payday will take €3.00 unless you add funds" in response.text


def test_a_custom_budget_and_no_budget_can_be_saved(client, donor):
    client.post(
        reverse("payments:budget"),
        {"choice": "custom", "custom_amount": "3,50", "unused_to_charity": "on"},
    )
    assert Budget.objects.get(user=donor).monthly_cents == 350
    assert Budget.objects.get(user=donor).unused_to_charity
    client.post(reverse("payments:budget"), {"choice": "0"})
    assert Budget.objects.get(user=donor).monthly_cents == 0


@pytest.mark.parametrize(
    "data",
    [
        {"choice": "custom", "custom_amount": "1"},
        {"choice": "custom", "custom_amount": "1000000"},
        {"choice": "custom", "custom_amount": "-2"},
        {"choice": "custom", "custom_amount": "zero"},
        {"choice": "custom", "custom_amount": "0"},
        {"choice": "777"},
        {},
    ],
)
def test_a_bad_budget_is_refused_and_the_old_one_kept(client, donor, data):
    budget_set(user=donor, monthly_cents=500, use_earnings=False, unused_to_charity=False)
    response = client.post(reverse("payments:budget"), data)
    assert response.status_code == 400
    assert Budget.objects.get(user=donor).monthly_cents == 500


def test_the_budget_service_refuses_amounts_outside_the_limits():
    from payments.errors import PaymentError

    user = make_user()
    for cents in (-1, 1, 199, 100_001, 2.5, True):
        with pytest.raises(PaymentError) as error:
            budget_set(user=user, monthly_cents=cents, use_earnings=False, unused_to_charity=False)
        assert error.value.code == "invalid_budget"
    assert not Budget.objects.filter(user=user).exists()


# ---- Automatic top-up ----


@pytest.mark.parametrize("amount", ["", "-10", "0", "abc", "1", "5000000"])
def test_a_bad_top_up_amount_is_refused(client, donor, amount):
    response = client.post(
        reverse("payments:auto_topup"), {"amount": amount, "active": "on", "card": "visa"}
    )
    assert response.status_code == 400
    assert not AutoTopUp.objects.exists()


def test_changing_the_top_up_needs_a_saved_card(client, donor):
    response = client.post(reverse("payments:auto_topup"), {"amount": "10", "active": "on"})
    assert response.status_code == 400
    assert "Choose a card to save." in response.text


# ---- German ----


def test_the_wallet_speaks_german(client, donor):
    give(donor, 1500, key="de")
    client.cookies["django_language"] = "de"
    page = client.get(reverse("payments:wallet"), HTTP_ACCEPT_LANGUAGE="de").text
    assert "15,00\u00a0€" in page
    assert "Einzahlung per Karte" in page


def test_answering_3d_secure_needs_a_valid_answer_and_a_waiting_deposit(client, donor):
    deposit = se.new_deposit(donor, 500)  # processing, not waiting for the bank
    url = reverse("payments:deposit_authenticate", args=[deposit.reference])

    assert client.post(url, {"answer": "maybe"}).status_code == 400
    response = client.post(url, {"answer": "approve"}, follow=True)

    assert "not waiting for a confirmation" in response.text
    deposit.refresh_from_db()
    assert deposit.status == Deposit.Status.PROCESSING
    assert client.get(url).status_code == 405


def test_production_saves_a_top_up_card_through_stripe_checkout(
    client, donor, settings, monkeypatch
):
    settings.STRIPE_DEPOSIT_FLOW = "checkout"
    monkeypatch.setattr(stripe_gateway, "customer_create", lambda **kw: "cus_mine")
    monkeypatch.setattr(
        stripe_gateway,
        "checkout_setup_session_create",
        lambda **kw: stripe_gateway.CheckoutSession("cs_setup_1", "https://checkout.stripe.test/s"),
    )
    saved = stripe_gateway.SavedCard("pm_saved_1", "visa •••• 4242")

    response = client.post(
        reverse("payments:auto_topup_card_checkout"), {"amount": "15", "active": "on"}
    )
    assert response["Location"] == "https://checkout.stripe.test/s"

    monkeypatch.setattr(stripe_gateway, "checkout_setup_card", lambda **kw: ("cus_other", saved))
    back = reverse("payments:auto_topup_card_saved") + "?session_id=cs_setup_1"
    assert "another customer" in client.get(back, follow=True).text
    assert not AutoTopUp.objects.exists()

    monkeypatch.setattr(stripe_gateway, "checkout_setup_card", lambda **kw: ("cus_mine", saved))
    client.get(back)
    topup = AutoTopUp.objects.get(user=donor)
    assert (topup.payment_method_id, topup.amount, topup.active) == ("pm_saved_1", 1500, True)


@pytest.mark.parametrize("query", ["", "?session_id=nope", "?session_id=cs_1"])
def test_a_bad_return_from_card_setup_is_refused(client, donor, query):
    # "?session_id=cs_1" is refused too: no amount was chosen in this session.
    response = client.get(reverse("payments:auto_topup_card_saved") + query)
    assert response.status_code == 400
    assert not AutoTopUp.objects.exists()


def test_a_stripe_outage_before_any_charge_fails_the_deposit_and_says_so(client, donor, settings):
    settings.STRIPE_API_BASE = "http://127.0.0.1:9"  # nothing listens there
    page = client.get(reverse("payments:deposit_confirm"), {"amount": 500}).text
    reference = re.search(r'name="reference" value="([0-9a-f-]{36})"', page).group(1)

    response = client.post(
        reverse("payments:deposit_confirm"),
        {"amount": 500, "reference": reference, "card": "visa"},
        follow=True,
    )

    deposit = Deposit.objects.get()
    assert deposit.status == Deposit.Status.FAILED
    assert "Stripe could not be reached" in response.text
    assert "Nothing was charged" in response.text
