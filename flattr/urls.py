"""Root URLs. Each app owns its own urls module; this file only mounts them."""

from django.contrib import admin
from django.urls import include, path, re_path

from accounts import views as account_views
from accounts.privacy import privacy_settings
from flattr import public_views, views
from payments import transparency_views
from twitter_claims import provider_views as platform_views

urlpatterns = [
    path("", public_views.home, name="home"),
    path("dashboard/", views.dashboard, name="dashboard"),
    path("healthz", views.healthz, name="healthz"),
    path("favicon.ico", public_views.favicon, name="favicon"),
    path("sitemap.xml", public_views.sitemap, name="sitemap"),
    path("i18n/setlang/", account_views.language_set, name="set_language"),
    path("i18n/", include("django.conf.urls.i18n")),
    path("admin/console/", include("flattr.console.urls")),
    path("admin/", admin.site.urls),
    path("accounts/profile/", account_views.profile_edit, name="account_settings"),
    path("accounts/privacy/", privacy_settings, name="account_privacy"),
    path("accounts/data/", public_views.data_export, name="data_export"),
    path(
        "accounts/data/<str:token>/",
        public_views.data_export_download,
        name="data_export_download",
    ),
    path("accounts/close/", public_views.close_account, name="account_close"),
    path(
        "accounts/close/confirm/",
        public_views.close_account_confirm,
        name="account_close_confirm",
    ),
    # allauth's login and sign-up pages, with the platforms' "Sign in with …" buttons.
    path("accounts/login/", views.login, name="account_login"),
    path("accounts/signup/", views.signup, name="account_signup"),
    path("accounts/", include("allauth.urls")),
    path("profile/<str:username>/", public_views.profile_legacy, name="profile_legacy"),
    path("transparency/", transparency_views.transparency, name="transparency"),
    path("transparency.csv", transparency_views.transparency_csv, name="transparency_csv"),
    path("transparency.json", transparency_views.transparency_json, name="transparency_json"),
    # <path:>: a tag may contain "/" (tags are free text), and its link must still reverse.
    path("explore/tag/<path:tag>/", public_views.explore_tag, name="explore_tag"),
    path("payments/", include("payments.urls")),
    path("twitter/", include("twitter_claims.urls")),
    path("platforms/flattr/", platform_views.account_flattr_any, name="platform_flattr_any"),
    path("platforms/connected/", platform_views.connected, name="platform_connected"),
    path(
        "platforms/connected/<int:account_id>/disconnect/",
        platform_views.disconnect,
        name="platform_disconnect",
    ),
    re_path(r"^(?P<provider>github|mastodon|facebook)/", include("twitter_claims.provider_urls")),
    path("", include("flattr.api.urls")),
    path("", include("flattr.thing_urls")),
    # Last: every path above wins over a username (clashing names are refused at sign-up).
    path("<str:username>/", public_views.profile, name="profile"),
]
