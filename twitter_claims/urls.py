"""URLs of the twitter_claims app."""

app_name = "twitter_claims"
urlpatterns: list = []
