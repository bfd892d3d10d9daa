"""Owner notices: one message from the service account telling an unclaimed account's owner
that money waits for them, when the pool passes the threshold, at most once per cooldown and
never after an opt-out (selectors.notices_due decides; this module posts and records).
"""

from __future__ import annotations

import logging

from django.conf import settings
from django.db import transaction
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext

from payments.templatetags.money import format_cents as money
from twitter_claims import selectors
from twitter_claims.models import OwnerNotice, PlatformAccount
from twitter_claims.providers import ProviderError
from twitter_claims.providers.x import POST_MAX as X_POST_MAX

logger = logging.getLogger(__name__)


def notice_text(*, account: PlatformAccount, amount_cents: int, donors: int) -> str:
    """Return the post that tells the owner money waits for them (on X at most 280
    characters; elsewhere a direct mention of `@user@instance`)."""
    if account.provider != PlatformAccount.Provider.TWITTER:
        return _notice_text_elsewhere(account=account, amount_cents=amount_cents, donors=donors)
    claim_url = settings.SITE_URL + reverse(
        "twitter_claims:account", kwargs={"handle": account.handle}
    )
    opt_out_url = settings.SITE_URL + reverse("twitter_claims:opt_out")
    with translation.override(settings.LANGUAGE_CODE):
        values = {
            "handle": account.handle,
            "amount": money(amount_cents),
            "donors": donors,
            "claim_url": claim_url,
            "opt_out_url": opt_out_url,
        }
        text = (
            gettext(
                "@%(handle)s: %(donors)d people on Flattr sent you %(amount)s. It is held for you; "
                "sign in with Twitter to claim it at %(claim_url)s (no more messages: "
                "%(opt_out_url)s)"
            )
            % values
        )
        if len(text) > X_POST_MAX:
            text = (
                gettext("@%(handle)s: %(amount)s from %(donors)d people on Flattr waits for you: ")
                % values
                + claim_url
            )
    return text[:X_POST_MAX]


def _notice_text_elsewhere(*, account: PlatformAccount, amount_cents: int, donors: int) -> str:
    provider = account.provider_module
    with translation.override(settings.LANGUAGE_CODE):
        text = gettext(
            "%(account)s: %(donors)d people on Flattr sent you %(amount)s. It is held for you; "
            "sign in with %(provider)s to claim it at %(claim_url)s"
        ) % {
            "account": account.label,
            "donors": donors,
            "amount": money(amount_cents),
            "provider": provider.name,
            "claim_url": settings.SITE_URL + account.get_absolute_url(),
        }
    return text[: OwnerNotice.TEXT_MAX]


def notice_send(*, account_id: int) -> OwnerNotice | None:
    """Post one owner notice for this account if one is due, and record it.

    The notice row is written and committed (state `sending`) under the account's row lock
    before X is called, so concurrent runs never post twice; the post happens outside any
    transaction; the row then becomes `sent` or `failed` (failed ones do not count against
    the cooldown, so the next run retries).
    """
    with transaction.atomic():
        account = (
            PlatformAccount.objects.select_for_update(of=("self",))
            .select_related("pool")
            .get(pk=account_id)
        )
        due = selectors.notices_due().filter(pk=account_id).first()
        if due is None:
            return None
        text = notice_text(account=account, amount_cents=due.pool.balance, donors=due.donors)
        notice = OwnerNotice.objects.create(
            account=account,
            handle=account.handle,
            text=text,
            pool_cents=due.pool.balance,
            donors=due.donors,
        )
    try:
        tweet_id = account.provider_module.notice_post(
            handle=account.handle, domain=account.domain, text=text
        )
    except ProviderError as error:
        logger.warning("Owner notice for %s failed: %s", account.label, error)
        OwnerNotice.objects.filter(pk=notice.pk).update(
            state=OwnerNotice.State.FAILED, error=str(error)[: OwnerNotice.ERROR_MAX]
        )
        notice.refresh_from_db()
        return notice
    OwnerNotice.objects.filter(pk=notice.pk).update(
        state=OwnerNotice.State.SENT,
        tweet_id=tweet_id[: OwnerNotice.TWEET_ID_MAX],
        sent_at=timezone.now(),
    )
    notice.refresh_from_db()
    return notice


def notices_send() -> int:
    """Post every due owner notice; return how many were posted."""
    sent = 0
    for account_id in selectors.notices_due().values_list("pk", flat=True):
        notice = notice_send(account_id=account_id)
        sent += notice is not None and notice.state == OwnerNotice.State.SENT
    return sent


def notices_after_payday(payday) -> None:
    """Call after a payday posted its shares: finish claims that raced it, then queue the owner
    notices for pools that crossed the threshold (after commit, in a Celery task)."""
    from twitter_claims.tasks import notices_send as notices_task
    from twitter_claims.tasks import pools_sweep

    transaction.on_commit(pools_sweep.delay)
    transaction.on_commit(notices_task.delay)
