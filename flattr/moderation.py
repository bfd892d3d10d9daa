"""Moderation of things: an admin hides or bans a thing, with a reason that is recorded.

Banned things are left out of payday by flattr's live-flattrs view, so the flattrs on them
keep their part of the budget in the donors' wallets; a hidden thing is only unlisted (its
flattrs still count). The change, its AdminAction and (after commit) the forgotten button
counts go together.
"""

from __future__ import annotations

from django.db import transaction

from accounts.moderation import admin_action_record
from flattr.models import Thing
from flattr.services.things import counts_forget_on_commit, thing_button_keys


def _thing_flag_set(*, thing: Thing, by, reason: str, flag: str, value: bool) -> Thing:
    locked = Thing.objects.select_for_update(of=("self",)).select_related("owner").get(pk=thing.pk)
    action = f"thing_{'' if value else 'un'}{'ban' if flag == 'banned' else 'hide'}"
    admin_action_record(actor=by, action=action, target=locked, reason=reason, subject=locked.owner)
    if getattr(locked, flag) != value:
        Thing.objects.filter(pk=locked.pk).update(**{flag: value})
        setattr(locked, flag, value)
        counts_forget_on_commit([locked.pk], thing_button_keys(locked))
    setattr(thing, flag, value)
    return locked


@transaction.atomic
def thing_ban(*, thing: Thing, by, reason: str, banned: bool = True) -> Thing:
    """Ban the thing (gone from every page, left out of payday) or lift the ban."""
    return _thing_flag_set(thing=thing, by=by, reason=reason, flag="banned", value=banned)


@transaction.atomic
def thing_hide(*, thing: Thing, by, reason: str, hidden: bool = True) -> Thing:
    """Unlist the thing as an admin (as its owner could), or list it again."""
    return _thing_flag_set(thing=thing, by=by, reason=reason, flag="hidden", value=hidden)
