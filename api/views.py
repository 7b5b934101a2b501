"""Partner API v1: one view per operation — parse, call one service or selector, render.

Hot paths (lookup, quote, purchase) build their JSON by hand and keep a constant number of
statements per request; tests pin the counts.
"""

import datetime as dt
import functools
import logging

from django.db import DatabaseError
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.functional import lazy
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from drf_spectacular.utils import OpenApiExample, OpenApiParameter, extend_schema
from rest_framework.exceptions import NotFound
from rest_framework.negotiation import DefaultContentNegotiation
from rest_framework.pagination import CursorPagination
from rest_framework.response import Response
from rest_framework.views import APIView

from api import schema as doc
from api import serializers as s
from api.errors import domain_error_body
from api.idempotency import key_from_request
from campaigns import events
from campaigns.checkout import applied_listing, quote_purchase, record_purchase
from campaigns.engine import Reason
from campaigns.selectors import partner_campaigns
from customers.errors import DomainError, InvalidPhone, MemberNotFound
from customers.models import Member
from customers.phones import normalize_phone
from loyalty.errors import (
    ConfirmationInvalid,
    IdempotencyRefused,
    InvalidCheck,
    PurchaseExists,
    PurchaseNotFound,
)
from loyalty.models import Account, Purchase, Store
from loyalty.selectors import (
    enrolment_source,
    member_exists,
    member_summary,
    partner_ledger_entry,
    partner_ledger_rows,
    partner_scope,
)
from loyalty.services import idempotency, refund_purchase
from loyalty.services.checks import build_check, parse_check
from loyalty.services.enrolment import enroll_member
from loyalty.services.guest_checks import guest_check_total, record_guest_check
from loyalty.services.presence import (
    Confirmation,
    card_number_of_qr,
    is_live_qr,
    send_redeem_code,
)
from loyalty.services.refunds import refund_parts_by_lines

logger = logging.getLogger("api")


class JSONOnly(DefaultContentNegotiation):
    """The partner API answers JSON whatever the Accept header asks for (errors too), so the
    header is not parsed on every request. Request bodies are still matched to a parser."""

    def select_renderer(self, request, renderers, format_suffix=None):
        return renderers[0], renderers[0].media_type


class PartnerView(APIView):
    content_negotiation_class = JSONOnly


@functools.cache
def _validator(serializer_class):
    return serializer_class()


def parse(serializer_class, data) -> dict:
    """Validate `data` as `serializer_class` does and return the validated data.

    One instance per class validates every request: a DRF serializer deep-copies all its
    declared fields (and a nested list's child fields) on each instantiation, which cost more
    than the validation itself on the hot paths. `run_validation` keeps no per-call state.
    """
    return _validator(serializer_class).run_validation(data)


def check_lines(data: dict) -> list[dict] | None:
    lines = data.get("lines")
    return [dict(line) for line in lines] if lines else None


def idempotent(request, work, *, required: bool = True) -> Response:
    """Run `work(claim)` → (status, body) at most once per Idempotency-Key and store its answer.

    Domain errors are answers too: stored and replayed like successes.
    """
    key = key_from_request(request, required=required)
    if key is None:
        status, body = work(None)
        return Response(body, status=status)
    claim = idempotency.claim(
        partner_id=request.user.pk,
        key=key,
        fingerprint=idempotency.request_hash(request.method, request.path, request.data),
        now=timezone.now(),
    )
    if claim.is_replay:
        return Response(
            claim.replay_body, status=claim.replay_status, headers={"Idempotent-Replayed": "true"}
        )
    try:
        status, body = work(claim)
    except IdempotencyRefused:
        raise
    except DomainError as exc:
        status, body = domain_error_body(exc)
    except BaseException:
        try:
            idempotency.release(claim)
        except DatabaseError:
            # The claim then goes stale and is taken over by a retry after STALE_AFTER.
            logger.warning("Could not release idempotency key %r", claim.key, exc_info=True)
        raise
    idempotency.complete(claim, status=status, body=body, now=timezone.now())
    return Response(body, status=status)


def idempotent_in_transaction(request, work, answer_of) -> Response:
    """Run `work(guard)` → (status, body) at most once per Idempotency-Key, the key held by a
    `KeyGuard` inside the work's own transaction (`work` gives the guard to its service).
    A success's answer is its own rows: `answer_of(key)` reads it back for a replay. Domain
    errors are answers too: stored and replayed."""
    guard = idempotency.KeyGuard(
        partner_id=request.user.pk,
        key=key_from_request(request),
        fingerprint=idempotency.request_hash(request.method, request.path, request.data),
        now=timezone.now(),
    )
    try:
        status, body = work(guard)
    except idempotency.Replay as replay:
        status, body = replay.status, replay.body
    except IdempotencyRefused:
        raise
    except DomainError as exc:
        first = domain_error_body(exc)
        status, body = guard.store_apart(*first, now=timezone.now())
        if (status, body) == first:
            return Response(body, status=status)
    else:
        return Response(body, status=status)
    if body is None:
        body = answer_of(guard.key)
    return Response(body, status=status, headers={"Idempotent-Replayed": "true"})


def balance_of(member_id: int) -> tuple[int, int]:
    return Account.objects.values_list("available", "pending").get(member_id=member_id)


MEMBER_EXAMPLE = {
    "id": 42,
    "card_number": "2712345678904",
    "phone_masked": "+7 *** ***-67-89",
    "status": "active",
    "tier": {
        "code": "base",
        "name": gettext_lazy("Base"),
        "rate": "2.00",
        "rubles_per_point": "50.00",
    },
    "balance": {"available": 340, "pending": 0, "debt": 0, "next_activation": None},
    "expiring": [{"date": "2026-07-15", "points": 120}],
    "next_tier": {"code": "silver", "name": gettext_lazy("Silver"), "spend_needed": "6500.00"},
}


def member_example(**kwargs) -> OpenApiExample:
    return OpenApiExample(
        "member", value=MEMBER_EXAMPLE, summary=gettext_lazy("Member"), response_only=True, **kwargs
    )


# --- members ------------------------------------------------------------------------------------
class MemberCreateView(PartnerView):
    errors = doc.documented(
        "invalid_input",
        "invalid_phone",
        "consent_required",
        "invalid_referral_code",
        "member_exists",
        "email_taken",
        "request_in_progress",
        "idempotency_key_reused",
        invalid_input=lambda: parse(s.MemberIn, {"phone": "8 912 345-67-89", "consents": {}}),
    )

    @extend_schema(
        operation_id="members_create",
        tags=[doc.MEMBERS],
        summary=gettext_lazy("Enrol a member"),
        description=gettext_lazy(
            "Enrols a member with channel `api`. The same phone in any notation → 409 "
            "`member_exists` with the existing member's `id`."
        ),
        parameters=[doc.IDEMPOTENCY_KEY_OPTIONAL],
        request=s.MemberIn,
        responses={201: s.MemberOut, **doc.responses(errors)},
        examples=[
            OpenApiExample(
                "join",
                summary=gettext_lazy("Join"),
                value={
                    "phone": "8 (912) 345-67-89",
                    "first_name": gettext_lazy("Anna"),
                    "consents": {"personal_data": True, "marketing_sms": True},
                },
                request_only=True,
            ),
            member_example(status_codes=[201]),
        ],
    )
    def post(self, request):
        data = parse(s.MemberIn, request.data)

        def work(_claim):
            now = timezone.now()
            member = enroll_member(
                phone=data["phone"],
                consents=dict(data["consents"]),
                now=now,
                channel=Member.Channel.API,
                source=enrolment_source(request.user.pk),
                email=data.get("email"),
                first_name=data.get("first_name", ""),
                last_name=data.get("last_name", ""),
                birth_date=data.get("birth_date"),
                referral_code=data.get("referral_code") or None,
            )
            events.on_joined(member, now=now, referral_code=data.get("referral_code") or "")
            return 201, s.member_body(member_summary(member_id=member.pk, now=now))

        return idempotent(request, work, required=False)


def qr_expired() -> ConfirmationInvalid:
    return ConfirmationInvalid(
        _("The QR code has expired: ask the member to open the card again."), reason="qr_expired"
    )


class MemberLookupView(PartnerView):
    errors = doc.documented(
        "invalid_input",
        "member_not_found",
        "confirmation_invalid",
        invalid_input=lambda: parse(s.LookupIn, {}),
        confirmation_invalid=doc.raising(qr_expired),
    )

    @extend_schema(
        operation_id="members_lookup",
        tags=[doc.MEMBERS],
        summary=gettext_lazy("Find a member by phone, card or the cabinet's live QR code"),
        description=gettext_lazy(
            "Exactly one of `phone`, `card`, `qr`. By phone: only a member who joined through "
            "your key or bought at your stores (unless the program shares members); anyone else "
            "→ 404 `member_not_found`. By card number or live QR (the member is at the till): "
            "any member. A QR token that is no longer live → 422 `confirmation_invalid` "
            "(`reason`: `qr_expired`): ask the member to open the card again."
        ),
        parameters=[
            OpenApiParameter("phone", str, description=gettext_lazy("Phone in any notation.")),
            OpenApiParameter(
                "card", str, description=gettext_lazy("Card number (13 digits, EAN-13).")
            ),
            OpenApiParameter(
                "qr",
                str,
                description=gettext_lazy(
                    "The scanned QR code of the cabinet's card: 21 digits, the card number and a "
                    "code that changes every 30 seconds."
                ),
            ),
        ],
        responses={200: s.MemberOut, **doc.responses(errors)},
        examples=[member_example()],
    )
    def get(self, request):
        query = parse(s.LookupIn, request.query_params)
        now = timezone.now()
        if query.get("phone"):
            try:
                phone = normalize_phone(query["phone"])
            except InvalidPhone as exc:
                raise MemberNotFound() from exc
            summary = member_summary(
                phone=phone, now=now, partner_id=partner_scope(request.user.pk)
            )
        elif query.get("card"):
            summary = member_summary(card_number=query["card"], now=now)
        else:
            card = card_number_of_qr(query["qr"])
            if card is None:
                raise MemberNotFound()
            summary = member_summary(card_number=card, now=now)
            if not is_live_qr(member_id=summary.member.pk, token=query["qr"], now=now):
                raise qr_expired()
        return Response(s.member_body(summary))


MEMBER_ID = doc.path_id("id", gettext_lazy("Member id."))
ONLY_YOUR_MEMBERS = gettext_lazy(
    "Only a member who joined through your key or bought at your stores (unless the program "
    "shares members); anyone else → 404 `member_not_found`."
)


class MemberDetailView(PartnerView):
    errors = doc.documented("member_not_found")

    @extend_schema(
        operation_id="members_retrieve",
        tags=[doc.MEMBERS],
        summary=gettext_lazy("A member's card, tier, balance and expiring points"),
        description=ONLY_YOUR_MEMBERS,
        parameters=[MEMBER_ID],
        responses={200: s.MemberOut, **doc.responses(errors)},
        examples=[member_example()],
    )
    def get(self, request, id):
        summary = member_summary(
            member_id=id, now=timezone.now(), partner_id=partner_scope(request.user.pk)
        )
        return Response(s.member_body(summary))


class ConfirmationCodeView(PartnerView):
    errors = doc.documented(
        "member_not_found",
        "request_in_progress",
        "member_blocked",
        "idempotency_key_reused",
        "otp_rate_limited",
        "sms_unavailable",
    )

    @extend_schema(
        operation_id="members_confirmation_code",
        tags=[doc.MEMBERS],
        summary=gettext_lazy("Send the member a code to spend points"),
        description=gettext_lazy(
            "Sends the member an SMS with a 6-digit code (valid 5 minutes, 5 tries) that the "
            "till passes as `confirmation.code` of a purchase that redeems points. The member "
            "reads it out at the till. At most 3 codes per member per 15 minutes → 429 "
            "`otp_rate_limited` with `retry_after` (seconds). Each code replaces the previous "
            "one. With an `Idempotency-Key`, a retry does not send another SMS."
        ),
        parameters=[MEMBER_ID, doc.IDEMPOTENCY_KEY_OPTIONAL],
        request=None,
        responses={202: s.ConfirmationCodeOut, **doc.responses(errors)},
        examples=[
            OpenApiExample(
                "sent",
                summary=gettext_lazy("Code sent"),
                value={"sent": True, "expires_in": 300},
                response_only=True,
                status_codes=[202],
            )
        ],
    )
    def post(self, request, id):
        def work(_claim):
            lifetime = send_redeem_code(member_id=id, now=timezone.now())
            return 202, s.confirmation_code_body(int(lifetime.total_seconds()))

        return idempotent(request, work, required=False)


class LedgerPagination(CursorPagination):
    # DRF's message, here so that our catalogue can word it (DRF's Russian is misspelt).
    invalid_cursor_message = gettext_lazy("Invalid cursor")
    ordering = ("-created_at", "-id")
    page_size = 50
    page_size_query_param = "limit"
    max_page_size = 200

    def get_paginated_response_schema(self, schema):
        result = super().get_paginated_response_schema(schema)
        for name, cursor in (("next", "cD0yMDI2LTAxLTE1"), ("previous", "cj0xJnA9MjAyNi0wMS0xNg")):
            result["properties"][name]["example"] = (
                f"https://kopilka.example/api/v1/members/42/ledger?cursor={cursor}"
            )
        return result

    def decode_cursor(self, request):
        """A cursor whose position is not a time in UTC, as the pages' own links carry, is as
        invalid as one that does not decode: 404 `not_found` (DRF checks only the encoding;
        the query would fail on the value)."""
        cursor = super().decode_cursor(request)
        if cursor is not None and cursor.position is not None:
            try:
                position = parse_datetime(cursor.position)
            except ValueError:  # well-formed but impossible, e.g. month 13
                position = None
            if position is None or position.utcoffset() != dt.timedelta(0):
                raise NotFound(self.invalid_cursor_message)
        return cursor


class MemberLedgerView(PartnerView):
    pagination_class = LedgerPagination  # also tells drf-spectacular the page envelope
    errors = doc.documented(
        "member_not_found",
        "not_found",
        not_found=doc.raising(lambda: NotFound(LedgerPagination.invalid_cursor_message)),
    )

    @extend_schema(
        operation_id="members_ledger",
        tags=[doc.MEMBERS],
        summary=gettext_lazy("A member's points history, newest first"),
        description=gettext_lazy(
            "Only a member who joined through your key or bought at your stores (unless the "
            "program shares members). `purchase_id` and `refund_id` are given only for your own "
            "checks; `reason` is what the member is told (staff's internal reasons are never "
            "shown). A "
            "`cursor` that is not one of the pages' own → 404 `not_found`."
        ),
        parameters=[
            MEMBER_ID,
            OpenApiParameter(
                "cursor", str, description=gettext_lazy("From `next`/`previous` of a page.")
            ),
            OpenApiParameter(
                "limit",
                {"type": "integer", "minimum": 1, "maximum": 200},
                description=gettext_lazy("Page size."),
            ),
        ],
        responses={200: s.LedgerEntryOut(many=True), **doc.responses(errors)},
        examples=[
            OpenApiExample(
                "entry",
                summary=gettext_lazy("Points earned on a purchase"),
                value={
                    "id": 9001,
                    "kind": "earn",
                    "points": 7,
                    "created_at": "2026-01-15T12:00:01+03:00",
                    "purchase_id": 1001,
                    "refund_id": None,
                    "expires_at": "2027-01-15T00:00:00+03:00",
                    "reason": "",
                },
                response_only=True,
            )
        ],
    )
    def get(self, request, id):
        partner_id = request.user.pk
        if not member_exists(id, readable_by=partner_id):
            raise MemberNotFound()
        paginator = self.pagination_class()
        page = paginator.paginate_queryset(partner_ledger_rows(id), request, view=self)
        return paginator.get_paginated_response(
            [s.ledger_entry_body(partner_ledger_entry(row, partner_id=partner_id)) for row in page]
        )


# --- purchases ----------------------------------------------------------------------------------
CHECK_EXAMPLE = {
    "member_id": 42,
    "lines": [
        {
            "sku": "MILK-1L",
            "name": gettext_lazy("Milk 1 l"),
            "quantity": "2",
            "price": "89.90",
            "amount": "179.80",
        },
        {
            "sku": "CIG-01",
            "quantity": "1",
            "price": "250.00",
            "amount": "250.00",
            "redeemable": False,
        },
    ],
    "redeem_points": 50,
}


SATURDAYS = {"id": 3, "name": gettext_lazy("Double points on Saturdays"), "points": 7}
LOST_CAMPAIGN = {
    "id": 5,
    "name": gettext_lazy("Bonus for a large check"),
    "points": 0,
    "applied": False,
    "reason": Reason.GROUP,
    "reason_text": lazy(Reason.text, str)(Reason.GROUP),
}


def _check_example(**extra) -> OpenApiExample:
    return OpenApiExample(
        "check",
        summary=gettext_lazy("Check"),
        value={**CHECK_EXAMPLE, **extra},
        request_only=True,
    )


# The ways a check is refused as not adding up, or a line as unknown (no database needed).
def _check_not_adding_up():
    build_check([{"sku": "MILK-1L", "price": "89.90"}], "100.00")


class QuoteView(PartnerView):
    errors = doc.documented(
        "invalid_input",
        "invalid_check",
        "member_not_found",
        "member_blocked",
        "insufficient_points",
        "redeem_limit_exceeded",
        invalid_input=lambda: parse_check({"amount": "429.80"}, purchase=False),
        invalid_check=_check_not_adding_up,
    )

    @extend_schema(
        operation_id="purchases_quote",
        tags=[doc.PURCHASES],
        summary=gettext_lazy("What a check would redeem and earn (no writes)"),
        description=gettext_lazy(
            "With `redeem_points`, the quote is for redeeming exactly that many, refused like "
            "the purchase would be (422 `insufficient_points`, `redeem_limit_exceeded`); "
            "without it, for redeeming none."
        ),
        request=s.QuoteIn,
        responses={200: s.QuoteOut, **doc.responses(errors)},
        examples=[
            _check_example(),
            OpenApiExample(
                "quote",
                summary=gettext_lazy("Quote"),
                value={
                    "available_points": 340,
                    "max_redeem_points": 53,
                    "redeem_points": 50,
                    "earn_points": 7,
                    "bonus_points": 7,
                    "discount": "50.00",
                    "lines": [
                        {"sku": "MILK-1L", "amount": "179.80", "discount": "50.00"},
                        {"sku": "CIG-01", "amount": "250.00", "discount": "0.00"},
                    ],
                    "campaigns": [{**SATURDAYS, "applied": True}, LOST_CAMPAIGN],
                },
                response_only=True,
            ),
        ],
    )
    def post(self, request):
        data = parse_check(request.data, purchase=False)
        quote = quote_purchase(
            member_id=data["member_id"],
            partner=request.user,
            store=_store(data.get("store_id")),
            channel=data.get("channel", Purchase.Channel.API),
            now=timezone.now(),
            lines=check_lines(data),
            amount=data.get("amount"),
            redeem_points=data.get("redeem_points"),
        )
        return Response(s.quote_body(quote))


def _store(store_id: int | None) -> Store | None:
    if store_id is None:
        return None
    store = Store.objects.only("id", "partner_id").filter(pk=store_id).first()
    if store is None:
        raise InvalidCheck(_("No such store."), fields={"store_id": [_("No such store.")]})
    return store


def _created_body_from_db(partner, **lookup) -> dict:
    """The 201 body of a purchase recorded earlier, as it was first answered. By key: the
    newest purchase with it (a key may come back once its record was deleted as too old)."""
    purchase = (
        Purchase.objects.prefetch_related("lines")
        .filter(partner=partner, **lookup)
        .order_by("-id")
        .first()
    )
    if purchase.available_after is None:  # recorded before the balance was kept
        balance = balance_of(purchase.member_id)
    else:
        balance = purchase.available_after, purchase.pending_after
    campaigns = applied_listing(purchase.bonuses.all()) if purchase.bonus_points else []
    return s.purchase_created_body(purchase, purchase.lines.all(), *balance, campaigns=campaigns)


def _confirmation(data: dict | None) -> Confirmation | None:
    if not data:
        return None
    return Confirmation(code=data.get("code", ""), qr=data.get("qr", ""))


class PurchaseCreateView(PartnerView):
    errors = doc.documented(
        "invalid_input",
        "invalid_check",
        "idempotency_key_required",
        "member_not_found",
        "purchase_exists",
        "request_in_progress",
        "member_blocked",
        "insufficient_points",
        "redeem_limit_exceeded",
        "confirmation_required",
        "confirmation_invalid",
        "idempotency_key_reused",
        invalid_input=lambda: parse_check({"member_id": 42}, purchase=True),
        invalid_check=_check_not_adding_up,
    )

    @extend_schema(
        operation_id="purchases_create",
        tags=[doc.PURCHASES],
        summary=gettext_lazy("Record a purchase: redeem, then earn"),
        description=gettext_lazy(
            "Needs an `Idempotency-Key`. Redeeming points when the program asks for proof of "
            'presence needs `confirmation`: `{"code": …}` sent by '
            '`POST /members/{id}/confirmation-code`, or `{"qr": …}` the live QR of the '
            "member's cabinet → else 422 `confirmation_required`, or `confirmation_invalid` "
            "with `reason` (`wrong` + `attempts_left`, `expired`, `locked`, `qr_expired`); a "
            "code is used once. Earning alone needs none. Over the redeem cap → 422 "
            "`redeem_limit_exceeded`; over the balance → 422 `insufficient_points`; a blocked "
            "member → 422 `member_blocked`; the same `external_id` under another key → 409 "
            "`purchase_exists`."
        ),
        parameters=[doc.IDEMPOTENCY_KEY],
        request=s.PurchaseIn,
        responses={201: s.PurchaseCreatedOut, **doc.responses(errors)},
        examples=[
            _check_example(external_id="0001-000123"),
            OpenApiExample(
                "recorded",
                summary=gettext_lazy("Recorded"),
                value={
                    "id": 1001,
                    "external_id": "0001-000123",
                    "member_id": 42,
                    "store_id": None,
                    "occurred_at": "2026-01-15T12:00:00+03:00",
                    "total": "429.80",
                    "discount": "50.00",
                    "earned_points": 7,
                    "redeemed_points": 50,
                    "bonus_points": 7,
                    "lines": [
                        {"sku": "MILK-1L", "amount": "179.80", "discount": "50.00"},
                        {"sku": "CIG-01", "amount": "250.00", "discount": "0.00"},
                    ],
                    "campaigns": [{**SATURDAYS, "applied": True}],
                    "balance": {"available": 304, "pending": 0},
                },
                response_only=True,
                status_codes=[201],
            ),
        ],
    )
    def post(self, request):
        data = parse_check(request.data, purchase=True)
        partner = request.user

        def work(guard):
            try:
                result = record_purchase(
                    member_id=data["member_id"],
                    partner=partner,
                    external_id=data["external_id"],
                    now=timezone.now(),
                    lines=check_lines(data),
                    amount=data.get("amount"),
                    redeem_points=data.get("redeem_points", 0),
                    store=_store(data.get("store_id")),
                    channel=data.get("channel", Purchase.Channel.API),
                    occurred_at=data.get("occurred_at"),
                    idempotency_key=guard.key,
                    idempotency=guard,
                    confirmation=_confirmation(data.get("confirmation")),
                )
            except PurchaseExists as exc:
                if guard.taken_over and exc.extra.get("idempotency_key") == guard.key:
                    # A crashed request's purchase: answered (and stored) as its success.
                    body = _created_body_from_db(partner, pk=exc.extra["id"])
                    return guard.store_apart(201, body, now=timezone.now())
                raise
            account = result.account
            body = s.purchase_created_body(
                result.purchase,
                result.lines,
                account.available,
                account.pending,
                campaigns=applied_listing(result.bonuses),
            )
            return 201, body

        return idempotent_in_transaction(
            request, work, lambda key: _created_body_from_db(partner, idempotency_key=key)
        )


PURCHASE_ID = doc.path_id("id", gettext_lazy("Purchase id."))


class PurchaseDetailView(PartnerView):
    errors = doc.documented("purchase_not_found")

    @extend_schema(
        operation_id="purchases_retrieve",
        tags=[doc.PURCHASES],
        summary=gettext_lazy("One of your purchases, with its lines and refunds"),
        description=gettext_lazy("Only purchases recorded with your keys; else 404."),
        parameters=[PURCHASE_ID],
        responses={200: s.PurchaseOut, **doc.responses(errors)},
        examples=[
            OpenApiExample(
                "purchase",
                summary=gettext_lazy("Purchase with a refund"),
                value={
                    "id": 1001,
                    "external_id": "0001-000123",
                    "member_id": 42,
                    "store_id": None,
                    "occurred_at": "2026-01-15T12:00:00+03:00",
                    "created_at": "2026-01-15T12:00:01+03:00",
                    "total": "429.80",
                    "discount": "50.00",
                    "earned_points": 7,
                    "redeemed_points": 50,
                    "refunded_total": "89.90",
                    "returned_points": 25,
                    "clawed_back_points": 1,
                    "lines": [
                        {
                            "sku": "MILK-1L",
                            "name": gettext_lazy("Milk 1 l"),
                            "category": "",
                            "quantity": "2.000",
                            "price": "89.90",
                            "amount": "179.80",
                            "discount": "50.00",
                            "redeemable": True,
                            "refunded_quantity": "1.000",
                            "refunded_amount": "89.90",
                        }
                    ],
                    "refunds": [
                        {
                            "id": 77,
                            "external_id": "R-0001-000123",
                            "amount": "89.90",
                            "created_at": "2026-01-16T10:00:00+03:00",
                        }
                    ],
                },
                response_only=True,
            )
        ],
    )
    def get(self, request, id):
        purchase = (
            Purchase.objects.filter(pk=id, partner=request.user)
            .prefetch_related("lines", "refunds")
            .first()
        )
        if purchase is None:
            raise PurchaseNotFound()
        return Response(s.purchase_body(purchase))


def _unknown_refund_line():
    refund_parts_by_lines([], [{"sku": "MILK-1L", "quantity": "1"}])


class RefundCreateView(PartnerView):
    errors = doc.documented(
        "invalid_input",
        "invalid_check",
        "idempotency_key_required",
        "purchase_not_found",
        "refund_exists",
        "request_in_progress",
        "refund_exceeds_purchase",
        "idempotency_key_reused",
        invalid_input=lambda: parse(s.RefundIn, {}),
        invalid_check=_unknown_refund_line,
    )

    @extend_schema(
        operation_id="purchases_refunds_create",
        tags=[doc.PURCHASES],
        summary=gettext_lazy("Refund a purchase whole, by lines or by amount"),
        description=gettext_lazy(
            "Needs an `Idempotency-Key`. Neither `lines` nor `amount`: the whole remaining "
            "purchase. More than bought → 422 `refund_exceeds_purchase`."
        ),
        parameters=[PURCHASE_ID, doc.IDEMPOTENCY_KEY],
        request=s.RefundIn,
        responses={201: s.RefundOut, **doc.responses(errors)},
        examples=[
            OpenApiExample(
                "by_lines",
                summary=gettext_lazy("By lines"),
                value={
                    "external_id": "R-0001-000123",
                    "lines": [{"sku": "MILK-1L", "quantity": "1"}],
                },
                request_only=True,
            ),
            OpenApiExample(
                "refunded",
                summary=gettext_lazy("Refunded"),
                value={
                    "id": 77,
                    "external_id": "R-0001-000123",
                    "purchase_id": 1001,
                    "amount": "89.90",
                    "discount": "25.00",
                    "clawed_back_points": 1,
                    "returned_points": 25,
                    "forfeited_points": 0,
                    "shortfall_points": 0,
                    "shortfall_amount": "0.00",
                    "created_at": "2026-01-16T10:00:00+03:00",
                    "balance": {"available": 321, "pending": 0},
                },
                response_only=True,
                status_codes=[201],
            ),
        ],
    )
    def post(self, request, id):
        data = parse(s.RefundIn, request.data)

        def work(claim):
            refund = refund_purchase(
                purchase_id=id,
                external_id=data["external_id"],
                now=timezone.now(),
                partner=request.user,
                lines=check_lines(data),
                amount=data.get("amount"),
                idempotency_key=claim.key,
            )
            return 201, s.refund_body(refund, *balance_of(refund.purchase.member_id))

        return idempotent(request, work)


# --- checks without a card -----------------------------------------------------------------------
class GuestCheckCreateView(PartnerView):
    errors = doc.documented(
        "invalid_input",
        "invalid_check",
        "idempotency_key_required",
        "guest_check_exists",
        "purchase_exists",
        "request_in_progress",
        "idempotency_key_reused",
        invalid_input=lambda: parse(s.GuestCheckIn, {"external_id": "0001-000124"}),
        invalid_check=lambda: guest_check_total("0"),
    )

    @extend_schema(
        operation_id="guest_checks_create",
        tags=[doc.GUEST_CHECKS],
        summary=gettext_lazy("Record a check paid without a card (for analytics only)"),
        description=gettext_lazy(
            "Needs an `Idempotency-Key`. A sale to a customer who is not a member (or showed no "
            "card): no points move; the check counts in the program's figures (the share of "
            "checks with a card, the average check of members against other customers). The "
            "check number is unique per partner: the same `external_id` under another key → "
            "409 `guest_check_exists` with `id`; a number one of your members' purchases "
            "already has → 409 `purchase_exists` with `id`. `total` above zero with at most 2 "
            "decimals; `occurred_at` at most a day ahead; `store_id` one of your stores → else "
            "400 `invalid_check` or `invalid_input` with the field."
        ),
        parameters=[doc.IDEMPOTENCY_KEY],
        request=s.GuestCheckIn,
        responses={201: s.GuestCheckOut, **doc.responses(errors)},
        examples=[
            OpenApiExample(
                "check",
                summary=gettext_lazy("Check"),
                value={
                    "external_id": "0001-000124",
                    "total": "1249.90",
                    "occurred_at": "2026-01-15T12:05:00+03:00",
                    "channel": "till",
                },
                request_only=True,
            ),
            OpenApiExample(
                "recorded",
                summary=gettext_lazy("Recorded"),
                value={
                    "id": 5001,
                    "external_id": "0001-000124",
                    "store_id": None,
                    "occurred_at": "2026-01-15T12:05:00+03:00",
                    "total": "1249.90",
                    "channel": "till",
                },
                response_only=True,
                status_codes=[201],
            ),
        ],
    )
    def post(self, request):
        data = parse(s.GuestCheckIn, request.data)

        def work(_claim):
            check = record_guest_check(
                partner=request.user,
                store=_store(data.get("store_id")),
                external_id=data["external_id"],
                total=data["total"],
                occurred_at=data.get("occurred_at"),
                channel=data.get("channel", Purchase.Channel.API),
                now=timezone.now(),
            )
            return 201, s.guest_check_body(check)

        return idempotent(request, work)


class CampaignListView(PartnerView):
    errors = doc.documented()

    @extend_schema(
        operation_id="campaigns_list",
        tags=[doc.CAMPAIGNS],
        summary=gettext_lazy("The campaigns running (or scheduled) for your stores"),
        description=gettext_lazy(
            "Campaigns whose conditions do not rule out your partner or stores; the quote and "
            "the purchase answers say which of them applied to a check."
        ),
        responses={200: s.CampaignOut(many=True), **doc.responses(errors)},
        examples=[
            OpenApiExample(
                "campaign",
                summary=gettext_lazy("Double points on Saturdays"),
                value={
                    "id": 3,
                    "code": "saturdays",
                    "name": SATURDAYS["name"],
                    "description": "Двойные баллы по субботам.",
                    "description_en": "Double points on Saturdays.",
                    "kind": "promo",
                    "status": "running",
                    "starts_at": "2026-01-01T00:00:00+03:00",
                    "ends_at": None,
                    "effect": "multiplier",
                    "value": "2.00",
                    "per_amount": None,
                    "steps": [],
                    "stacking_group": "",
                    "exclusive": False,
                },
                response_only=True,
            )
        ],
    )
    def get(self, request):
        now = timezone.now()
        return Response([s.campaign_body(c, now) for c in partner_campaigns(request.user.pk, now)])
