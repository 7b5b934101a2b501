"""Input serializers (parse and shape-check requests) and the JSON bodies the API answers with.

Outputs are built as plain dicts by the `*_body` functions — the hot paths (lookup, quote,
purchase) must not pay for serializer machinery. The `*Out` serializers only describe those
bodies in the OpenAPI schema; tests check that the bodies match the schema.
"""

import datetime as dt
from decimal import Decimal

from django.utils import timezone
from django.utils.functional import lazy
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from campaigns.engine import Reason
from campaigns.models import Campaign
from customers.models import Member
from customers.phones import mask_phone
from loyalty.models import Purchase, Refund
from loyalty.money import CENT
from loyalty.selectors import MemberSummary
from loyalty.services.checks import CHANNELS, EARLIEST, MAX_ID, MAX_LINES, MAX_REDEEM_POINTS


@extend_schema_field({"type": "integer", "format": "int64", "minimum": 1})
class IdField(serializers.IntegerField):
    """A database id: 1 to 2**63 - 1. The schema says int64 instead of that maximum, which
    JavaScript cannot hold (Swagger UI showed 9223372036854776000)."""

    def __init__(self, **kwargs):
        super().__init__(min_value=1, **kwargs)

    def to_internal_value(self, data):
        # Checked here, not by a MaxValueValidator, which drf-spectacular would document.
        value = super().to_internal_value(data)
        if value > MAX_ID:
            self.fail("max_value", max_value=MAX_ID)
        return value


# Choices with their labels: the schema lists each value with its meaning, in the page's language.
CHANNEL_CHOICES = [(code, Purchase.Channel(code).label) for code in CHANNELS]
REASONS = (
    Reason.HELD_OUT,
    Reason.GROUP,
    Reason.EXCLUSIVE,
    Reason.CAP,
    Reason.BUDGET,
    Reason.MEMBER_LIMIT,
)


def money(value: Decimal | None) -> str | None:
    return None if value is None else str(Decimal(value).quantize(CENT))


def when(value: dt.datetime | None) -> str | None:
    return None if value is None else timezone.localtime(value).isoformat()


# --- inputs -------------------------------------------------------------------------------------
class ConsentsIn(serializers.Serializer):
    personal_data = serializers.BooleanField(
        help_text=_("Consent to personal data processing; required to join.")
    )
    marketing_email = serializers.BooleanField(required=False, default=False)
    marketing_sms = serializers.BooleanField(required=False, default=False)
    push = serializers.BooleanField(required=False, default=False)


class MemberIn(serializers.Serializer):
    phone = serializers.CharField(max_length=32, help_text=_("Any notation: +7 912 345-67-89."))
    email = serializers.EmailField(required=False, allow_blank=True, max_length=254)
    first_name = serializers.CharField(required=False, allow_blank=True, max_length=100)
    last_name = serializers.CharField(required=False, allow_blank=True, max_length=100)
    birth_date = serializers.DateField(required=False, allow_null=True)
    referral_code = serializers.CharField(required=False, allow_blank=True, max_length=12)
    consents = ConsentsIn()


class LookupIn(serializers.Serializer):
    phone = serializers.CharField(required=False, max_length=32)
    card = serializers.CharField(required=False, max_length=13)
    qr = serializers.CharField(required=False, max_length=40)

    def validate(self, attrs):
        if sum(bool(attrs.get(name)) for name in ("phone", "card", "qr")) != 1:
            raise serializers.ValidationError(_("Give one of phone, card or qr."))
        return attrs


# CheckLineIn, CheckIn, QuoteIn, ConfirmationIn and PurchaseIn document the check body in the
# OpenAPI schema; the views validate it with loyalty.services.checks.parse_check, which
# tests/api/test_checks.py proves gives these serializers' exact results and messages.
class CheckLineIn(serializers.Serializer):
    sku = serializers.CharField(max_length=64)
    name = serializers.CharField(required=False, allow_blank=True, max_length=200)
    category = serializers.CharField(required=False, allow_blank=True, max_length=100)
    quantity = serializers.DecimalField(
        max_digits=12, decimal_places=3, required=False, help_text=_("Default 1.")
    )
    price = serializers.DecimalField(max_digits=12, decimal_places=2, required=False)
    amount = serializers.DecimalField(
        max_digits=12,
        decimal_places=2,
        required=False,
        help_text=_("Line total after the shop's own discounts; default price × quantity."),
    )
    redeemable = serializers.BooleanField(
        required=False, help_text=_("False for goods points may not pay for. Default true.")
    )


class CheckIn(serializers.Serializer):
    member_id = IdField()
    lines = CheckLineIn(many=True, required=False, max_length=MAX_LINES)
    amount = serializers.DecimalField(
        max_digits=12,
        decimal_places=2,
        required=False,
        allow_null=True,
        help_text=_("The check total; required without lines, must match them with lines."),
    )
    redeem_points = serializers.IntegerField(
        min_value=0, max_value=MAX_REDEEM_POINTS, required=False
    )
    store_id = IdField(required=False, allow_null=True)
    channel = serializers.ChoiceField(
        choices=CHANNEL_CHOICES,
        required=False,
        help_text=_("Where the check is paid: till, eshop or api (default), for campaigns."),
    )


class QuoteIn(CheckIn):
    pass


class ConfirmationIn(serializers.Serializer):
    code = serializers.CharField(
        required=False, allow_blank=True, max_length=12, help_text=_("The code the member got.")
    )
    qr = serializers.CharField(
        required=False,
        allow_blank=True,
        max_length=40,
        help_text=_("The live QR code of the member's cabinet card, as scanned."),
    )


class PurchaseIn(CheckIn):
    external_id = serializers.CharField(max_length=100, help_text=_("The check number."))
    occurred_at = serializers.DateTimeField(
        required=False, help_text=_("When the check was paid; default now.")
    )
    confirmation = ConfirmationIn(
        required=False,
        help_text=_("Proof that the member is at the till, when points are redeemed."),
    )

    def validate_occurred_at(self, value):
        if value < EARLIEST:
            raise serializers.ValidationError(_("The purchase time is too far in the past."))
        return value


class RefundLineIn(serializers.Serializer):
    sku = serializers.CharField(max_length=64)
    quantity = serializers.DecimalField(max_digits=12, decimal_places=3, required=False)


class RefundIn(serializers.Serializer):
    external_id = serializers.CharField(max_length=100, help_text=_("The refund number."))
    lines = RefundLineIn(many=True, required=False, max_length=MAX_LINES)
    amount = serializers.DecimalField(
        max_digits=12,
        decimal_places=2,
        required=False,
        allow_null=True,
        help_text=_("Goods value to refund, spread over the lines. Neither: refund the rest."),
    )


class GuestCheckIn(serializers.Serializer):
    external_id = serializers.CharField(max_length=100, help_text=_("The check number."))
    total = serializers.DecimalField(
        max_digits=12, decimal_places=2, help_text=_("The check total in rubles, above zero.")
    )
    store_id = IdField(required=False, allow_null=True)
    occurred_at = serializers.DateTimeField(
        required=False, help_text=_("When the check was paid; default now.")
    )
    channel = serializers.ChoiceField(
        choices=CHANNEL_CHOICES,
        required=False,
        help_text=_("Where the check is paid: till, eshop or api (default)."),
    )


# --- output bodies ------------------------------------------------------------------------------
def balance_body(available: int, pending: int) -> dict:
    return {"available": available, "pending": pending}


def member_body(summary: MemberSummary) -> dict:
    """The member as partners see it: masked phone, tier, balance, what expires, what is next."""
    member, tier, balance, next_tier = (
        summary.member,
        summary.tier,
        summary.balance,
        summary.next_tier,
    )
    return {
        "id": member.pk,
        "card_number": member.card_number,
        "phone_masked": mask_phone(member.phone),
        "status": member.status,
        "tier": {
            "code": tier.code,
            "name": tier.display_name,
            "rate": money(tier.percent),
            "rubles_per_point": money(tier.rubles_per_point),
        },
        "balance": {
            "available": balance.available,
            "pending": balance.pending,
            "debt": balance.debt,
            "next_activation": when(balance.next_activation),
        },
        "expiring": [{"date": e.date.isoformat(), "points": e.points} for e in summary.expiring],
        "next_tier": (
            {
                "code": next_tier.code,
                "name": next_tier.display_name,
                "spend_needed": money(summary.spend_needed),
            }
            if next_tier
            else None
        ),
    }


def line_discounts_body(lines) -> list[dict]:
    return [
        {"sku": ln.sku, "amount": money(ln.amount), "discount": money(ln.discount)} for ln in lines
    ]


def quote_body(quote) -> dict:
    return {
        "available_points": quote.available_points,
        "max_redeem_points": quote.max_redeem_points,
        "redeem_points": quote.redeem_points,
        "earn_points": quote.earn_points,
        "bonus_points": quote.bonus_points,
        "discount": money(quote.discount),
        "lines": line_discounts_body(quote.lines),
        "campaigns": list(quote.campaigns),
    }


def purchase_created_body(
    purchase: Purchase, lines, available: int, pending: int, *, campaigns=()
) -> dict:
    return {
        "id": purchase.pk,
        "external_id": purchase.external_id,
        "member_id": purchase.member_id,
        "store_id": purchase.store_id,
        "occurred_at": when(purchase.occurred_at),
        "total": money(purchase.total),
        "discount": money(purchase.discount),
        "earned_points": purchase.earned_points,
        "redeemed_points": purchase.redeemed_points,
        "bonus_points": purchase.bonus_points,
        "lines": line_discounts_body(lines),
        "campaigns": list(campaigns),
        "balance": balance_body(available, pending),
    }


def purchase_body(purchase: Purchase) -> dict:
    """A recorded purchase with its lines and refunds (lines and refunds prefetched)."""
    return {
        "id": purchase.pk,
        "external_id": purchase.external_id,
        "member_id": purchase.member_id,
        "store_id": purchase.store_id,
        "occurred_at": when(purchase.occurred_at),
        "created_at": when(purchase.created_at),
        "total": money(purchase.total),
        "discount": money(purchase.discount),
        "earned_points": purchase.earned_points,
        "redeemed_points": purchase.redeemed_points,
        "refunded_total": money(purchase.refunded_total),
        "returned_points": purchase.returned_points,
        "clawed_back_points": purchase.clawed_back_points,
        "lines": [
            {
                "sku": ln.sku,
                "name": ln.name,
                "category": ln.category,
                "quantity": str(ln.quantity),
                "price": money(ln.price),
                "amount": money(ln.amount),
                "discount": money(ln.discount),
                "redeemable": ln.redeemable,
                "refunded_quantity": str(ln.refunded_quantity),
                "refunded_amount": money(ln.refunded_amount),
            }
            for ln in purchase.lines.all()
        ],
        "refunds": [
            {
                "id": r.pk,
                "external_id": r.external_id,
                "amount": money(r.amount),
                "created_at": when(r.created_at),
            }
            for r in purchase.refunds.all()
        ],
    }


def refund_body(refund: Refund, available: int, pending: int) -> dict:
    return {
        "id": refund.pk,
        "external_id": refund.external_id,
        "purchase_id": refund.purchase_id,
        "amount": money(refund.amount),
        "discount": money(refund.discount),
        "clawed_back_points": refund.clawed_back_points,
        "returned_points": refund.returned_points,
        "forfeited_points": refund.forfeited_points,
        "shortfall_points": refund.shortfall_points,
        "shortfall_amount": money(refund.shortfall_amount),
        "created_at": when(refund.created_at),
        "balance": balance_body(available, pending),
    }


def guest_check_body(check) -> dict:
    return {
        "id": check.pk,
        "external_id": check.external_id,
        "store_id": check.store_id,
        "occurred_at": when(check.occurred_at),
        "total": money(check.total),
        "channel": check.channel,
    }


def confirmation_code_body(expires_in: int) -> dict:
    return {"sent": True, "expires_in": expires_in}


def ledger_entry_body(row: dict) -> dict:
    return {
        "id": row["id"],
        "kind": row["kind"],
        "points": row["points"],
        "created_at": when(row["created_at"]),
        "purchase_id": row["purchase_id"],
        "refund_id": row["refund_id"],
        "expires_at": when(row["expires_at"]),
        "reason": row["reason"],
    }


# --- output schemas (documentation only) --------------------------------------------------------
def _money_out(**kw):
    return serializers.DecimalField(max_digits=14, decimal_places=2, **kw)


class ErrorOut(serializers.Serializer):
    code = serializers.CharField(help_text=_("Stable snake_case error code."))
    detail = serializers.CharField()
    fields = serializers.DictField(
        child=serializers.ListField(child=serializers.CharField()),
        help_text=_("Messages per field (`lines[0].sku`); empty when the error is not a field's."),
    )


class TierOut(serializers.Serializer):
    code = serializers.CharField()
    name = serializers.CharField()
    rate = _money_out(help_text=_("Points earned as a percent of the money paid."))
    rubles_per_point = _money_out()


class MemberBalanceOut(serializers.Serializer):
    available = serializers.IntegerField()
    pending = serializers.IntegerField(help_text=_("Earned but not yet spendable."))
    debt = serializers.IntegerField(help_text=_("Points owed after refunds (debt policy)."))
    next_activation = serializers.DateTimeField(allow_null=True)


class BalanceOut(serializers.Serializer):
    available = serializers.IntegerField()
    pending = serializers.IntegerField()


class ExpiringOut(serializers.Serializer):
    date = serializers.DateField(help_text=_("The last day these points can be spent."))
    points = serializers.IntegerField()


class NextTierOut(serializers.Serializer):
    code = serializers.CharField()
    name = serializers.CharField()
    spend_needed = _money_out()


class MemberOut(serializers.Serializer):
    id = serializers.IntegerField()
    card_number = serializers.CharField()
    phone_masked = serializers.CharField()
    status = serializers.ChoiceField(choices=Member.Status.choices)
    tier = TierOut()
    balance = MemberBalanceOut()
    expiring = ExpiringOut(many=True)
    next_tier = NextTierOut(allow_null=True, help_text=_("null at the top tier."))


class LedgerEntryOut(serializers.Serializer):
    id = serializers.IntegerField()
    kind = serializers.CharField()
    points = serializers.IntegerField()
    created_at = serializers.DateTimeField()
    purchase_id = serializers.IntegerField(allow_null=True)
    refund_id = serializers.IntegerField(allow_null=True)
    expires_at = serializers.DateTimeField(allow_null=True)
    reason = serializers.CharField(
        help_text=_(
            "What the member is told of the entry: an operator's adjustment gives its text for "
            "the member or a neutral label; may be empty."
        )
    )


class ConfirmationCodeOut(serializers.Serializer):
    sent = serializers.BooleanField()
    expires_in = serializers.IntegerField(help_text=_("Seconds the code stays valid."))


class LineDiscountOut(serializers.Serializer):
    sku = serializers.CharField()
    amount = _money_out()
    discount = _money_out(help_text=_("The part of the line paid with points."))


class CampaignAppliedOut(serializers.Serializer):
    id = serializers.IntegerField(help_text=_("Campaign id."))
    name = serializers.CharField()
    points = serializers.IntegerField(help_text=_("Bonus points it gives (0 if it lost)."))
    applied = serializers.BooleanField()


class CampaignQuotedOut(CampaignAppliedOut):
    reason = serializers.ChoiceField(
        choices=[(code, lazy(Reason.text, str)(code)) for code in REASONS],
        required=False,
        help_text=_(
            "Why it gives nothing: held_out (the member is in its control group), group (another "
            "campaign of its stacking group gives more), exclusive (an exclusive campaign "
            "applies), cap (the bonus cap per check), budget (its budget or uses are spent), "
            "member_limit (the member's limit for it)."
        ),
    )
    reason_text = serializers.CharField(required=False)


class QuoteOut(serializers.Serializer):
    available_points = serializers.IntegerField()
    max_redeem_points = serializers.IntegerField()
    redeem_points = serializers.IntegerField()
    earn_points = serializers.IntegerField()
    bonus_points = serializers.IntegerField(help_text=_("Campaign bonuses on top of earn_points."))
    discount = _money_out()
    lines = LineDiscountOut(many=True)
    campaigns = CampaignQuotedOut(
        many=True, help_text=_("The campaigns that apply, then those that lost, with why.")
    )


class PurchaseCreatedOut(serializers.Serializer):
    id = serializers.IntegerField()
    external_id = serializers.CharField()
    member_id = serializers.IntegerField()
    store_id = serializers.IntegerField(allow_null=True)
    occurred_at = serializers.DateTimeField()
    total = _money_out()
    discount = _money_out()
    earned_points = serializers.IntegerField()
    redeemed_points = serializers.IntegerField()
    bonus_points = serializers.IntegerField(
        help_text=_("Campaign bonuses on top of earned_points.")
    )
    lines = LineDiscountOut(many=True)
    campaigns = CampaignAppliedOut(many=True)
    balance = BalanceOut()


class PurchaseLineOut(serializers.Serializer):
    sku = serializers.CharField()
    name = serializers.CharField()
    category = serializers.CharField()
    quantity = serializers.DecimalField(max_digits=12, decimal_places=3)
    price = _money_out()
    amount = _money_out()
    discount = _money_out()
    redeemable = serializers.BooleanField()
    refunded_quantity = serializers.DecimalField(max_digits=12, decimal_places=3)
    refunded_amount = _money_out()


class RefundSummaryOut(serializers.Serializer):
    id = serializers.IntegerField()
    external_id = serializers.CharField()
    amount = _money_out()
    created_at = serializers.DateTimeField()


class PurchaseOut(serializers.Serializer):
    id = serializers.IntegerField()
    external_id = serializers.CharField()
    member_id = serializers.IntegerField()
    store_id = serializers.IntegerField(allow_null=True)
    occurred_at = serializers.DateTimeField()
    created_at = serializers.DateTimeField()
    total = _money_out()
    discount = _money_out()
    earned_points = serializers.IntegerField()
    redeemed_points = serializers.IntegerField()
    refunded_total = _money_out()
    returned_points = serializers.IntegerField()
    clawed_back_points = serializers.IntegerField()
    lines = PurchaseLineOut(many=True)
    refunds = RefundSummaryOut(many=True)


class RefundOut(serializers.Serializer):
    id = serializers.IntegerField()
    external_id = serializers.CharField()
    purchase_id = serializers.IntegerField()
    amount = _money_out()
    discount = _money_out()
    clawed_back_points = serializers.IntegerField()
    returned_points = serializers.IntegerField()
    forfeited_points = serializers.IntegerField()
    shortfall_points = serializers.IntegerField()
    shortfall_amount = _money_out(help_text=_("₽ to keep from the cash refund (withhold policy)."))
    created_at = serializers.DateTimeField()
    balance = BalanceOut()


class CampaignOut(serializers.Serializer):
    id = serializers.IntegerField()
    code = serializers.CharField()
    name = serializers.CharField()
    description = serializers.CharField(help_text=_("For members, in Russian."))
    description_en = serializers.CharField(help_text=_("For members, in English (may be empty)."))
    kind = serializers.CharField()
    status = serializers.ChoiceField(
        choices=[
            (status.value, status.label)
            for status in (Campaign.Status.RUNNING, Campaign.Status.SCHEDULED)
        ]
    )
    starts_at = serializers.DateTimeField(allow_null=True)
    ends_at = serializers.DateTimeField(allow_null=True)
    effect = serializers.CharField()
    value = _money_out()
    per_amount = _money_out(allow_null=True)
    steps = serializers.ListField(child=serializers.DictField())
    stacking_group = serializers.CharField()
    exclusive = serializers.BooleanField()


def campaign_body(campaign, now) -> dict:
    return {
        "id": campaign.pk,
        "code": campaign.code,
        "name": campaign.name,
        "description": campaign.description,
        "description_en": campaign.description_en,
        "kind": campaign.kind,
        "status": campaign.status_at(now),
        "starts_at": when(campaign.starts_at),
        "ends_at": when(campaign.ends_at),
        "effect": campaign.effect,
        "value": money(campaign.value),
        "per_amount": money(campaign.per_amount),
        "steps": list(campaign.steps),
        "stacking_group": campaign.stacking_group,
        "exclusive": campaign.exclusive,
    }


class GuestCheckOut(serializers.Serializer):
    id = serializers.IntegerField()
    external_id = serializers.CharField()
    store_id = serializers.IntegerField(allow_null=True)
    occurred_at = serializers.DateTimeField()
    total = _money_out()
    channel = serializers.ChoiceField(choices=CHANNEL_CHOICES)
