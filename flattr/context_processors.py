"""Template context shared by every page."""

from django.conf import settings
from django.http import HttpRequest


def site(request: HttpRequest) -> dict:
    """Expose the few settings templates need (currency, fee, site URL)."""
    return {
        "SITE_URL": settings.SITE_URL,
        "CURRENCY": settings.CURRENCY,
        "CHARITY_NAME": settings.CHARITY_NAME,
        "CHARITY_URL": settings.CHARITY_URL,
        # 1000 basis points shows as "10", 1250 as "12.5" (localized by the template).
        "FEE_PERCENT": settings.FEE_BPS // 100
        if settings.FEE_BPS % 100 == 0
        else settings.FEE_BPS / 100,
    }
