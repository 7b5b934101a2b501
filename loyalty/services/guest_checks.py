"""Checks without a card: a sale the till made to a customer who is not a member (or did not
show a card). No points move; the check is kept for analytics only — the share of checks with
a card and the average check of members against other customers."""

import datetime as dt
from decimal import Decimal

from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from loyalty.errors import GuestCheckExists, InvalidCheck, PurchaseExists
from loyalty.models import GuestCheck, Partner, Purchase, Store
from loyalty.money import parse_money
from loyalty.services.checks import EARLIEST, MAX_AMOUNT
from loyalty.services.purchases import MAX_CLOCK_SKEW

MAX_CHECK_NUMBER = 100


def _bad(field: str, message: str) -> InvalidCheck:
    return InvalidCheck(message, fields={field: [message]})


def guest_check_total(value) -> Decimal:
    """A check's total as sent: rubles with at most 2 decimals, above zero, not too large."""
    try:
        total = parse_money(value)
    except (ValueError, TypeError) as exc:
        raise _bad("total", _("Enter an amount in rubles with at most 2 decimals.")) from exc
    if total <= 0:
        raise _bad("total", _("The amount must be greater than zero."))
    if total > MAX_AMOUNT:
        raise _bad("total", _("The amount is too large."))
    return total


def record_guest_check(
    *,
    partner: Partner,
    store: Store | None,
    external_id: str,
    total,
    occurred_at: dt.datetime | None,
    channel: str,
    cashier=None,
    now: dt.datetime,
) -> GuestCheck:
    """Record a check paid without a card: a positive total in rubles (2 decimals), the check
    number (unique per partner, and not one a member's purchase of the partner already has),
    the time it was paid (default now; not later than a day ahead, like purchases), the store
    (the partner's own) and the channel. Points are neither earned nor spent.

    Raises InvalidCheck, GuestCheckExists (`id`) or PurchaseExists (`id`).
    """
    total = guest_check_total(total)
    external_id = (external_id or "").strip() if isinstance(external_id, str) else ""
    if not external_id or len(external_id) > MAX_CHECK_NUMBER:
        raise _bad("external_id", _("A check number is required (up to 100 characters)."))
    occurred_at = occurred_at or now
    if occurred_at > now + MAX_CLOCK_SKEW:
        raise _bad("occurred_at", _("The purchase time is in the future."))
    if occurred_at < EARLIEST:
        raise _bad("occurred_at", _("The purchase time is too far in the past."))
    if store is not None and store.partner_id != partner.pk:
        raise _bad("store_id", _("The store belongs to another partner."))
    if channel not in Purchase.Channel.values:
        raise _bad("channel", _("Unknown channel."))
    member_check = (
        Purchase.objects.filter(partner=partner, external_id=external_id)
        .values_list("pk", flat=True)
        .first()
    )
    if member_check is not None:
        raise PurchaseExists(id=member_check)
    try:
        with transaction.atomic(durable=True):
            return GuestCheck.objects.create(
                partner=partner,
                store=store,
                external_id=external_id,
                total=total,
                occurred_at=occurred_at,
                channel=channel,
                cashier=cashier,
                created_at=now,
            )
    except IntegrityError as exc:
        existing = (
            GuestCheck.objects.filter(partner=partner, external_id=external_id)
            .values_list("pk", flat=True)
            .first()
        )
        if existing is None:
            raise
        raise GuestCheckExists(id=existing) from exc
