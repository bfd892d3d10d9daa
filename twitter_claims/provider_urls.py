"""URLs of the providers other than X, mounted at /<provider>/ by flattr/urls.py.

Fixed pages have a hyphen path (`-/callback/`), which no account name of a provider can be
(GitHub logins never start with a hyphen), so they never collide with `/<provider>/<account>/`.
"""

from django.urls import path, re_path

from twitter_claims import provider_views as views

urlpatterns = [
    path("-/flattr/", views.account_flattr, name="platform_flattr"),
    path("-/start/", views.oauth_start, name="platform_start"),
    path("-/callback/", views.oauth_callback, name="platform_callback"),
    path("-/finish/", views.finish, name="platform_finish"),
    path("-/sign-in/", views.sign_in, name="platform_sign_in"),
    path("-/welcome/", views.welcome, name="platform_welcome"),
    path("-/prove/", views.proof_start, name="platform_proof_start"),
    path("-/prove/<int:code_id>/", views.proof_status, name="platform_proof"),
    re_path(r"^(?P<account>[^/-][^/]{0,199})/$", views.account_page, name="platform_account"),
    re_path(
        r"^(?P<account>[^/-][^/]{0,199})/count\.json$", views.account_count, name="platform_count"
    ),
]
