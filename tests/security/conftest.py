"""The fake X of the twitter_claims tests, for the OAuth and account page tests."""

from tests.twitter_claims.conftest import _fake_x_server, fake_x  # noqa: F401 (fixtures)
