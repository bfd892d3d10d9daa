"""Domain errors of Twitter/X accounts, each with a stable code.

`TwitterError` is a `FlattrError`, so every view and API endpoint that already turns flattr
errors into words handles these too. Codes:

- ``invalid_handle``: not a possible X handle;
- ``unknown_handle``: X says nobody holds that handle;
- ``opted_out``: the owner refuses new flattrs;
- ``already_claimed``: another Flattr user has claimed this X account;
- ``user_has_account``: this Flattr user already linked a different X account;
- ``linked_elsewhere``: the X account that signed in belongs to another Flattr user;
- ``oauth_state``: the sign-in came back with a missing, wrong, used or expired `state`;
- ``oauth_denied``: the person cancelled the sign-in on X;
- ``oauth_failed``: X refused to confirm the sign-in (bad or reused code, wrong verifier);
- ``x_unavailable``: X did not answer; try again later;
- ``invalid_account``, ``unknown_account``, ``provider_unavailable``, ``account_claimed``: the
  same for any other provider (the message names it: pass `provider=` its display name).
"""

from django.utils.translation import gettext as _

from flattr.errors import FlattrError, default_message


def twitter_message(code: str, provider: str = "") -> str:
    """Return the plain-words sentence for a code, in the active language (naming `provider`
    when given; X's own messages otherwise)."""
    named = {"provider": provider}
    if provider and code in PROVIDER_MESSAGES:
        return PROVIDER_MESSAGES[code]() % named
    messages = {
        "invalid_account": _("That is not an account name on %(provider)s.") % named,
        "invalid_instance": _(
            "That is not a %(provider)s server we can sign in with: write its address, e.g. "
            "mastodon.social."
        )
        % named,
        "unknown_account": _("There is no account with that name on %(provider)s.") % named,
        "provider_unavailable": _(
            "%(provider)s is not answering right now. Nothing was changed; please try again later."
        )
        % named,
        "provider_user_has_account": _(
            "Your Flattr account is already linked to a different account on %(provider)s."
        )
        % named,
        "signin_ambiguous": _(
            "The %(provider)s pages you manage are connected to more than one Flattr account. "
            "Log in with your username or email instead."
        )
        % named,
        "invalid_handle": _(
            "That is not a Twitter/X handle: use 1 to 15 letters, digits or underscores."
        ),
        "unknown_handle": _("There is no Twitter/X account with that handle."),
        "opted_out": _("The owner of this Twitter/X account has asked not to be flattred."),
        "already_claimed": _(
            "This Twitter/X account has already been claimed by another Flattr user. If that "
            "was not you, contact us."
        ),
        "user_has_account": _(
            "Your Flattr account is already linked to a different Twitter/X account."
        ),
        "linked_elsewhere": _(
            "That Twitter/X account is linked to another Flattr account. Log out and sign in "
            "with Twitter to use that account."
        ),
        "oauth_state": _("This sign-in link has expired or was already used. Please start again."),
        "oauth_denied": _("You cancelled the sign-in on Twitter/X. Nothing was changed."),
        "oauth_failed": _(
            "Twitter/X could not confirm the sign-in. Nothing was changed; please start again."
        ),
        "x_unavailable": _(
            "Twitter/X is not answering right now. Nothing was changed; please try again later."
        ),
    }
    return messages.get(code) or default_message(code)


PROVIDER_MESSAGES = {
    "oauth_denied": lambda: _("You cancelled the sign-in on %(provider)s. Nothing was changed."),
    "oauth_failed": lambda: _(
        "%(provider)s could not confirm the sign-in. Nothing was changed; please start again."
    ),
    "already_claimed": lambda: _(
        "This %(provider)s account has already been claimed by another Flattr user. If that "
        "was not you, contact us."
    ),
    "not_manager": lambda: _(
        "The %(provider)s account you signed in with does not manage this page. Nothing was "
        "changed."
    ),
}


class TwitterError(FlattrError):
    def __init__(self, code: str, message: str = "", *, provider: str = "") -> None:
        super().__init__(code, message or twitter_message(code, provider))
