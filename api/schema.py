"""OpenAPI pieces shared by the views: the API-key security scheme, error responses, headers."""

from drf_spectacular.extensions import OpenApiAuthenticationExtension
from drf_spectacular.utils import OpenApiExample, OpenApiParameter, OpenApiResponse

from api.serializers import ErrorOut

ID_SCHEMA = {"type": "integer", "minimum": 1, "maximum": 999999999999999999}


class PartnerAPIKeyScheme(OpenApiAuthenticationExtension):
    target_class = "api.auth.PartnerAPIKeyAuthentication"
    name = "PartnerApiKey"

    def get_security_definition(self, auto_schema):
        return {
            "type": "apiKey",
            "in": "header",
            "name": "Authorization",
            "description": "A partner API key, sent as `Authorization: Api-Key <key>`.",
        }


def path_id(name: str, description: str) -> OpenApiParameter:
    return OpenApiParameter(name, ID_SCHEMA, OpenApiParameter.PATH, description=description)


IDEMPOTENCY_KEY = OpenApiParameter(
    "Idempotency-Key",
    {"type": "string", "minLength": 1, "maxLength": 255},
    OpenApiParameter.HEADER,
    required=True,
    description=(
        "A unique key per logical request (e.g. a UUID). Retrying with the same key and body "
        "returns the first response; the same key with another body is refused (422)."
    ),
)
IDEMPOTENCY_KEY_OPTIONAL = OpenApiParameter(
    "Idempotency-Key",
    {"type": "string", "minLength": 1, "maxLength": 255},
    OpenApiParameter.HEADER,
    required=False,
    description="Optional here; when given, retries are answered like for purchases.",
)

_EXAMPLES = {
    400: (
        "invalid_input",
        "Some fields are not valid.",
        {"lines[0].sku": ["This field is required."]},
    ),
    401: ("not_authenticated", "Authentication credentials were not provided.", {}),
    404: ("member_not_found", "No member matches.", {}),
    409: (
        "request_in_progress",
        "A request with this Idempotency-Key is still being processed; retry shortly.",
        {},
    ),
    422: ("insufficient_points", "The member does not have that many points available.", {}),
    429: ("throttled", "Request was throttled. Expected available in 12 seconds.", {}),
    503: (
        "sms_unavailable",
        "The SMS could not be sent right now. Please try again in a minute.",
        {},
    ),
}

_DESCRIPTIONS = {
    400: "Invalid input (`invalid_input`, `invalid_check`, `invalid_phone`, `consent_required`, "
    "`idempotency_key_required`, `parse_error`).",
    401: "Missing, unknown, revoked or expired API key (`not_authenticated`, "
    "`authentication_failed`).",
    404: "Not found (`member_not_found`, `purchase_not_found`, `not_found`).",
    409: "Conflict (`member_exists` with `id`, `email_taken`, `purchase_exists` with `id`, "
    "`guest_check_exists` with `id`, `refund_exists`, `request_in_progress`).",
    422: "Refused by the program's rules (`redeem_limit_exceeded` with `max_redeem_points`, "
    "`insufficient_points` with `available`, `member_blocked`, `refund_exceeds_purchase`, "
    "`idempotency_key_reused`, `confirmation_required`, `confirmation_invalid` with `reason`: "
    "`wrong` with `attempts_left`, `expired`, `locked` or `qr_expired`).",
    429: "Too many requests for this key (`throttled`; see the Retry-After header), or too many "
    "confirmation codes for this member (`otp_rate_limited` with `retry_after`, seconds).",
    503: "The SMS gateway is down or refused the message (`sms_unavailable`): nothing was sent; "
    "retry later.",
}


def errors(*statuses: int) -> dict:
    """Documented error responses: every one is `{"code", "detail", "fields"}`."""
    result = {}
    for status in (*statuses, 401, 429):
        code, detail, fields = _EXAMPLES[status]
        result[status] = OpenApiResponse(
            ErrorOut,
            description=_DESCRIPTIONS[status],
            examples=[
                OpenApiExample(
                    code,
                    value={"code": code, "detail": detail, "fields": fields},
                    status_codes=[status],
                )
            ],
        )
    return result
