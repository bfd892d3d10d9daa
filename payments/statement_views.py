"""Statement pages: a donor's monthly "where my money went", a recipient's income."""

from __future__ import annotations

import datetime as dt

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext as _

from payments import statements
from payments.months import month_previous, month_start


def _month_param(request: HttpRequest) -> tuple[dt.date | None, str]:
    """Parse ?month=YYYY-MM; return (month or None, error message or "")."""
    raw = request.GET.get("month", "").strip()
    if not raw:
        return None, ""
    try:
        return dt.date.fromisoformat(f"{raw}-01"), ""
    except ValueError:
        return None, _("“%(value)s” is not a month; use the form YYYY-MM.") % {"value": raw[:20]}


@login_required
def donor_statement(request: HttpRequest) -> HttpResponse:
    """Where the donor's money went in one payday (the newest by default)."""
    month, error = _month_param(request)
    months = statements.statement_months_for_donor(request.user)
    if month is None and months and not error:
        month = months[0]
    statement = statements.statement_for_donor(request.user, month) if month else None
    return render(
        request,
        "payments/statements.html",
        {"months": months, "month": month, "statement": statement, "error": error},
        status=400 if error else 200,
    )


@login_required
def income(request: HttpRequest) -> HttpResponse:
    """The recipient's income: a chart of the last 12 months, per month and per thing."""
    month, error = _month_param(request)
    last = month_previous(month_start())
    by_month = statements.income_by_month(request.user, last=last)
    return render(
        request,
        "payments/income.html",
        {
            "by_month": list(reversed(by_month)),
            "bars": statements.income_chart(by_month),
            "chart": {
                "width": statements.CHART_WIDTH,
                "height": statements.CHART_HEIGHT,
                "baseline": statements.CHART_HEIGHT - statements.CHART_BOTTOM,
                "label_y": statements.CHART_HEIGHT - statements.CHART_BOTTOM + 20,
            },
            "month": month,
            "by_thing": statements.income_by_thing(request.user, month=month),
            "total_cents": statements.income_total(request.user),
            "year_cents": sum(m.cents for m in by_month),
            "error": error,
        },
        status=400 if error else 200,
    )
