"""Domain errors of flattring, each with a stable code that views and the API turn into words.

The codes are a contract (the REST API returns them as `error`, other apps branch on them):
`flattr_once`, `flattr_owner`, `no_means`, `thing_hidden`, `account_frozen`,
`account_suspended`, `not_found`,
`flattr_closed`, `invalid_url`, plus `thing_exists` and `invalid_parameters` for things.
"""

from django.utils.translation import gettext as _


def default_message(code: str) -> str:
    """Return the plain-words sentence for a code, in the active language."""
    messages = {
        "flattr_once": _("You already flattred this this month."),
        "flattr_owner": _("You cannot flattr your own things."),
        "no_means": _(
            "To flattr, set a monthly budget and add funds to your wallet first. Your budget is "
            "split across everything you flattr this month."
        ),
        "account_frozen": _(
            "Your account is frozen until an open refund or dispute is settled, so you cannot "
            "flattr right now."
        ),
        "account_suspended": _(
            "Your account is suspended, so you cannot flattr. Write to us if you think this is "
            "a mistake."
        ),
        "thing_hidden": _("This thing does not accept flattrs at the moment."),
        "not_found": _("We could not find that."),
        "flattr_closed": _(
            "That month is closed: a flattr can only be removed until the end of its month."
        ),
        "invalid_url": _("That is not a web address we can use."),
        "thing_exists": _("You already submitted this address."),
        "invalid_parameters": _("Some of the details are not valid."),
    }
    return messages.get(code, code)


class FlattrError(Exception):
    """A refused flattr or thing change. `code` is stable; `message` is for people; `field`
    names the input at fault, where there is one (forms show the message beside it)."""

    def __init__(self, code: str, message: str = "", *, field: str | None = None) -> None:
        self.code = code
        self.message = message or default_message(code)
        self.field = field
        super().__init__(f"{code}: {self.message}")
