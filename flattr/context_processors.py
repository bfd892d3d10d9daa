"""Template context shared by every page."""

from django.conf import settings
from django.http import HttpRequest


def site(request: HttpRequest) -> dict:
    """Expose the few settings templates need (currency, fee, site URL)."""
    return {
        "SITE_URL": settings.SITE_URL,
        "CURRENCY": settings.CURRENCY,
        "FEE_PERCENT": settings.FEE_BPS / 100,
    }
