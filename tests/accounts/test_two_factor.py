"""Optional TOTP two-factor authentication (allauth.mfa) with recovery codes."""

import time

import pytest
from allauth.mfa import app_settings as mfa_settings
from allauth.mfa.models import Authenticator
from allauth.mfa.totp.internal.auth import SECRET_SESSION_KEY, format_hotp_value, hotp_value
from django.urls import reverse

from tests.accounts.flows import last_mail_to, log_in, logged_in_user_id
from tests.factories import PASSWORD, make_user

pytestmark = pytest.mark.django_db


def current_code(secret: str) -> str:
    """Compute the code an authenticator app would show now for `secret`."""
    return format_hotp_value(hotp_value(secret, int(time.time()) // mfa_settings.TOTP_PERIOD))


def open_activation_page(client, user):
    """Log in, confirm the password again (2FA changes ask for it), open the activation page."""
    log_in(client, login=user.username)
    first = client.get(reverse("mfa_activate_totp"))
    assert first.status_code == 302
    assert first.url.startswith(reverse("account_reauthenticate"))
    confirmed = client.post(first.url, {"password": PASSWORD})
    assert confirmed.status_code == 302
    return client.get(reverse("mfa_activate_totp"))


def enrol(client, user) -> str:
    """Activate TOTP through the pages and return the secret the page offered."""
    page = open_activation_page(client, user)
    assert page.status_code == 200
    secret = client.session[SECRET_SESSION_KEY]
    assert secret in page.content.decode(), "the secret is shown for manual entry"
    response = client.post(reverse("mfa_activate_totp"), {"code": current_code(secret)})
    assert response.status_code == 302
    return secret


def test_enrolling_needs_a_correct_code_from_the_app(client):
    user = make_user(username="anna")
    open_activation_page(client, user)

    response = client.post(reverse("mfa_activate_totp"), {"code": "000000"})

    assert response.status_code == 200
    assert 'id="id_code_error"' in response.content.decode()
    assert not Authenticator.objects.filter(user=user).exists()


def test_enrolling_activates_totp_creates_recovery_codes_and_tells_the_owner(
    client, django_capture_on_commit_callbacks
):
    user = make_user(username="anna", email="anna@example.org")

    with django_capture_on_commit_callbacks(execute=True):
        enrol(client, user)

    types = set(Authenticator.objects.filter(user=user).values_list("type", flat=True))
    assert types == {Authenticator.Type.TOTP, Authenticator.Type.RECOVERY_CODES}
    codes = Authenticator.objects.get(user=user, type=Authenticator.Type.RECOVERY_CODES)
    assert len(codes.wrap().get_unused_codes()) == mfa_settings.RECOVERY_CODE_COUNT
    assert "authenticator" in last_mail_to("anna@example.org").subject.lower()
    index = client.get(reverse("mfa_index")).content.decode()
    assert reverse("mfa_deactivate_totp") in index


def test_after_enrolling_a_password_alone_does_not_log_in(client):
    user = make_user(username="anna")
    enrol(client, user)
    client.post(reverse("account_logout"))

    response = log_in(client, login="anna")

    assert response.status_code == 302
    assert response.url == reverse("mfa_authenticate")
    assert logged_in_user_id(client) is None
    assert client.get(reverse("dashboard")).status_code == 302
    wrong = client.post(reverse("mfa_authenticate"), {"code": "000000"})
    assert wrong.status_code == 200
    assert logged_in_user_id(client) is None


def test_after_enrolling_the_password_and_the_current_code_log_in(client):
    user = make_user(username="anna")
    secret = enrol(client, user)
    client.post(reverse("account_logout"))

    log_in(client, login="anna")
    response = client.post(reverse("mfa_authenticate"), {"code": current_code(secret)})

    assert response.status_code == 302
    assert response.url == reverse("dashboard")
    assert logged_in_user_id(client) == str(user.pk)


def test_a_recovery_code_logs_in_once(client):
    user = make_user(username="anna")
    enrol(client, user)
    recovery = Authenticator.objects.get(user=user, type=Authenticator.Type.RECOVERY_CODES)
    code = recovery.wrap().get_unused_codes()[0]
    client.post(reverse("account_logout"))

    log_in(client, login="anna")
    client.post(reverse("mfa_authenticate"), {"code": code})
    assert logged_in_user_id(client) == str(user.pk)
    client.post(reverse("account_logout"))

    log_in(client, login="anna")
    again = client.post(reverse("mfa_authenticate"), {"code": code})
    assert again.status_code == 200
    assert logged_in_user_id(client) is None
