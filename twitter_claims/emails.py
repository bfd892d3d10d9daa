"""Emails to donors about the Twitter/X accounts they flattred: plain text and HTML, in each
donor's language, one action each, with a link to their settings (accounts.mail builds and
delivers them). Called by Celery tasks after the change committed; a donor who turned email
notifications off gets none."""

from __future__ import annotations

from collections import defaultdict

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db.models import Sum
from django.urls import reverse

from accounts.mail import mail_queue
from payments.models import Share
from twitter_claims.models import PendingHandle, PlatformAccount
from twitter_claims.selectors import donors_of_account


def _message(user, template: str, context: dict) -> None:
    mail_queue(user=user, template_prefix=f"twitter_claims/email/{template}", context=context)


def _recipients(user_ids):
    return (
        get_user_model()
        .objects.filter(pk__in=list(user_ids), email_notifications=True, is_active=True)
        .exclude(email="")
        .order_by("pk")
    )


def claim_donors_notify(*, account_id: int) -> int:
    """Tell everyone who flattred the account that its owner joined and claimed it, with what
    they themselves gave that was held. Return how many emails went out."""
    account = PlatformAccount.objects.select_related("claimed_by").get(pk=account_id)
    given = dict(
        Share.objects.filter(payee_id=account.pool_id, state=Share.State.CLAIMED)
        .values("donor_id")
        .annotate(total=Sum("amount"))
        .values_list("donor_id", "total")
    )
    page_url = settings.SITE_URL + account.get_absolute_url()
    sent = 0
    for donor in _recipients(donors_of_account(account)):
        if donor.pk == account.claimed_by_id:
            continue
        context = {"account": account, "given_cents": given.get(donor.pk, 0), "page_url": page_url}
        _message(donor, "claimed", context)
        sent += 1
    return sent


def _handle_of_pool(pool_ids: set[int]) -> dict[int, str]:
    handles = dict(
        PlatformAccount.objects.filter(pool_id__in=pool_ids).values_list("pool_id", "handle")
    )
    handles.update(
        PendingHandle.objects.filter(pool_id__in=pool_ids).values_list("pool_id", "handle")
    )
    return handles


def returned_shares_notify(*, share_ids: list[int], reason: str) -> int:
    """Tell each donor, in one email, which of their held shares went back to their funds and
    why (`expired`: not claimed in time; `unresolved`: the handle could not be confirmed)."""
    rows = Share.objects.filter(pk__in=share_ids, state=Share.State.RETURNED).values_list(
        "donor_id", "payee_id", "amount"
    )
    per_donor: dict[int, dict[int, int]] = defaultdict(lambda: defaultdict(int))
    for donor_id, pool_id, amount in rows:
        per_donor[donor_id][pool_id] += amount
    handles = _handle_of_pool({pool for pools in per_donor.values() for pool in pools})
    wallet_url = settings.SITE_URL + reverse("dashboard")
    sent = 0
    for donor in _recipients(per_donor):
        items = [
            {"handle": handles.get(pool_id, "?"), "amount_cents": amount}
            for pool_id, amount in sorted(per_donor[donor.pk].items())
        ]
        total = sum(item["amount_cents"] for item in items)
        context = {
            "items": items,
            "total_cents": total,
            "reason": reason,
            "hold_days": settings.UNCLAIMED_HOLD_DAYS,
            "wallet_url": wallet_url,
        }
        _message(donor, "returned", context)
        sent += 1
    return sent


def cancelled_flattrs_notify(*, items: list[tuple[int, str]]) -> int:
    """Tell donors that flattrs of handles X could not confirm in time were cancelled."""
    per_donor: dict[int, list[str]] = defaultdict(list)
    for donor_id, handle in items:
        per_donor[int(donor_id)].append(handle)
    dashboard_url = settings.SITE_URL + reverse("dashboard")
    sent = 0
    for donor in _recipients(per_donor):
        context = {
            "handles": sorted(set(per_donor[donor.pk])),
            "dashboard_url": dashboard_url,
            "bind_hours": settings.TWITTER_HANDLE_BIND_HOURS,
        }
        _message(donor, "cancelled", context)
        sent += 1
    return sent
