"""The Django admin with the console's site: INSTALLED_APPS names this in place of
"django.contrib.admin" (the documented way to replace the default site)."""

from django.contrib.admin.apps import AdminConfig


class ConsoleAdminConfig(AdminConfig):
    default_site = "flattr.console.site.ConsoleAdminSite"
