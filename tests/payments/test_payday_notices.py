"""After payday: one email to each recipient whose earnings crossed the threshold, sent by
Celery in batches after commit, recorded so nobody hears twice about the same crossing."""

import datetime as dt

import pytest
from django.core import mail
from django.core.mail.backends.locmem import EmailBackend

from payments import tasks
from payments.models import Payday, PaydayNotice
from payments.payday import notices as payday_module
from payments.payday import payday_notices_send, payday_run
from tests.payments.payday_data import MONTH, make_donor, make_flattr, make_thing

pytestmark = pytest.mark.django_db
APRIL = dt.date(2025, 4, 1)


@pytest.fixture(autouse=True)
def _threshold(settings):
    settings.NOTIFY_THRESHOLD_CENTS = 1000


def publisher_with(earnings: int, **fields):
    user = make_donor(budget=None, earnings=earnings, **fields)
    return user, make_thing(owner=user)


def donate(cents: int, thing, month=MONTH):
    """A donor whose whole budget (cents) goes to `thing` this month: thing gets 90 %."""
    donor = make_donor(budget=cents, funds=cents)
    make_flattr(donor, thing, month=month)
    return donor


def run(month, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        return payday_run(month=month)


def test_crossing_the_threshold_sends_one_email_in_plain_text_and_html(
    django_capture_on_commit_callbacks,
):
    publisher, thing = publisher_with(950)
    donate(100, thing)  # +90: 950 → 1040

    run(MONTH, django_capture_on_commit_callbacks)

    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == [publisher.email]
    assert "€10.40" in message.subject
    assert "€0.90" in message.body and "March 2025" in message.body
    assert "/payments/income/" in message.body
    assert "/accounts/profile/" in message.body  # the settings link
    html, mimetype = message.alternatives[0]
    assert mimetype == "text/html" and "/accounts/profile/" in html
    notice = PaydayNotice.objects.get()
    assert (notice.user, notice.before_cents, notice.after_cents) == (publisher, 950, 1040)
    assert notice.sent_at is not None


def test_a_second_payday_that_does_not_cross_again_sends_nothing(
    django_capture_on_commit_callbacks,
):
    crosser, crossed_thing = publisher_with(950)
    _, climbing_thing = publisher_with(300)
    donate(100, crossed_thing)
    donate(100, climbing_thing)
    run(MONTH, django_capture_on_commit_callbacks)
    assert [m.to for m in mail.outbox] == [[crosser.email]]
    mail.outbox.clear()

    donate(500, crossed_thing, month=APRIL)  # 1040 → 1490: already above
    donate(500, climbing_thing, month=APRIL)  # 390 → 840: still below
    run(APRIL, django_capture_on_commit_callbacks)

    assert mail.outbox == []
    assert PaydayNotice.objects.count() == 1


def test_landing_exactly_on_the_threshold_counts_as_crossing(django_capture_on_commit_callbacks):
    _, thing = publisher_with(910)
    donate(100, thing)  # 910 → 1000
    run(MONTH, django_capture_on_commit_callbacks)
    assert len(mail.outbox) == 1


def test_running_payday_again_sends_no_second_email(django_capture_on_commit_callbacks):
    _, thing = publisher_with(950)
    donate(100, thing)
    run(MONTH, django_capture_on_commit_callbacks)
    run(MONTH, django_capture_on_commit_callbacks)
    payday_notices_send(notice_ids=list(PaydayNotice.objects.values_list("pk", flat=True)))
    assert len(mail.outbox) == 1


def test_users_who_turned_notifications_off_get_no_email(django_capture_on_commit_callbacks):
    _, thing = publisher_with(950, email_notifications=False)
    donate(100, thing)
    run(MONTH, django_capture_on_commit_callbacks)
    assert mail.outbox == []
    assert not PaydayNotice.objects.exists()


def test_held_pools_are_not_emailed_by_payday(django_capture_on_commit_callbacks):
    donate(2000, make_thing(pool_label="@someone"))
    run(MONTH, django_capture_on_commit_callbacks)
    assert mail.outbox == []


def test_notices_go_out_in_batches_one_task_per_batch(
    django_capture_on_commit_callbacks, monkeypatch
):
    monkeypatch.setattr(payday_module, "NOTICE_BATCH_SIZE", 2)
    batches = []
    real_delay = tasks.payday_notices_send_batch.delay

    def recording_delay(**kwargs):
        batches.append(kwargs["notice_ids"])
        return real_delay(**kwargs)

    monkeypatch.setattr(tasks.payday_notices_send_batch, "delay", recording_delay)
    for _ in range(5):
        _, thing = publisher_with(950)
        donate(100, thing)

    run(MONTH, django_capture_on_commit_callbacks)

    assert [len(batch) for batch in batches] == [2, 2, 1]
    assert len(mail.outbox) == 5


def test_a_mail_server_failure_releases_the_unsent_notices_for_the_retry(
    django_capture_on_commit_callbacks, monkeypatch
):
    for _ in range(3):
        _, thing = publisher_with(950)
        donate(100, thing)
    monkeypatch.setattr(payday_module, "payday_notices_enqueue", lambda **kwargs: 0)
    run(MONTH, django_capture_on_commit_callbacks)
    ids = list(PaydayNotice.objects.order_by("pk").values_list("pk", flat=True))
    real_send = EmailBackend.send_messages
    sent = []

    def flaky(self, messages):
        if sent:
            raise ConnectionRefusedError("mail server down")
        sent.append(messages)
        return real_send(self, messages)

    monkeypatch.setattr(EmailBackend, "send_messages", flaky)
    with pytest.raises(ConnectionRefusedError):
        payday_notices_send(notice_ids=ids)
    assert (
        list(PaydayNotice.objects.filter(sent_at__isnull=True).values_list("pk", flat=True))
        == (ids[1:])
    )

    monkeypatch.setattr(EmailBackend, "send_messages", real_send)
    assert payday_notices_send(notice_ids=ids) == 2
    assert len(mail.outbox) == 3
    assert len({m.to[0] for m in mail.outbox}) == 3


def test_a_payday_killed_after_recording_notices_emails_them_on_rerun(
    django_capture_on_commit_callbacks,
):
    _, thing = publisher_with(950)
    donate(100, thing)

    class Killed(Exception):
        pass

    def kill_after_notices(step):
        if step.stage == "notified":
            raise Killed

    # Killed before the after-commit enqueue ran: the notices are recorded, nothing is sent.
    with pytest.raises(Killed):
        payday_run(month=MONTH, progress=kill_after_notices)
    assert Payday.objects.get().stage == "notified"
    assert mail.outbox == []

    run(MONTH, django_capture_on_commit_callbacks)

    assert len(mail.outbox) == 1
    assert Payday.objects.get().stage == "done"


def test_the_email_is_in_the_recipients_language(django_capture_on_commit_callbacks):
    _, thing = publisher_with(950, preferred_language="de")
    donate(100, thing)
    run(MONTH, django_capture_on_commit_callbacks)
    message = mail.outbox[0]
    assert "10,40\u00a0€" in message.subject
    assert "Einnahmen" in message.subject


def test_plain_text_is_not_html_escaped_and_the_payout_hint_follows_the_minimum(
    django_capture_on_commit_callbacks, settings
):
    settings.PAYOUT_MINIMUM_CENTS = 2000
    _, below = publisher_with(950, display_name="Tom & Jerry")
    _, above = publisher_with(1950)
    settings.NOTIFY_THRESHOLD_CENTS = 1000
    donate(100, below)  # 950 → 1040: crosses, but below the payout minimum
    run(MONTH, django_capture_on_commit_callbacks)
    settings.NOTIFY_THRESHOLD_CENTS = 2000
    donate(100, above, month=APRIL)  # 1950 → 2040
    run(APRIL, django_capture_on_commit_callbacks)

    first, second = mail.outbox
    assert "Hello Tom & Jerry," in first.body
    assert "Tom &amp; Jerry" in first.alternatives[0][0]
    assert "request a payout" not in first.body
    assert "That is enough to request a payout." in second.body


def test_a_recipient_who_also_spends_earnings_is_judged_on_both_moves(
    django_capture_on_commit_callbacks,
):
    """Payday moves earnings both ways: shares in, earnings_spent out. `before` is the balance
    before both, so a spender who crossed is told with the right figures, and one who was at
    the threshold already is not told (counting only the shares in would say both crossed)."""
    crosser = make_donor(budget=100, earnings=900, use_earnings=True)
    make_flattr(crosser, make_thing())  # spends 100 of its earnings
    donate(300, make_thing(owner=crosser))  # receives 270: 900 → 1070
    stayer = make_donor(budget=100, earnings=1000, use_earnings=True)
    make_flattr(stayer, make_thing())  # spends 100
    donate(300, make_thing(owner=stayer))  # receives 270: 1000 → 1170, was never below

    run(MONTH, django_capture_on_commit_callbacks)

    notice = PaydayNotice.objects.get()
    assert (notice.user, notice.before_cents, notice.after_cents) == (crosser, 900, 1070)
    assert [m.to for m in mail.outbox] == [[crosser.email]]
