"""Root URLs. Each app owns its own urls module; this file only mounts them."""

from django.contrib import admin
from django.urls import include, path, re_path

from accounts import views as account_views
from flattr import views
from twitter_claims import provider_views as platform_views

urlpatterns = [
    path("", views.home, name="home"),
    path("dashboard/", views.dashboard, name="dashboard"),
    path("healthz", views.healthz, name="healthz"),
    path("i18n/", include("django.conf.urls.i18n")),
    path("admin/console/", include("flattr.console.urls")),
    path("admin/", admin.site.urls),
    path("accounts/profile/", account_views.profile_edit, name="account_settings"),
    path("accounts/", include("allauth.urls")),
    path("profile/<str:username>/", account_views.profile_detail, name="profile"),
    path("payments/", include("payments.urls")),
    path("twitter/", include("twitter_claims.urls")),
    path("platforms/flattr/", platform_views.account_flattr_any, name="platform_flattr_any"),
    re_path(r"^(?P<provider>github|mastodon|facebook)/", include("twitter_claims.provider_urls")),
    path("", include("flattr.api.urls")),
    path("", include("flattr.thing_urls")),
]
