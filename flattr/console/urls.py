"""The console's URLs, mounted at /admin/console/ and behind the admin's staff login."""

from django.contrib import admin
from django.urls import path

from flattr.console import views

app_name = "console"


def _staff(view):
    return admin.site.admin_view(view)


urlpatterns = [
    path("support/", _staff(views.support), name="support"),
    path("support/<int:user_id>/<slug:action>/", _staff(views.user_action), name="user_action"),
    path("thing/<int:thing_id>/<slug:action>/", _staff(views.thing_action), name="thing_action"),
    path("fraud/", _staff(views.fraud), name="fraud"),
    path("statement/<int:user_id>.csv", _staff(views.statement_csv), name="statement_csv"),
]
