"""Errors of the points services; see customers.errors.DomainError for the contract."""

from django.utils.translation import gettext_lazy as _

from customers.errors import DomainError, InvalidInput, MemberBlocked, MemberNotFound

__all__ = [
    "DomainError",
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
    "TierConfigInvalid",
]


class InvalidCheck(InvalidInput):
    code = "invalid_check"
    default_detail = _("The check is not valid.")


class RedeemLimitExceeded(DomainError):
    code = "redeem_limit_exceeded"
    default_detail = _("More points than this check allows to redeem.")


class InsufficientPoints(DomainError):
    code = "insufficient_points"
    default_detail = _("The member does not have that many points available.")


class PurchaseExists(DomainError):
    code = "purchase_exists"
    default_detail = _("A purchase with this check number is already recorded.")
    http_status = 409


class PurchaseNotFound(DomainError):
    code = "purchase_not_found"
    default_detail = _("No such purchase.")
    http_status = 404


class RefundExceedsPurchase(DomainError):
    code = "refund_exceeds_purchase"
    default_detail = _("The refund is larger than what is left of the purchase.")


class RefundExists(DomainError):
    code = "refund_exists"
    default_detail = _("A different refund with this number is already recorded.")
    http_status = 409


class TierConfigInvalid(InvalidInput):
    code = "tier_config_invalid"
    default_detail = _("The tier configuration is not valid.")
