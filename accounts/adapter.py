"""django-allauth hooks: the user's preferred language follows them across devices."""

from allauth.account.adapter import DefaultAccountAdapter
from django.conf import settings
from django.http import HttpRequest, HttpResponse


class AccountAdapter(DefaultAccountAdapter):
    def post_login(self, request: HttpRequest, user, **kwargs) -> HttpResponse:
        """Finish the login, then switch the browser to the language chosen in the profile.

        LocaleMiddleware reads the language cookie, so setting it here makes every later page
        come in the user's language, on whatever device they log in from.
        """
        response = super().post_login(request, user, **kwargs)
        if user.preferred_language:
            response.set_cookie(
                settings.LANGUAGE_COOKIE_NAME,
                user.preferred_language,
                max_age=settings.LANGUAGE_COOKIE_AGE,
                samesite="Lax",
            )
        return response
