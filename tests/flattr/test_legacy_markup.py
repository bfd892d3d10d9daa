"""Flattr's old addresses and markup: loader paths, /api/flattr.js, the static images, titles
made from URLs, old Flattr ids, the 2016 widget path and the migration page's checker."""

import importlib.util
import re
import struct
from pathlib import Path

import pytest
from django.conf import settings
from django.urls import reverse

from flattr.models import Flattr, LegacyFlattrId, Thing
from flattr.services import flattr_add, thing_update
from flattr.titles import title_for_link, title_from_url
from tests.factories import make_user

pytestmark = pytest.mark.django_db

CORPUS = Path(__file__).resolve().parent.parent / "e2e" / "corpus"
OLD_IMAGES = {
    "flattr-badge-large.png": (93, 20),
    "button-static-50x60.png": (50, 60),
    "button-compact-static-100x17.png": (100, 17),
}


def png_size(body: bytes) -> tuple[int, int]:
    assert body[:8] == b"\x89PNG\r\n\x1a\n" and body[12:16] == b"IHDR"
    return struct.unpack(">II", body[16:24])


@pytest.mark.parametrize(
    "path", ["/js/0.5.0/load.js", "/js/0.5/load.js", "/js/0.6/load.js", "/js/load.js"]
)
def test_the_loader_answers_at_every_historical_path(client, path):
    response = client.get(path, {"mode": "auto", "uid": "pat"})
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/javascript")
    assert "max-age=86400" in response["Cache-Control"]
    body = response.content.decode()
    assert "FlattrLoader" in body and "rev" in body and "html5-key-prefix" in body


def test_the_2010_script_variable_button_is_served_at_api_flattr_js(client):
    response = client.get("/api/flattr.js")
    assert response.status_code == 200
    body = response.content.decode()
    assert "flattr_uid" in body and "flattr_tle" in body and "FlattrLoader" in body
    assert client.get("/api/flattr.js", HTTP_IF_NONE_MATCH=response["ETag"]).status_code == 304


@pytest.mark.parametrize("prefix", ["/button/", "/"])
@pytest.mark.parametrize(("name", "size"), list(OLD_IMAGES.items()))
def test_every_old_image_path_answers_a_light_png_of_the_right_size(client, prefix, name, size):
    response = client.get(prefix + name)
    assert response.status_code == 200
    assert response["Content-Type"] == "image/png"
    body = response.content
    assert png_size(body) == size
    assert len(body) < 2048
    assert "max-age=31536000" in response["Cache-Control"]
    assert "public" in response["Cache-Control"]
    assert response["Cross-Origin-Resource-Policy"] == "cross-origin"
    assert client.get(prefix + name, HTTP_IF_NONE_MATCH=response["ETag"]).status_code == 304


def test_an_unknown_image_name_is_not_found(client):
    assert client.get("/button/flattr-badge-huge.png").status_code == 404


def test_the_committed_pngs_are_exactly_what_the_build_script_makes():
    spec = importlib.util.spec_from_file_location(
        "build_legacy_badges", settings.BASE_DIR / "bin" / "build_legacy_badges.py"
    )
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    built = module.build()
    assert set(built) == set(OLD_IMAGES)
    for name, data in built.items():
        assert (settings.BASE_DIR / "static" / "legacy" / name).read_bytes() == data, name
        assert png_size(data) == OLD_IMAGES[name]


@pytest.mark.parametrize(
    ("url", "title"),
    [
        ("https://pat.example.org/2014/05/bees-and-honey.html", "Bees and honey – pat.example.org"),
        ("https://github.com/pat/beehive", "Beehive – github.com"),
        ("https://www.example.org/", "example.org"),
        ("https://a.io/", "a.io (web)"),
        ("https://pat.example.org/index.php", "pat.example.org"),
        ("https://pat.example.org/%E2%9C%93_caf%C3%A9", "✓ café – pat.example.org"),
        ("https://pat.example.org/" + "word-" * 60, None),
    ],
)
def test_a_title_is_made_from_the_url_within_flattrs_limits(url, title):
    made = title_from_url(url)
    assert 5 <= len(made) <= 100
    if title is not None:
        assert made == title


def test_short_and_long_link_titles_are_completed_or_shortened_and_marked():
    assert title_for_link("Bees", "https://github.com/pat/bees") == ("Bees – github.com", True)
    long, made = title_for_link("word " * 50, "https://x.org/")
    assert made and len(long) <= 100 and long.endswith("…")
    assert title_for_link("A fine title", "https://x.org/") == ("A fine title", False)
    assert title_for_link("t" * 10_000, "https://x.org/") == ("t" * 10_000, False)  # refused later


def test_an_auto_submit_link_without_a_title_creates_a_thing_marked_for_its_owner(
    client, donor, publisher
):
    params = {"uid": "pat", "url": "https://pat.example.org/2014/bees-and-honey", "language": ""}
    preview = client.get("/submit/auto/", params)
    assert preview.status_code == 200
    assert "Bees and honey – pat.example.org" in preview.content.decode()

    client.force_login(donor)
    client.post("/submit/auto/", params)
    thing = Thing.objects.get()
    assert (thing.title, thing.title_from_url, thing.language) == (
        "Bees and honey – pat.example.org",
        True,
        "en_GB",
    )
    assert Flattr.objects.filter(donor=donor, thing=thing).count() == 1

    client.force_login(publisher)
    assert "title from the address" in client.get(reverse("my_things")).content.decode()
    thing_update(thing=thing, actor=publisher, title="Bees and honey, a field guide")
    thing.refresh_from_db()
    assert not thing.title_from_url


@pytest.mark.parametrize(
    ("language", "stored"),
    [
        ("", "en_GB"),
        ("de", "de_DE"),
        ("DE", "de_DE"),
        ("de-de", "de_DE"),
        ("de_DE", "de_DE"),
        ("en_US", "en_GB"),
        ("nb", "no_NO"),
        ("he", "iw_IL"),
        ("eo", "en_GB"),  # well formed, never one of Flattr's: the default, not a broken link
    ],
)
def test_auto_submit_takes_empty_or_two_letter_languages(
    client, donor, publisher, language, stored
):
    client.force_login(donor)
    params = {"uid": "pat", "url": "https://pat.example.org/x", "title": "X marks it"}
    client.post("/submit/auto/", {**params, "language": language})
    assert Thing.objects.get().language == stored


def test_a_button_without_a_title_confirms_and_creates_the_thing(client, donor, publisher):
    html = client.get(
        "/button/view/", {"uid": "pat", "url": "https://pat.example.org/untitled"}
    ).content.decode()
    confirm = re.search(r'href="(/flattr/confirm/\?[^"]+)"', html).group(1).replace("&amp;", "&")
    client.force_login(donor)
    response = client.post(confirm)
    assert response.status_code == 302
    thing = Thing.objects.get()
    assert thing.title == "Untitled – pat.example.org" and thing.title_from_url


def test_a_numeric_flattr_uid_resolves_to_the_user_an_admin_mapped_it_to(
    client, publisher, donor, django_assert_num_queries, django_capture_on_commit_callbacks
):
    LegacyFlattrId.objects.create(value="23746", user=publisher)
    thing = Thing.objects.create(
        owner=publisher, payee=_earnings(publisher), url="https://pat.example.org/a", title="A post"
    )
    params = {"uid": "23746", "url": thing.url}
    response = client.get("/button/view/", params)
    html = response.content.decode()
    assert response.status_code == 200
    assert 'data-uid="pat"' in html and f"/flattr/confirm/?thing={thing.pk}" in html
    with django_assert_num_queries(0):
        assert client.get("/button/count.json", params).json()["count"] == 0
    with django_capture_on_commit_callbacks(execute=True):
        flattr_add(donor=donor, thing=thing)
    assert client.get("/button/count.json", params).json()["count"] == 1
    assert client.get("/button/view/", {"uid": "99999", "url": thing.url}).status_code == 404


def test_an_old_id_works_in_auto_submit_links_and_the_2016_widget_path(client, publisher, donor):
    LegacyFlattrId.objects.create(value="Q1w2E3", kind="fid", user=publisher)
    response = client.get("/view/", {"fid": "q1w2e3", "url": "https://pat.example.org/b"})
    assert response.status_code == 200
    assert "user_id=pat" in response.content.decode()
    client.force_login(donor)
    client.post("/submit/auto", {"fid": "Q1W2E3", "url": "https://pat.example.org/b"})
    assert Thing.objects.get().owner == publisher


def test_a_username_wins_over_an_old_id_of_the_same_spelling(client, publisher):
    other = make_user(username="12345")
    LegacyFlattrId.objects.create(value="12345", user=publisher)
    html = client.get("/view/", {"uid": "12345", "url": "https://x.org/"}).content.decode()
    assert f'data-uid="{other.username}"' in html


def test_the_2016_profile_address_goes_to_the_profile(client, publisher):
    response = client.get("/@pat")
    assert response.status_code == 302
    assert response["Location"] == reverse("profile", kwargs={"username": "pat"})


def test_the_migration_page_says_what_to_replace(client):
    response = client.get(reverse("migrate"))
    html = response.content.decode()
    assert response.status_code == 200
    for host in ("api.flattr.com", "button.flattr.com", "flattr.com"):
        assert f"<code>{host}</code>" in html
    assert "testserver" in html


def test_the_checker_says_which_buttons_on_a_pasted_page_will_work(client, publisher):
    page = """
      <a class='FlattrButton' style='display:none' href='http://blog.example.org/p1'
         rev='flattr;button:compact;uid:pat;category:text;'>Bees</a>
      <a class="FlattrButton" href="http://blog.example.org/p2" rel="flattr;uid:ghost;">x</a>
      <script src="//testserver/js/0.6/load.js?mode=auto"></script>
      <a href="https://flattr.com/submit/auto?user_id=pat&amp;url=https://github.com/pat/a">
        <img src="https://api.flattr.com/button/flattr-badge-large.png" alt=""></a>
    """
    response = client.post(reverse("migrate"), {"html": page})
    assert response.status_code == 200
    findings = response.context["report"].findings
    verdicts = {(f.kind, f.uid): f.works for f in findings}
    assert verdicts[("Button (FlattrButton link)", "pat")] is True
    assert verdicts[("Button (FlattrButton link)", "ghost")] is False
    broken = next(f for f in findings if f.kind == "Auto-submit link")
    assert any("flattr.com" in problem for problem in broken.problems)
    assert response.context["report"].flattr_hosts == ["api.flattr.com", "flattr.com"]
    assert "1 of 4 Flattr buttons and links will work" in response.content.decode()


@pytest.mark.parametrize(
    "html",
    [
        "",
        "x" * 600_000,
    ],
)
def test_the_checker_refuses_empty_or_huge_pastes_with_a_message(client, html):
    response = client.post(reverse("migrate"), {"html": html})
    assert response.status_code == 400
    assert response.context["error"]


@pytest.mark.parametrize(
    "html",
    [
        "<a class='FlattrButton' rel='flattr;uid:" + "x" * 5000 + ";'>",
        "<a class=FlattrButton href='javascript:alert(1)' rel='flattr;uid:pat;'>",
        "<script>var flattr_uid = 'pat';</script><script src=/api/flattr.js></script>",
        "<![CDATA[<a class='FlattrButton' <<<>>> rel='flattr;;;::'",
        "https://flattr.com/submit/auto?user_id=%00&url=%ZZ",
        "<iframe src='//testserver/button/view/?uid=pat&url=data:text/html,hi'></iframe>",
    ],
)
def test_the_checker_survives_hostile_markup(client, publisher, html):
    response = client.post(reverse("migrate"), {"html": html})
    assert response.status_code == 200
    assert "<script>alert" not in response.content.decode()


def test_the_checker_passes_every_page_of_the_corpus_once_hosts_are_replaced(client):
    """The corpus the browser tests render: after the search and replace the checker, too,
    says every button in it works (owners as the browser test sets them up)."""
    owner = make_user(username="pat")
    LegacyFlattrId.objects.create(value="23746", user=owner)
    LegacyFlattrId.objects.create(value="j5ox7k", kind="fid", user=owner)
    for path in sorted(CORPUS.glob("*.html")):
        html = path.read_text()
        for host in ("api.flattr.com", "button.flattr.com", "flattr.com"):
            html = html.replace(host, "testserver")
        report = client.post(reverse("migrate"), {"html": html}).context["report"]
        assert report.findings, path.name
        broken = [(f.kind, f.problems) for f in report.findings if not f.works]
        assert not broken, (path.name, broken)


def _earnings(user):
    from payments.services import user_account

    return user_account(user, "earnings")


def test_the_checker_looks_each_owner_and_address_up_once(
    client, publisher, django_assert_max_num_queries
):
    anchor = "<a class='FlattrButton' href='https://pat.example.org/a' rev='flattr;uid:pat;'>x</a>"
    page = anchor * 50 + "<script src='//testserver/js/load.js'></script>"
    with django_assert_max_num_queries(6):  # session and user, then one owner + thing look-up
        response = client.post(reverse("migrate"), {"html": page})
    assert response.context["report"].working == 50


@pytest.mark.parametrize("path", ["/thing/{pk}", "/thing/{pk}/Pats-first-post", "/thing/9/x/"])
def test_flattrs_own_thing_links_are_explained_never_sent_to_our_thing_of_that_number(
    client, thing, path
):
    response = client.get(path.format(pk=thing.pk))
    assert response.status_code == 404
    assert "original Flattr" in response.content.decode()
    assert client.get(f"/thing/{thing.pk}/").status_code == 200
    assert client.get(f"/thing/{thing.pk}/badge.svg").status_code == 200


def test_hidden_1_in_an_old_link_creates_an_unlisted_thing_that_is_flattred(
    client, donor, publisher
):
    client.force_login(donor)
    params = {"uid": "pat", "url": "https://pat.example.org/quiet", "title": "A quiet post"}
    client.post("/submit/auto", {**params, "hidden": "1"})
    thing = Thing.objects.get()
    assert thing.hidden and not thing.closed
    assert Flattr.objects.filter(donor=donor, thing=thing).count() == 1
    assert client.get(thing.get_absolute_url()).status_code == 200  # (shows the flash message)
    assert "A quiet post" not in client.get(reverse("explore")).content.decode()
