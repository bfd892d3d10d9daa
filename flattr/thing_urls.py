"""URLs of the core app: things, flattrs, buttons, the embed and the API.

Paths Flattr used are kept so old snippets work by changing the host: `/submit/auto`,
`/js/0.6/load.js` (and every other loader version), `/button/view/`, the 2016 widget's
`/view/`, `/api/flattr.js`, the static images, `/@username`.
"""

from django.urls import path, re_path

from flattr import button_views, legacy_views, public_views, views

urlpatterns = [
    path("explore/", public_views.explore, name="explore"),
    path("things/submit/", views.thing_submit, name="thing_submit"),
    path("things/mine/", views.my_things, name="my_things"),
    path("thing/<int:thing_id>/", views.thing_detail, name="thing_detail"),
    path("thing/<int:thing_id>/edit/", views.thing_edit, name="thing_edit"),
    path("thing/<int:thing_id>/hide/", views.thing_hide, name="thing_hide"),
    path("thing/<int:thing_id>/flattr/", views.thing_flattr, name="thing_flattr"),
    path("thing/<int:thing_id>/subscribe/", views.subscription_add, name="subscription_add"),
    path("thing/<int:thing_id>/embed/", views.thing_embed, name="thing_embed"),
    path("thing/<int:thing_id>/badge.svg", button_views.badge_by_id, name="badge_by_id"),
    path("thing/<int:thing_id>/count.json", button_views.count_by_id, name="count_by_id"),
    path("flattrs/<int:flattr_id>/remove/", views.flattr_remove_view, name="flattr_remove"),
    path(
        "subscriptions/<int:subscription_id>/cancel/",
        views.subscription_cancel_view,
        name="subscription_cancel",
    ),
    path("submit/auto", views.auto_submit, name="auto_submit"),
    path("submit/auto/", views.auto_submit),
    path("embed/", views.embed_docs, name="embed_docs"),
    # The embeddable button (Flattr's paths).
    path("js/load.js", button_views.loader_js, name="loader_js"),
    path("js/0.6/load.js", button_views.loader_js, name="loader_js_06"),
    re_path(r"^js/(?:[0-9][0-9.]{0,9}/)?load\.js$", button_views.loader_js),  # 0.5.0, 0.6.1…
    path("api/flattr.js", legacy_views.vars_script, name="vars_script"),
    path("button/load.js", legacy_views.vars_script),
    path("view/", button_views.button_view, name="button_view_2016"),  # button.flattr.com (2016)
    re_path(r"^(?:button/)?(?P<name>[a-z0-9-]+\.png)$", legacy_views.legacy_image),
    path("migrate/", legacy_views.migrate, name="migrate"),
    re_path(r"^@(?P<username>[\w.@+-]{1,150})/?$", legacy_views.profile_at),
    path("button/view/", button_views.button_view, name="button_view"),
    path("button/badge.svg", button_views.badge_by_url, name="button_badge"),
    path("button/count.json", button_views.count_by_url, name="button_count"),
    path("flattr/confirm/", button_views.flattr_confirm, name="flattr_confirm"),
    path("flattr/confirm/login/", button_views.flattr_confirm_login, name="flattr_confirm_login"),
    path("bench/trivial", views.bench_trivial, name="bench_trivial"),
    # Flattr's own thing links (flattr.com/thing/1234/Title): other numbers than ours. Last, so
    # every path of our own under /thing/<id>/ matches first.
    path("thing/<int:thing_id>", legacy_views.old_thing_link),
    re_path(
        r"^thing/(?P<thing_id>[0-9]{1,18})/(?P<slug>(?!(?:edit|hide|flattr|subscribe|embed)$)"
        r"[^/]{1,300})/?$",
        legacy_views.old_thing_link,
    ),
]
