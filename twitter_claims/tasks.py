"""Celery tasks of twitter_claims: one-line wrappers around services and emails."""

from celery import shared_task

from twitter_claims import emails, services


@shared_task
def pools_expire() -> int:
    """Daily: return held shares older than UNCLAIMED_HOLD_DAYS to their donors."""
    return services.pools_expire().shares


@shared_task
def handles_resolve() -> dict:
    """Every 15 minutes: resolve handles X could not answer for, bind or release their flattrs."""
    return services.handles_resolve()


@shared_task
def notices_send() -> int:
    """After payday and daily: post the owner notices that are due."""
    return services.notices_send()


@shared_task
def pools_sweep() -> int:
    """After payday and daily: move money that reached claimed accounts' pools to the owners."""
    return services.pools_sweep_claimed()


@shared_task
def oauth_attempts_prune() -> int:
    """Daily: forget OAuth attempts older than a day."""
    return services.oauth_attempts_prune()


@shared_task
def claim_donors_notify(account_id: int) -> int:
    return emails.claim_donors_notify(account_id=account_id)


@shared_task
def returned_shares_notify(share_ids: list[int], reason: str) -> int:
    return emails.returned_shares_notify(share_ids=share_ids, reason=reason)


@shared_task
def cancelled_flattrs_notify(items: list[list]) -> int:
    return emails.cancelled_flattrs_notify(items=[(donor, handle) for donor, handle in items])


@shared_task
def proof_code_check(code_id: int) -> str:
    """Read the profile a proof code should be in, and bind on a match."""
    from twitter_claims.services.proofs import proof_code_check as check

    return check(code_id=code_id)


@shared_task
def proof_codes_check() -> dict:
    """Every 10 minutes: check every open proof code."""
    from twitter_claims.services.proofs import proof_codes_check as check_all

    return check_all()
