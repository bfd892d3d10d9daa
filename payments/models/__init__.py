"""payments' models by domain: the ledger, budgets and payday, deposits from Stripe, payouts."""

from payments.models.deposits import AutoTopUp, Deposit, Dispute, StripeCustomer, StripeEvent
from payments.models.ledger import LedgerAccount, Transfer
from payments.models.payday import Budget, Payday, PaydayDonor, PaydayNotice, Share
from payments.models.payouts import Payout, PayoutAccount

__all__ = [
    "AutoTopUp",
    "Budget",
    "Deposit",
    "Dispute",
    "LedgerAccount",
    "Payday",
    "PaydayDonor",
    "PaydayNotice",
    "Payout",
    "PayoutAccount",
    "Share",
    "StripeCustomer",
    "StripeEvent",
    "Transfer",
]
