"""The public transparency page and its CSV and JSON downloads."""

from __future__ import annotations

import csv

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_GET

from payments.transparency import (
    CHART_HEIGHT,
    CHART_SERIES,
    CHART_WIDTH,
    FIGURES,
    transparency_chart,
    transparency_months,
    transparency_totals,
)


@require_GET
def transparency(request: HttpRequest) -> HttpResponse:
    months = transparency_months()
    last = timezone.now().date().replace(day=1)
    return render(
        request,
        "payments/transparency.html",
        {
            "months": months,
            "totals": transparency_totals(months),
            "chart": transparency_chart(months, last=last),
            "chart_series": CHART_SERIES,
            "chart_width": CHART_WIDTH,
            "chart_height": CHART_HEIGHT,
        },
    )


@require_GET
def transparency_csv(request: HttpRequest) -> HttpResponse:
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = 'attachment; filename="flattr-transparency.csv"'
    writer = csv.writer(response)
    writer.writerow(["month", *(f"{name}_cents" for name in FIGURES)])
    for month in transparency_months():
        writer.writerow([month.month.strftime("%Y-%m"), *(getattr(month, n) for n in FIGURES)])
    return response


@require_GET
def transparency_json(request: HttpRequest) -> JsonResponse:
    months = transparency_months()
    return JsonResponse(
        {
            "currency": _currency(),
            "unit": "cents",
            "months": [
                {"month": m.month.strftime("%Y-%m"), **{n: getattr(m, n) for n in FIGURES}}
                for m in months
            ],
            "totals": transparency_totals(months),
        }
    )


def _currency() -> str:
    from django.conf import settings

    return settings.CURRENCY
