"""Errors of the member rules (joining, phones, e-mails). Each has a stable `code` and a human
`detail`; see core.errors.DomainError for the contract (the API maps them to HTTP in api.errors).
"""

from django.utils.translation import gettext_lazy as _

from core.errors import DomainError, InvalidInput

__all__ = [
    "ConsentRequired",
    "DomainError",
    "EmailTaken",
    "InvalidInput",
    "InvalidPhone",
    "InvalidReferralCode",
    "MemberBlocked",
    "MemberExists",
    "MemberNotFound",
]


class InvalidPhone(InvalidInput):
    code = "invalid_phone"
    default_detail = _("This is not a valid phone number.")


class ConsentRequired(InvalidInput):
    code = "consent_required"
    default_detail = _("Consent to personal data processing is required to join the program.")


class MemberExists(DomainError):
    code = "member_exists"
    default_detail = _("A member with this phone number already exists.")


class EmailTaken(DomainError):
    code = "email_taken"
    default_detail = _("This e-mail belongs to another member.")


class MemberNotFound(DomainError):
    code = "member_not_found"
    default_detail = _("No member matches.")


class MemberBlocked(DomainError):
    code = "member_blocked"
    default_detail = _("The member is blocked; points cannot be earned or spent.")


class InvalidReferralCode(InvalidInput):
    code = "invalid_referral_code"
    default_detail = _("No member has this referral code.")


class SMSUnavailable(DomainError):
    """The SMS gateway is down or refused the message (customers.sms): nothing was sent."""

    code = "sms_unavailable"
    default_detail = _("The SMS could not be sent right now. Please try again in a minute.")
