"""The Django admin, with the user admin."""

import pytest
from django.urls import reverse

from tests.factories import make_user

pytestmark = pytest.mark.django_db


def test_a_superuser_sees_the_user_changelist_and_can_search_it(client):
    admin = make_user(username="root", is_staff=True, is_superuser=True)
    make_user(username="anna", display_name="Anna Donor")
    client.force_login(admin)

    page = client.get(reverse("admin:accounts_user_changelist"))
    found = client.get(reverse("admin:accounts_user_changelist"), {"q": "Donor"})

    assert page.status_code == 200
    assert "anna" in page.content.decode()
    assert found.status_code == 200
    assert "anna" in found.content.decode()
    assert "root" not in found.context["cl"].result_list.values_list("username", flat=True)


def test_the_changelist_filters_by_preferred_language(client):
    admin = make_user(username="root", is_staff=True, is_superuser=True)
    make_user(username="hans", preferred_language="de")
    client.force_login(admin)

    page = client.get(reverse("admin:accounts_user_changelist"), {"preferred_language": "de"})

    assert page.status_code == 200
    assert list(page.context["cl"].result_list.values_list("username", flat=True)) == ["hans"]


def test_the_user_change_page_shows_the_profile_fields(client):
    admin = make_user(username="root", is_staff=True, is_superuser=True)
    anna = make_user(username="anna")
    client.force_login(admin)

    page = client.get(reverse("admin:accounts_user_change", args=[anna.pk]))

    assert page.status_code == 200
    for field in ("display_name", "about", "website", "preferred_language"):
        assert f'name="{field}"' in page.content.decode()


def test_a_normal_user_is_kept_out_of_the_admin(client):
    client.force_login(make_user(username="anna"))

    response = client.get(reverse("admin:accounts_user_changelist"))

    assert response.status_code == 302
    assert response.url.startswith(reverse("admin:login"))
