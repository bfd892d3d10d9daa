"""URLs of the twitter_claims app, mounted at /twitter/.

X handles are 1-15 letters, digits and underscores, so every fixed page here has a hyphen in its
path (`-/callback/`, `opt-out/`) and can never collide with an account page `/twitter/<handle>/`.
"""

from django.urls import path, re_path

from twitter_claims import views

app_name = "twitter_claims"
urlpatterns = [
    path("", views.waiting, name="waiting"),
    path("opt-out/", views.opt_out, name="opt_out"),
    path("-/flattr/", views.flattr_handle, name="flattr"),
    path("-/start/", views.oauth_start, name="start"),
    path("-/callback/", views.oauth_callback, name="callback"),
    path("-/finish/", views.finish, name="finish"),
    path("-/welcome/", views.welcome, name="welcome"),
    path("-/settings/", views.connected, name="connected"),
    re_path(r"^@(?P<handle>[A-Za-z0-9_]{1,15})/$", views.account_at, name="account_at"),
    re_path(r"^(?P<handle>[A-Za-z0-9_]{1,15})/$", views.account_page, name="account"),
    re_path(r"^(?P<handle>[A-Za-z0-9_]{1,15})/count\.json$", views.account_count, name="count"),
]
