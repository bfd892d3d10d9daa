"""Every page of the admin opens, with a fixed query budget: each registered ModelAdmin's
changelist and change form (enumerated from the admin site, so a new one is covered without
editing this file), the home panel, the support page and the fraud review page.

"Fixed" means both under a ceiling and not growing with the data: each page is counted, the
data is doubled, and the page must cost exactly as many queries again.
"""

from __future__ import annotations

import datetime as dt
import itertools
import uuid

import pytest
from allauth.mfa.models import Authenticator
from django.contrib import admin
from django.contrib.auth.models import Group
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from accounts.moderation import account_mark_add, user_suspend
from flattr.models import Subscription
from flattr.moderation import thing_ban
from payments.models import AutoTopUp, Budget, Deposit, Dispute, StripeEvent
from payments.payday import payday_run
from tests.factories import make_user
from tests.payments.payday_data import make_donor, make_flattr, make_thing
from twitter_claims.models import HandleHistory, OwnerNotice, PendingHandle, PlatformAccount

pytestmark = pytest.mark.django_db
MONTHS = (dt.date(2025, 3, 1), dt.date(2025, 4, 1))
PAGE_BUDGET = 40  # queries; the busiest page (the user change form) needs about half of it
_n = itertools.count(1)


def populate(operator, month: dt.date) -> None:
    """One of everything the admin lists, several of the common rows, and a payday."""
    n = next(_n)
    donors = [make_donor(budget=2000, funds=5000) for _ in range(3)]
    things = [make_thing() for _ in range(3)]
    for donor in donors:
        for thing in things:
            make_flattr(donor, thing, month=month)
    pool_thing = make_thing(pool_label=f"@held{n}")
    make_flattr(donors[0], pool_thing, month=month)
    payday_run(month=month)  # shares, donor snapshots, notices (earnings cross €10)
    account = PlatformAccount.objects.create(
        user_id=str(1000 + n),
        handle=f"held{n}",
        handle_checked_at=timezone.now(),
        pool=pool_thing.payee,
        thing=pool_thing,
    )
    HandleHistory.objects.create(account=account, handle=f"old{n}", last_seen_at=timezone.now())
    OwnerNotice.objects.create(
        account=account, handle=account.handle, text="Money waits", pool_cents=540, donors=1
    )
    pending_thing = make_thing(pool_label=f"@pending{n}")
    PendingHandle.objects.create(
        handle=f"pending{n}", thing=pending_thing, pool=pending_thing.payee
    )
    deposit = Deposit.objects.create(
        user=donors[0],
        reference=uuid.uuid4(),
        amount=1800,
        currency="eur",
        method=Deposit.Method.CARD,
        status=Deposit.Status.FAILED,
    )
    Dispute.objects.create(dispute_id=f"dp_{n}", deposit=deposit, amount=1800, status="lost")
    StripeEvent.objects.create(
        event_id=f"evt_{n}",
        type="payment_intent.payment_failed",
        created=0,
        deposit=deposit,
        outcome=StripeEvent.Outcome.UNMATCHED,
        payload={},
    )
    AutoTopUp.objects.create(user=donors[1], payment_method_id=f"pm_{n}", amount=1000)
    Subscription.objects.create(
        donor=donors[2], thing=things[0], months=3, first_month=month, last_month=month
    )
    Group.objects.get_or_create(name=f"support{n}")
    Authenticator.objects.create(user=donors[0], type=Authenticator.Type.TOTP, data={})
    account_mark_add(user=donors[1], kind="suspicious", by=operator, reason="many cards")
    user_suspend(user=donors[2], by=operator, reason="chargebacks")
    thing_ban(thing=things[2], by=operator, reason="spam")
    Budget.objects.filter(user=donors[0]).update(monthly_cents=2500)
    _populate_later_apps(operator, n, donors, account, things)


def _populate_later_apps(operator, n: int, donors, account, things) -> None:
    """Rows of the apps that came after the console: payouts, proof codes, the REST API."""
    from oauth2_provider.models import AccessToken, Application, Grant, IDToken, RefreshToken

    from flattr.api.models import Webhook, WebhookDelivery
    from flattr.models import LegacyFlattrId
    from payments.models import Payout, PayoutAccount
    from twitter_claims.models import ProofCode

    recipient = things[0].owner
    payout_account = PayoutAccount.objects.create(
        user=recipient, stripe_account_id=f"acct_{n}", status=PayoutAccount.Status.READY
    )
    Payout.objects.create(
        user=recipient, account=payout_account, amount=1500, fee=25, currency="eur"
    )
    ProofCode.objects.create(
        account=account,
        user=donors[0],
        code=f"flattr-proof-{n}",
        expires_at=timezone.now() + dt.timedelta(hours=1),
    )
    LegacyFlattrId.objects.create(value=str(9000 + n), user=donors[0])
    app = Application.objects.create(
        name=f"Podcast app {n}",
        user=donors[0],
        client_type=Application.CLIENT_CONFIDENTIAL,
        authorization_grant_type=Application.GRANT_AUTHORIZATION_CODE,
        redirect_uris="https://app.example/callback",
    )
    later = timezone.now() + dt.timedelta(days=1)
    token = AccessToken.objects.create(
        user=donors[0], application=app, token=f"tok{n}", expires=later, scope="flattr"
    )
    RefreshToken.objects.create(
        user=donors[0], application=app, token=f"ref{n}", access_token=token
    )
    Grant.objects.create(
        user=donors[0],
        application=app,
        code=f"code{n}",
        expires=later,
        redirect_uri="https://app.example/callback",
    )
    IDToken.objects.create(user=donors[0], application=app, expires=later)
    hook = Webhook.objects.create(
        user=donors[0],
        url="https://hooks.example/flattr",
        events=[Webhook.Event.FLATTR_CREATED],
        secret=f"whsec{n}",
    )
    WebhookDelivery.objects.create(
        webhook=hook, event="flattr.created", event_key=f"flattr:{n}", payload={"n": n}
    )


def pages() -> list[str]:
    urls = [
        reverse("admin:index"),
        reverse("console:support") + "?q=user",
        reverse("console:fraud"),
        reverse("admin:payments_payday_preview") + "?month=2025-05",
    ]
    for model, model_admin in admin.site._registry.items():
        opts = model._meta
        urls.append(reverse(f"admin:{opts.app_label}_{opts.model_name}_changelist"))
        first = model_admin.get_queryset(_request()).order_by("pk").first()
        assert first is not None, f"populate() makes no {opts.label}: add one so its form is opened"
        urls.append(reverse(f"admin:{opts.app_label}_{opts.model_name}_change", args=[first.pk]))
    return urls


def _request():
    from django.test import RequestFactory

    request = RequestFactory().get("/")
    request.user = make_user.__globals__["User"].objects.filter(is_superuser=True).first()
    return request


def _count(client, url: str) -> int:
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.status_code == 200, f"{url} answered {response.status_code}"
    return len(queries)


def test_every_admin_page_opens_with_a_fixed_query_budget(client):
    operator = make_user(username="operator", is_staff=True, is_superuser=True)
    client.force_login(operator)
    populate(operator, MONTHS[0])
    urls = pages()
    for url in urls:  # warm the per-process caches (content types, templates)
        client.get(url)
    before = {url: _count(client, url) for url in urls}

    populate(operator, MONTHS[1])
    after = {url: _count(client, url) for url in urls}

    over = {url: count for url, count in after.items() if count > PAGE_BUDGET}
    assert not over, f"over the budget of {PAGE_BUDGET} queries: {over}"
    # Change forms open the first row, which is the same row both times; lists and panels
    # show twice the rows the second time and must not pay for them.
    grew = {url: (before[url], after[url]) for url in urls if after[url] != before[url]}
    assert not grew, f"queries grew with the data: {grew}"


def test_money_is_shown_as_money_in_the_lists_and_forms(client):
    operator = make_user(username="operator", is_staff=True, is_superuser=True)
    client.force_login(operator)
    populate(operator, MONTHS[0])
    deposits = client.get(reverse("admin:payments_deposit_changelist")).text
    deposit = Deposit.objects.first()
    form = client.get(reverse("admin:payments_deposit_change", args=[deposit.pk])).text
    budgets = client.get(reverse("admin:payments_budget_changelist")).text
    budget = Budget.objects.get(monthly_cents=2500)
    budget_form = client.get(reverse("admin:payments_budget_change", args=[budget.pk])).text

    assert "€18.00" in deposits and "€18.00" in form and ">1800<" not in form
    assert "€25.00" in budgets and ">2500<" not in budgets
    assert "€25.00 | Change budget" in budget_form and 'value="25.00"' in budget_form
    home = client.get(reverse("admin:index")).text
    assert '<div id="site-name"><a href="/admin/">Flattr</a></div>' in home
    assert home.count(">Accounts<") == 1  # people apps merged into one section
    assert "3 donors, 10 shares" in home  # the last payday, in words and plurals
