"""Every change to Twitter/X accounts, one module per domain:

- `handles`: resolving handles to X ids, accounts and their renames, flattring by handle, and
  flattrs kept against handles X could not resolve yet;
- `oauth`: the sign-in round trips with X;
- `claims`: claims, the sweep after a racing payday, sign-up with Twitter, opt-outs;
- `notices`: owner notices from the service account;
- `expiry`: held shares going back to their donors.

Each module writes only twitter_claims' own rows: things and flattrs change through
flattr.services, money and shares through payments.services (pools). The names below are
re-exported because views, tasks and tests address them as `services.<name>`.
"""

from twitter_claims.services.claims import (
    OPT_OUT_CHOICES,
    ClaimResult,
    account_create_with_twitter,
    account_opt_out,
    pool_claim,
    pools_sweep_claimed,
)
from twitter_claims.services.expiry import ExpiryResult, pools_expire
from twitter_claims.services.handles import (
    RESERVED_PATHS,
    account_for_x_user,
    handle_normalize,
    handles_resolve,
    pending_handle_resolve,
    pending_handle_thing,
    thing_for_handle,
    thing_for_profile_url,
    twitter_flattr_add,
)
from twitter_claims.services.notices import (
    notice_send,
    notice_text,
    notices_after_payday,
    notices_send,
)
from twitter_claims.services.oauth import (
    IDENTITY_SESSION_KEY,
    OAUTH_PURPOSES,
    OAUTH_SESSION_KEY,
    identity_forget,
    identity_recall,
    identity_remember,
    oauth_attempts_prune,
    oauth_begin,
    oauth_complete,
)

__all__ = [
    "IDENTITY_SESSION_KEY",
    "OAUTH_PURPOSES",
    "OAUTH_SESSION_KEY",
    "OPT_OUT_CHOICES",
    "RESERVED_PATHS",
    "ClaimResult",
    "ExpiryResult",
    "account_create_with_twitter",
    "account_for_x_user",
    "account_opt_out",
    "handle_normalize",
    "handles_resolve",
    "identity_forget",
    "identity_recall",
    "identity_remember",
    "notice_send",
    "notice_text",
    "notices_after_payday",
    "notices_send",
    "oauth_attempts_prune",
    "oauth_begin",
    "oauth_complete",
    "pending_handle_resolve",
    "pending_handle_thing",
    "pool_claim",
    "pools_expire",
    "pools_sweep_claimed",
    "thing_for_handle",
    "thing_for_profile_url",
    "twitter_flattr_add",
]
