"""Every change to the books, by domain. Each service owns its transaction and the row locks it
needs; every money write goes through the ledger's primitives (ledger.py).

- ledger.py: accounts, transfer_post, accounts_lock: the primitives every money write uses.
- budgets.py: the monthly budget.
- receivables.py: debts left by refunds and disputes, and their settlement.
- deposits.py: deposits, refunds, disputes, the Stripe customer.
- auto_topup.py: automatic monthly top-ups.
- payouts.py: payout accounts (Stripe Connect), requests, approval, sending, settling.
- test_cards.py: the development deposit flow with Stripe's test cards.

Payday is payments/payday/. This package re-exports the names other modules use, so callers
write `from payments.services import transfer_post` whatever module it lives in.
"""

from payments.services.auto_topup import (
    auto_topup_amount_set,
    auto_topup_card_store,
    auto_topup_charge,
    auto_topup_checkout_finish,
    auto_topup_checkout_start,
    auto_topups_charge,
)
from payments.services.budgets import budget_set, budget_validate
from payments.services.deposits import (
    deposit_checkout_start,
    deposit_create,
    deposit_credit,
    deposit_fail,
    deposit_for_update,
    deposit_payment_update,
    deposit_refund_record,
    deposit_refund_request,
    deposit_validate,
    dispute_record,
    stripe_customer_for,
)
from payments.services.ledger import (
    accounts_lock,
    pool_account_create,
    system_account,
    transfer_post,
    user_account,
)
from payments.services.payouts import (
    payout_account_apply,
    payout_account_refresh,
    payout_account_start,
    payout_approve,
    payout_fail,
    payout_reject,
    payout_request,
    payout_send,
    payout_settle,
    payout_transfer_reverse,
    payouts_send_due,
)
from payments.services.receivables import receivable_settle
from payments.services.test_cards import (
    auto_topup_save,
    deposit_authenticate_test,
    deposit_card_start,
)

__all__ = [
    "accounts_lock",
    "auto_topup_amount_set",
    "auto_topup_card_store",
    "auto_topup_charge",
    "auto_topup_checkout_finish",
    "auto_topup_checkout_start",
    "auto_topup_save",
    "auto_topups_charge",
    "budget_set",
    "budget_validate",
    "deposit_authenticate_test",
    "deposit_card_start",
    "deposit_checkout_start",
    "deposit_create",
    "deposit_credit",
    "deposit_fail",
    "deposit_for_update",
    "deposit_payment_update",
    "deposit_refund_record",
    "deposit_refund_request",
    "deposit_validate",
    "dispute_record",
    "payout_account_apply",
    "payout_account_refresh",
    "payout_account_start",
    "payout_approve",
    "payout_fail",
    "payout_reject",
    "payout_request",
    "payout_send",
    "payout_settle",
    "payout_transfer_reverse",
    "payouts_send_due",
    "pool_account_create",
    "receivable_settle",
    "stripe_customer_for",
    "system_account",
    "transfer_post",
    "user_account",
]
