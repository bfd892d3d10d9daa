"""URLs of the payments app, mounted at /payments/."""

from django.urls import path

from payments import auto_topup_views, payout_views, statement_views, views

app_name = "payments"
urlpatterns = [
    path("wallet/", views.wallet, name="wallet"),
    path("wallet/statement.csv", views.statement_csv, name="statement_csv"),
    path("add-funds/", views.deposit_new, name="deposit_new"),
    path("add-funds/confirm/", views.deposit_confirm, name="deposit_confirm"),
    path("deposits/<uuid:reference>/", views.deposit_detail, name="deposit_detail"),
    path("deposits/<uuid:reference>/status.json", views.deposit_status, name="deposit_status"),
    path(
        "deposits/<uuid:reference>/authenticate/",
        views.deposit_authenticate,
        name="deposit_authenticate",
    ),
    path("budget/", views.budget_edit, name="budget"),
    path("auto-top-up/", auto_topup_views.auto_topup, name="auto_topup"),
    path(
        "auto-top-up/card/",
        auto_topup_views.auto_topup_card_checkout,
        name="auto_topup_card_checkout",
    ),
    path(
        "auto-top-up/card/saved/",
        auto_topup_views.auto_topup_card_saved,
        name="auto_topup_card_saved",
    ),
    path("payouts/", payout_views.payouts, name="payouts"),
    path("payouts/details/", payout_views.payout_onboarding, name="payout_onboarding"),
    path(
        "payouts/details/refresh/",
        payout_views.payout_onboarding_refresh,
        name="payout_onboarding_refresh",
    ),
    path(
        "payouts/details/return/",
        payout_views.payout_onboarding_return,
        name="payout_onboarding_return",
    ),
    path("payouts/review/", payout_views.payout_review, name="payout_review"),
    path("payouts/confirm/", payout_views.payout_confirm, name="payout_confirm"),
    path("stripe/webhook/", views.stripe_webhook, name="stripe_webhook"),
    path("statements/", statement_views.donor_statement, name="statements"),
    path("income/", statement_views.income, name="income"),
]
