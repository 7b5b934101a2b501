"""OpenAPI pieces shared by the views: the API-key security scheme, parameters, the error answers
each endpoint documents, and the schema and docs views.

One language per page: every text here and in the views' `extend_schema` is lazy, written in
English and translated when the schema is generated, in the request's language
(Accept-Language, the language cookie, or `?lang=` on the docs page and the schema).

Error examples are not written by hand: each is the body the API's exception handler answers
for the exception the API really raises, built when the schema is generated — so its `detail`
is the API's own message, in the page's language.
"""

from collections.abc import Callable
from dataclasses import dataclass

from django.conf import settings
from django.utils import translation
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from drf_spectacular.plumbing import get_relative_url, set_query_parameters
from drf_spectacular.utils import (
    OpenApiExample,
    OpenApiParameter,
    OpenApiResponse,
    extend_schema,
)
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView
from rest_framework import exceptions, serializers
from rest_framework.fields import empty
from rest_framework.reverse import reverse

from api.auth import bare_key_refused, invalid_key
from api.errors import IdempotencyKeyRequired, exception_handler
from api.serializers import ErrorOut
from customers.errors import (
    ConsentRequired,
    EmailTaken,
    InvalidPhone,
    InvalidReferralCode,
    MemberBlocked,
    MemberExists,
    MemberNotFound,
    SMSUnavailable,
)
from customers.otp import CodeRateLimited
from loyalty.errors import (
    ConfirmationRequired,
    GuestCheckExists,
    IdempotencyKeyReused,
    InsufficientPoints,
    PurchaseExists,
    PurchaseNotFound,
    RedeemLimitExceeded,
    RefundExceedsPurchase,
    RefundExists,
    RequestInProgress,
)
from loyalty.services.checks import build_check
from loyalty.services.presence import wrong_code

# No bounds: an id is any positive int64 (the URL takes at most 18 digits). A `maximum` of
# 2**63 - 1 is past what JavaScript holds exactly: Swagger UI showed 9223372036854776000.
ID_SCHEMA = {"type": "integer", "format": "int64", "minimum": 1}

MEMBERS = pgettext_lazy("API docs section", "Members")
PURCHASES = _("Purchases")
GUEST_CHECKS = _("Checks without a card")
CAMPAIGNS = _("Campaigns")


class PartnerAPIKeyScheme(OpenApiAuthenticationExtension):
    target_class = "api.auth.PartnerAPIKeyAuthentication"
    name = "PartnerApiKey"

    def get_security_definition(self, auto_schema):
        return {
            "type": "apiKey",
            "in": "header",
            "name": "Authorization",
            "description": _(
                "A partner API key, sent as `Authorization: Api-Key <key>`: in Authorize, "
                "type `Api-Key ` and then the key."
            ),
        }


def path_id(name: str, description) -> OpenApiParameter:
    return OpenApiParameter(name, ID_SCHEMA, OpenApiParameter.PATH, description=description)


IDEMPOTENCY_KEY = OpenApiParameter(
    "Idempotency-Key",
    {"type": "string", "minLength": 1, "maxLength": 255},
    OpenApiParameter.HEADER,
    required=True,
    description=_(
        "A unique key per logical request (e.g. a UUID). Retrying with the same key and body "
        "returns the first response; the same key with another body is refused (422)."
    ),
)
IDEMPOTENCY_KEY_OPTIONAL = OpenApiParameter(
    "Idempotency-Key",
    {"type": "string", "minLength": 1, "maxLength": 255},
    OpenApiParameter.HEADER,
    required=False,
    description=_("Optional here; when given, retries are answered like for purchases."),
)


class LiveExample(OpenApiExample):
    """An example whose value is built when the schema is generated (so in its language)."""

    def __init__(self, name: str, build: Callable[[], dict], **kwargs):
        self.build = build
        super().__init__(name, **kwargs)

    @property
    def value(self):
        return self.build() if self._value is empty else self._value

    @value.setter
    def value(self, value):
        self._value = value


def answer_to(raise_error: Callable[[], object]) -> tuple[int, dict]:
    """The status and body the API answers when `raise_error()` raises (api.errors)."""
    try:
        raise_error()
    except Exception as exc:  # whatever it raises is what the API answers
        response = exception_handler(exc, {})
        return response.status_code, dict(response.data)
    raise AssertionError(f"{raise_error!r} raised nothing")


def raising(make: Callable[[], Exception]) -> Callable[[], None]:
    def raise_error():
        raise make()

    return raise_error


# How the API comes to answer each error code: the exceptions it really raises, with example
# values for their extra keys. An endpoint may raise a code its own way (see `errors`).
RAISERS: dict[str, Callable[[], None]] = {
    # 400
    "invalid_input": raising(
        lambda: exceptions.ValidationError(
            {"external_id": [serializers.Field.default_error_messages["required"]]}
        )
    ),
    "invalid_check": lambda: build_check([{"sku": "MILK-1L", "price": "89.90"}], "100.00"),
    "invalid_phone": raising(InvalidPhone),
    "consent_required": raising(
        lambda: ConsentRequired(fields={"consents": [ConsentRequired.default_detail]})
    ),
    "invalid_referral_code": raising(
        lambda: InvalidReferralCode(fields={"referral_code": [InvalidReferralCode.default_detail]})
    ),
    "idempotency_key_required": raising(IdempotencyKeyRequired),
    # 401
    "not_authenticated": raising(exceptions.NotAuthenticated),
    "authentication_failed": raising(invalid_key),
    "bare_key": raising(bare_key_refused),
    # 404
    "member_not_found": raising(MemberNotFound),
    "purchase_not_found": raising(PurchaseNotFound),
    "not_found": raising(exceptions.NotFound),
    # 409
    "member_exists": raising(lambda: MemberExists(id=42)),
    "email_taken": raising(lambda: EmailTaken(fields={"email": [EmailTaken.default_detail]})),
    "purchase_exists": raising(lambda: PurchaseExists(id=1001)),
    "guest_check_exists": raising(lambda: GuestCheckExists(id=5001)),
    "refund_exists": raising(lambda: RefundExists(id=77)),
    "request_in_progress": raising(RequestInProgress),
    # 422
    "idempotency_key_reused": raising(IdempotencyKeyReused),
    "member_blocked": raising(MemberBlocked),
    "insufficient_points": raising(lambda: InsufficientPoints(available=340)),
    "redeem_limit_exceeded": raising(lambda: RedeemLimitExceeded(max_redeem_points=53)),
    "refund_exceeds_purchase": raising(RefundExceedsPurchase),
    "confirmation_required": raising(ConfirmationRequired),
    "confirmation_invalid": raising(lambda: wrong_code(attempts_left=4)),
    # 429
    "throttled": raising(lambda: exceptions.Throttled(wait=12)),
    "otp_rate_limited": raising(lambda: CodeRateLimited(retry_after=540)),
    # 503
    "sms_unavailable": raising(SMSUnavailable),
}

# Every endpoint that needs a key can answer these.
EVERY_ENDPOINT = ("not_authenticated", "authentication_failed", "bare_key", "throttled")

_STATUS_TEXT = {
    400: _("The request is not valid"),
    401: _("No valid API key: none, unknown, revoked or expired, or sent without `Api-Key `"),
    404: _("Not found"),
    409: _("Conflicts with what is already recorded"),
    422: _("Refused by the program's rules"),
    429: _("Too many requests: retry after the Retry-After header's seconds"),
    503: _("The SMS gateway is down or refused the message: nothing was sent; retry later"),
}


@dataclass(frozen=True)
class DocumentedError:
    name: str  # the example's name: the code, or a variant of it (`bare_key`)
    status: int
    raise_error: Callable[[], None]

    def body(self) -> dict:
        return answer_to(self.raise_error)[1]


def documented(*codes: str, **raisers: Callable[[], None]) -> list[DocumentedError]:
    """The error answers an endpoint documents: `codes` (plus those of every endpoint), each
    raised as the catalogue raises it unless `raisers` gives the endpoint's own way."""
    found = []
    for name in (*codes, *EVERY_ENDPOINT):
        raise_error = raisers.get(name) or RAISERS[name]
        found.append(DocumentedError(name, answer_to(raise_error)[0], raise_error))
    return found


def responses(documented_errors: list[DocumentedError]) -> dict[int, OpenApiResponse]:
    """The OpenAPI error responses: one per status, one example per documented error."""
    by_status: dict[int, list[DocumentedError]] = {}
    for error in documented_errors:
        by_status.setdefault(error.status, []).append(error)
    result = {}
    for status, errors in sorted(by_status.items()):
        codes = ", ".join(dict.fromkeys(f"`{e.body()['code']}`" for e in errors))
        result[status] = OpenApiResponse(
            ErrorOut,
            description=format_lazy("{}: {}.", _STATUS_TEXT[status], codes),
            examples=[
                LiveExample(error.name, error.body, status_codes=[status]) for error in errors
            ],
        )
    return result


# --- the schema and the docs page ---------------------------------------------------------------
def page_language(request) -> str:
    """`?lang=` when it names one of the site's languages, else the request's language."""
    lang = request.GET.get("lang")
    return lang if lang in dict(settings.LANGUAGES) else translation.get_language()


class SchemaView(SpectacularAPIView):
    """The OpenAPI schema, entirely in one language: `?lang=` (ru or en) or the request's."""

    @extend_schema(exclude=True)
    def get(self, request, *args, **kwargs):
        language = page_language(request)
        with translation.override(language):
            response = self._get_schema_response(request)
        response["Content-Language"] = language
        return response

    def _get_filename(self, request, version):
        # Not the title: a translated one would need an encoded header.
        suffix = self.perform_content_negotiation(request, force=True)[0].format
        return f"kopilka-partner-api.{suffix}"


class DocsView(SpectacularSwaggerView):
    """Swagger UI in one language: the page and the schema it loads are in `?lang=` (ru or en)
    or the request's language; links on the page switch it."""

    @extend_schema(exclude=True)
    def get(self, request, *args, **kwargs):
        language = page_language(request)
        translation.activate(language)  # the page renders after the view returns
        response = super().get(request, *args, **kwargs)
        response.data["language"] = language
        response.data["languages"] = [
            (code, translation.get_language_info(code)["name_local"], f"?lang={code}")
            for code, _name in settings.LANGUAGES
        ]
        response["Content-Language"] = language
        return response

    def _get_schema_url(self, request):
        url = get_relative_url(reverse(self.url_name, request=request))
        return set_query_parameters(url=url, lang=page_language(request))
