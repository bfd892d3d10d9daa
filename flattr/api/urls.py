"""URLs of the API: /rest/v2/… (every path with or without a trailing slash, as Flattr's clients
send both, also on POST), the OAuth2 endpoints at Flattr's paths, and the developer pages."""

from django.urls import path, re_path

from flattr.api import docs, oauth, settings_views, views_things, views_users

ID = r"(?P<thing_id>[0-9]{1,18})"
USER = r"(?P<username>[^/]+)"
FORMAT = r"(?P<format>\.as|\.atom)?"  # Flattr's activity formats: Activity Streams, Atom


def api(pattern: str, view, name: str):
    return re_path(rf"^rest/v2/{pattern}/?$", view, name=name)


urlpatterns = [
    api("things/lookup", views_things.thing_lookup, "api_thing_lookup"),
    api("things/search", views_things.thing_search, "api_thing_search"),
    api("things", views_things.things, "api_things"),
    api(rf"things/{ID}/flattr", views_things.thing_flattr, "api_thing_flattr"),
    api(rf"things/{ID}/flattrs", views_things.thing_flattrs, "api_thing_flattrs"),
    api(rf"things/{ID}/subscriptions", views_things.thing_subscriptions, "api_thing_subs"),
    api(r"things/(?P<ids>[0-9]{1,18}(?:,[0-9]{0,18})*)", views_things.thing_detail, "api_thing"),
    api("flattr", views_things.flattr_url, "api_flattr"),
    api(rf"users/{USER}/things", views_users.user_public_things, "api_user_things"),
    api(rf"users/{USER}/flattrs", views_users.user_public_flattrs, "api_user_flattrs"),
    api(
        rf"users/{USER}/activities{FORMAT}",
        views_users.user_public_activities,
        "api_user_activities",
    ),
    api(rf"users/{USER}", views_users.user_public, "api_user"),
    api("user", views_users.user_me, "api_me"),
    api("user/things", views_users.user_things, "api_me_things"),
    api("user/flattrs", views_users.user_flattrs, "api_me_flattrs"),
    api("user/subscriptions", views_users.user_subscriptions, "api_me_subscriptions"),
    api(
        r"user/activities(?P<format>\.as|\.atom)?", views_users.user_activities, "api_me_activities"
    ),
    api("categories", views_users.categories, "api_categories"),
    api("languages", views_users.languages, "api_languages"),
    api("rate_limit", views_users.rate_limit, "api_rate_limit"),
    path("developers/api/openapi.json", docs.openapi_json, name="api_openapi"),
    re_path(r"^rest/v2(?P<rest>/.*)?$", views_users.not_found, name="api_not_found"),
    # OAuth2 (Flattr's paths, also with a trailing slash).
    re_path(
        r"^oauth/authorize/?$", oauth.FlattrAuthorizationView.as_view(), name="oauth_authorize"
    ),
    re_path(r"^oauth/token/?$", oauth.FlattrTokenView.as_view(), name="oauth_token"),
    # Pages.
    path("developers/api/", docs.api_docs, name="api_docs"),
    path("developers/apps/", settings_views.apps, name="api_apps"),
    path("accounts/api/", settings_views.access, name="api_access"),
    path("accounts/webhooks/", settings_views.webhooks, name="api_webhooks"),
    path(
        "accounts/webhooks/deliveries/<int:delivery_id>/replay/",
        settings_views.delivery_replay_view,
        name="api_delivery_replay",
    ),
]
