"""What each source's rows mean as webhook events (campaigns/webhooks/events.py sweeps them):
the event's unique key, its type, when it happened and its `data` — members named by id and
card number only."""

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass

from campaigns.models.webhooks import EventType
from customers.models import Member
from loyalty.models import LedgerEntry, Purchase, Tier, TierChange

Kind = LedgerEntry.Kind


@dataclass(frozen=True)
class Found:
    """One happening, before it is written: `key` is unique across all events."""

    key: str
    type: str
    occurred_at: dt.datetime
    data: dict
    partner_id: int | None = None


def _iso(moment: dt.datetime | None) -> str | None:
    return moment.astimezone(dt.UTC).isoformat() if moment else None


def _members(ids: Iterable[int]) -> dict[int, dict]:
    return {
        pk: {"id": pk, "card_number": card}
        for pk, card in Member.objects.filter(pk__in=set(ids)).values_list("pk", "card_number")
    }


def _named(pk: int | None, name: str | None) -> dict | None:
    return None if pk is None else {"id": pk, "name": name}


def _purchase_data(row: dict) -> dict:
    """A purchase as events show it: the check, its partner and store, the balance it left."""
    balance = None
    if row["available_after"] is not None:
        balance = {"available": row["available_after"], "pending": row["pending_after"] or 0}
    return {
        "purchase": {
            "id": row["id"],
            "external_id": row["external_id"],
            "total": str(row["total"]),
            "occurred_at": _iso(row["occurred_at"]),
        },
        "partner": _named(row["partner_id"], row["partner__name"]),
        "store": _named(row["store_id"], row["store__name"]),
        "balance_after": balance,
    }


PURCHASE_FIELDS = (
    "id",
    "member_id",
    "external_id",
    "total",
    "occurred_at",
    "partner_id",
    "partner__name",
    "store_id",
    "store__name",
    "earned_points",
    "bonus_points",
    "redeemed_points",
    "available_after",
    "pending_after",
    "channel",
)
IMPORTED = "import"  # a purchase brought in by a history import (loyalty's Purchase.Channel)


def member_rows(rows: list[dict], wanted: set[str]) -> list[Found]:
    return [
        Found(
            key=f"member.created:{row['id']}",
            type=EventType.MEMBER_CREATED,
            occurred_at=row["created_at"],
            data={
                "member": {"id": row["id"], "card_number": row["card_number"]},
                "channel": row["channel"],
                "joined_at": _iso(row["created_at"]),
            },
        )
        for row in rows
        if row["channel"] != Member.Channel.IMPORT
    ]


def tier_change_rows(rows: list[dict], wanted: set[str]) -> list[Found]:
    tiers = dict(Tier.objects.values_list("pk", "name"))
    members = _members(row["account_id"] for row in rows)
    return [
        Found(
            key=f"tier.changed:{row['id']}",
            type=EventType.TIER_CHANGED,
            occurred_at=row["created_at"],
            data={
                "member": members.get(row["account_id"], {"id": row["account_id"]}),
                "from_tier": _named(row["from_tier_id"], tiers.get(row["from_tier_id"])),
                "to_tier": _named(row["to_tier_id"], tiers.get(row["to_tier_id"])),
                "reason": row["reason"],
            },
        )
        for row in rows
        if row["reason"] != TierChange.Reason.ENROLL
    ]


def award_rows(rows: list[dict], wanted: set[str]) -> list[Found]:
    members = _members(row["member_id"] for row in rows)
    purchases = {
        row["id"]: row
        for row in Purchase.objects.filter(
            pk__in={r["purchase_id"] for r in rows if r["purchase_id"]}
        ).values(*PURCHASE_FIELDS)
    }
    found = []
    for row in rows:
        purchase = purchases.get(row["purchase_id"])
        data = {
            "member": members.get(row["member_id"], {"id": row["member_id"]}),
            "campaign": _named(row["campaign_id"], row["campaign__name"]),
            "points": row["points"],
            "occasion": row["occasion"],
            **(
                _purchase_data(purchase)
                if purchase
                else {"purchase": None, "partner": None, "store": None, "balance_after": None}
            ),
        }
        found.append(
            Found(
                key=f"reward.issued:{row['id']}",
                type=EventType.REWARD_ISSUED,
                occurred_at=row["created_at"],
                data=data,
            )
        )
    return found


def ledger_rows(rows: list[dict], wanted: set[str]) -> list[Found]:
    """A purchase's entries make one event per kind of change (its own member's: a referrer's
    bonus on a friend's purchase is an event of its own); expired lots, one per member and run."""
    purchase_ids = {row["purchase_id"] for row in rows if row["purchase_id"]}
    purchases = {
        row["id"]: row
        for row in Purchase.objects.filter(pk__in=purchase_ids).values(*PURCHASE_FIELDS)
    }
    burns = {(row["account_id"], row["created_at"]) for row in rows if row["kind"] == Kind.EXPIRE}
    members = _members({row["account_id"] for row in rows})
    found: dict[str, Found] = {}
    for row in rows:
        member = members.get(row["account_id"], {"id": row["account_id"]})
        purchase = purchases.get(row["purchase_id"])
        if purchase is not None and purchase["channel"] == IMPORTED:
            continue
        own = purchase is not None and purchase["member_id"] == row["account_id"]
        if row["kind"] in (Kind.EARN, Kind.BONUS) and own:
            key = f"points.earned:purchase:{purchase['id']}"
            found.setdefault(
                key,
                Found(
                    key,
                    EventType.POINTS_EARNED,
                    row["created_at"],
                    {
                        "member": member,
                        "points": purchase["earned_points"] + purchase["bonus_points"],
                        "earned_points": purchase["earned_points"],
                        "bonus_points": purchase["bonus_points"],
                        "reason": "",
                        **_purchase_data(purchase),
                    },
                    purchase["partner_id"],
                ),
            )
        elif row["kind"] == Kind.REDEEM and own:
            key = f"points.redeemed:purchase:{purchase['id']}"
            found.setdefault(
                key,
                Found(
                    key,
                    EventType.POINTS_REDEEMED,
                    row["created_at"],
                    {
                        "member": member,
                        "points": purchase["redeemed_points"],
                        **_purchase_data(purchase),
                    },
                    purchase["partner_id"],
                ),
            )
        elif row["kind"] in (Kind.EARN, Kind.BONUS, Kind.REDEEM):
            kind = (
                EventType.POINTS_REDEEMED if row["kind"] == Kind.REDEEM else EventType.POINTS_EARNED
            )
            key = f"{kind}:entry:{row['id']}"
            found[key] = Found(
                key,
                kind,
                row["created_at"],
                {
                    "member": member,
                    "points": abs(row["points"]),
                    "earned_points": row["points"] if row["kind"] == Kind.EARN else 0,
                    "bonus_points": row["points"] if row["kind"] == Kind.BONUS else 0,
                    "reason": row["reason"],
                    "purchase": None,
                    "partner": None,
                    "store": None,
                    "balance_after": None,
                }
                if kind == EventType.POINTS_EARNED
                else {"member": member, "points": abs(row["points"]), "reason": row["reason"]},
            )
    found.update(_burns(burns, members))
    return [event for event in found.values() if event.type in wanted]


def _burns(burns: set[tuple[int, dt.datetime]], members: dict[int, dict]) -> dict[str, Found]:
    """All the expire entries of each (member, run), also those beyond this chunk."""
    if not burns:
        return {}
    totals: dict[tuple[int, dt.datetime], list[int]] = defaultdict(list)
    for account_id, created_at, points in LedgerEntry.objects.filter(
        kind=Kind.EXPIRE,
        account_id__in={a for a, _at in burns},
        created_at__in={at for _a, at in burns},
    ).values_list("account_id", "created_at", "points"):
        if (account_id, created_at) in burns:
            totals[(account_id, created_at)].append(points)
    found = {}
    for (account_id, created_at), points in totals.items():
        key = f"points.expired:{account_id}:{int(created_at.timestamp() * 1_000_000)}"
        found[key] = Found(
            key,
            EventType.POINTS_EXPIRED,
            created_at,
            {
                "member": members.get(account_id, {"id": account_id}),
                "points": -sum(points),
                "lots": len(points),
            },
        )
    return found
