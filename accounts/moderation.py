"""Moderation of accounts: marks, suspensions and the record of every admin action.

Every service here takes the acting admin and a reason, and writes an insert-only history row
(AccountMark, AdminAction) in the same transaction as the change, so the books of who did what
and why can never disagree with the state they explain. Apps above accounts record their own
admin actions through `admin_action_record`.
"""

from __future__ import annotations

from django.db import transaction
from django.db.models import Model
from django.utils import timezone
from django.utils.translation import gettext_lazy

from accounts.models import AccountMark, AdminAction, User

REASON_MAX = AccountMark._meta.get_field("reason").max_length
# A mark that leaves the account's flattrs out of payday, like a suspension does.
BLOCKING_MARKS = (AccountMark.Kind.FRAUD,)


class ModerationError(Exception):
    """A refused moderation action, with a stable `code` and a message for the admin."""

    MESSAGES = {
        "reason_missing": gettext_lazy("Say why: every admin action is recorded with a reason."),
        "reason_long": gettext_lazy("Keep the reason under 500 characters."),
        "mark_unknown": gettext_lazy("That is not a mark an account can have."),
        "already_suspended": gettext_lazy("This account is already suspended."),
        "not_suspended": gettext_lazy("This account is not suspended."),
        "self": gettext_lazy("You cannot do this to your own account."),
    }

    def __init__(self, code: str):
        self.code = code
        self.message = str(self.MESSAGES[code])
        super().__init__(self.message)


def reason_clean(reason: str) -> str:
    """Return the reason stripped, or raise `reason_missing` / `reason_long`."""
    reason = (reason or "").strip()
    if not reason:
        raise ModerationError("reason_missing")
    if len(reason) > REASON_MAX:
        raise ModerationError("reason_long")
    return reason


def admin_action_record(
    *,
    actor: User,
    action: str,
    target: Model,
    reason: str,
    subject: User | None = None,
    details: dict | None = None,
) -> AdminAction:
    """Record that `actor` did `action` to `target` because of `reason`.

    Call it inside the transaction that makes the change, so the record and the change commit
    together or not at all.
    """
    return AdminAction.objects.create(
        actor=actor,
        action=action,
        target_type=target._meta.label_lower,
        target_id=target.pk,
        target_label=str(target)[: AdminAction._meta.get_field("target_label").max_length],
        subject=subject if subject is not None else (target if isinstance(target, User) else None),
        reason=reason_clean(reason),
        details=details or {},
    )


def _user_lock(user: User) -> User:
    return User.objects.select_for_update().get(pk=user.pk)


@transaction.atomic
def account_mark_add(*, user: User, kind: str, by: User, reason: str) -> AccountMark:
    """Put a mark on the account (a new history row) and make it the account's current one."""
    if kind not in AccountMark.Kind.values:
        raise ModerationError("mark_unknown")
    if user.pk == by.pk:
        raise ModerationError("self")
    reason = reason_clean(reason)
    locked = _user_lock(user)
    mark = AccountMark.objects.create(user=locked, kind=kind, reason=reason, by=by)
    locked.mark = "" if kind == AccountMark.Kind.CLEARED else kind
    locked.save(update_fields=["mark"])
    user.mark = locked.mark
    admin_action_record(
        actor=by, action=f"mark_{kind}", target=locked, reason=reason, details={"mark": kind}
    )
    return mark


@transaction.atomic
def user_suspend(*, user: User, by: User, reason: str) -> User:
    """Suspend the account: from now on its flattrs do not count on payday (the budget stays
    in the wallet), its wallet is frozen and its things cannot be flattred."""
    if user.pk == by.pk:
        raise ModerationError("self")
    reason = reason_clean(reason)
    locked = _user_lock(user)
    if locked.suspended_at is not None:
        raise ModerationError("already_suspended")
    locked.suspended_at = timezone.now()
    locked.save(update_fields=["suspended_at"])
    user.suspended_at = locked.suspended_at
    admin_action_record(actor=by, action="suspend", target=locked, reason=reason)
    return locked


@transaction.atomic
def user_unsuspend(*, user: User, by: User, reason: str) -> User:
    """Lift a suspension: the account's flattrs count again from the next payday."""
    reason = reason_clean(reason)
    locked = _user_lock(user)
    if locked.suspended_at is None:
        raise ModerationError("not_suspended")
    locked.suspended_at = None
    locked.save(update_fields=["suspended_at"])
    user.suspended_at = None
    admin_action_record(actor=by, action="unsuspend", target=locked, reason=reason)
    return locked


def user_blocked(user: User) -> bool:
    """Return whether payday leaves the account out: suspended, or marked as fraud (the same
    rule as flattr's live-flattrs view)."""
    return user.suspended_at is not None or user.mark in BLOCKING_MARKS


def marks_for_user(user: User, *, limit: int = 20) -> list[AccountMark]:
    """Return the account's marks, newest first, with who set them."""
    return list(AccountMark.objects.filter(user=user).select_related("by")[:limit])


def admin_actions_for_user(user: User, *, limit: int = 20) -> list[AdminAction]:
    """Return the admin actions concerning the account, newest first."""
    return list(AdminAction.objects.filter(subject=user).select_related("actor")[:limit])
