"""URLs of the core app: things, flattrs, buttons, the embed and the API."""

urlpatterns: list = []
