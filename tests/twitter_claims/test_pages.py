"""Public pages of twitter_claims: the account page, waiting to be claimed, the button hook,
German, and the admin."""

from __future__ import annotations

import datetime as dt

import pytest
from django.contrib.staticfiles import finders
from django.urls import reverse

from tests.factories import make_user
from tests.twitter_claims.journeys import donors_flattr, payday_for
from twitter_claims import services
from twitter_claims.models import PlatformAccount

pytestmark = pytest.mark.django_db

MARCH = dt.date(2025, 3, 1)


@pytest.fixture
def pools(fake_x):
    """@alice holds €27.00 from three donors, @bob €9.00 from one."""
    donors_flattr("alice", count=3)
    donors_flattr("bob", count=1)
    payday_for(MARCH)


def test_the_waiting_page_lists_the_largest_pools_first_with_share_links(client, pools):
    response = client.get(reverse("twitter_claims:waiting"))
    body = response.content.decode()
    assert response.status_code == 200
    assert body.index("@alice") < body.index("@bob")
    assert "€27.00" in body and "€9.00" in body
    assert "https://x.com/intent/tweet?" in body
    assert "€36.00 is held for 2 Twitter/X accounts" in body


def test_claimed_and_opted_out_accounts_leave_the_waiting_page(client, pools):
    alice = PlatformAccount.objects.get(user_id="42")
    services.pool_claim(account_id=alice.pk, user=make_user())
    body = client.get(reverse("twitter_claims:waiting")).content.decode()
    assert "@alice" not in body and "@bob" in body


def test_the_account_page_of_a_handle_nobody_flattred_invites_the_first_flattr(client, fake_x):
    response = client.get("/twitter/newcomer/")
    assert response.status_code == 200
    assert "Nobody has flattred @newcomer yet" in response.content.decode()
    assert not PlatformAccount.objects.exists()  # a page view never asks X or writes


def test_account_urls_are_canonical(client, pools):
    assert client.get("/twitter/@alice/")["Location"] == "/twitter/alice/"
    assert client.get("/twitter/ALICE/")["Location"] == "/twitter/alice/"
    assert client.get("/twitter/not-a-handle/").status_code == 404
    assert client.get("/twitter/" + "a" * 16 + "/").status_code == 404


def test_a_claimed_account_page_names_its_owner(client, pools):
    owner = make_user(username="alice_real", display_name="Alice Real")
    alice = PlatformAccount.objects.get(user_id="42")
    services.pool_claim(account_id=alice.pk, user=owner)
    body = client.get("/twitter/alice/").content.decode()
    assert "Alice Real" in body
    assert "Sign in with Twitter to claim" not in body


def test_the_account_page_speaks_german(client, pools):
    client.cookies["django_language"] = "de"
    body = client.get("/twitter/alice/").content.decode()
    assert "27,00\u00a0€" in body
    assert "Mit Twitter anmelden und abholen" in body


def test_the_button_hook_and_its_count_are_served(client, pools):
    assert finders.find("js/twitter_button.js")
    response = client.get(reverse("twitter_claims:count", args=["alice"]))
    assert response.json() == {"handle": "alice", "count": 3}
    assert response["Access-Control-Allow-Origin"] == "*"
    assert "max-age" in response["Cache-Control"]
    assert client.get("/twitter/nobody/count.json").json()["count"] == 0


def test_the_dashboard_form_include_posts_to_the_flattr_view(rf, fake_x):
    from django.template.loader import render_to_string

    request = rf.get("/dashboard/")
    request.user = make_user()
    html = render_to_string("twitter_claims/flattr_handle_form.html", request=request)
    assert f'action="{reverse("twitter_claims:flattr")}"' in html
    assert 'name="handle"' in html and 'name="next" value="/dashboard/"' in html


def test_the_flattr_form_sends_a_logged_out_visitor_to_log_in(client, fake_x):
    response = client.post(reverse("twitter_claims:flattr"), {"handle": "alice"})
    assert response.status_code == 302
    assert reverse("account_login") in response["Location"]


def test_the_flattr_form_does_not_redirect_off_site(client, fake_x):
    client.force_login(make_user())
    response = client.post(
        reverse("twitter_claims:flattr"), {"handle": "!!", "next": "https://evil.example/"}
    )
    assert response["Location"] == reverse("twitter_claims:waiting")


def test_the_admin_lists_accounts_history_and_pending_handles(admin_client, pools):
    for name in ("platformaccount", "handlehistory", "pendinghandle", "ownernotice"):
        response = admin_client.get(reverse(f"admin:twitter_claims_{name}_changelist"))
        assert response.status_code == 200, name
    listing = admin_client.get(reverse("admin:twitter_claims_platformaccount_changelist"))
    assert "€27.00" in listing.content.decode()
    alice = PlatformAccount.objects.get(user_id="42")
    detail = admin_client.get(
        reverse("admin:twitter_claims_platformaccount_change", args=[alice.pk])
    )
    assert detail.status_code == 200


def test_every_twitter_page_refuses_to_be_framed(client, pools):
    for url in ["/twitter/", "/twitter/alice/", "/twitter/opt-out/"]:
        response = client.get(url)
        assert "frame-ancestors 'none'" in response["Content-Security-Policy"], url


def test_pages_with_a_sign_in_form_may_send_it_to_x_and_nowhere_else(client, pools, fake_x):
    # The start view redirects the form's POST to X; browsers check that against form-action.
    for url in ["/twitter/alice/", "/twitter/opt-out/"]:
        policy = client.get(url)["Content-Security-Policy"]
        form_action = next(p for p in policy.split(";") if "form-action" in p)
        assert form_action.split() == ["form-action", "'self'", fake_x.base]
    policy = client.get("/twitter/")["Content-Security-Policy"]
    assert fake_x.base not in policy


def test_the_dashboard_flattrs_a_twitter_account_and_settings_link_to_connect_one(client, fake_x):
    from tests.twitter_claims.journeys import make_donor

    donor = make_donor(budget=1000, funds=5000)
    client.force_login(donor)
    dashboard = client.get(reverse("dashboard")).content.decode()
    assert f'action="{reverse("twitter_claims:flattr")}"' in dashboard
    response = client.post(
        reverse("twitter_claims:flattr"), {"handle": "@alice", "next": "/dashboard/"}, follow=True
    )
    assert response.redirect_chain[-1][0] == "/dashboard/"
    assert "You flattred @alice" in response.content.decode()
    assert PlatformAccount.objects.get(user_id="42").thing.flattrs.get().donor == donor

    settings_page = client.get(reverse("account_settings")).content.decode()
    assert f'href="{reverse("twitter_claims:connected")}"' in settings_page


def test_the_account_page_opened_by_a_button_keeps_its_opener(client, pools):
    assert client.get("/twitter/alice/")["Cross-Origin-Opener-Policy"] != "unsafe-none"
    from_button = client.get("/twitter/alice/?from=button")
    assert from_button["Cross-Origin-Opener-Policy"] == "unsafe-none"
