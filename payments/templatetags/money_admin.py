"""`{% money_admin_panel %}`: the money figures and ledger check on the admin home page."""

from django import template

from payments.ledger_watch import ledger_check_last, ledger_check_run
from payments.selectors import money_summary

register = template.Library()


@register.inclusion_tag("admin/payments_money_panel.html", takes_context=True)
def money_admin_panel(context) -> dict:
    """The figures, and the last whole-books check (run now if none is kept: the first view
    after a deploy or a cache flush)."""
    return {
        "summary": money_summary(),
        "ledger": ledger_check_last() or ledger_check_run(),
        "csrf_token": context.get("csrf_token"),
    }
