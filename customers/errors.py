"""Domain errors. Each has a stable `code` (used by the API and the pages) and a human `detail`.

Services raise them; the API (api.errors) and the pages map them to responses in one
place. `http_status` is the status the partner API answers with.
"""

from django.utils.translation import gettext_lazy as _


class DomainError(Exception):
    code = "invalid"
    default_detail = _("The request is not valid.")
    http_status = 422

    def __init__(self, detail=None, *, fields: dict | None = None, **extra):
        self.detail = detail if detail is not None else self.default_detail
        self.fields = fields or {}
        self.extra = extra
        super().__init__(str(self.detail))


class InvalidInput(DomainError):
    code = "invalid_input"
    default_detail = _("Some fields are not valid.")
    http_status = 400


class InvalidPhone(InvalidInput):
    code = "invalid_phone"
    default_detail = _("This is not a valid phone number.")


class ConsentRequired(InvalidInput):
    code = "consent_required"
    default_detail = _("Consent to personal data processing is required to join the program.")


class MemberExists(DomainError):
    code = "member_exists"
    default_detail = _("A member with this phone number already exists.")
    http_status = 409


class EmailTaken(DomainError):
    code = "email_taken"
    default_detail = _("This e-mail belongs to another member.")
    http_status = 409


class MemberNotFound(DomainError):
    code = "member_not_found"
    default_detail = _("No member matches.")
    http_status = 404


class MemberBlocked(DomainError):
    code = "member_blocked"
    default_detail = _("The member is blocked; points cannot be earned or spent.")
    http_status = 422


class InvalidReferralCode(InvalidInput):
    code = "invalid_referral_code"
    default_detail = _("No member has this referral code.")
