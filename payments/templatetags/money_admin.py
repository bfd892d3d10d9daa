"""`{% money_admin_panel %}`: the money figures and ledger check on the admin home page."""

from django import template

from payments.ledger_watch import ledger_check_last, ledger_check_run
from payments.payout_queue import payout_queue
from payments.selectors import money_summary

register = template.Library()


@register.inclusion_tag("admin/payments_money_panel.html", takes_context=True)
def money_admin_panel(context) -> dict:
    """The figures, the oldest payouts waiting for approval, and the last whole-books check
    (run now if none is kept: the first view after a deploy or a cache flush)."""
    queue, waiting = payout_queue()
    return {
        "summary": money_summary(),
        "payout_queue": queue,
        "payouts_waiting": waiting,
        "ledger": ledger_check_last() or ledger_check_run(),
        "csrf_token": context.get("csrf_token"),
    }
