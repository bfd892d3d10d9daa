"""The fake X of the twitter_claims tests, for the account page's budget."""

from tests.twitter_claims.conftest import _fake_x_server, fake_x  # noqa: F401 (fixtures)
