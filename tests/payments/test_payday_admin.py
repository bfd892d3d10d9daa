"""The payday admin: the list with stages and totals, a dry-run preview, a confirm that queues."""

import pytest
from django.contrib.auth.models import Permission
from django.urls import reverse
from django.utils import timezone

from payments.models import Payday, Share, Transfer
from payments.payday import payday_run
from tests.factories import make_user
from tests.payments.payday_data import MONTH, make_donor, make_flattr, make_thing

pytestmark = pytest.mark.django_db
PREVIEW = reverse("admin:payments_payday_preview")


@pytest.fixture
def month():
    donor = make_donor(budget=1000, funds=5000)
    for _ in range(7):
        make_flattr(donor, make_thing())
    return donor


@pytest.fixture
def admin_client(client):
    client.force_login(make_user(is_staff=True, is_superuser=True))
    return client


def test_the_list_shows_each_paydays_stage_counts_and_totals(admin_client, month):
    payday_run(month=MONTH)
    response = admin_client.get(reverse("admin:payments_payday_changelist"))
    html = response.content.decode()
    assert response.status_code == 200
    assert "2025-03" in html and "done" in html
    assert "€9.00" in html and "€1.00" in html
    assert PREVIEW in html


def test_the_preview_computes_the_summary_without_writing(admin_client, month):
    response = admin_client.get(PREVIEW, {"month": "2025-03"})
    html = response.content.decode()
    assert response.status_code == 200
    assert 'id="payday-preview"' in html
    assert "€9.00" in html and "€1.00" in html
    assert "Run payday for 2025-03" in html
    assert not Payday.objects.exists() and not Share.objects.exists()


@pytest.mark.parametrize("month_value", ["this-month", "2025-13", "soon"])
def test_the_preview_refuses_open_months_and_nonsense_with_a_form_error(admin_client, month_value):
    if month_value == "this-month":
        month_value = timezone.now().strftime("%Y-%m")
    response = admin_client.get(PREVIEW, {"month": month_value})
    assert response.status_code == 400
    assert 'class="errorlist' in response.content.decode()
    assert not Payday.objects.exists()


def test_confirming_queues_the_run_after_commit(
    admin_client, month, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        response = admin_client.post(PREVIEW, {"month": "2025-03"})
    assert response.status_code == 302
    assert response["Location"] == reverse("admin:payments_payday_changelist")
    assert len(callbacks) >= 1
    assert Payday.objects.get(month=MONTH).stage == "done"
    assert Transfer.objects.filter(kind="share").count() == 7


def test_staff_who_may_view_can_preview_but_not_run(client, month):
    staff = make_user(is_staff=True)
    staff.user_permissions.add(Permission.objects.get(codename="view_payday"))
    client.force_login(staff)
    assert client.get(PREVIEW, {"month": "2025-03"}).status_code == 200
    assert client.post(PREVIEW, {"month": "2025-03"}).status_code == 403
    assert not Payday.objects.exists()


def test_the_self_check_action_reports_a_sound_payday(admin_client, month):
    payday_run(month=MONTH)
    payday = Payday.objects.get()
    response = admin_client.post(
        reverse("admin:payments_payday_changelist"),
        {"action": "self_check", "_selected_action": [payday.pk]},
        follow=True,
    )
    assert "sound." in response.content.decode()


def test_the_preview_refuses_months_before_the_first_flattr_and_before_the_last_payday(
    admin_client, month
):
    before = admin_client.get(PREVIEW, {"month": "2025-02"})
    assert before.status_code == 400
    assert "is before the first flattr (2025-03)" in before.text
    later = make_donor(budget=1000, funds=5000)
    make_flattr(later, make_thing(), month=MONTH.replace(month=5))
    payday_run(month=MONTH.replace(month=5))

    old = admin_client.get(PREVIEW, {"month": "2025-04"})
    queued = admin_client.post(PREVIEW, {"month": "2025-03"})

    assert old.status_code == 400
    assert "older than the last finished payday (2025-05)" in old.text
    assert queued.status_code == 302 and not Payday.objects.filter(month=MONTH).exists()
    assert admin_client.get(PREVIEW, {"month": "2025-05"}).status_code == 200
