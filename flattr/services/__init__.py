"""Every change to things, flattrs and subscriptions, one module per domain:

- `things`: create, edit, hide, auto-submit, and the things of platform accounts;
- `flattrs`: add, remove, and moving or cancelling the flattrs of a platform account;
- `subscriptions`: monthly auto-flattrs.

Each service owns its transaction and forgets the counts it changed after commit. The names are
re-exported here, since that is where other apps (and their callers) look for core's writes.
"""

from flattr.services.flattrs import (
    flattr_add,
    flattr_once_error,
    flattr_remove,
    flattr_via_auto_submit,
    flattrs_cancel,
    flattrs_move,
)
from flattr.services.subscriptions import (
    subscription_cancel,
    subscription_create,
    subscriptions_renew,
)
from flattr.services.things import (
    FIELD_CLEANERS,
    ThingFields,
    account_thing_claim,
    account_thing_closed_set,
    account_thing_create,
    account_thing_release,
    account_thing_rename,
    thing_create,
    thing_fields_clean,
    thing_for_auto_submit,
    thing_hidden_set,
    thing_update,
)

__all__ = [
    "FIELD_CLEANERS",
    "ThingFields",
    "account_thing_claim",
    "account_thing_closed_set",
    "account_thing_create",
    "account_thing_release",
    "account_thing_rename",
    "flattr_add",
    "flattr_once_error",
    "flattr_remove",
    "flattr_via_auto_submit",
    "flattrs_cancel",
    "flattrs_move",
    "subscription_cancel",
    "subscription_create",
    "subscriptions_renew",
    "thing_create",
    "thing_fields_clean",
    "thing_for_auto_submit",
    "thing_hidden_set",
    "thing_update",
]
