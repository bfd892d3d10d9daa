"""The site frame, security headers, languages and error pages, seen through HTTP."""

import pytest
from django.conf import settings
from django.template.loader import render_to_string
from django.urls import reverse

from tests.factories import make_user

pytestmark = pytest.mark.django_db


def test_the_home_page_is_in_english_by_default(client):
    response = client.get(reverse("home"))

    assert response.status_code == 200
    html = response.content.decode()
    assert '<html lang="en">' in html
    assert "Support what you love, with one click." in html


def test_switching_to_german_shows_the_home_page_in_german(client):
    response = client.post(reverse("set_language"), {"language": "de", "next": "/"}, follow=True)

    html = response.content.decode()
    assert response.redirect_chain[-1][0] == "/"
    assert '<html lang="de">' in html
    assert "Unterstütze, was du liebst – mit einem Klick." in html
    assert "Support what you love" not in html
    assert ">Anmelden</a>" in html
    assert "Wir behalten eine Gebühr von 10 % ein." in html


def test_the_language_switch_is_a_form_that_works_without_javascript(client):
    html = client.get(reverse("home")).content.decode()

    assert f'action="{reverse("set_language")}" method="post"' in html
    assert '<label for="language-select">' in html
    assert '<option value="de">' in html or '<option value="de" ' in html


def test_a_browser_asking_for_german_gets_german(client):
    html = client.get(reverse("home"), headers={"accept-language": "de-DE,de;q=0.9"}).content

    assert "Unterstütze, was du liebst".encode() in html


@pytest.mark.parametrize("url_name", ["home", "account_login", "account_signup"])
def test_pages_forbid_framing_and_inline_scripts(client, url_name):
    response = client.get(reverse(url_name))

    policy = response.headers["Content-Security-Policy"]
    directives = dict(
        (part.split()[0], part.split()[1:]) for part in policy.split(";") if part.strip()
    )
    assert directives["frame-ancestors"] == ["'none'"]
    assert "'unsafe-inline'" not in policy
    assert "'unsafe-eval'" not in policy
    assert directives["script-src"][0] == "'self'"
    assert all(source.startswith("'nonce-") for source in directives["script-src"][1:])
    assert response.headers["X-Frame-Options"] == "DENY"
    assert response.headers["X-Content-Type-Options"] == "nosniff"


def test_templates_carry_no_inline_script_or_style(client):
    pages = [reverse("home"), reverse("account_login"), reverse("account_signup")]

    for url in pages:
        html = client.get(url).content.decode()
        assert "<style" not in html, url
        assert " style=" not in html, url
        assert " onclick=" not in html and " onchange=" not in html, url
        for chunk in html.split("<script")[1:]:
            tag = chunk.split(">", 1)[0]
            assert "src=" in tag or 'type="application/json"' in tag or "nonce=" in tag, url


def test_the_health_check_answers_ok_without_caching(client):
    response = client.get(reverse("healthz"))

    assert response.status_code == 200
    assert response.json() == {"status": "ok"}
    assert "no-cache" in response.headers["Cache-Control"]


def test_an_unknown_address_gets_the_site_404_page(client):
    response = client.get("/no/such/page/")

    assert response.status_code == 404
    html = response.content.decode()
    assert "Page not found" in html
    assert 'class="site-header"' in html


def test_the_500_page_renders_without_a_request():
    html = render_to_string("500.html")

    assert "Something went wrong" in html
    assert 'href="/"' in html


def test_the_navigation_changes_with_the_login(client):
    anonymous = client.get(reverse("home")).content.decode()
    client.force_login(make_user(username="anna", display_name="Anna Donor", is_staff=True))
    member = client.get(reverse("home")).content.decode()

    assert f'href="{reverse("account_signup")}"' in anonymous
    assert f'href="{reverse("dashboard")}"' not in anonymous
    assert f'href="{reverse("dashboard")}"' in member
    assert "Anna Donor" in member
    assert f'href="{reverse("admin:index")}"' in member


def test_messages_are_shown_in_the_frame(client):
    make_user(username="anna")
    response = client.post(
        reverse("account_login"),
        {"login": "anna", "password": "correct horse battery staple 42"},
        follow=True,
    )

    html = response.content.decode()
    assert '<ul class="messages" role="status">' in html
    assert "Successfully signed in as anna." in html


def test_mail_is_configured_through_mailers_not_the_deprecated_settings():
    assert "default" in settings.MAILERS
    for deprecated in ("EMAIL_BACKEND", "EMAIL_HOST", "EMAIL_PORT", "EMAIL_USE_TLS"):
        assert not settings.is_overridden(deprecated), deprecated


def test_an_account_mail_arrives_in_the_test_outbox_as_text_and_html(mailoutbox):
    from accounts.mail import mail_deliver

    mail_deliver(to=["anna@example.org"], subject="Hello", body="See https://example.org/x")

    assert len(mailoutbox) == 1
    message = mailoutbox[0]
    assert message.body == "See https://example.org/x"
    html, mimetype = message.alternatives[0]
    assert mimetype == "text/html"
    assert '<a href="https://example.org/x"' in html
