"""`{% money_admin_panel %}`: the money figures and ledger check on the admin home page."""

from django import template

from payments.selectors import money_summary

register = template.Library()


@register.inclusion_tag("admin/payments_money_panel.html")
def money_admin_panel() -> dict:
    return {"summary": money_summary()}
