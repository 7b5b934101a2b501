"""The services that move points. Nothing else writes lots, entries or balances."""

from loyalty.services.accounts import adjust_points, open_account
from loyalty.services.enrolment import enroll_member
from loyalty.services.purchases import quote_purchase, record_purchase
from loyalty.services.refunds import refund_purchase
from loyalty.services.schedules import activate_due_points, burn_expired_points
from loyalty.services.tier_review import review_tiers
from loyalty.services.tiers import pin_tier

__all__ = [
    "activate_due_points",
    "adjust_points",
    "burn_expired_points",
    "enroll_member",
    "open_account",
    "pin_tier",
    "quote_purchase",
    "record_purchase",
    "refund_purchase",
    "review_tiers",
]
