"""Errors of the points services; see core.errors.DomainError for the contract."""

from django.utils.translation import gettext_lazy as _

from core.errors import DomainError, InvalidInput
from customers.errors import MemberBlocked, MemberNotFound

__all__ = [
    "ApprovalRefused",
    "ConfirmationInvalid",
    "ConfirmationRequired",
    "DomainError",
    "GuestCheckExists",
    "IdempotencyKeyReused",
    "IdempotencyRefused",
    "InsufficientPoints",
    "InvalidCheck",
    "InvalidInput",
    "MemberBlocked",
    "MemberNotFound",
    "PurchaseExists",
    "PurchaseNotFound",
    "RedeemLimitExceeded",
    "RefundExceedsPurchase",
    "RefundExists",
    "RequestInProgress",
    "TierConfigInvalid",
]


class InvalidCheck(InvalidInput):
    code = "invalid_check"
    default_detail = _("The check is not valid.")


class ConfirmationRequired(DomainError):
    code = "confirmation_required"
    default_detail = _(
        "Spending points needs proof that the member is here: the code sent to them or the "
        "QR code from their cabinet."
    )


class ConfirmationInvalid(DomainError):
    """`reason`: wrong (with `attempts_left`), expired (no live code: ask for a new one),
    locked (too many wrong tries) or qr_expired (the QR code was not the live one)."""

    code = "confirmation_invalid"
    default_detail = _("The confirmation code is wrong or has expired.")


class RedeemLimitExceeded(DomainError):
    code = "redeem_limit_exceeded"
    default_detail = _("More points than this check allows to redeem.")


class InsufficientPoints(DomainError):
    code = "insufficient_points"
    default_detail = _("The member does not have that many points available.")


class PurchaseExists(DomainError):
    code = "purchase_exists"
    default_detail = _("A purchase with this check number is already recorded.")


class GuestCheckExists(DomainError):
    """A check without a card with this number is already recorded for the partner (`id`)."""

    code = "guest_check_exists"
    default_detail = _("A check without a card with this number is already recorded.")


class PurchaseNotFound(DomainError):
    code = "purchase_not_found"
    default_detail = _("No such purchase.")


class RefundExceedsPurchase(DomainError):
    code = "refund_exceeds_purchase"
    default_detail = _("The refund is larger than what is left of the purchase.")


class RefundExists(DomainError):
    code = "refund_exists"
    default_detail = _("A different refund with this number is already recorded.")


class TierConfigInvalid(InvalidInput):
    code = "tier_config_invalid"
    default_detail = _("The tier configuration is not valid.")


class IdempotencyRefused(DomainError):
    """The Idempotency-Key cannot serve this request now; never an answer to store for the key."""


class IdempotencyKeyReused(IdempotencyRefused):
    code = "idempotency_key_reused"
    default_detail = _("This Idempotency-Key was used for a different request.")


class RequestInProgress(IdempotencyRefused):
    code = "request_in_progress"
    default_detail = _(
        "A request with this Idempotency-Key is still being processed; retry shortly."
    )


class ApprovalRefused(DomainError):
    """A manual adjustment (or bulk operation) cannot be decided by this staff member now:
    `reason` is self_approval (the requester never approves their own), not_allowed (no
    loyalty.approve_adjustment permission) or already_decided (approved or rejected before)."""

    code = "approval_refused"
    default_detail = _("This request cannot be approved or rejected by you now.")
