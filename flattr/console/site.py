"""The admin site: the site's name in the header, the console's home page, and one "Accounts"
section for everything about people (our users, allauth's email addresses and 2FA devices,
Django's groups), instead of four sections that an operator has to guess between."""

from __future__ import annotations

from django.conf import settings
from django.contrib import admin
from django.utils.translation import gettext_lazy as _

# App labels whose models the index shows together, under the first one's name.
ACCOUNT_APPS = ("accounts", "account", "mfa", "auth")


class ConsoleAdminSite(admin.AdminSite):
    index_template = "admin/console_index.html"
    index_title = _("Operations")

    def __init__(self, name: str = "admin") -> None:
        super().__init__(name)
        self.site_header = settings.SITE_NAME
        self.site_title = settings.SITE_NAME

    def get_app_list(self, request, app_label=None):
        """Return the apps as Django would, with the people apps merged into "Accounts"."""
        apps = super().get_app_list(request, app_label)
        people = [app for app in apps if app["app_label"] in ACCOUNT_APPS]
        if len(people) < 2:
            return apps
        people.sort(key=lambda app: ACCOUNT_APPS.index(app["app_label"]))
        merged = {**people[0], "models": [m for app in people for m in app["models"]]}
        merged["models"].sort(key=lambda model: str(model["name"]).lower())
        rest = [app for app in apps if app["app_label"] not in ACCOUNT_APPS]
        return sorted([*rest, merged], key=lambda app: str(app["name"]).lower())
