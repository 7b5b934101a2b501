"""Reads about points and tiers for the cabinet, the desk, the API and admin."""

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

from django.db.models import Exists, OuterRef, Q, Subquery
from django.utils.translation import gettext_lazy as _
from psycopg.types.numeric import Int8

from customers.errors import MemberNotFound
from customers.models import Consent, Member
from loyalty.models import (
    Account,
    LedgerEntry,
    PointLot,
    Program,
    Purchase,
    StaffAssignment,
    Store,
    Tier,
    TierChange,
)
from loyalty.money import add_months
from loyalty.services.program import get_program, get_tier, get_tiers, program_zone
from loyalty.services.tiers import (
    NET_PAID,
    qualifying_purchases,
    qualifying_spend,
    spend_value,
    window_start,
)
from loyalty.store.reads import balance_row, member_summary_row


@dataclass
class Balance:
    available: int
    pending: int
    debt: int
    next_activation: dt.datetime | None


@dataclass
class ExpiringPoints:
    date: dt.date  # the last day the points can be spent, in the program zone
    points: int


@dataclass
class TierProgress:
    tier: Tier
    spend: Decimal
    next_tier: Tier | None
    spend_needed: Decimal  # ₽ left to the next tier (0 at the top)
    progress_percent: int
    secured_until: dt.date | None  # None: no end (lifetime window, or nothing can lower it)
    pinned: bool


def last_spend_day(expires_at: dt.datetime, zone) -> dt.date:
    """The last day (in `zone`) points expiring at `expires_at` can be spent: up to the moment
    before it (midnight for earned points, so the day before; any time of day for a campaign's
    own lifetime)."""
    return (expires_at - dt.timedelta(microseconds=1)).astimezone(zone).date()


def _expiring_from_lots(lots, *, zone, limit: int) -> list[ExpiringPoints]:
    """Group (remaining, expires_at) pairs, sorted by expiry, by the last day they can be spent."""
    result: list[ExpiringPoints] = []
    for remaining, expires_at in lots:
        day = last_spend_day(expires_at, zone)
        if result and result[-1].date == day:
            result[-1].points += remaining
        elif len(result) == limit:
            break
        else:
            result.append(ExpiringPoints(day, remaining))
    return result


def live_lots(*, now: dt.datetime, spendable: bool = False):
    """Every account's lots holding points at `now` (points left, not expired by then), even
    before the beat jobs have burnt or activated them; `spendable`: only those available by
    then, not pending (loyalty.store.reads: spendable now has one definition)."""
    lots = PointLot.objects.filter(remaining__gt=0, expires_at__gt=now)
    return lots.filter(available_at__lte=now) if spendable else lots


def _live_lots(member_id: int, now: dt.datetime):
    return live_lots(now=now).filter(account_id=member_id)


def member_balance(member_id: int, *, now: dt.datetime) -> Balance:
    """Spendable and pending points as of `now` (even before the beat jobs have run), as every
    balance is read (loyalty.store.reads: spendable now has one definition)."""
    row = balance_row(member_id, now)
    if row is None:
        raise Account.DoesNotExist()
    debt, available, pending, next_activation = row
    return Balance(available, pending, debt, next_activation)


def expiring_points(
    member_id: int, *, now: dt.datetime, within_days: int | None = None, limit: int = 5
) -> list[ExpiringPoints]:
    """Points by the last day they can be spent, nearest first (optionally within N days).

    Counts what the member holds as of `now`, even before the burn job has run.
    """
    lots = _live_lots(member_id, now)
    if within_days is not None:
        lots = lots.filter(expires_at__lte=now + dt.timedelta(days=within_days))
    rows = lots.order_by("expires_at").values_list("remaining", "expires_at")
    return _expiring_from_lots(rows.iterator(), zone=program_zone(get_program()), limit=limit)


# --- which members a partner may read ------------------------------------------------------------
def enrolment_source(partner_id: int) -> str:
    """The consent `source` of a member a partner enrolled through the API (it marks the
    member as that partner's)."""
    return f"api:{partner_id}"


def _known_to_partner_q(partner_id: int, member_field: str) -> Q:
    """Members who joined through the partner or bought at its stores."""
    bought = Purchase.objects.filter(member_id=OuterRef(member_field), partner_id=partner_id)
    joined = Consent.objects.filter(
        member_id=OuterRef(member_field), source=enrolment_source(partner_id)
    )
    return Q(Exists(bought)) | Q(Exists(joined))


def partner_scope(partner_id: int) -> int | None:
    """The partner whose members a read is limited to, or None when the program is a
    coalition whose partners share members."""
    return None if get_program().shares_members else partner_id


def member_exists(member_id, *, readable_by: int | None = None) -> bool:
    """Whether the member exists and, with `readable_by`, that partner may read them: they
    joined through it or bought at its stores, or the program shares members — all in one
    query (the ledger's first read must not add a round trip for the program settings)."""
    try:
        member_id = int(member_id)
    except (ValueError, TypeError):
        return False
    accounts = Account.objects.filter(member_id=member_id)
    if readable_by is not None:
        shared = Program.objects.filter(pk=1, shares_members=True)
        accounts = accounts.filter(
            _known_to_partner_q(readable_by, "member_id") | Q(Exists(shared))
        )
    return accounts.exists()


@dataclass
class MemberSummary:
    member: Member
    tier: Tier
    balance: Balance
    expiring: list[ExpiringPoints]
    next_tier: Tier | None
    spend_needed: Decimal  # ₽ left to the next tier (0 at the top)


def member_summary(
    *,
    now: dt.datetime,
    member_id: int | None = None,
    phone: str | None = None,
    card_number: str | None = None,
    expiring_limit: int = 5,
    partner_id: int | None = None,
) -> MemberSummary:
    """A member with tier, balance, nearest expiries and ₽ left to the next tier, found by id,
    E.164 phone or card number — in one statement (the hot read of the till and the API).
    With `partner_id`, only a member who joined through that partner or bought at its stores
    is found. Raises MemberNotFound."""
    program = get_program()
    return _member_summary_row(
        member_id, phone, card_number, now, expiring_limit, program, partner_id
    )


def _next_tier(tier: Tier) -> Tier | None:
    higher = [t for t in get_tiers() if t.min_spend > tier.min_spend]
    return higher[0] if higher else None


def _spend_needed(next_tier: Tier | None, spend: Decimal) -> Decimal:
    """₽ left to the next tier (0 at the top, and once it is reached)."""
    if next_tier is None:
        return Decimal("0.00")
    return max(Decimal("0.00"), next_tier.min_spend - spend)


def _member_summary_row(member_id, phone, card_number, now, expiring_limit, program, partner_id):
    """member_summary() in one statement, with nothing left to aggregate in Python."""
    if member_id is not None:
        try:
            key, where = int(member_id), "member_id"  # as the ORM's lookup would
        except (ValueError, TypeError) as exc:
            raise MemberNotFound() from exc
        if not -(2**63) <= key < 2**63:
            raise MemberNotFound()  # no such bigint id
        key = Int8(key)  # one parameter type for every id: one prepared statement
    elif phone is not None:
        key, where = phone, "phone"
    else:
        key, where = (card_number or "").strip(), "card_number"
    tiers = get_tiers()
    start = window_start(program, now)
    params = {
        "key": key,
        "now": now,
        "zone": program.time_zone,
        # A negative limit never stops _expiring_from_lots(); NULL is LIMIT ALL.
        "limit": Int8(expiring_limit) if expiring_limit >= 0 else None,
        "top": Int8(tiers[-1].pk) if tiers else None,
    }
    if start is not None:
        params["start"] = start
    if partner_id is not None:
        params["partner"] = Int8(partner_id)
        params["source"] = enrolment_source(partner_id)
    found = member_summary_row(
        key=where, params=params, windowed=start is not None, scoped=partner_id is not None
    )
    if found is None:
        raise MemberNotFound()
    (tier_id, debt, available, pending, next_activation, days, points, spend), member = found
    tier = get_tier(tier_id)
    next_tier = _next_tier(tier)
    return MemberSummary(
        member=member,
        tier=tier,
        balance=Balance(available, pending, debt, next_activation),
        expiring=[ExpiringPoints(d, p) for d, p in zip(days, points)] if days else [],
        next_tier=next_tier,
        spend_needed=_spend_needed(next_tier, spend_value(spend)),
    )


def tier_progress(member_id: int, *, now: dt.datetime) -> TierProgress:
    """Current tier, qualifying spend, ₽ left to the next tier, and until when the tier holds.

    `progress_percent` is how far the spend has gone from the current tier's threshold to the
    next one (100 at the top). `secured_until` is the last day the member is sure to keep the
    tier if they buy nothing more and the reviews run daily.
    """
    program = get_program()
    account = Account.objects.only("tier_id", "pinned_tier_id", "below_tier_since").get(
        member_id=member_id
    )
    tier = get_tier(account.tier_id)
    spend = qualifying_spend(member_id, now=now, program=program)
    next_tier = _next_tier(tier)
    needed = _spend_needed(next_tier, spend)
    if next_tier:
        span = next_tier.min_spend - tier.min_spend
        percent = int(max(0, min(100, (spend - tier.min_spend) * 100 / span)))
    else:
        percent = 100
    return TierProgress(
        tier=tier,
        spend=spend,
        next_tier=next_tier,
        spend_needed=needed,
        progress_percent=percent,
        secured_until=_tier_secured_until(account, tier, spend, program, now),
        pinned=account.pinned_tier_id is not None and account.pinned_tier_id == tier.pk,
    )


def _tier_secured_until(account, tier, spend, program, now) -> dt.date | None:
    """The last whole day before a review may lower the tier (None: nothing lowers it)."""
    zone = program_zone(program)
    grace = dt.timedelta(days=program.tier_grace_days)
    if tier.min_spend == 0 or program.tier_downgrade_policy == Program.DowngradePolicy.NONE:
        return None
    if account.pinned_tier_id and get_tier(account.pinned_tier_id).min_spend >= tier.min_spend:
        return None
    if account.below_tier_since is not None:
        # The first review at or after below + grace lowers it; the day before is still safe.
        return (account.below_tier_since + grace).astimezone(zone).date() - dt.timedelta(days=1)
    if spend < tier.min_spend:
        # Below already; the next review starts the grace period.
        return now.astimezone(zone).date() + grace - dt.timedelta(days=1)
    if program.tier_window_months == 0:
        return None  # lifetime spend never rolls out; only a refund could lower it
    # Walk the window's purchases oldest first: the tier holds until enough of them roll out.
    # A purchase on day D counts through add_months(D, window); the review the day after
    # starts the grace period, which ends `grace` later.
    rows = (
        qualifying_purchases(program, now)
        .filter(member_id=account.member_id)
        .order_by("occurred_at", "id")
        .annotate(net=NET_PAID)
        .values_list("occurred_at", "net")
    )
    left = spend
    for occurred_at, net in rows:
        left -= net
        if left < tier.min_spend:
            day = occurred_at.astimezone(zone).date()
            return add_months(day, program.tier_window_months) + grace
    return None


ADDED_BY_THE_STORE = _("Added by the store")
REMOVED_BY_THE_STORE = _("Removed by the store")


def entry_note(kind: str, *, points: int, member_text: str = "") -> str:
    """What the member (and a partner) is told about an entry — never its `reason`, the staff's
    internal note, which stays in the back-office (admin, exports, audit). A manual adjustment
    shows the text staff wrote for the member, or else a neutral "Added by the store" /
    "Removed by the store" by the direction of its `points`; other entries need no note."""
    if kind != LedgerEntry.Kind.ADJUST:
        return ""
    if member_text:
        return member_text
    return str(ADDED_BY_THE_STORE if points >= 0 else REMOVED_BY_THE_STORE)


def partner_ledger_rows(member_id: int):
    """The member's ledger rows as a partner reads them, newest first; with the partner of each
    entry's purchase, so that `partner_ledger_entry` can hide other partners' check ids."""
    return ledger_entries(member_id).values(
        "id",
        "kind",
        "points",
        "created_at",
        "purchase_id",
        "refund_id",
        "expires_at",
        "purchase__partner_id",
        "refund__purchase__partner_id",
        "member_text",
    )


def partner_ledger_entry(row: dict, *, partner_id: int) -> dict:
    """One row of `partner_ledger_rows` as the partner may see it: no internal reason (what the
    member is told instead, `entry_note`), and purchase and refund ids only of the partner's own
    checks."""
    own_purchase = row["purchase__partner_id"] == partner_id
    own_refund = row["refund__purchase__partner_id"] == partner_id
    return {
        "id": row["id"],
        "kind": row["kind"],
        "points": row["points"],
        "created_at": row["created_at"],
        "purchase_id": row["purchase_id"] if own_purchase else None,
        "refund_id": row["refund_id"] if own_refund else None,
        "expires_at": row["expires_at"],
        "reason": entry_note(row["kind"], points=row["points"], member_text=row["member_text"]),
    }


def ledger_entries(member_id: int, *, kinds: list[str] | None = None):
    """The member's ledger, newest first, without the internal activation entries by default."""
    entries = LedgerEntry.objects.filter(account_id=member_id).select_related("purchase")
    if kinds:
        return entries.filter(kind__in=kinds)
    return entries.exclude(kind=LedgerEntry.Kind.ACTIVATE)


def tier_changes(member_id: int, *, limit: int = 5) -> list[TierChange]:
    """The member's latest tier changes (from, to, why, when), newest first."""
    return list(
        TierChange.objects.filter(account_id=member_id)
        .select_related("from_tier", "to_tier")
        .order_by("-created_at", "-id")[:limit]
    )


def staff_store_id_query(user) -> Subquery:
    """The id of the store a staff user works at, as a subquery: a write records it in its own
    statement (the desk's activity log) without reading it first."""
    return Subquery(StaffAssignment.objects.filter(user_id=user.pk).values("store_id")[:1])


def staff_store(user) -> Store | None:
    """The store a staff user works at (a cashier's till), with its partner; None when the user
    has none. Read once per user object (a request's user asks several times)."""
    if not hasattr(user, "_staff_store"):
        assignment = (
            StaffAssignment.objects.filter(user_id=user.pk).select_related("store__partner").first()
        )
        user._staff_store = assignment.store if assignment else None
    return user._staff_store
