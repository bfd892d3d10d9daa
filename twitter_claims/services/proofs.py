"""Claims without the platform's OAuth: a one-time code in the account's public profile.

A signed-in user asks for a code for an account; they place it in the profile's bio or website;
a Celery task reads the public profile of the account with that numeric id (so a renamed or
recycled handle proves nothing) and, on a match, claims the account for that user. Codes are
single use, expire after PROOF_CODE_HOURS, and a newer code replaces an older one. An admin may
verify by hand, with a reason that stays on the code's row. The profile is read outside any
transaction; the bind happens under the code's row lock, so a code binds at most once.
"""

from __future__ import annotations

import datetime as dt
import logging
import secrets

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from twitter_claims.errors import TwitterError
from twitter_claims.models import PlatformAccount, ProofCode
from twitter_claims.providers import ProviderError
from twitter_claims.services.claims import ClaimResult, pool_claim

logger = logging.getLogger(__name__)

CODE_PREFIX = "flattr-"


@transaction.atomic
def proof_code_issue(*, account_id: int, user) -> ProofCode:
    """Give `user` a fresh code for the account (older open codes of theirs for it lapse)."""
    account = PlatformAccount.objects.select_for_update().get(pk=account_id)
    if account.claimed_by_id is not None:
        raise TwitterError("already_claimed", provider=account.provider_module.name)
    ProofCode.objects.filter(account=account, user=user, state=ProofCode.State.OPEN).update(
        state=ProofCode.State.REVOKED
    )
    return ProofCode.objects.create(
        account=account,
        user=user,
        code=CODE_PREFIX + secrets.token_hex(8),
        expires_at=timezone.now() + dt.timedelta(hours=settings.PROOF_CODE_HOURS),
    )


def proof_code_check(*, code_id: int, now: dt.datetime | None = None) -> str:
    """Read the account's public profile and bind on a match. Return the outcome: `bound`,
    `absent` (not in the profile yet), `stale` (used, replaced or expired), `unavailable`."""
    now = now or timezone.now()
    code = ProofCode.objects.select_related("account").get(pk=code_id)
    if code.state != ProofCode.State.OPEN:
        return "stale"
    if code.expires_at <= now:
        ProofCode.objects.filter(pk=code.pk, state=ProofCode.State.OPEN).update(
            state=ProofCode.State.EXPIRED
        )
        return "stale"
    account = code.account
    try:
        text = account.provider_module.profile_text(account.user_id, account.domain)
    except ProviderError as error:
        logger.info("Could not read the profile of %s: %s", account.label, error)
        return "unavailable"
    ProofCode.objects.filter(pk=code.pk).update(checked_at=now)
    if code.code not in text:
        return "absent"
    _proof_bind(code_id=code.pk, now=now)
    return "bound"


@transaction.atomic
def _proof_bind(*, code_id: int, now: dt.datetime, admin=None, reason: str = "") -> ClaimResult:
    """Spend the code (it must still be open and unexpired) and claim its account."""
    code = ProofCode.objects.select_for_update().select_related("user").get(pk=code_id)
    if code.state != ProofCode.State.OPEN or code.expires_at <= now:
        raise TwitterError("oauth_state")
    code.state, code.used_at = ProofCode.State.USED, now
    code.verified_by, code.reason = admin, reason[: ProofCode.REASON_MAX]
    code.save(update_fields=["state", "used_at", "verified_by", "reason"])
    return pool_claim(account_id=code.account_id, user=code.user)


def proof_code_verify_by_hand(*, code_id: int, admin, reason: str) -> ClaimResult:
    """An admin saw the proof some other way: bind as if the code had been found. The reason
    is required and kept on the code's row."""
    reason = (reason or "").strip()
    if not reason:
        raise TwitterError("invalid_parameters", "Say why the account is verified by hand.")
    return _proof_bind(code_id=code_id, now=timezone.now(), admin=admin, reason=reason)


def proof_codes_check() -> dict[str, int]:
    """Check every open code (beat runs this every few minutes); return counts by outcome."""
    counts = {"bound": 0, "absent": 0, "stale": 0, "unavailable": 0}
    for code_id in ProofCode.objects.filter(state=ProofCode.State.OPEN).values_list(
        "pk", flat=True
    ):
        try:
            counts[proof_code_check(code_id=code_id)] += 1
        except TwitterError:  # claimed by someone else meanwhile: the code stays unused
            counts["stale"] += 1
    return counts
