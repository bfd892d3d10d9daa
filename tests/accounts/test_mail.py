"""accounts.mail: one way to build a person's mail (their language, text and HTML) and to send
it only once the change it reports has committed."""

import datetime as dt

import pytest
from django.conf import settings
from django.db import transaction
from django.urls import reverse

from accounts.mail import mail_build, mail_queue
from payments.templatetags.money import NBSP
from tests.factories import make_user

pytestmark = pytest.mark.django_db

PAYDAY_MAIL = "payments/email/payday_threshold"


def _payday_context(**extra):
    return {
        "month": dt.date(2026, 3, 1),
        "before_cents": 0,
        "after_cents": 1250,
        "received_cents": 1250,
        "threshold_cents": 1000,
        "can_payout": True,
        "income_url": "https://flattr.example/payments/income/",
        **extra,
    }


def test_a_german_user_gets_the_mail_in_german_as_text_and_html():
    user = make_user(email="greta@example.org", preferred_language="de")

    message = mail_build(user=user, template_prefix=PAYDAY_MAIL, context=_payday_context())

    assert message.to == ["greta@example.org"]
    # One line, and the no-break space between amount and symbol survives.
    assert message.subject == f"Deine Flattr-Einnahmen haben 12,50{NBSP}€ erreicht"
    assert "\n" not in message.subject
    assert "Hallo" in message.body
    assert "März 2026" in message.body
    html, mimetype = message.alternatives[0]
    assert mimetype == "text/html"
    assert '<html lang="de">' in html
    assert "Deine Einnahmen ansehen" in html


def test_an_english_user_gets_english_and_the_settings_url_in_the_context():
    user = make_user(email="eve@example.org", preferred_language="en")

    message = mail_build(user=user, template_prefix=PAYDAY_MAIL, context=_payday_context())

    assert message.subject == "Your Flattr earnings reached €12.50"
    html = message.alternatives[0][0]
    assert f'href="{settings.SITE_URL}{reverse("account_settings")}"' in html


def test_a_queued_mail_goes_out_only_after_commit(mailoutbox, django_capture_on_commit_callbacks):
    user = make_user(email="anna@example.org")

    with django_capture_on_commit_callbacks(execute=True), transaction.atomic():
        mail_queue(user=user, template_prefix=PAYDAY_MAIL, context=_payday_context())
        assert mailoutbox == []

    assert [m.to for m in mailoutbox] == [["anna@example.org"]]
    assert mailoutbox[0].alternatives[0][1] == "text/html"


def test_nothing_is_sent_when_the_transaction_rolls_back(
    mailoutbox, django_capture_on_commit_callbacks
):
    user = make_user(email="anna@example.org")

    with (
        django_capture_on_commit_callbacks(execute=True) as callbacks,
        pytest.raises(RuntimeError),
        transaction.atomic(),
    ):
        mail_queue(user=user, template_prefix=PAYDAY_MAIL, context=_payday_context())
        raise RuntimeError("the change failed")

    assert callbacks == []
    assert mailoutbox == []
