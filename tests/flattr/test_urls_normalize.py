"""URL normalization: the one definition of "the same address" for things."""

import pytest
from hypothesis import given
from hypothesis import strategies as st

from flattr.models import URL_MAX
from flattr.urls_normalize import url_normalize


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("HTTP://Example.COM/Path", "http://example.com/Path"),
        ("https://example.com:443/a", "https://example.com/a"),
        ("http://example.com:80/a", "http://example.com/a"),
        ("http://example.com:8080/a", "http://example.com:8080/a"),
        ("https://example.com:80/a", "https://example.com:80/a"),
        ("https://example.com", "https://example.com/"),
        ("  https://example.com/x  ", "https://example.com/x"),
        ("https://example.com/a?b=1&c=2#frag", "https://example.com/a?b=1&c=2#frag"),
        ("https://example.com/a?c=2&b=1", "https://example.com/a?c=2&b=1"),
        ("https://bücher.de/straße", "https://xn--bcher-kva.de/stra%C3%9Fe"),
        ("https://example.com/a b", "https://example.com/a%20b"),
        ("https://example.com/a%20b", "https://example.com/a%20b"),
        ("https://Example.com./", "https://example.com/"),
        ("http://127.0.0.1:8000/x", "http://127.0.0.1:8000/x"),
        ("http://[::1]:8080/", "http://[::1]:8080/"),
    ],
)
def test_addresses_are_normalized_as_documented(raw, expected):
    assert url_normalize(raw) == expected


def test_query_and_fragment_distinguish_things_as_flattr_did():
    assert url_normalize("https://e.org/p?a=1") != url_normalize("https://e.org/p?a=2")
    assert url_normalize("https://e.org/p#one") != url_normalize("https://e.org/p#two")


@pytest.mark.parametrize(
    "raw",
    [
        "javascript:alert(1)",
        "JavaScript:alert(document.cookie)",
        "data:text/html,<script>alert(1)</script>",
        "ftp://example.com/file",
        "file:///etc/passwd",
        "mailto:a@example.com",
        "example.com/no-scheme",
        "//example.com/protocol-relative",
        "https://",
        "https:///path-only",
        "https://exa mple.com/",
        "https://example.com/\x00",
        "https://example.com/a\nb",
        "https://exa\tmple.com/",
        "https://example.com:99999/",
        "https://example.com:0/",
        "https://user:secret@example.com/",
        "https://-bad-.example.com/",
        "https://999.1.1.1/",
        "https://[::1/",
        "",
        "   ",
        "https://example.com/" + "a" * URL_MAX,
        "https://example.com/" + "a" * 100_000,
    ],
)
def test_hostile_or_unusable_addresses_are_refused(raw):
    with pytest.raises(ValueError):
        url_normalize(raw)


def test_non_text_is_refused():
    with pytest.raises(ValueError):
        url_normalize(None)  # type: ignore[arg-type]


@given(
    st.sampled_from(["http", "https", "HTTP", "Https"]),
    st.from_regex(r"[a-z][a-z0-9-]{0,20}[a-z0-9]\.(org|com|de)", fullmatch=True),
    st.text(alphabet=st.characters(blacklist_categories=("Cc", "Cs")), max_size=60),
)
def test_normalizing_twice_changes_nothing(scheme, host, path):
    try:
        once = url_normalize(f"{scheme}://{host}/{path}")
    except ValueError:
        return
    assert url_normalize(once) == once
    assert once.startswith(("http://", "https://"))
    assert len(once) <= URL_MAX
