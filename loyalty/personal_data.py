"""Reads: a member's complete copy of their data (152-FZ, art. 14) — the personal part from
`customers` and the points part kept here."""

import datetime as dt
import json

from django.core.serializers.json import DjangoJSONEncoder

from customers.models import Member
from customers.selectors import member_personal_data
from loyalty.models import Account, LedgerEntry, PointLot, Purchase, PurchaseLine, Refund
from loyalty.selectors import entry_note

EXPORT_FORMAT_VERSION = 1


def member_data_export(*, member: Member, now: dt.datetime) -> dict:
    """Everything stored about the member, as plain data: profile, consents with their texts,
    important dates, notification choices, login-code events (no codes or hashes), the points
    account, its lots and ledger, purchases with their lines, and refunds. Nothing of any other
    member: every row is picked by this member's id."""
    account = (
        Account.objects.filter(member=member)
        .select_related("tier")
        .values(
            "available",
            "pending",
            "debt",
            "lifetime_earned",
            "lifetime_spend",
            "tier__name",
            "tier_since",
            "created_at",
        )
        .first()
    )
    purchases = list(
        Purchase.objects.filter(member=member)
        .order_by("occurred_at", "id")
        .values(
            "id",
            "partner__name",
            "store__name",
            "external_id",
            "occurred_at",
            "total",
            "discount",
            "redeemed_points",
            "earned_points",
            "refunded_total",
            "returned_points",
            "clawed_back_points",
        )
    )
    lines = {}
    for line in (
        PurchaseLine.objects.filter(purchase__member=member)
        .order_by("purchase_id", "position")
        .values(
            "purchase_id",
            "position",
            "sku",
            "name",
            "category",
            "quantity",
            "price",
            "amount",
            "discount",
            "refunded_quantity",
            "refunded_amount",
        )
    ):
        lines.setdefault(line.pop("purchase_id"), []).append(line)
    for purchase in purchases:
        purchase["lines"] = lines.get(purchase["id"], [])
    return {
        "format_version": EXPORT_FORMAT_VERSION,
        "generated_at": now,
        "member": member_personal_data(member),
        "account": account,
        "lots": list(
            PointLot.objects.filter(account__member=member)
            .order_by("created_at", "id")
            .values(
                "id",
                "source",
                "points",
                "remaining",
                "is_pending",
                "available_at",
                "expires_at",
                "purchase_id",
                "created_at",
            )
        ),
        "ledger": _ledger(member),
        "purchases": purchases,
        "refunds": list(
            Refund.objects.filter(purchase__member=member)
            .order_by("created_at", "id")
            .values(
                "id",
                "purchase_id",
                "external_id",
                "amount",
                "discount",
                "clawed_back_points",
                "returned_points",
                "forfeited_points",
                "shortfall_points",
                "shortfall_amount",
                "created_at",
            )
        ),
    }


def _ledger(member: Member) -> list[dict]:
    """The member's ledger rows, each with `note`, what the member's history shows of the entry
    (`entry_note`: a manual adjustment's text for the member or a neutral label), and `reason`,
    what the staff wrote: a copy of the data holds everything kept about the member."""
    rows = list(
        LedgerEntry.objects.filter(account__member=member)
        .order_by("created_at", "id")
        .values(
            "id",
            "kind",
            "points",
            "pending_change",
            "lot_id",
            "purchase_id",
            "refund_id",
            "partner__name",
            "reason",
            "member_text",
            "expires_at",
            "created_at",
        )
    )
    for row in rows:
        text = row.pop("member_text")
        row["note"] = entry_note(row["kind"], points=row["points"], member_text=text)
    return rows


def member_data_json(*, member: Member, now: dt.datetime) -> bytes:
    """The export as a UTF-8 JSON file (dates ISO 8601, money as decimal strings)."""
    data = member_data_export(member=member, now=now)
    return json.dumps(data, cls=DjangoJSONEncoder, ensure_ascii=False, indent=2).encode()
