"""django-allauth hooks: language follows the user, mail goes out through Celery."""

from dataclasses import dataclass
from urllib.parse import urlsplit

from allauth.account.adapter import DefaultAccountAdapter
from allauth.core import context as allauth_context
from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.utils import translation

from accounts.mail import message_send
from accounts.networks import request_network


def language_cookie_set(response: HttpResponse, *, language: str) -> None:
    """Make `language` the browser's language, as Django's set_language view would.

    LocaleMiddleware reads this cookie before Accept-Language.
    """
    response.set_cookie(
        settings.LANGUAGE_COOKIE_NAME,
        language,
        max_age=settings.LANGUAGE_COOKIE_AGE,
        path=settings.LANGUAGE_COOKIE_PATH,
        domain=settings.LANGUAGE_COOKIE_DOMAIN,
        secure=settings.LANGUAGE_COOKIE_SECURE,
        httponly=settings.LANGUAGE_COOKIE_HTTPONLY,
        samesite=settings.LANGUAGE_COOKIE_SAMESITE,
    )


@dataclass(frozen=True)
class SiteIdentity:
    """What allauth's mails call `current_site`: our name and public host, not the Host header."""

    name: str
    domain: str


def site_identity() -> SiteIdentity:
    return SiteIdentity(name=settings.SITE_NAME, domain=urlsplit(settings.SITE_URL).netloc)


class AccountAdapter(DefaultAccountAdapter):
    def save_user(self, request: HttpRequest, user, form, commit: bool = True):
        """Create the user with the language the sign-up page was shown in as their language,
        and the network they signed up from (fraud review groups sign-ups by it)."""
        language = translation.get_language() or settings.LANGUAGE_CODE
        if language in dict(settings.LANGUAGES):
            user.preferred_language = language
        user.signup_network = request_network(request)
        return super().save_user(request, user, form, commit=commit)

    def post_login(self, request: HttpRequest, user, **kwargs) -> HttpResponse:
        """Finish the login, then switch the browser to the language chosen in the profile.

        Setting the cookie (and activating the language for this request, so the "signed in"
        message is in it too) makes every later page come in the user's language, on whatever
        device they log in from.
        """
        if user.preferred_language:
            translation.activate(user.preferred_language)
            request.LANGUAGE_CODE = user.preferred_language
        response = super().post_login(request, user, **kwargs)
        if user.preferred_language:
            language_cookie_set(response, language=user.preferred_language)
        return response

    def send_mail(self, template_prefix: str, email: str, context: dict) -> None:
        """Render the mail now (in the reader's language), deliver it through accounts.mail.

        allauth renders its own templates (its prefixes and context), so only the delivery is
        ours: a Celery task, so a slow or unreachable SMTP server never fails a
        sign-up or a password reset (the worker retries). Eager in development and tests.
        """
        message = self.render_mail(
            template_prefix,
            email,
            {
                "request": allauth_context.request,
                "email": email,
                "current_site": site_identity(),
                **context,
            },
        )
        message_send(message)
