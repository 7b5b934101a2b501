"""Every API error as JSON `{"code", "detail", "fields"}` — validation, auth, throttling, 404, 500.

Domain errors (core.errors.DomainError and its subclasses in customers and loyalty) carry their
own code and extra keys (e.g. `id` of the member that already exists) but no HTTP status: the
status is chosen here, in `DOMAIN_STATUS`, and nowhere else.
"""

import logging

from django.conf import settings
from django.core.exceptions import RequestDataTooBig, SuspiciousOperation
from django.http import Http404, HttpResponse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext
from django.views.decorators.csrf import csrf_exempt
from rest_framework import exceptions, status
from rest_framework.renderers import JSONRenderer
from rest_framework.response import Response

from core.errors import DomainError, InvalidInput
from core.outage import is_database_unavailable
from customers.errors import EmailTaken, MemberExists, MemberNotFound, SMSUnavailable
from customers.otp import CodeExpired, CodeInvalid, CodeLocked, CodeRateLimited
from loyalty.errors import (
    GuestCheckExists,
    PurchaseExists,
    PurchaseNotFound,
    RefundExists,
    RequestInProgress,
)

logger = logging.getLogger("api")

# Extra keys of domain errors that are internal and never shown to a partner.
PRIVATE_EXTRA = {"idempotency_key"}


class IdempotencyKeyRequired(exceptions.APIException):
    status_code = status.HTTP_400_BAD_REQUEST
    default_code = "idempotency_key_required"
    default_detail = gettext_lazy(
        "This request needs an Idempotency-Key header (1–255 characters)."
    )


def error_body(code: str, detail, fields: dict | None = None, **extra) -> dict:
    return {"code": code, "detail": str(detail), "fields": fields or {}, **extra}


# The HTTP status of each domain error; a class not listed answers as its nearest listed base,
# and a refusal by a rule (insufficient points, a blocked member…) as 422.
DOMAIN_STATUS: dict[type[DomainError], int] = {
    InvalidInput: status.HTTP_400_BAD_REQUEST,
    MemberNotFound: status.HTTP_404_NOT_FOUND,
    PurchaseNotFound: status.HTTP_404_NOT_FOUND,
    MemberExists: status.HTTP_409_CONFLICT,
    EmailTaken: status.HTTP_409_CONFLICT,
    PurchaseExists: status.HTTP_409_CONFLICT,
    GuestCheckExists: status.HTTP_409_CONFLICT,
    RefundExists: status.HTTP_409_CONFLICT,
    RequestInProgress: status.HTTP_409_CONFLICT,
    CodeInvalid: status.HTTP_400_BAD_REQUEST,
    CodeExpired: status.HTTP_400_BAD_REQUEST,
    CodeLocked: status.HTTP_400_BAD_REQUEST,
    CodeRateLimited: status.HTTP_429_TOO_MANY_REQUESTS,
    SMSUnavailable: status.HTTP_503_SERVICE_UNAVAILABLE,
}


def domain_status(exc: DomainError) -> int:
    """The HTTP status a domain error answers with (see DOMAIN_STATUS)."""
    for cls in type(exc).__mro__:
        if cls in DOMAIN_STATUS:
            return DOMAIN_STATUS[cls]
    return status.HTTP_422_UNPROCESSABLE_ENTITY


def domain_error_body(exc: DomainError) -> tuple[int, dict]:
    """The status and JSON body a domain error answers with."""
    extra = {k: v for k, v in exc.extra.items() if k not in PRIVATE_EXTRA}
    fields = {name: [str(m) for m in messages] for name, messages in exc.fields.items()}
    return domain_status(exc), error_body(exc.code, exc.detail, fields, **extra)


def flatten_errors(errors, prefix: str = "") -> dict[str, list[str]]:
    """DRF's nested validation errors as flat `{"lines[0].sku": ["…"]}` like the services use."""
    flat: dict[str, list[str]] = {}
    if isinstance(errors, dict):
        for name, value in errors.items():
            flat.update(flatten_errors(value, f"{prefix}.{name}" if prefix else str(name)))
    elif isinstance(errors, list):
        if all(not isinstance(item, dict | list) for item in errors):
            flat[prefix or "non_field_errors"] = [str(item) for item in errors]
        else:
            for i, item in enumerate(errors):
                if item:
                    flat.update(flatten_errors(item, f"{prefix}[{i}]"))
    else:
        flat[prefix or "non_field_errors"] = [str(errors)]
    return flat


class BadRequest(exceptions.APIException):
    status_code = status.HTTP_400_BAD_REQUEST
    default_code = "bad_request"
    default_detail = gettext_lazy("The request is not valid.")


def throttled_detail(wait: int) -> str:
    return ngettext(
        "Too many requests; retry in %(wait)d second.",
        "Too many requests; retry in %(wait)d seconds.",
        wait,
    ) % {"wait": wait}


def exception_handler(exc, context):
    """DRF's EXCEPTION_HANDLER: one JSON shape for everything, including unexpected errors.

    A lost database is not answered here: the error goes on to
    config.middleware.DatabaseUnavailableMiddleware, which answers 503 for the site and the API.
    """
    if is_database_unavailable(exc):
        return None  # DRF re-raises it
    if isinstance(exc, DomainError):
        code, body = domain_error_body(exc)
        return Response(body, status=code)
    if isinstance(exc, Http404):
        exc = exceptions.NotFound()
    if isinstance(exc, RequestDataTooBig):  # over DATA_UPLOAD_MAX_MEMORY_SIZE
        body = error_body(
            "request_too_large",
            _("The request body is too large."),
            max_bytes=settings.DATA_UPLOAD_MAX_MEMORY_SIZE,
        )
        return Response(body, status=status.HTTP_413_REQUEST_ENTITY_TOO_LARGE)
    if isinstance(exc, SuspiciousOperation):
        exc = BadRequest()
    if isinstance(exc, exceptions.ValidationError):
        return Response(
            error_body(
                "invalid_input", _("Some fields are not valid."), flatten_errors(exc.detail)
            ),
            status=exc.status_code,
        )
    if isinstance(exc, exceptions.APIException):
        headers = {}
        if auth_header := getattr(exc, "auth_header", None):
            headers["WWW-Authenticate"] = auth_header
        extra = {}
        if getattr(exc, "wait", None):
            headers["Retry-After"] = str(exc.wait)
            extra["retry_after"] = exc.wait
        detail = exc.detail if isinstance(exc.detail, str) else _("The request is not valid.")
        if isinstance(exc, exceptions.Throttled) and exc.wait:
            # DRF's own text cannot be translated: it asks gettext for the sentence with the
            # number already in it ("Expected available in 12 seconds.").
            detail = throttled_detail(exc.wait)
        code = exc.get_codes() if isinstance(exc.detail, str) else exc.default_code
        return Response(error_body(code, detail, **extra), status=exc.status_code, headers=headers)
    logger.exception("Unhandled error in the partner API", exc_info=exc)
    return Response(
        error_body("server_error", _("An unexpected error occurred on our side; it is logged.")),
        status=status.HTTP_500_INTERNAL_SERVER_ERROR,
    )


def json_error(code: str, detail, *, status: int, **extra) -> HttpResponse:
    """An error answered outside a DRF view, written as DRF writes every other error body."""
    body = JSONRenderer().render(error_body(code, detail, **extra))
    return HttpResponse(body, content_type="application/json", status=status)


@csrf_exempt
def not_found(request, *args, **kwargs):
    """Any /api/ path that names no endpoint."""
    return json_error(
        "not_found", _("There is no such endpoint."), status=status.HTTP_404_NOT_FOUND
    )
